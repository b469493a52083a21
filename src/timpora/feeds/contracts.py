"""The three upstream feed contracts of FEEDS.md: names, columns, code lists, landing keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class Feed(StrEnum):
    """An upstream feed; its value is the first segment of a landing key."""

    VISA = "visa"
    STAY_PERMIT = "stay_permit"
    HOTEL_GUEST = "hotel_guest"


HOTEL_GUEST_COLUMNS: list[str] = [
    "report_id",
    "event",
    "lodging_id",
    "lodging_name",
    "lodging_region_code",
    "guest_surname",
    "guest_given_names",
    "sex",
    "date_of_birth",
    "nationality",
    "passport_number",
    "passport_expiry",
    "check_in",
    "check_out",
    "room",
    "occupation",
    "purpose_of_visit",
    "reported_at",
    "mrz_line1",
    "mrz_line2",
]

STAY_PERMIT_COLUMNS: list[str] = [
    "permit_number",
    "record_version",
    "permit_type",
    "status",
    "visa_number",
    "passport_number",
    "nationality",
    "surname",
    "given_names",
    "date_of_birth",
    "sex",
    "activity",
    "sponsor_name",
    "sponsor_type",
    "region_code",
    "address",
    "valid_from",
    "valid_until",
    "office_code",
    "updated_at",
]

VISA_FIELDS: list[str] = [
    "visa_number",
    "record_version",
    "visa_index",
    "status",
    "passport_number",
    "passport_country",
    "nationality",
    "surname",
    "given_names",
    "date_of_birth",
    "sex",
    "purpose",
    "sponsor",
    "issued_at",
    "valid_until",
    "max_stay_days",
]

HOTEL_EVENTS = ("CHECK_IN", "CHECK_OUT", "CORRECTION", "CANCEL")
PERMIT_TYPES = ("ITK", "ITAS", "ITAP")
PERMIT_STATUSES = ("ACTIVE", "CANCELLED", "REVOKED")
VISA_STATUSES = ("ISSUED", "CANCELLED", "REVOKED")
SEX_CODES = ("M", "F", "X")
ACTIVITY_CODES = (
    "TOURISM",
    "FAMILY",
    "SOCIAL",
    "BUSINESS",
    "GOVERNMENT",
    "MEDICAL",
    "JOURNALISM",
    "FILM",
    "RESEARCH",
    "NGO",
    "WORK",
    "INVESTMENT",
    "STUDY",
    "RETIREMENT",
    "REMOTE_WORK",
    "TRANSIT",
)
SPONSOR_TYPES = ("NONE", "INDIVIDUAL", "COMPANY", "MEDIA", "NGO", "UNIVERSITY", "GOVERNMENT")

_KEY = re.compile(r"^(?P<feed>visa|stay_permit|hotel_guest)/(?P<y>\d{4})/(?P<m>\d{2})/(?P<d>\d{2})/(?P<name>[^/]+)$")
_SUFFIX = {
    Feed.VISA: (".jsonl", ".jsonl.gz"),
    Feed.STAY_PERMIT: (".csv", ".csv.gz"),
    Feed.HOTEL_GUEST: (".csv", ".csv.gz"),
}


class InvalidLandingKey(ValueError):
    """An object key that does not follow the landing layout of FEEDS.md."""


@dataclass(frozen=True)
class LandingKey:
    """A parsed landing object key such as ``hotel_guest/2024/10/03/LDG-167101_x.csv``."""

    key: str
    feed: Feed
    landing_date: date
    filename: str

    @property
    def source_id(self) -> str | None:
        """The office code (permits) or lodging id (hotel guests) the file name starts with."""
        if self.feed is Feed.VISA:
            return None
        head, sep, _ = self.filename.partition("_")
        return head if sep and head else None


def parse_landing_key(key: str) -> LandingKey:
    """Parse and check a landing key; the error names what is wrong with it."""
    match = _KEY.match(key.lstrip("/"))
    if not match:
        raise InvalidLandingKey(f"{key!r} is not <feed>/YYYY/MM/DD/<file> with feed visa, stay_permit or hotel_guest")
    feed = Feed(match["feed"])
    try:
        landing_date = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError:
        raise InvalidLandingKey(f"{key!r} has an impossible date in its path") from None
    name = match["name"]
    if not name.endswith(_SUFFIX[feed]):
        raise InvalidLandingKey(f"{key!r}: a {feed} file must end with {' or '.join(_SUFFIX[feed])}")
    parsed = LandingKey(key=key.lstrip("/"), feed=feed, landing_date=landing_date, filename=name)
    if feed is not Feed.VISA and parsed.source_id is None:
        what = "office code" if feed is Feed.STAY_PERMIT else "lodging id"
        raise InvalidLandingKey(f"{key!r}: a {feed} file name must start with its {what} and '_'")
    return parsed
