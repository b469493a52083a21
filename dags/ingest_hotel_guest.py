"""
### Ingest foreign-guest reports from lodgings (semicolon CSV, UTF-8 or Windows-1252)

Runs when objects land under `hotel_guest/` of the landing zone (an Airflow asset event per
object), or by hand with `{"keys": [...]}` to replay files. Each file is registered in
the ledger (a byte-identical re-delivery is a no-op), parsed and normalised per FEEDS.md,
validated with the `hotel_guest` Great Expectations suite, its bad rows quarantined with every
reason, and merged into the warehouse. The last task proves row conservation per file.
Emits the warehouse asset, which schedules `reconcile`.
"""

from timpora.feeds.contracts import Feed
from timpora.orchestration.dags import build_ingest_dag

dag = build_ingest_dag(Feed.HOTEL_GUEST, __doc__)
