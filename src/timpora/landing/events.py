"""Landing notifications: MinIO's S3 event records, read into landing keys.

MinIO (like S3) sends ``{"EventName": ..., "Key": "<bucket>/<key>", "Records": [...]}``
where each record's ``s3.object.key`` is URL-encoded. Anything that is not an
object-created record for an object is ignored with a reason in the log.
"""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import unquote_plus

log = logging.getLogger(__name__)


def keys_from_payload(payload: Any) -> list[str]:
    """Object keys of the object-created records in a notification.

    Accepted shapes: an S3 event (``{"Records": [...]}``), MinIO's Redis ``access``
    format (``[{"Event": [...], "EventTime": ...}]``), and our own ``{"key": ...}`` /
    ``{"keys": [...]}`` (trigger and sweep events).
    """
    if isinstance(payload, str | bytes):
        try:
            payload = json.loads(payload)
        except json.JSONDecodeError:
            log.warning("landing notification is not JSON: %r", payload[:200])
            return []
    if isinstance(payload, list):
        return [key for item in payload for key in keys_from_payload(item)]
    if not isinstance(payload, dict):
        return []
    if isinstance(payload.get("key"), str):
        return [payload["key"]]
    if isinstance(payload.get("keys"), list):
        return [key for key in payload["keys"] if isinstance(key, str)]
    keys = []
    for record in payload.get("Records") or payload.get("Event") or []:
        name = str(record.get("eventName", ""))
        if "ObjectCreated" not in name:
            log.info("ignoring %s notification", name or "an unnamed")
            continue
        key = ((record.get("s3") or {}).get("object") or {}).get("key")
        if key:
            keys.append(unquote_plus(key))
    return keys


def bucket_of(payload: Any) -> str | None:
    """The bucket a notification is about (first record)."""
    if isinstance(payload, dict):
        for record in payload.get("Records") or []:
            name = ((record.get("s3") or {}).get("bucket") or {}).get("name")
            if name:
                return str(name)
    return None
