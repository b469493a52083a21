"""
### Reconcile guests against permits and visas

Runs on the warehouse asset that every ingest emits (Airflow coalesces a burst of them
into one run). Rebuilds guest nights for the people whose records changed, runs every
mismatch rule, upserts flags by their stable identity and clears the ones new data
resolved. One transaction: a killed run leaves the previous state, and a re-run reaches
the same flags. Trigger with `{"full": true}` to re-examine everyone.
"""

from timpora.orchestration.dags import build_reconcile_dag

dag = build_reconcile_dag(__doc__)
