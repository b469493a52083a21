"""The review queue's operations, shared by the web app, its API and the CLI.

Every operation takes the acting :class:`Reviewer` and works inside their region scope
in SQL (``sql/review/*.sql``): a flag outside the scope is indistinguishable from a flag
that does not exist, whatever route or id is tried. Every change, and every view of a
flag's personal data, is written to the append-only ``audit_log`` in the same
transaction as the change itself.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import re
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Any

import pandas as pd
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.engine import Connection, Engine

from timpora.config import Settings, get_settings
from timpora.reference import regions
from timpora.review import audit, disclosure
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
    """An operation the reviewer asked for that cannot happen; ``status`` is its HTTP code.
    ``str()`` is the English message; ``message_id`` the same in Bahasa Indonesia."""

    def __init__(
        self, message: str, status: int = 409, message_id: str | None = None, retry_after: int | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message_id = message_id or message
        self.retry_after = retry_after


class NotFound(ReviewError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found", 404, f"{what} tidak ditemukan")


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


def _audit(
    conn: Connection,
    actor: str,
    action: str,
    flag_id: str | None,
    detail: dict[str, Any],
    region: str | None = None,
) -> None:
    """One audit row in the transaction of what it records (see :mod:`timpora.review.audit`):
    a flag's row is in the flag's region, any other in ``region`` (the actor's scope)."""
    audit.append(conn, actor, action, flag_id=flag_id, detail=detail, region=region)


def record_denied(user: Reviewer | None, action: str, detail: dict[str, Any], settings: Settings | None = None) -> None:
    """A refused request, on record in a transaction of its own (the request's own rolls back).

    In the acting user's region, so their admin sees it; the id they tried goes in the
    detail, never as the row's flag, so a foreign flag's history gains nothing."""
    actor = user.username if user else str(detail.get("username") or "?")[:60]
    with _tx(settings) as conn:
        _audit(conn, actor, action, None, detail, region=user.region_scope if user else None)


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

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,59}")
PASSWORD_MIN_LENGTH = 12
# zxcvbn's score of a password, 0 (guessed at once) to 4: 3 takes about 10^8 guesses or more.
PASSWORD_MIN_SCORE = 3
# Failed logins: after BACKOFF_AFTER failures a try must wait 1, 2, 4 ... (at most
# BACKOFF_MAX_SECONDS) seconds after the last; USER_LOCK_AFTER failures of one user name
# (ADDRESS_LOCK_AFTER from one client address) within THROTTLE_WINDOW lock it for LOCKOUT.
BACKOFF_AFTER = 3
BACKOFF_MAX_SECONDS = 60
USER_LOCK_AFTER = 10
ADDRESS_LOCK_AFTER = 30
THROTTLE_WINDOW = timedelta(minutes=15)
LOCKOUT = timedelta(minutes=15)
# A session's last request is written at most this often.
TOUCH_EVERY = timedelta(seconds=60)


def validate_scope(scope: str) -> str:
    table = regions()
    if scope not in table:
        raise ReviewError(
            f"region scope {scope!r} is not a province or regency/city code",
            422,
            f"wilayah {scope!r} bukan kode provinsi atau kabupaten/kota",
        )
    return scope


def password_problems(password: str, username: str, display_name: str | None = None) -> list[tuple[str, str]]:
    """Why a password is refused, as (English, Bahasa Indonesia) pairs; empty when it is fine."""
    from zxcvbn import zxcvbn

    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(
            (
                f"a password needs at least {PASSWORD_MIN_LENGTH} characters",
                f"kata sandi minimal {PASSWORD_MIN_LENGTH} karakter",
            )
        )
    if username and username.lower() in password.lower():
        problems.append(("a password may not contain the user name", "kata sandi tidak boleh memuat nama pengguna"))
    if len(password) <= 200:  # zxcvbn's time grows with the length; longer ones are refused below
        found = zxcvbn(password, user_inputs=[username, display_name or "", "timpora", "imigrasi", "paspor"])
        if found["score"] < PASSWORD_MIN_SCORE:
            problems.append(
                (
                    "the password is too easy to guess (a common password, a word, a pattern or a repetition)",
                    "kata sandi terlalu mudah ditebak (kata sandi umum, kata, pola atau pengulangan)",
                )
            )
    else:
        problems.append(("a password may have at most 200 characters", "kata sandi maksimal 200 karakter"))
    return problems


def _check_password(password: str, username: str, display_name: str | None = None) -> None:
    problems = password_problems(password, username, display_name)
    if problems:
        raise ReviewError("; ".join(en for en, _ in problems) + ".", 422, "; ".join(id_ for _, id_ in problems) + ".")


def save_user(
    username: str,
    password: str,
    role: str,
    region_scope: str,
    display_name: str | None = None,
    language: str = "id",
    settings: Settings | None = None,
    email: str | None = None,
    notify_digest: bool = False,
) -> None:
    """Create a user, or reset an existing one's password, role and scope: a reset ends
    every session the user had. ``email``: where notifications go (one per flag, or one
    digest per run with ``notify_digest``)."""
    if not USERNAME.fullmatch(username):
        raise ReviewError(
            "a user name is 2 to 60 lower-case letters, digits, dots, hyphens or underscores",
            422,
            "nama pengguna 2 sampai 60 huruf kecil, angka, titik, tanda hubung atau garis bawah",
        )
    try:
        role_value = Role(role)
    except ValueError:
        raise ReviewError(
            f"role must be one of {', '.join(r.value for r in Role)}",
            422,
            f"peran harus salah satu dari {', '.join(r.value for r in Role)}",
        ) from None
    _check_password(password, username, display_name)
    params = {
        "username": username,
        "display_name": display_name or username,
        "password_hash": _hasher.hash(password),
        "role": role_value.value,
        "region_scope": validate_scope(region_scope),
        "language": language if language in ("id", "en") else "id",
        "email": _email(email),
        "notify_digest": 1 if notify_digest else 0,
        "now": now_utc(),
    }
    with _tx(settings) as conn:
        existed = bool(query_sql(conn, "review/user_get", params))
        run_sql(conn, "review/user_update" if existed else "review/user_insert", params)
        ended = run_sql(conn, "review/session_end_all", {"username": username})[0] if existed else 0
        _audit(
            conn,
            "admin-cli",
            "RESET_USER" if existed else "CREATE_USER",
            None,
            {"username": username, "role": role_value.value, "scope": region_scope, "sessions_ended": ended},
            region=region_scope,
        )


EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]{1,189}\.[A-Za-z]{2,}")


def _email(value: str | None) -> str | None:
    if not value:
        return None
    if not EMAIL.fullmatch(value.strip()):
        raise ReviewError(f"{value!r} is not an e-mail address", 422, f"{value!r} bukan alamat e-mail")
    return value.strip()


def deactivate_user(username: str, settings: Settings | None = None) -> int:
    """Deactivate a user and end every session they have; the number of sessions ended."""
    with _tx(settings) as conn:
        rows = query_sql(conn, "review/user_get", {"username": username})
        if not rows:
            raise NotFound(f"user {username}")
        run_sql(conn, "review/user_deactivate", {"username": username})
        ended = run_sql(conn, "review/session_end_all", {"username": username})[0]
        _audit(
            conn,
            "admin-cli",
            "DEACTIVATE_USER",
            None,
            {"username": username, "sessions_ended": ended},
            region=rows[0].region_scope,
        )
    return int(ended)


def change_password(
    user: Reviewer, current: str, new: str, token: str | None = None, settings: Settings | None = None
) -> int:
    """The user's own password change: the current one is checked like a login; every
    other session of theirs ends. The number of sessions ended."""
    _clean(current, new)
    with _tx(settings) as conn:
        rows = query_sql(conn, "review/user_get", {"username": user.username})
        if not rows or not _verify(rows[0].password_hash, current):
            _audit(conn, user.username, "PASSWORD_CHANGE_FAILED", None, {}, region=user.region_scope)
            failed = True
        else:
            failed = False
    if failed:
        raise ReviewError("the current password is wrong", 403, "kata sandi saat ini salah")
    if new == current:
        raise ReviewError(
            "the new password must differ from the current one", 422, "kata sandi baru harus berbeda dari yang lama"
        )
    _check_password(new, user.username, user.display_name)
    with _tx(settings) as conn:
        run_sql(conn, "review/user_password", {"username": user.username, "password_hash": _hasher.hash(new)})
        ended = run_sql(
            conn,
            "review/session_end_others",
            {"username": user.username, "keep": _token_hash(token, settings) if token else ""},
        )[0]
        _audit(conn, user.username, "PASSWORD_CHANGED", None, {"sessions_ended": ended}, region=user.region_scope)
    return int(ended)


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


def _token_hash(token: str, settings: Settings | None = None) -> str:
    """What the session table keeps of a token: an HMAC under the session secret, so
    neither a copy of the table nor anyone without the secret can forge a session."""
    secret = (settings or get_settings()).review_secret
    return hmac.new(secret.encode(), token.encode(), hashlib.sha256).hexdigest()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return bool(_hasher.verify(password_hash, password))
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True)
class LoginResult:
    """A session token for valid credentials; else why not (``retry_after``: throttled)."""

    token: str | None = None
    retry_after: int | None = None


def _throttle_keys(username: str, client: str) -> list[tuple[str, int]]:
    return [(f"user:{username[:60]}", USER_LOCK_AFTER), (f"addr:{client[:100]}", ADDRESS_LOCK_AFTER)]


def _throttled_for(conn: Connection, keys: list[tuple[str, int]], now: datetime) -> int | None:
    """Seconds until a try may be judged, when a key is locked or backing off."""
    wait = 0.0
    for row in query_sql(conn, "review/throttle_get", {"keys": [key for key, _ in keys]}):
        last = _as_datetime(row.last_failure_at)
        if row.locked_until is not None and _as_datetime(row.locked_until) > now:
            wait = max(wait, (_as_datetime(row.locked_until) - now).total_seconds())
        elif row.failures >= BACKOFF_AFTER and last > now - THROTTLE_WINDOW:
            pause = min(2 ** (row.failures - BACKOFF_AFTER), BACKOFF_MAX_SECONDS)
            wait = max(wait, (last + timedelta(seconds=pause) - now).total_seconds())
    return int(wait) + 1 if wait > 0 else None


def _as_datetime(value: Any) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def login(
    username: str, password: str, minutes: int | None = None, client: str = "unknown", settings: Settings | None = None
) -> LoginResult:
    """A new session for valid credentials. Every outcome is audited; after repeated
    failures a user name or client address must wait, then is locked out for a while,
    and such a try is refused before any password is hashed. An unknown user name costs
    the same password hash as a known one, so timing tells nothing of who exists."""
    settings = settings or get_settings()
    minutes = minutes or settings.session_minutes
    if not _valid_text(username) or not _valid_text(password):
        username = username.encode("utf-8", "replace").decode() if not _valid_text(username) else username
        return _failed_login(username, client, settings, {"why": "malformed"})
    now = now_utc()
    keys = _throttle_keys(username, client)
    with _tx(settings) as conn:
        wait = _throttled_for(conn, keys, now)
        if wait is not None:
            rows = query_sql(conn, "review/user_get", {"username": username})
            _audit(
                conn,
                username[:60] or "?",
                "LOGIN_THROTTLED",
                None,
                {"client": client, "retry_after": wait},
                region=rows[0].region_scope if rows else None,
            )
            return LoginResult(retry_after=wait)
    with _engine(settings).connect() as conn:
        rows = query_sql(conn, "review/user_get", {"username": username})
    user = rows[0] if rows and rows[0].active else None
    ok = _verify(user.password_hash if user else _dummy_hash(), password) and user is not None
    if not ok:
        return _failed_login(username, client, settings, {}, rows[0].region_scope if rows else None)
    token = secrets.token_urlsafe(32)
    with _tx(settings) as conn:
        run_sql(
            conn,
            "review/session_insert",
            {
                "token_hash": _token_hash(token, settings),
                "username": username,
                "csrf_token": secrets.token_urlsafe(24),
                "now": now,
                "expires_at": now + timedelta(minutes=minutes),
            },
        )
        run_sql(conn, "review/throttle_clear", {"throttle_key": keys[0][0]})
        _audit(conn, username, "LOGIN", None, {"client": client}, region=rows[0].region_scope)
    return LoginResult(token=token)


def _failed_login(
    username: str, client: str, settings: Settings, detail: dict[str, Any], region: str | None = None
) -> LoginResult:
    now = now_utc()
    with _tx(settings) as conn:
        for key, limit in _throttle_keys(username, client):
            run_sql(
                conn,
                "review/throttle_fail",
                {
                    "throttle_key": key,
                    "now": now,
                    "window_start": now - THROTTLE_WINDOW,
                    "lock_after": limit,
                    "locked_until": now + LOCKOUT,
                },
            )
        _audit(conn, username[:60] or "?", "LOGIN_FAILED", None, {"client": client, **detail}, region=region)
    return LoginResult()


def _valid_text(value: str) -> bool:
    """Text a database can hold: no NUL, no lone surrogate (which UTF-8 cannot encode)."""
    if "\x00" in value:
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def authenticate(username: str, password: str, settings: Settings | None = None) -> Reviewer | None:
    """The user for valid credentials, without a web session (the CLI); audited and
    throttled like a login."""
    result = login(username, password, minutes=1, client="cli", settings=settings)
    if result.retry_after is not None:
        raise ReviewError(
            f"too many failed logins: try again in {result.retry_after} s",
            429,
            f"terlalu banyak percobaan masuk yang gagal: coba lagi dalam {result.retry_after} detik",
            retry_after=result.retry_after,
        )
    if result.token is None:
        return None
    user = session_user(result.token, settings)
    with _tx(settings) as conn:
        run_sql(conn, "review/session_delete", {"token_hash": _token_hash(result.token, settings), "now": now_utc()})
    return user


def session_user(token: str, settings: Settings | None = None) -> Reviewer | None:
    """The user of a live session: neither past its absolute end nor idle too long. A
    request marks it used (at most once a minute)."""
    settings = settings or get_settings()
    now = now_utc()
    token_hash = _token_hash(token, settings)
    with _engine(settings).connect() as conn:
        rows = query_sql(
            conn,
            "review/session_get",
            {
                "token_hash": token_hash,
                "now": now,
                "idle_since": now - timedelta(minutes=settings.session_idle_minutes),
            },
        )
    if not rows:
        return None
    row = rows[0]
    if row.last_seen_at is None or _as_datetime(row.last_seen_at) < now - TOUCH_EVERY:
        with _tx(settings) as conn:
            run_sql(conn, "review/session_touch", {"token_hash": token_hash, "now": now})
    return Reviewer(
        username=row.username,
        display_name=row.display_name,
        role=Role(row.role),
        region_scope=row.region_scope,
        language=row.language,
        timezone=row.timezone,
        csrf_token=row.csrf_token,
    )


def logout(token: str, user: Reviewer, settings: Settings | None = None) -> None:
    with _tx(settings) as conn:
        run_sql(conn, "review/session_delete", {"token_hash": _token_hash(token, settings), "now": now_utc()})
        _audit(conn, user.username, "LOGOUT", None, {}, region=user.region_scope)


def set_language(user: Reviewer, language: str, settings: Settings | None = None) -> None:
    if language not in ("id", "en"):
        raise ReviewError("language must be id or en", 422, "bahasa harus id atau en")
    with _tx(settings) as conn:
        run_sql(conn, "review/user_language", {"username": user.username, "language": language})


# --- privacy ----------------------------------------------------------------------------------


def pseudonym(value: str | None, settings: Settings | None = None) -> str | None:
    """A stable, keyed pseudonym of a passport number, as the analyst views give it."""
    return disclosure.passport_pseudonym(value, (settings or get_settings()).pseudonym_key)


def _status_id(status: str) -> str:
    from timpora.review.i18n import term

    return term("flag_status", status, "id").lower()


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
            raise ReviewError(
                f"unknown rule code {self.rule_code!r}", 422, f"kode aturan {self.rule_code!r} tidak dikenal"
            )
        if self.status and self.status not in STATUSES:
            raise ReviewError(
                f"status must be one of {', '.join(STATUSES)}",
                422,
                f"status harus salah satu dari {', '.join(STATUSES)}",
            )
        if self.severity and self.severity not in SEVERITIES:
            raise ReviewError(
                f"severity must be one of {', '.join(SEVERITIES)}",
                422,
                f"tingkat harus salah satu dari {', '.join(SEVERITIES)}",
            )
        if self.sort not in ("priority", "age"):
            raise ReviewError("sort must be priority or age", 422, "urutan harus priority atau age")
        if self.region and self.region not in regions():
            raise ReviewError(
                f"region {self.region!r} is not a region code: choose a region from the list",
                422,
                f"wilayah {self.region!r} bukan kode wilayah: pilih wilayah dari daftar",
            )
        if not 1 <= self.page <= 100_000 or not 1 <= self.page_size <= PAGE_SIZE_MAX:
            raise ReviewError(
                f"page must be 1 or more and page_size 1 to {PAGE_SIZE_MAX}",
                422,
                f"halaman minimal 1 dan page_size 1 sampai {PAGE_SIZE_MAX}",
            )


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
            raise ReviewError(
                f"no monitoring window named {query.window!r}",
                422,
                f"tidak ada masa pengawasan bernama {query.window!r}",
            )
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


def _present(frame: pd.DataFrame, user: Reviewer, kind: str = "flag") -> list[dict[str, Any]]:
    """Rows as the user may see them (:mod:`timpora.review.disclosure`): the one place where
    the review app's records are shaped for a role."""
    records = json.loads(frame.to_json(orient="records", date_format="iso"))
    for record in records:
        if "report_ids" in record and isinstance(record["report_ids"], str):
            record["report_ids"] = json.loads(record["report_ids"])
        if "evidence" in record and isinstance(record["evidence"], str):
            record["evidence"] = json.loads(record["evidence"])
    if user.pseudonymised:
        shape = {
            "flag": disclosure.analyst_flag,
            "stay": lambda r: disclosure.allowed(r, disclosure.STAY_RECORD),
            "document": lambda r: disclosure.allowed(r, disclosure.DOCUMENT_RECORD),
            "link": lambda r: disclosure.allowed(r, disclosure.LINK_RECORD),
            "event": disclosure.analyst_event,
        }[kind]
        records = [shape(record) for record in records]
    for record in records:
        record.pop("person_key", None)
        record.pop("subject_key", None)
    return records


def _with_deadlines(frame: pd.DataFrame, now: datetime | None = None) -> pd.DataFrame:
    """Each open flag's deadline (``review.deadline_hours`` by severity, from raising) and
    whether it is overdue; closed flags have none."""
    if frame.empty:
        return frame.assign(deadline_at=pd.Series(dtype="datetime64[ns]"), overdue=pd.Series(dtype=bool))
    hours = {s.value: h for s, h in load_rules_config().review.deadline_hours.items()}
    raised = pd.to_datetime(frame["raised_at"], format="ISO8601")
    if raised.dt.tz is not None:
        raised = raised.dt.tz_convert("UTC").dt.tz_localize(None)
    deadline = raised + pd.to_timedelta(frame["severity"].map(hours).astype(float), unit="h")
    is_open = frame["status"].isin(["OPEN", "REOPENED", "IN_REVIEW"])
    frame = frame.copy()
    frame["deadline_at"] = deadline.where(is_open)
    frame["overdue"] = is_open & (deadline < pd.Timestamp(now or now_utc()))
    return frame


def queue(user: Reviewer, query: QueueFilter, settings: Settings | None = None, audit: bool = True) -> dict[str, Any]:
    """One page of the queue in the user's scope, and the total the filters match. Claims
    idle past their limit are released first, so the page shows them as open."""
    params = _queue_params(user, query)
    if audit and _claims_due():
        expire_claims(settings)
    with _tx(settings) as conn:
        total = int(query_sql(conn, "review/queue_count", params)[0][0])
        frame = _with_deadlines(query_frame(conn, "review/queue_page", params))
        if audit:
            # The queue shows passports and names too: which flags were shown is on record.
            _audit(
                conn,
                user.username,
                "VIEW_QUEUE",
                None,
                {"filters": _filters_of(query), "page": query.page, "flag_ids": frame["flag_id"].tolist()},
                region=user.region_scope,
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
        stays = _present(query_frame(conn, "review/flag_stays", {"report_ids": report_ids}), user, "stay")
        documents = _present(
            query_frame(conn, "review/flag_documents", {"person_key": frame["person_key"].iloc[0]}), user, "document"
        )
        links = _present(query_frame(conn, "review/flag_links", {"report_ids": report_ids}), user, "link")
        history = _present(query_frame(conn, "review/flag_history", {"flag_id": flag_id}), user, "event")
        others = linked(user, flag, str(frame["person_key"].iloc[0]), conn)
        _audit(conn, user.username, "VIEW_FLAG", flag_id, {"role": user.role.value})
    return {
        "flag": flag,
        "stays": stays,
        "documents": documents,
        "links": links,
        "history": history,
        "linked_flags": others["flags"],
        "person_stays": others["stays"],
    }


def linked(user: Reviewer, flag: dict[str, Any], person_key: str, conn: Connection) -> dict[str, Any]:
    """The person's other flags in the user's scope and their stays (by passport and by
    identity link), for one decision to cover them."""
    params = {"person_key": person_key, "flag_id": flag["flag_id"], "scope": user.region_scope}
    return {
        "flags": _present(query_frame(conn, "review/person_flags", params), user),
        "stays": _present(query_frame(conn, "review/person_stays", params), user, "stay"),
    }


def assignable_users(user: Reviewer, flag: dict[str, Any], settings: Settings | None = None) -> list[dict[str, Any]]:
    """Whom a supervisor may give the flag to: active reviewers and supervisors of its region."""
    _require(user, LEADS)
    with _engine(settings).connect() as conn:
        rows = query_sql(
            conn,
            "review/assignable_users",
            {"province_code": flag["province_code"], "region_code": flag["region_code"]},
        )
    return [{"username": r.username, "display_name": r.display_name, "role": r.role} for r in rows]


def neighbours(
    user: Reviewer, query: QueueFilter, position: int, flag_id: str, settings: Settings | None = None
) -> dict[str, Any]:
    """The flags before and after ``flag_id``, found at ``position`` (0-based) of the
    filtered queue: the flag page's previous/next, which keep the reviewer's filters. A
    flag that left the list (closed in the open view) leaves its successor at its place."""
    start = max(position - 1, 0)
    params = _queue_params(user, QueueFilter(**{**query.__dict__, "page": 1, "page_size": 3}))
    params["offset"] = start
    with _engine(settings).connect() as conn:
        ids = [row.flag_id for row in query_frame(conn, "review/queue_page", params).itertuples()]
        total = int(query_sql(conn, "review/queue_count", params)[0][0])
    if flag_id in ids:
        at = ids.index(flag_id)
        before = ids[at - 1] if at > 0 else None
        after = ids[at + 1] if at + 1 < len(ids) else None
        return {"previous": before, "next": after, "position": start + at, "total": total, "in_list": True}
    here = position - start  # where the flag was in the window read
    before = ids[here - 1] if here > 0 and len(ids) >= here else None
    after = ids[here] if len(ids) > here else None
    return {"previous": before, "next": after, "position": position, "total": total, "in_list": False}


# The queue releases idle claims itself (the reconcile's notify task does too), at most once
# a minute per process: a query and a transaction on every page view cost the p95.
CLAIM_SWEEP_EVERY = timedelta(seconds=60)
_last_claim_sweep: list[datetime] = []


def _claims_due() -> bool:
    now = now_utc()
    if _last_claim_sweep and now - _last_claim_sweep[0] < CLAIM_SWEEP_EVERY:
        return False
    _last_claim_sweep[:] = [now]
    return True


def expire_claims(settings: Settings | None = None, now: datetime | None = None) -> list[str]:
    """Release claims idle past ``review.claim_idle_hours`` (no event, no comment on the
    flag): each gets a CLAIM_EXPIRED event and an audit row naming the holder."""
    now = now or now_utc()
    idle_before = now - timedelta(hours=load_rules_config().review.claim_idle_hours)
    with _tx(settings) as conn:
        idle = {row.flag_id: row for row in query_sql(conn, "review/claims_idle", {"idle_before": idle_before})}
        if not idle:
            return []
        ids = sorted(idle)
        run_sql(conn, "review/claims_release", {"flag_ids": ids, "idle_before": idle_before, "now": now})
        released = [r.flag_id for r in query_sql(conn, "review/claims_released", {"flag_ids": ids, "now": now})]
        for flag_id in released:
            holder = idle[flag_id].assignee
            _event(conn, flag_id, "CLAIM_EXPIRED", "system", f"{holder}")
            _audit(
                conn,
                "system",
                "CLAIM_EXPIRED",
                flag_id,
                {
                    "held_by": holder,
                    "claimed_at": str(idle[flag_id].claimed_at),
                    "idle_hours": (now - idle_before).total_seconds() / 3600,
                },
            )
    return released


SAVED_VIEWS_MAX = 20


def saved_views(user: Reviewer, settings: Settings | None = None) -> list[dict[str, str]]:
    """The user's named queue filters."""
    with _engine(settings).connect() as conn:
        return [
            {"name": r.name, "query": r.query}
            for r in query_sql(conn, "review/saved_views", {"username": user.username})
        ]


def save_view(user: Reviewer, name: str, query: str, settings: Settings | None = None) -> None:
    """Keep the queue's filters under a name (the same name replaces them)."""
    from urllib.parse import parse_qsl, urlencode

    _clean(name, query)
    name = " ".join(name.split())
    if not 1 <= len(name) <= 60:
        raise ReviewError(
            "a saved filter needs a name of 1 to 60 characters", 422, "saringan perlu nama 1 sampai 60 karakter"
        )
    allowed = {"rule", "status", "severity", "region", "window", "view", "sort"}
    kept = urlencode([(k, v) for k, v in parse_qsl(query[:2000]) if k in allowed and v])
    with _tx(settings) as conn:
        existing = [r.name for r in query_sql(conn, "review/saved_views", {"username": user.username})]
        if name not in existing and len(existing) >= SAVED_VIEWS_MAX:
            raise ReviewError(
                f"at most {SAVED_VIEWS_MAX} saved filters: delete one first",
                422,
                f"paling banyak {SAVED_VIEWS_MAX} saringan tersimpan: hapus satu dulu",
            )
        run_sql(conn, "review/saved_view_delete", {"username": user.username, "name": name})
        run_sql(
            conn, "review/saved_view_save", {"username": user.username, "name": name, "query": kept, "now": now_utc()}
        )


def delete_view(user: Reviewer, name: str, settings: Settings | None = None) -> None:
    _clean(name)
    with _tx(settings) as conn:
        run_sql(conn, "review/saved_view_delete", {"username": user.username, "name": name})


def _clean(*values: str) -> None:
    """Forms reach here too: text with NUL characters is refused, never sent to the database."""
    if any("\x00" in value for value in values):
        raise ReviewError("text may not contain NUL characters", 422, "teks tidak boleh memuat karakter NUL")


def _require(user: Reviewer, roles: frozenset[Role]) -> None:
    if user.role not in roles:
        raise ReviewError(
            f"a {user.role.value} may not do this", 403, f"peran {user.role.value} tidak boleh melakukan ini"
        )


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
            raise ReviewError(
                f"flag {flag_id} cannot be claimed: it is {status}",
                409,
                f"flag {flag_id} tidak dapat diambil: statusnya {_status_id(status)}",
            )
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
            raise ReviewError(
                f"flag {flag_id} is {status} and not held by you",
                409,
                f"flag {flag_id} berstatus {_status_id(status)} dan tidak Anda tangani",
            )
        _event(conn, flag_id, "RELEASED", user.username, None)
        _audit(conn, user.username, "RELEASE", flag_id, {})


def comment(user: Reviewer, flag_id: str, body: str, settings: Settings | None = None) -> None:
    _require(user, WORKERS)
    _clean(flag_id, body)
    body = body.strip()
    if not body or len(body) > 4000:
        raise ReviewError("a comment needs 1 to 4000 characters", 422, "komentar perlu 1 sampai 4000 karakter")
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
        raise ReviewError("choose a disposition to close the flag", 422, "pilih disposisi untuk menutup flag") from None


def _closing_note(note: str) -> str:
    note = note.strip()
    if not note or len(note) > 4000:
        raise ReviewError(
            "closing needs a note of 1 to 4000 characters", 422, "menutup flag perlu catatan 1 sampai 4000 karakter"
        )
    return note


# What became of each flag of a bulk close.
CLOSED, NOT_FOUND, ALREADY_CLOSED, NOT_OPEN, HELD = "closed", "not_found", "already_closed", "not_open", "held"


def close(user: Reviewer, flag_id: str, disposition: str, note: str, settings: Settings | None = None) -> None:
    """Close a flag you hold (a supervisor: one nobody holds, or, with the override of a
    bulk close, one someone else holds) with a disposition and a note."""
    outcome = close_many(user, [flag_id], disposition, note, settings=settings, single=True)[0]
    if outcome["outcome"] == NOT_FOUND:
        raise NotFound(f"flag {flag_id}")
    if outcome["outcome"] != CLOSED:
        raise ReviewError(outcome["message_en"], 409, outcome["message_id"])


def close_many(
    user: Reviewer,
    flag_ids: list[str],
    disposition: str,
    note: str,
    override_holds: bool = False,
    settings: Settings | None = None,
    single: bool = False,
    dry_run: bool = False,
) -> list[dict[str, Any]]:
    """Close flags with one disposition and note (several at once: supervisors). Each id
    gets its own outcome, in the order first given (repeats count once): closed, not found
    (in no flag of your scope), already closed, not open (cleared), or held by someone
    else, which only ``override_holds`` closes. Nothing outside the scope is touched.
    With ``dry_run`` nothing changes: the outcomes say what closing would do (the page's
    confirmation step)."""
    _require(user, WORKERS)
    _clean(disposition, note, *flag_ids)
    chosen = _disposition(disposition)
    note = _closing_note(note)
    wanted = list(dict.fromkeys(flag_ids))
    if not wanted:
        raise ReviewError("no flag to close", 422, "tidak ada flag yang dipilih untuk ditutup")
    if len(wanted) > 1 or override_holds:
        _require(user, LEADS)
    if len(wanted) > 1000:
        raise ReviewError(
            "bulk-close takes at most 1000 flags at a time", 422, "tutup massal paling banyak 1000 flag sekaligus"
        )
    lead = user.role in LEADS
    with _tx(settings) as conn:
        found = {
            row.flag_id: row
            for row in query_sql(conn, "review/flags_in_scope", {"flag_ids": wanted, "scope": user.region_scope})
        }
        outcomes: dict[str, tuple[str, str, str]] = {}
        closable = []
        for flag_id in wanted:
            row = found.get(flag_id)
            if row is None:
                outcomes[flag_id] = (NOT_FOUND, "not found in your region", "tidak ditemukan di wilayah Anda")
            elif row.status == "CLOSED":
                outcomes[flag_id] = (ALREADY_CLOSED, "already closed", "sudah ditutup")
            elif row.status not in ("OPEN", "REOPENED", "IN_REVIEW"):
                outcomes[flag_id] = (
                    NOT_OPEN,
                    f"is {row.status}, not open",
                    f"berstatus {_status_id(row.status)}, tidak terbuka",
                )
            elif row.status == "IN_REVIEW" and row.assignee != user.username and not (lead and override_holds):
                outcomes[flag_id] = (
                    HELD,
                    f"held by {row.assignee}: take it over explicitly to close it",
                    f"sedang dipegang {row.assignee}: ambil alih secara tegas untuk menutupnya",
                )
            elif row.status != "IN_REVIEW" and not lead:
                outcomes[flag_id] = (
                    NOT_OPEN,
                    "claim the flag before closing it",
                    "ambil flag ini dulu sebelum menutupnya",
                )
            else:
                closable.append(flag_id)
        if dry_run:
            for flag_id in closable:
                outcomes[flag_id] = (CLOSED, "will be closed", "akan ditutup")
            closable = []
        if closable:
            changed = run_sql(
                conn,
                "review/close",
                {
                    "flag_ids": closable,
                    "disposition": chosen.value,
                    "note": note,
                    "now": now_utc(),
                    "username": user.username,
                    "any_holder": 1 if lead else 0,
                    "override": 1 if (lead and override_holds) else 0,
                    "scope": user.region_scope,
                },
            )[0]
            if changed != len(closable):  # changed between our read and the update: try again
                raise ReviewError(
                    "the flags changed while closing them: reload and try again",
                    409,
                    "flag berubah saat ditutup: muat ulang lalu coba lagi",
                )
            for flag_id in closable:
                previous = found[flag_id].assignee
                _event(conn, flag_id, "CLOSED", user.username, f"{chosen.value}: {note}")
                _audit(
                    conn,
                    user.username,
                    "CLOSE" if single else "BULK_CLOSE",
                    flag_id,
                    {"disposition": chosen.value, "note": note, "held_by": previous, "override": override_holds},
                )
                outcomes[flag_id] = (CLOSED, "closed", "ditutup")
    return [
        {
            "flag_id": flag_id,
            "outcome": outcomes[flag_id][0],
            "message_en": outcomes[flag_id][1],
            "message_id": outcomes[flag_id][2],
        }
        for flag_id in wanted
    ]


def close_linked(
    user: Reviewer, flag_id: str, others: list[str], disposition: str, note: str, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """One decision for a person: close this flag and those of ``others`` (each ticked on
    the flag page) that are the same person's flags in the scope. A reviewer's open flags
    are claimed first (on record), then closed as if one by one; a flag someone else holds
    stays theirs (outcome "held")."""
    _require(user, WORKERS)
    _clean(flag_id, disposition, note, *others)
    _disposition(disposition)
    _closing_note(note)
    with _engine(settings).connect() as conn:
        frame = query_frame(conn, "review/flag_get", {"flag_id": flag_id, "scope": user.region_scope})
        if frame.empty:
            raise NotFound(f"flag {flag_id}")
        person = {
            row.flag_id
            for row in query_sql(
                conn,
                "review/person_flags",
                {"person_key": frame["person_key"].iloc[0], "flag_id": flag_id, "scope": user.region_scope},
            )
        }
    results: list[dict[str, Any]] = []
    for target in dict.fromkeys([flag_id, *others]):
        if target != flag_id and target not in person:
            results.append(
                {
                    "flag_id": target,
                    "outcome": NOT_FOUND,
                    "message_en": "not a flag of this person in your region",
                    "message_id": "bukan flag orang ini di wilayah Anda",
                }
            )
            continue
        # Already in review (by this user, or held by another: close_many says which).
        with contextlib.suppress(ReviewError):
            claim(user, target, settings)
        results.extend(close_many(user, [target], disposition, note, settings=settings, single=True))
    return results


def reopen(user: Reviewer, flag_id: str, note: str, settings: Settings | None = None) -> None:
    _require(user, WORKERS)
    _clean(flag_id, note)
    note = note.strip()
    if not note:
        raise ReviewError("reopening needs a note", 422, "membuka kembali perlu catatan")
    with _tx(settings) as conn:
        changed = run_sql(conn, "review/reopen", {"flag_id": flag_id, "scope": user.region_scope, "now": now_utc()})[0]
        if changed != 1:
            status = _exists_in_scope(conn, user, flag_id)
            raise ReviewError(
                f"flag {flag_id} is {status}, not CLOSED",
                409,
                f"flag {flag_id} berstatus {_status_id(status)}, bukan ditutup",
            )
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
            raise ReviewError(
                f"{assignee!r} is no active reviewer whose region covers this flag",
                422,
                f"{assignee!r} bukan pemeriksa aktif di wilayah flag ini",
            )
        changed = run_sql(
            conn,
            "review/reassign",
            {"flag_id": flag_id, "assignee": assignee, "scope": user.region_scope, "now": now_utc()},
        )[0]
        if changed != 1:
            raise ReviewError(
                f"flag {flag_id} is {frame['status'].iloc[0]} and cannot be reassigned",
                409,
                f"flag {flag_id} berstatus {_status_id(frame['status'].iloc[0])} dan tidak dapat dialihkan",
            )
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
            region=user.region_scope,
        )
    if frame.empty:
        return ""
    frame["report_ids"] = frame["report_ids"].map(json.dumps)  # as stored: export_flags reads JSON text
    return export_flags(frame, "csv")


def _filters_of(query: QueueFilter) -> dict[str, Any]:
    return {k: v for k, v in query.__dict__.items() if v not in (None, False) and k not in ("page", "page_size")}


@dataclass
class DashboardFilter:
    window: str | None = None
    date_from: date | None = None
    date_until: date | None = None


AGE_BUCKETS = (("lt_1d", 24), ("d1_3", 72), ("d3_7", 168), ("gt_7d", None))


def dashboard(
    user: Reviewer, query: DashboardFilter | None = None, settings: Settings | None = None, now: datetime | None = None
) -> dict[str, Any]:
    """The supervisor's view of the scope: open flags per rule and region, workload per
    reviewer, ageing, deadline breaches; per rule: closed, false-positive rate and time to
    close. Filtered by monitoring window (flags whose nights overlap it in its regions) and
    by period (raised from, until)."""
    _require(user, frozenset({Role.SUPERVISOR, Role.ADMIN, Role.ANALYST}))
    query = query or DashboardFilter()
    now = now or now_utc()
    window = None
    if query.window:
        window = next((w for w in monitoring_windows() if w["name"] == query.window), None)
        if window is None:
            raise ReviewError(
                f"no monitoring window named {query.window!r}", 422, f"tidak ada masa pengawasan {query.window!r}"
            )
    params = {
        "scope": user.region_scope,
        "raised_from": datetime.combine(query.date_from, datetime.min.time()) if query.date_from else None,
        "raised_until": datetime.combine(query.date_until + timedelta(days=1), datetime.min.time())
        if query.date_until
        else None,
    }
    with _engine(settings).connect() as conn:
        flags = query_frame(conn, "review/dashboard_flags", params)
    if window is not None and len(flags):
        first = pd.to_datetime(flags["first_night"]).dt.date
        last = pd.to_datetime(flags["last_night"].fillna(flags["first_night"])).dt.date
        in_regions = flags["province_code"].isin(window["region_prefixes"]) | flags["region_code"].isin(
            window["region_prefixes"]
        )
        flags = flags[(first <= window["date_until"]) & (last >= window["date_from"]) & in_regions]
    raised = pd.to_datetime(flags["raised_at"], format="ISO8601") if len(flags) else pd.Series(dtype="datetime64[ns]")
    is_open = flags["status"].isin(["OPEN", "REOPENED", "IN_REVIEW"]) if len(flags) else pd.Series(dtype=bool)
    open_flags = flags[is_open].copy()
    closed = flags[flags["status"] == "CLOSED"].copy() if len(flags) else flags
    config = load_rules_config().review
    hours_by_severity = {s.value: h for s, h in config.deadline_hours.items()}
    if len(open_flags):
        open_flags["age_hours"] = (pd.Timestamp(now) - raised[is_open]).dt.total_seconds() / 3600
        open_flags["overdue"] = open_flags["age_hours"] > open_flags["severity"].map(hours_by_severity)
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
    by_rule_region = (
        open_flags.groupby(["rule_code", "region_code"]).size().rename("open_flags").reset_index()
        if len(open_flags)
        else pd.DataFrame(columns=["rule_code", "region_code", "open_flags"])
    )
    workload: list[dict[str, Any]] = []
    ageing = {name: 0 for name, _ in AGE_BUCKETS}
    breaches: dict[str, int] = dict.fromkeys(SEVERITIES, 0)
    if len(open_flags):
        held = open_flags[open_flags["assignee"].notna()]
        if len(held):
            per_holder = held.groupby("assignee").agg(
                held=("flag_id", "size"), overdue=("overdue", "sum"), oldest_hours=("age_hours", "max")
            )
            per_holder["oldest_hours"] = per_holder["oldest_hours"].round(1)
            workload = json.loads(per_holder.reset_index().to_json(orient="records"))
        bounds = [0.0] + [float(h) for _, h in AGE_BUCKETS if h is not None] + [float("inf")]
        counts = pd.cut(open_flags["age_hours"], bounds, right=False, labels=[n for n, _ in AGE_BUCKETS]).value_counts()
        ageing = {name: int(counts.get(name, 0)) for name, _ in AGE_BUCKETS}
        overdue = open_flags[open_flags["overdue"]].groupby("severity").size()
        breaches = {severity: int(overdue.get(severity, 0)) for severity in SEVERITIES}
    open_by_rule = by_rule_region.groupby("rule_code")["open_flags"].sum().to_dict() if len(by_rule_region) else {}
    return {
        "scope": user.region_scope,
        "filters": {
            "window": query.window,
            "date_from": str(query.date_from or ""),
            "date_until": str(query.date_until or ""),
        },
        "open_by_rule_and_region": json.loads(by_rule_region.to_json(orient="records")),
        "open_by_rule": {k: int(v) for k, v in open_by_rule.items()},
        "closed_by_rule": per_rule,
        "workload": workload,
        "ageing": ageing,
        "breaches": breaches,
        "unassigned_open": int(open_flags["assignee"].isna().sum()) if len(open_flags) else 0,
        "deadline_hours": hours_by_severity,
    }


AUDIT_PAGE_ROWS = 100
# The actions the audit page can be filtered by (what this module and the app record).
AUDIT_ACTIONS = (
    "LOGIN",
    "LOGIN_FAILED",
    "LOGIN_THROTTLED",
    "LOGOUT",
    "PASSWORD_CHANGED",
    "VIEW_QUEUE",
    "VIEW_FLAG",
    "VIEW_AUDIT",
    "EXPORT_CSV",
    "CLAIM",
    "RELEASE",
    "CLAIM_EXPIRED",
    "COMMENT",
    "CLOSE",
    "BULK_CLOSE",
    "REOPEN",
    "REASSIGN",
    "ESCALATED",
    "NOTIFIED",
    "ACCESS_DENIED",
    "NOT_FOUND",
    "CSRF_FAILED",
)


@dataclass
class AuditFilter:
    actor: str | None = None
    flag_id: str | None = None
    action: str | None = None
    date_from: date | None = None
    date_until: date | None = None
    page: int = 1


def audit_entries(
    user: Reviewer, query: AuditFilter | None = None, settings: Settings | None = None
) -> list[dict[str, Any]]:
    """The audit log of the admin's own scope, newest first; reading it is on record too."""
    _require(user, frozenset({Role.ADMIN}))
    query = query or AuditFilter()
    _clean(*(v for v in (query.actor, query.flag_id, query.action) if v))
    if query.page < 1:
        raise ReviewError("page must be 1 or more", 422, "halaman harus 1 atau lebih")
    with _tx(settings) as conn:
        frame = query_frame(
            conn,
            "review/audit_list",
            {
                "scope": user.region_scope,
                "actor": query.actor,
                "flag_id": query.flag_id,
                "action": query.action,
                "at_from": datetime.combine(query.date_from, datetime.min.time()) if query.date_from else None,
                "at_until": datetime.combine(query.date_until + timedelta(days=1), datetime.min.time())
                if query.date_until
                else None,
                "limit": AUDIT_PAGE_ROWS,
                "offset": (query.page - 1) * AUDIT_PAGE_ROWS,
            },
        )
        _audit(
            conn,
            user.username,
            "VIEW_AUDIT",
            None,
            {k: v for k, v in query.__dict__.items() if v not in (None, "")},
            region=user.region_scope,
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
