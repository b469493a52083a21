"""
### Sweep the landing zone for objects no event announced

Every 15 minutes, for each feed, lists its prefix in the landing zone and compares it
with the file ledger. An object the ledger has never seen, or whose ETag changed since it
was registered, is registered now; every registered file still waiting for ingest is
handed to that feed's ingest DAG through its landing asset. A lost notification (or an
Airflow outage longer than the queue keeps messages) therefore delays a file by at most
one sweep, and never loses it. Nothing new: the task is skipped and no ingest runs.
"""

from timpora.orchestration.dags import build_sweep_dag

dag = build_sweep_dag(__doc__)
