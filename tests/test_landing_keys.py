"""Landing keys follow FEEDS.md's layout; anything else gets a specific error."""

from __future__ import annotations

from datetime import date

import pytest

from timpora.feeds.contracts import Feed, InvalidLandingKey, parse_landing_key
from timpora.landing.events import keys_from_payload


def test_valid_keys() -> None:
    key = parse_landing_key("hotel_guest/2024/10/03/LDG-167101_20241003T1200.csv")
    assert key.feed is Feed.HOTEL_GUEST and key.landing_date == date(2024, 10, 3)
    assert key.source_id == "LDG-167101"
    assert parse_landing_key("stay_permit/2024/10/03/KANIM-PLG_x.csv.gz").source_id == "KANIM-PLG"
    assert parse_landing_key("visa/2024/10/03/evisa.jsonl.gz").source_id is None


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("hotel/2024/10/03/x.csv", "feed visa, stay_permit or hotel_guest"),
        ("visa/2024/02/30/x.jsonl", "impossible date"),
        ("visa/2024/10/03/x.csv", "must end with .jsonl"),
        ("hotel_guest/2024/10/03/nounderscore.csv", "must start with its lodging id"),
        ("stay_permit/2024/10/3/K_x.csv", "<feed>/YYYY/MM/DD/<file>"),
    ],
)
def test_invalid_keys(key: str, message: str) -> None:
    with pytest.raises(InvalidLandingKey, match=message):
        parse_landing_key(key)


def test_minio_event_record_keys_are_url_decoded() -> None:
    payload = {
        "EventName": "s3:ObjectCreated:Put",
        "Key": "landing/hotel_guest/2024/10/03/LDG-167101_a b.csv",
        "Records": [
            {
                "eventName": "s3:ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": "landing"},
                    "object": {"key": "hotel_guest%2F2024%2F10%2F03%2FLDG-167101_a+b.csv"},
                },
            },
            {"eventName": "s3:ObjectRemoved:Delete", "s3": {"object": {"key": "visa%2Fx.jsonl"}}},
        ],
    }
    assert keys_from_payload(payload) == ["hotel_guest/2024/10/03/LDG-167101_a b.csv"]
    assert keys_from_payload('{"key": "visa/2024/10/03/a.jsonl"}') == ["visa/2024/10/03/a.jsonl"]
    assert keys_from_payload("not json") == []
