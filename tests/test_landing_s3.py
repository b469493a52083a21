"""The landing zone on a real S3 server (SeaweedFS), and the sweep that misses nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from minio import Minio

from tests.conftest import copy_samples
from timpora.config import get_settings
from timpora.feeds.contracts import Feed
from timpora.ingest.pipeline import ingest_key, ingest_keys
from timpora.landing.store import BucketLandingStore, FolderLandingStore, LandingStore, landing_store
from timpora.landing.sweep import sweep_feed
from timpora.warehouse.db import warehouse_engine


def upload_samples(store: LandingStore, folder: Path) -> list[str]:
    keys = copy_samples(folder)
    for key in keys:
        store.put_file(key, folder / key)
    return keys


@pytest.mark.parametrize("kind", ["folder", "bucket"])
def test_both_landing_stores_behave_alike(s3_landing: str, tmp_path: Path, kind: str) -> None:
    store: LandingStore = landing_store() if kind == "bucket" else FolderLandingStore(tmp_path / "folder")
    assert isinstance(store, BucketLandingStore if kind == "bucket" else FolderLandingStore)
    keys = upload_samples(store, tmp_path / "source")
    listed = list(store.list_objects())
    assert [o.key for o in listed] == sorted(keys)
    assert all(o.size > 0 and o.etag for o in listed)
    assert [o.key for o in store.list_objects("visa/")] == [k for k in keys if k.startswith("visa/")]
    stat = store.stat(keys[0])
    assert stat.size == (tmp_path / "source" / keys[0]).stat().st_size
    with store.local_copy(keys[0]) as copy:
        assert copy.path.read_bytes() == (tmp_path / "source" / keys[0]).read_bytes()
        assert copy.path.name == Path(keys[0]).name
        assert copy.etag == stat.etag
    assert store.exists(keys[0]) and not store.exists("visa/2024/10/03/missing.jsonl")


def test_ingest_reads_from_the_bucket(s3_landing: str, tmp_path: Path) -> None:
    settings = get_settings()
    assert settings.landing_backend == "s3" and settings.s3 is not None and settings.s3.bucket == s3_landing
    keys = upload_samples(landing_store(), tmp_path / "source")
    results = [ingest_key(key) for key in keys]
    assert [r.status for r in results] == ["LOADED"] * 4
    with warehouse_engine(settings).connect() as conn:
        etags = conn.execute(sa.text("SELECT source_etag FROM file_ledger")).scalars().all()
    assert all(etags)


def test_ingesting_a_batch_asks_the_bucket_once_for_its_size_and_once_for_its_body(
    s3_landing: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Thousands of small files land on a peak day: each request to the bucket counts.
    ``ingest_keys`` stats each key once (sizes plan the groups) and reads it with one GET,
    whose ETag the ledger records."""
    keys = upload_samples(landing_store(), tmp_path / "source")
    requests: list[tuple[str, str]] = []
    real_url_open = Minio._url_open

    def counted(self: Minio, method: str, region: str, bucket_name: str | None = None, **kwargs: Any) -> Any:
        if kwargs.get("object_name"):  # not the client's one-off lookup of the bucket's region
            requests.append((method, kwargs["object_name"]))
        return real_url_open(self, method, region, bucket_name, **kwargs)

    monkeypatch.setattr(Minio, "_url_open", counted)
    results = ingest_keys(keys)
    assert [r.status for r in results] == ["LOADED"] * 4
    assert sorted(requests) == sorted([("HEAD", key) for key in keys] + [("GET", key) for key in keys])
    monkeypatch.undo()
    store = landing_store()
    with warehouse_engine(get_settings()).connect() as conn:
        recorded: dict[str, str | None] = dict(
            conn.execute(sa.text("SELECT object_key, source_etag FROM file_ledger")).tuples().all()
        )
    assert recorded == {key: store.stat(key).etag for key in keys}


def test_the_sweep_finds_what_no_event_announced(s3_landing: str, tmp_path: Path) -> None:
    store = landing_store()
    keys = upload_samples(store, tmp_path / "source")
    hotel = [k for k in keys if k.startswith("hotel_guest/")]
    # No event was published: the sweep registers both hotel files and hands them over.
    assert sweep_feed(Feed.HOTEL_GUEST) == sorted(hotel)
    for key in hotel:
        ingest_key(key)
    assert sweep_feed(Feed.HOTEL_GUEST) == []
    # An overwrite whose notification was lost: same key, new body, new ETag.
    changed = (tmp_path / "source" / hotel[0]).read_bytes().replace(b"1208", b"1209")
    store.client.put_object(s3_landing, hotel[0], io.BytesIO(changed), len(changed))  # type: ignore[attr-defined]
    assert sweep_feed(Feed.HOTEL_GUEST) == [hotel[0]]
    result = ingest_key(hotel[0])
    assert result.status == "LOADED" and result.rows_loaded == 1 and result.rows_duplicate == 1
    with warehouse_engine(get_settings()).connect() as conn:
        versions = (
            conn.execute(
                sa.text("SELECT object_version FROM file_ledger WHERE object_key = :k ORDER BY 1"), {"k": hotel[0]}
            )
            .scalars()
            .all()
        )
    assert versions == [1, 2]


def test_an_event_and_the_sweep_for_one_object_ingest_it_once(s3_landing: str, tmp_path: Path) -> None:
    keys = upload_samples(landing_store(), tmp_path / "source")
    visa = next(k for k in keys if k.startswith("visa/"))
    first = ingest_key(visa)  # the event
    assert sweep_feed(Feed.VISA) == []  # the sweep finds it known and processed
    again = ingest_key(visa)  # the same event delivered a second time
    assert first.status == "LOADED" and again.skipped
    with warehouse_engine(get_settings()).connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM visa_history")).scalar_one() == first.rows_loaded
