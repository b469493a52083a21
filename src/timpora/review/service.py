"""The review queue's operations, shared by the web app, its API and the CLI.

Every operation takes the acting :class:`Reviewer` and works inside their region scope
in SQL (``sql/review/*.sql``): a flag outside the scope is indistinguishable from a flag
that does not exist, whatever route or id is tried. Every change, and every view of a
flag's personal data, is written to the append-only ``audit_log`` in the same
transaction as the change itself.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine

from timpora import privacy
from timpora.config import Settings, get_settings
from timpora.reference import regions
from timpora.rules.config import load_rules_config
from timpora.warehouse.db import query_frame, query_sql, run_sql, transaction, warehouse_engine


class Role(StrEnum):
    REVIEWER = "reviewer"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMIN = "admin"


class Disposition(StrEnum):
    CONFIRMED_VIOLATION = "CONFIRMED_VIOLATION"
    FALSE_POSITIVE = "FALSE_POSITIVE"
    WARNING_ISSUED = "WARNING_ISSUED"
    REFERRED_FOR_ACTION = "REFERRED_FOR_ACTION"


WORKERS = frozenset({Role.REVIEWER, Role.SUPERVISOR, Role.ADMIN})
LEADS = frozenset({Role.SUPERVISOR, Role.ADMIN})
EVERYONE = frozenset(Role)
STATUSES = ("OPEN", "IN_REVIEW", "CLOSED", "CLEARED", "REOPENED")
SEVERITIES = ("HIGH", "MEDIUM", "LOW")
PAGE_SIZE_MAX = 200

_hasher = PasswordHasher()


class ReviewError(Exception):
    """An operation the reviewer asked for that cannot happen; ``status`` is its HTTP code."""

    def __init__(self, message: str, status: int = 409) -> None:
        super().__init__(message)
        self.status = status


class NotFound(ReviewError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found", 404)


@dataclass(frozen=True)
class Reviewer:
    """The acting user, as their session resolves them."""

    username: str
    display_name: str
    role: Role
    region_scope: str
    language: str = "id"
    timezone: str = "Asia/Jakarta"
    csrf_token: str = ""

    @property
    def pseudonymised(self) -> bool:
        """Analysts see passport numbers only as pseudonyms."""
        return self.role is Role.ANALYST


def now_utc() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _engine(settings: Settings | None = None) -> Engine:
    return warehouse_engine(settings or get_settings())


@contextmanager
def _tx(settings: Settings | None = None) -> Iterator[Connection]:
    with transaction(_engine(settings)) as conn:
        yield conn


def _audit(conn: Connection, actor: str, action: str, flag_id: str | None, detail: dict[str, Any]) -> None:
    run_sql(
        conn,
        "review/audit_insert",
        {
            "audit_id": f"{now_utc():%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:12]}",
            "now": now_utc(),
            "username": actor,
            "action": action,
            "flag_id": flag_id,
            "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True, default=str),
        },
    )


def _event(conn: Connection, flag_id: str, kind: str, actor: str, note: str | None) -> None:
    run_sql(
        conn,
        "review/event_insert",
        {
            "event_id": f"{now_utc():%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:8]}"[:40],
            "flag_id": flag_id,
            "now": now_utc(),
            "kind": kind,
            "username": actor,
            "note": note,
        },
    )


# --- users and sessions ---------------------------------------------------------------------


def validate_scope(scope: str) -> str:
    table = regions()
    if scope not in table:
        raise ReviewError(f"region scope {scope!r} is not a province or regency/city code", 422)
    return scope


def save_user(
    username: str,
    password: str,
    role: str,
    region_scope: str,
    display_name: str | None = None,
    language: str = "id",
    settings: Settings | None = None,
) -> None:
    """Create a user, or replace an existing one's password, role and scope."""
    if len(password) < 10:
        raise ReviewError("passwords need at least 10 characters", 422)
    try:
        role_value = Role(role)
    except ValueError:
        raise ReviewError(f"role must be one of {', '.join(r.value for r in Role)}", 422) from None
    params = {
        "username": username,
        "display_name": display_name or username,
        "password_hash": _hasher.hash(password),
        "role": role_value.value,
        "region_scope": validate_scope(region_scope),
        "language": language if language in ("id", "en") else "id",
        "now": now_utc(),
    }
    with _tx(settings) as conn:
        if query_sql(conn, "review/user_get", params):
            run_sql(conn, "review/user_update", params)
        else:
            run_sql(conn, "review/user_insert", params)
        _audit(conn, "admin-cli", "SAVE_USER", None, {"username": username, "role": role, "scope": region_scope})


DEMO_PASSWORD = "timpora-demo-2024"
DEMO_USERS = {
    "demo-reviewer": ("reviewer", "16"),
    "demo-supervisor": ("supervisor", "16"),
    "demo-analyst": ("analyst", "16"),
    "demo-admin": ("admin", "16"),
}


def ensure_demo_users(settings: Settings | None = None) -> bool:
    """On the embedded demo only: one user per role for province 16, when nobody exists yet."""
    settings = settings or get_settings()
    if settings.environment != "embedded":
        return False
    with _engine(settings).connect() as conn:
        if query_sql(conn, "review/user_list"):
            return False
    for username, (role, scope) in DEMO_USERS.items():
        save_user(username, DEMO_PASSWORD, role, scope, username.replace("-", " ").title(), settings=settings)
    return True


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(username: str, password: str, minutes: int, settings: Settings | None = None) -> str | None:
    """A new session token for valid credentials, else None (and the failure is audited)."""
    if "\x00" in username or "\x00" in password:
        return None
    with _tx(settings) as conn:
        rows = query_sql(conn, "review/user_get", {"username": username})
        ok = False
        if rows and rows[0].active:
            try:
                ok = _hasher.verify(rows[0].password_hash, password)
            except (VerificationError, InvalidHashError):
                ok = False
        if not ok:
            _audit(conn, username[:60] or "?", "LOGIN_FAILED", None, {})
            return None
        token = secrets.token_urlsafe(32)
        run_sql(
            conn,
            "review/session_insert",
            {
                "token_hash": _token_hash(token),
                "username": username,
                "csrf_token": secrets.token_urlsafe(24),
                "now": now_utc(),
                "expires_at": now_utc() + timedelta(minutes=minutes),
            },
        )
        _audit(conn, username, "LOGIN", None, {})
    return token


def authenticate(username: str, password: str, settings: Settings | None = None) -> Reviewer | None:
    """The user for valid credentials, without a web session (the CLI); audited like a login."""
    token = login(username, password, minutes=1, settings=settings)
    if token is None:
        return None
    user = session_user(token, settings)
    with _tx(settings) as conn:
        run_sql(conn, "review/session_delete", {"token_hash": _token_hash(token), "now": now_utc()})
    return user


def session_user(token: str, settings: Settings | None = None) -> Reviewer | None:
    with _engine(settings).connect() as conn:
        rows = query_sql(conn, "review/session_get", {"token_hash": _token_hash(token), "now": now_utc()})
    if not rows:
        return None
    row = rows[0]
    return Reviewer(
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        region_scope=row.region_scope,
        language=row.language,
        timezone=row.timezone,
        csrf_token=row.csrf_token,
    )


def logout(token: str, actor: str, settings: Settings | None = None) -> None:
    with _tx(settings) as conn:
        run_sql(conn, "review/session_delete", {"token_hash": _token_hash(token), "now": now_utc()})
        _audit(conn, actor, "LOGOUT", None, {})


def set_language(user: Reviewer, language: str, settings: Settings | None = None) -> None:
    if language not in ("id", "en"):
        raise ReviewError("language must be id or en", 422)
    with _tx(settings) as conn:
        run_sql(conn, "review/user_language", {"username": user.username, "language": language})


# --- privacy ----------------------------------------------------------------------------------


def pseudonym(value: str | None, settings: Settings | None = None) -> str | None:
    """A stable, keyed pseudonym of a passport number (see :mod:`timpora.privacy`)."""
    if value is None or value == "":
        return value
    return privacy.pseudonym(str(value), (settings or get_settings()).pseudonym_key)


_PASSPORT_KEYS = {
    "passport_number",
    "passport_number_as_typed",
    "passport_number_raw",
    "guest_passport_number",
    "document_passport_number",
}
_HIDDEN_KEYS = {"line1", "line2", "mrz_line1", "mrz_line2"}


def redact(value: Any, parent: str = "") -> Any:
    """Evidence as an analyst sees it: passport numbers pseudonymised, MRZ lines hidden."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key in _HIDDEN_KEYS:
                out[key] = None if item is None else "(disembunyikan / hidden)"
            elif (key in _PASSPORT_KEYS and not isinstance(item, dict)) or (
                parent == "passport_number" and key in ("guest", "document", "mrz", "typed")
            ):
                out[key] = pseudonym(item)
            else:
                out[key] = redact(item, key)
        return out
    if isinstance(value, list):
        return [redact(item, parent) for item in value]
    return value


# --- the queue --------------------------------------------------------------------------------


@dataclass
class QueueFilter:
    rule_code: str | None = None
    status: str | None = None
    open_only: bool = False
    severity: str | None = None
    region: str | None = None
    window: str | None = None
    assignee: str | None = None
    sort: str = "priority"
    page: int = 1
    page_size: int = 50

    def check(self) -> None:
        from timpora.rules.config import RuleCode

        _clean(*(v for v in (self.rule_code, self.status, self.severity, self.region, self.window, self.assignee) if v))
        if self.rule_code and self.rule_code not in RuleCode.__members__:
            raise ReviewError(f"unknown rule code {self.rule_code!r}", 422)
        if self.status and self.status not in STATUSES:
            raise ReviewError(f"status must be one of {', '.join(STATUSES)}", 422)
        if self.severity and self.severity not in SEVERITIES:
            raise ReviewError(f"severity must be one of {', '.join(SEVERITIES)}", 422)
        if self.sort not in ("priority", "age"):
            raise ReviewError("sort must be priority or age", 422)
        if self.region and self.region not in regions():
            raise ReviewError(f"region {self.region!r} is not a region code", 422)
        if not 1 <= self.page <= 100_000 or not 1 <= self.page_size <= PAGE_SIZE_MAX:
            raise ReviewError(f"page must be 1 or more and page_size 1 to {PAGE_SIZE_MAX}", 422)


def monitoring_windows() -> list[dict[str, Any]]:
    config = load_rules_config()
    return [
        {
            "name": w.name,
            "region_prefixes": list(w.region_prefixes),
            "date_from": w.date_from,
            "date_until": w.date_until,
            "priority_boost": w.priority_boost,
        }
        for w in config.monitoring_windows
    ]


def _queue_params(user: Reviewer, query: QueueFilter) -> dict[str, Any]:
    query.check()
    window = None
    if query.window:
        window = next((w for w in monitoring_windows() if w["name"] == query.window), None)
        if window is None:
            raise ReviewError(f"no monitoring window named {query.window!r}", 422)
    return {
        "scope": user.region_scope,
        "rule_code": query.rule_code,
        "status": query.status,
        "open_only": 1 if query.open_only else 0,
        "severity": query.severity,
        "region": query.region,
        "assignee": query.assignee,
        "window_from": window["date_from"] if window else None,
        "window_until": window["date_until"] if window else None,
        "window_regions": window["region_prefixes"] if window else [""],
        "sort": query.sort,
        "limit": query.page_size,
        "offset": (query.page - 1) * query.page_size,
    }


def _present(frame: pd.DataFrame, user: Reviewer) -> list[dict[str, Any]]:
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    for record in records:
        if "report_ids" in record and isinstance(record["report_ids"], str):
            record["report_ids"] = json.loads(record["report_ids"])
        if "evidence" in record and isinstance(record["evidence"], str):
            record["evidence"] = json.loads(record["evidence"])
        if user.pseudonymised:
            record["passport_number"] = pseudonym(record.get("passport_number"))
            if "evidence" in record:
                record["evidence"] = redact(record["evidence"])
    return records


def queue(user: Reviewer, query: QueueFilter, settings: Settings | None = None, audit: bool = True) -> dict[str, Any]:
    """One page of the queue in the user's scope, and the total the filters match."""
    params = _queue_params(user, query)
    with _tx(settings) as conn:
        total = int(query_sql(conn, "review/queue_count", params)[0][0])
        frame = query_frame(conn, "review/queue_page", params)
        if audit:
            # The queue shows passports and names too: which flags were shown is on record.
            _audit(
                conn,
                user.username,
                "VIEW_QUEUE",
                None,
                {"filters": _filters_of(query), "page": query.page, "flag_ids": frame["flag_id"].tolist()},
            )
    return {"total": total, "page": query.page, "page_size": query.page_size, "flags": _present(frame, user)}


def flag_detail(user: Reviewer, flag_id: str, settings: Settings | None = None) -> dict[str, Any]:
    """A flag with its stays, documents, identity links and history; the view is audited."""
    _clean(flag_id)
    with _tx(settings) as conn:
        frame = query_frame(conn, "review/flag_get", {"flag_id": flag_id, "scope": user.region_scope})
        if frame.empty:
            raise NotFound(f"flag {flag_id}")
        flag = _present(frame, user)[0]
        report_ids = flag["report_ids"] or [""]
        stays = _present(query_frame(conn, "review/flag_stays", {"report_ids": report_ids}), user)
        documents = _present(
            query_frame(conn, "review/flag_documents", {"person_key": frame["person_key"].iloc[0]}), user
        )
        links = _present(query_frame(conn, "review/flag_links", {"report_ids": report_ids}), user)
        history = _present(query_frame(conn, "review/flag_history", {"flag_id": flag_id}), user)
        _audit(conn, user.username, "VIEW_FLAG", flag_id, {"role": user.role.value})
    flag.pop("person_key", None)
    flag.pop("subject_key", None)
    for stay in stays:
        if user.pseudonymised:
            stay["mrz_line1"] = stay["mrz_line2"] = None
    return {"flag": flag, "stays": stays, "documents": documents, "links": links, "history": history}


def _clean(*values: str) -> None:
    """Forms reach here too: text with NUL characters is refused, never sent to the database."""
    if any("\x00" in value for value in values):
        raise ReviewError("text may not contain NUL characters", 422)


def _require(user: Reviewer, roles: frozenset[Role]) -> None:
    if user.role not in roles:
        raise ReviewError(f"a {user.role.value} may not do this", 403)


def _exists_in_scope(conn: Connection, user: Reviewer, flag_id: str) -> str:
    rows = query_sql(conn, "review/flags_in_scope", {"flag_ids": [flag_id], "scope": user.region_scope})
    if not rows:
        raise NotFound(f"flag {flag_id}")
    return str(rows[0].status)


def claim(user: Reviewer, flag_id: str, settings: Settings | None = None) -> None:
    _require(user, WORKERS)
    _clean(flag_id)
    with _tx(settings) as conn:
        changed = run_sql(
            conn,
            "review/claim",
            {"flag_id": flag_id, "username": user.username, "scope": user.region_scope, "now": now_utc()},
        )[0]
        if changed != 1:
            status = _exists_in_scope(conn, user, flag_id)
            raise ReviewError(f"flag {flag_id} cannot be claimed: it is {status}")
        _event(conn, flag_id, "CLAIMED", user.username, None)
        _audit(conn, user.username, "CLAIM", flag_id, {})


def release(user: Reviewer, flag_id: str, settings: Settings | None = None) -> None:
    _require(user, WORKERS)
    _clean(flag_id)
    with _tx(settings) as conn:
        changed = run_sql(
            conn,
            "review/release",
            {
                "flag_id": flag_id,
                "username": user.username,
                "any_holder": 1 if user.role in LEADS else 0,
                "scope": user.region_scope,
                "now": now_utc(),
            },
        )[0]
        if changed != 1:
            status = _exists_in_scope(conn, user, flag_id)
            raise ReviewError(f"flag {flag_id} is {status} and not held by you")
        _event(conn, flag_id, "RELEASED", user.username, None)
        _audit(conn, user.username, "RELEASE", flag_id, {})


def comment(user: Reviewer, flag_id: str, body: str, settings: Settings | None = None) -> None:
    _require(user, WORKERS)
    _clean(flag_id, body)
    body = body.strip()
    if not body or len(body) > 4000:
        raise ReviewError("a comment needs 1 to 4000 characters", 422)
    with _tx(settings) as conn:
        _exists_in_scope(conn, user, flag_id)
        run_sql(
            conn,
            "review/comment_insert",
            {
                "comment_id": uuid.uuid4().hex,
                "flag_id": flag_id,
                "username": user.username,
                "now": now_utc(),
                "body": body,
            },
        )
        _audit(conn, user.username, "COMMENT", flag_id, {"body": body})


def _disposition(value: str) -> Disposition:
    try:
        return Disposition(value)
    except ValueError:
        raise ReviewError(f"disposition must be one of {', '.join(d.value for d in Disposition)}", 422) from None


def close(
    user: Reviewer, flag_ids: list[str], disposition: str, note: str, settings: Settings | None = None
) -> list[str]:
    """Close flags with a disposition and note; several at once only for supervisors."""
    _require(user, WORKERS)
    _clean(disposition, note, *flag_ids)
    chosen = _disposition(disposition)
    note = note.strip()
    if not note or len(note) > 4000:
        raise ReviewError("closing needs a note of 1 to 4000 characters", 422)
    if not flag_ids:
        raise ReviewError("no flag to close", 422)
    if len(flag_ids) > 1:
        _require(user, LEADS)
    if len(flag_ids) > 1000:
        raise ReviewError("bulk-close takes at most 1000 flags at a time", 422)
    with _tx(settings) as conn:
        in_scope = query_sql(conn, "review/flags_in_scope", {"flag_ids": flag_ids, "scope": user.region_scope})
        found = {row.flag_id for row in in_scope}
        missing = [f for f in flag_ids if f not in found]
        if missing:
            raise NotFound(f"flag {missing[0]}")
        changed = run_sql(
            conn,
            "review/close",
            {
                "flag_ids": flag_ids,
                "disposition": chosen.value,
                "note": note,
                "now": now_utc(),
                "username": user.username,
                "any_holder": 1 if user.role in LEADS else 0,
                "scope": user.region_scope,
            },
        )[0]
        if changed != len(set(flag_ids)):
            status = {row.flag_id: row.status for row in in_scope}
            blocked = sorted(f for f in set(flag_ids) if status[f] not in ("IN_REVIEW", "OPEN", "REOPENED"))
            raise ReviewError(
                "cannot close: "
                + (", ".join(f"{f} is {status[f]}" for f in blocked) or "the flag is held by someone else")
            )
        for flag_id in flag_ids:
            _event(conn, flag_id, "CLOSED", user.username, f"{chosen.value}: {note}")
        _audit(
            conn,
            user.username,
            "BULK_CLOSE" if len(flag_ids) > 1 else "CLOSE",
            flag_ids[0] if len(flag_ids) == 1 else None,
            {"flag_ids": flag_ids, "disposition": chosen.value, "note": note},
        )
    return flag_ids


def reopen(user: Reviewer, flag_id: str, note: str, settings: Settings | None = None) -> None:
    _require(user, WORKERS)
    _clean(flag_id, note)
    note = note.strip()
    if not note:
        raise ReviewError("reopening needs a note", 422)
    with _tx(settings) as conn:
        changed = run_sql(conn, "review/reopen", {"flag_id": flag_id, "scope": user.region_scope, "now": now_utc()})[0]
        if changed != 1:
            status = _exists_in_scope(conn, user, flag_id)
            raise ReviewError(f"flag {flag_id} is {status}, not CLOSED")
        _event(conn, flag_id, "REOPENED", user.username, note)
        _audit(conn, user.username, "REOPEN", flag_id, {"note": note})


def reassign(user: Reviewer, flag_id: str, assignee: str, settings: Settings | None = None) -> None:
    _require(user, LEADS)
    _clean(flag_id, assignee)
    with _tx(settings) as conn:
        frame = query_frame(conn, "review/flag_get", {"flag_id": flag_id, "scope": user.region_scope})
        if frame.empty:
            raise NotFound(f"flag {flag_id}")
        target = query_sql(
            conn,
            "review/assignable_user",
            {
                "assignee": assignee,
                "province_code": frame["province_code"].iloc[0],
                "region_code": frame["region_code"].iloc[0],
            },
        )
        if not target:
            raise ReviewError(f"{assignee!r} is no active reviewer whose region covers this flag", 422)
        changed = run_sql(
            conn,
            "review/reassign",
            {"flag_id": flag_id, "assignee": assignee, "scope": user.region_scope, "now": now_utc()},
        )[0]
        if changed != 1:
            raise ReviewError(f"flag {flag_id} is {frame['status'].iloc[0]} and cannot be reassigned")
        _event(conn, flag_id, "REASSIGNED", user.username, f"to {assignee}")
        _audit(conn, user.username, "REASSIGN", flag_id, {"from": frame["assignee"].iloc[0], "to": assignee})


def export_csv(user: Reviewer, query: QueueFilter, settings: Settings | None = None) -> str:
    """The queue (all pages) as CSV, safe to open in a spreadsheet; the export is audited."""
    from timpora.flags.queries import export_flags

    query.page, query.page_size = 1, PAGE_SIZE_MAX
    rows: list[dict[str, Any]] = []
    while True:
        page = queue(user, query, settings, audit=False)
        rows.extend(page["flags"])
        if len(rows) >= page["total"] or not page["flags"] or len(rows) >= 100_000:
            break
        query.page += 1
    frame = pd.DataFrame(rows)
    with _tx(settings) as conn:
        _audit(
            conn,
            user.username,
            "EXPORT_CSV",
            None,
            {"rows": len(rows), "filters": _filters_of(query), "flag_ids": [r["flag_id"] for r in rows]},
        )
    if frame.empty:
        return ""
    frame["report_ids"] = frame["report_ids"].map(json.dumps)  # as stored: export_flags reads JSON text
    return export_flags(frame, "csv")


def _filters_of(query: QueueFilter) -> dict[str, Any]:
    return {k: v for k, v in query.__dict__.items() if v not in (None, False) and k not in ("page", "page_size")}


def dashboard(user: Reviewer, settings: Settings | None = None) -> dict[str, Any]:
    """Open flags per rule and region; per rule: closed, false-positive rate, time to close."""
    _require(user, frozenset({Role.SUPERVISOR, Role.ADMIN, Role.ANALYST}))
    with _engine(settings).connect() as conn:
        open_flags = query_frame(conn, "review/dashboard_open", {"scope": user.region_scope})
        closed = query_frame(conn, "review/dashboard_closed", {"scope": user.region_scope})
    per_rule: list[dict[str, Any]] = []
    if len(closed):
        closed["hours"] = (
            pd.to_datetime(closed["closed_at"], format="ISO8601")
            - pd.to_datetime(closed["raised_at"], format="ISO8601")
        ).dt.total_seconds() / 3600
        grouped = closed.groupby("rule_code")
        stats = pd.DataFrame(
            {
                "closed": grouped.size(),
                "false_positives": grouped["disposition"].agg(lambda d: int((d == "FALSE_POSITIVE").sum())),
                "median_hours_to_close": grouped["hours"].median().round(1),
            }
        )
        stats["false_positive_rate"] = (stats["false_positives"] / stats["closed"]).round(3)
        per_rule = json.loads(stats.reset_index().to_json(orient="records"))
    open_by_rule = open_flags.groupby("rule_code")["open_flags"].sum().to_dict() if len(open_flags) else {}
    return {
        "scope": user.region_scope,
        "open_by_rule_and_region": json.loads(open_flags.to_json(orient="records")),
        "open_by_rule": {k: int(v) for k, v in open_by_rule.items()},
        "closed_by_rule": per_rule,
    }


def audit_entries(
    user: Reviewer,
    actor: str | None = None,
    flag_id: str | None = None,
    page: int = 1,
    settings: Settings | None = None,
) -> list[dict[str, Any]]:
    _require(user, frozenset({Role.ADMIN}))
    _clean(actor or "", flag_id or "")
    if page < 1:
        raise ReviewError("page must be 1 or more", 422)
    with _engine(settings).connect() as conn:
        frame = query_frame(
            conn,
            "review/audit_list",
            {"actor": actor, "flag_id": flag_id, "limit": 100, "offset": (page - 1) * 100},
        )
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    for record in records:
        record["detail"] = json.loads(record["detail"])
    return records


def local_time(value: Any, timezone: str) -> str:
    """A UTC timestamp as the reviewer's wall clock (``2024-10-03 08:40 WIB``)."""
    from zoneinfo import ZoneInfo

    if value in (None, ""):
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    local = stamp.tz_convert(ZoneInfo(timezone))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


def day(value: Any) -> date | None:
    return None if value in (None, "") else pd.Timestamp(value).date()
