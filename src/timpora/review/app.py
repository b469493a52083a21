"""The review application (FastAPI): a JSON API and server-rendered pages, one app.

It runs standalone (``timpora review serve``) or mounted in Airflow by the plugin in
``plugins/``, which does not authenticate plugin apps: this app does, itself. Every route
is listed in :data:`ACCESS` with the roles that may use it; a route without an entry
refuses to start the app, so a new route cannot slip in unguarded. Region scope is
enforced below the routes, in SQL (:mod:`timpora.review.service`), and what each role may
see of a flag in :mod:`timpora.review.disclosure`.

Every response carries the security headers (:func:`security_headers`); no request body,
however malformed, gets a server error or an echo of what was sent; a refused request
(403, a 404 on a flag outside the scope, a wrong CSRF token, a throttled login) is audited.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pydantic import AfterValidator, BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from timpora.config import APP_SECRETS, ConfigError, get_settings
from timpora.review import service as svc
from timpora.review.i18n import words
from timpora.review.service import EVERYONE, LEADS, WORKERS, QueueFilter, Reviewer, ReviewError, Role
from timpora.rules.config import RuleCode

log = logging.getLogger(__name__)

SESSION_COOKIE = "timpora_session"
LANGUAGE_COOKIE = "timpora_lang"
LOGIN_CSRF_COOKIE = "timpora_login_csrf"
PUBLIC: frozenset[Role] = frozenset()
DASHBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.ANALYST})
ADMINS = frozenset({Role.ADMIN})
# The API's own documentation: served by the app from the swagger-ui-bundle package (no
# CDN), when TIMPORA_REVIEW_API_DOCS allows it (embedded: on; production: off).
DOCS_ROUTES = frozenset({"openapi", "swagger_ui_html", "swagger_assets"})

# Route name -> roles allowed (PUBLIC: no login). Every route of the app must be here.
ACCESS: dict[str, frozenset[Role]] = {
    "healthz": PUBLIC,
    "static": PUBLIC,
    "openapi": PUBLIC,
    "swagger_ui_html": PUBLIC,
    "swagger_assets": PUBLIC,
    "api_login": PUBLIC,
    "login_page": PUBLIC,
    "login_submit": PUBLIC,
    "api_me": EVERYONE,
    "api_logout": EVERYONE,
    "api_password": EVERYONE,
    "api_windows": EVERYONE,
    "api_queue": EVERYONE,
    "api_export": EVERYONE,
    "api_flag": EVERYONE,
    "api_claim": WORKERS,
    "api_release": WORKERS,
    "api_comment": WORKERS,
    "api_close": WORKERS,
    "api_reopen": WORKERS,
    "api_reassign": LEADS,
    "api_bulk_close": LEADS,
    "api_dashboard": DASHBOARD_ROLES,
    "api_assignable": LEADS,
    "api_audit": ADMINS,
    "page_logout": EVERYONE,
    "page_language": EVERYONE,
    "page_password_form": EVERYONE,
    "page_password": EVERYONE,
    "page_queue": EVERYONE,
    "page_export": EVERYONE,
    "page_flag": EVERYONE,
    "page_flag_action": WORKERS,
    "page_bulk_close": LEADS,
    "page_close_linked": WORKERS,
    "page_dashboard": DASHBOARD_ROLES,
    "page_audit": ADMINS,
    "page_notifications": EVERYONE,
    "page_notifications_read": EVERYONE,
    "page_save_view": EVERYONE,
    "page_delete_view": EVERYONE,
    "api_notifications": EVERYONE,
    "api_views": EVERYONE,
}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_HERE = Path(__file__).parent
templates = Jinja2Templates(directory=str(_HERE / "templates"))

# Pages, API answers and exports carry personal data: no cache keeps them. The CSP allows
# the app's own stylesheet and scripts only, no inline script or style, no framing.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def security_headers(request: Request, response: Response) -> None:
    """The headers every answer carries (HSTS only over HTTPS, where it means something)."""
    headers = response.headers
    headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    if path.startswith(("/static/", "/docs/assets/")):
        headers["Cache-Control"] = "public, max-age=3600"
    else:
        headers["Cache-Control"] = "no-store"
        headers["Pragma"] = "no-cache"
    if _https(request):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"


def _https(request: Request) -> bool:
    # Behind a TLS proxy, uvicorn's --proxy-headers turns X-Forwarded-Proto into the scheme.
    return request.url.scheme == "https"


def _valid_text(value: str) -> str:
    # PostgreSQL text cannot hold NUL, and UTF-8 no lone surrogate: such a request is
    # malformed, not a server error.
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    return value


Text = Annotated[str, AfterValidator(_valid_text)]


class NotLoggedIn(Exception):
    """No valid session on a page: the browser goes to the login page."""


class Credentials(BaseModel):
    username: Text = Field(min_length=1, max_length=60)
    password: Text = Field(min_length=1, max_length=200)


class PasswordChange(BaseModel):
    current_password: Text = Field(min_length=1, max_length=200)
    new_password: Text = Field(min_length=1, max_length=200)


class CloseRequest(BaseModel):
    disposition: svc.Disposition
    note: Text = Field(min_length=1, max_length=4000)


class BulkCloseRequest(CloseRequest):
    flag_ids: list[Annotated[Text, Field(min_length=1, max_length=20)]] = Field(min_length=1, max_length=1000)
    override_holds: bool = Field(
        default=False, description="also close flags another reviewer holds (supervisors; said in each result)"
    )


class CommentRequest(BaseModel):
    body: Text = Field(min_length=1, max_length=4000)


class ReopenRequest(BaseModel):
    note: Text = Field(min_length=1, max_length=4000)


class ReassignRequest(BaseModel):
    assignee: Text = Field(min_length=1, max_length=60)


def _is_api(request: Request) -> bool:
    path = request.url.path.removeprefix(request.scope.get("root_path", ""))
    return path.startswith("/api/") or path == "/openapi.json"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def guard(request: Request) -> Reviewer | None:
    """Authenticate, check the route's roles, and check CSRF on changes."""
    route = request.scope.get("route")
    name = getattr(route, "name", "")
    allowed = ACCESS.get(name)
    if allowed is None:  # unreachable once create_app() checked the table; kept as a hard stop
        raise HTTPException(500, "route without an access rule")
    if allowed is PUBLIC:
        return None
    token = request.cookies.get(SESSION_COOKIE)
    user = svc.session_user(token) if token and _plain_token(token) else None
    if user is None:
        if _is_api(request):
            raise HTTPException(401, "log in first: POST /api/login", headers={"WWW-Authenticate": "Cookie"})
        raise NotLoggedIn()
    request.state.user = user
    if user.role not in allowed:
        svc.record_denied(user, "ACCESS_DENIED", {"route": name, "path": request.url.path[:200], "status": 403})
        raise HTTPException(403, f"a {user.role.value} may not use this")
    if request.method in _UNSAFE:
        sent = request.headers.get("x-csrf-token")
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            sent = str((await request.form()).get("csrf_token") or "")
        if not sent or not hmac.compare_digest(sent.encode("utf-8", "replace"), user.csrf_token.encode()):
            svc.record_denied(user, "CSRF_FAILED", {"route": name, "path": request.url.path[:200]})
            raise HTTPException(403, "missing or wrong CSRF token")
    return user


def _plain_token(token: str) -> bool:
    return token.isascii() and len(token) < 200


User = Annotated[Reviewer, Depends(guard)]


def _language(request: Request, user: Reviewer | None) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in ("id", "en"):
        return chosen
    return user.language if user else "id"


def _bar(value: float, top: float) -> Markup:
    """A horizontal bar as inline SVG drawn by the server (no chart script, no CDN)."""
    width = 0.0 if not top else max(0.0, min(100.0, float(value) * 100.0 / float(top)))
    return Markup(
        '<svg class="bar" viewBox="0 0 100 10" preserveAspectRatio="none" width="100%" height="12" '
        f'aria-hidden="true" focusable="false"><rect width="{width:.1f}" height="10"></rect></svg>'
    )


def _short_day(value: Any, language: str) -> str:
    """``2 Okt``: a night in the queue, one line, no year (the queue is this season's work)."""
    text = str(value or "")[:10]
    if len(text) != 10 or text[4] != "-":
        return text
    from timpora.rules.text import MONTHS

    return f"{int(text[8:10])} {MONTHS[language][int(text[5:7]) - 1]}"


def _unread(user: Reviewer | None) -> int:
    """Unread notifications, for the header (analysts are never notified)."""
    from timpora.review import notify

    return notify.unread_count(user) if user is not None and user.role in WORKERS else 0


def _outcome_counts(results: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        counts[result["outcome"]] = counts.get(result["outcome"], 0) + 1
    return counts


def _render(request: Request, template: str, user: Reviewer | None, status: int = 200, **context: Any) -> HTMLResponse:
    from timpora.review.i18n import rule_name, term
    from timpora.review.panels import region_name

    language = _language(request, user)
    timezone = user.timezone if user else "Asia/Jakarta"
    return templates.TemplateResponse(
        request,
        template,
        {
            "user": user,
            "t": words(language),
            "lang": language,
            "base": request.scope.get("root_path", ""),
            "local_time": lambda value: svc.local_time(value, timezone),
            "scope_name": region_name,
            "region_name": region_name,
            "rule_label": lambda code: rule_name(code, language),
            "term": lambda kind, code: term(kind, code, language),
            "short_day": lambda value: _short_day(value, language),
            "bar": _bar,
            "outcome_counts": _outcome_counts,
            "unread": _unread(user),
            "rules": [code.value for code in RuleCode],
            "statuses": svc.STATUSES,
            "severities": svc.SEVERITIES,
            "dispositions": [d.value for d in svc.Disposition],
            "windows": svc.monitoring_windows(),
            **context,
        },
        status_code=status,
    )


def _error_page(request: Request, status: int, message_en: str, message_id: str) -> Response:
    user = getattr(request.state, "user", None)
    language = _language(request, user)
    return _render(
        request,
        "error.html",
        user,
        status,
        status_code=status,
        message=message_id if language == "id" else message_en,
    )


def _error_json(status: int, message_en: str, message_id: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        {"detail": message_en, "message_en": message_en, "message_id": message_id}, status_code=status, headers=headers
    )


# Bahasa Indonesia for the app's own HTTP errors (the service's errors carry their own).
_HTTP_MESSAGES_ID = {
    401: "masuk dulu",
    403: "Anda tidak boleh melakukan ini",
    404: "tidak ditemukan",
    405: "metode tidak diizinkan",
    422: "permintaan tidak sah",
    429: "terlalu banyak percobaan",
}


def _filters(
    rule: str | None,
    status: str | None,
    severity: str | None,
    region: str | None,
    window: str | None,
    assignee: str | None,
    open_only: bool,
    sort: str,
    page: int,
    page_size: int,
) -> QueueFilter:
    return QueueFilter(
        rule_code=rule or None,
        status=status or None,
        open_only=open_only,
        severity=severity or None,
        region=region or None,
        window=window or None,
        assignee=assignee or None,
        sort=sort,
        page=page,
        page_size=page_size,
    )


def queue_filters(
    rule: Annotated[str | None, Query(max_length=30, description="rule code")] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
    severity: Annotated[str | None, Query(max_length=10)] = None,
    region: Annotated[str | None, Query(max_length=5, description="province or regency/city code")] = None,
    window: Annotated[str | None, Query(max_length=120, description="monitoring window name")] = None,
    assignee: Annotated[str | None, Query(max_length=60)] = None,
    open_only: Annotated[bool, Query()] = False,
    sort: Annotated[str, Query(pattern="^(priority|age)$")] = "priority",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=svc.PAGE_SIZE_MAX)] = 50,
) -> QueueFilter:
    return _filters(rule, status, severity, region, window, assignee, open_only, sort, page, page_size)


Filters = Annotated[QueueFilter, Depends(queue_filters)]

# The queue page's tabs: the reviewer's own flags, the scope's open and in-review flags (the
# default: closed work is not today's work), every flag of the scope.
VIEWS = ("mine", "open", "all")


def page_queue_filters(
    request: Request,
    rule: Annotated[str | None, Query(max_length=30)] = None,
    status: Annotated[str | None, Query(max_length=12)] = None,
    severity: Annotated[str | None, Query(max_length=10)] = None,
    region: Annotated[str | None, Query(max_length=120)] = None,
    window: Annotated[str | None, Query(max_length=120)] = None,
    view: Annotated[str, Query(max_length=5)] = "open",
    sort: Annotated[str, Query(max_length=8)] = "priority",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> QueueFilter:
    """The page's filters: a view instead of open_only/assignee, and wrong values answered
    in the reviewer's language by the service's checks, not by FastAPI's JSON."""
    if view not in VIEWS:
        raise ReviewError(
            f"view must be one of {', '.join(VIEWS)}", 422, f"tampilan harus salah satu dari {', '.join(VIEWS)}"
        )
    user = getattr(request.state, "user", None)
    if region and user is not None:
        region = _region_code(region, user)
    return _filters(
        rule,
        status,
        severity,
        region,
        window,
        user.username if (view == "mine" and user) else None,
        view != "all" and not status,
        sort,
        page,
        50,
    )


PageFilters = Annotated[QueueFilter, Depends(page_queue_filters)]


def _region_code(typed: str, user: Reviewer) -> str:
    """A region as typed into the address bar: a code, or a name one region of the scope
    bears (``palembang`` is Kota Palembang); anything else is left for the service to
    refuse in the reviewer's language."""
    wanted = typed.strip().casefold()
    matches = [r["code"] for r in _scope_regions(user) if wanted == r["code"] or wanted in r["name"].casefold()]
    return matches[0] if len(matches) == 1 else typed[:120]


def audit_filters(
    actor: Annotated[str | None, Query(max_length=60)] = None,
    flag_id: Annotated[str | None, Query(max_length=20)] = None,
    action: Annotated[str | None, Query(max_length=30)] = None,
    date_from: Annotated[str | None, Query(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = None,
    date_until: Annotated[str | None, Query(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> svc.AuditFilter:
    from datetime import date

    try:
        start = date.fromisoformat(date_from) if date_from else None
        end = date.fromisoformat(date_until) if date_until else None
    except ValueError:
        raise ReviewError("dates are YYYY-MM-DD", 422, "tanggal berformat YYYY-MM-DD") from None
    return svc.AuditFilter(actor or None, flag_id or None, action or None, start, end, page)


AuditFilters = Annotated[svc.AuditFilter, Depends(audit_filters)]


def dashboard_filters(
    window: Annotated[str | None, Query(max_length=120)] = None,
    date_from: Annotated[str | None, Query(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = None,
    date_until: Annotated[str | None, Query(max_length=10, pattern=r"^(\d{4}-\d{2}-\d{2})?$")] = None,
) -> svc.DashboardFilter:
    from datetime import date

    try:
        start = date.fromisoformat(date_from) if date_from else None
        end = date.fromisoformat(date_until) if date_until else None
    except ValueError:
        raise ReviewError("dates are YYYY-MM-DD", 422, "tanggal berformat YYYY-MM-DD") from None
    return svc.DashboardFilter(window or None, start, end)


DashboardFilters = Annotated[svc.DashboardFilter, Depends(dashboard_filters)]


def _window_badges(flag: dict[str, Any], windows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The monitoring windows a flag's nights and region fall in (the priority boost made
    visible instead of hidden in the number)."""
    first, last = (
        str(flag.get("first_night") or "")[:10],
        str(flag.get("last_night") or flag.get("first_night") or "")[:10],
    )
    region, province = str(flag.get("region_code") or ""), str(flag.get("province_code") or "")
    return [
        w
        for w in windows
        if first
        and first <= str(w["date_until"])
        and last >= str(w["date_from"])
        and (province in w["region_prefixes"] or region in w["region_prefixes"])
    ]


def _short(text: Any, limit: int = 110) -> str:
    text = str(text or "")
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + " …"


def _age(value: Any, now: Any) -> str:
    """``5 j`` / ``3 h`` (hari) : how long ago a flag was raised, compact."""
    import pandas as pd

    if value in (None, ""):
        return ""
    stamp = pd.Timestamp(value)
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    hours = max((pd.Timestamp(now) - stamp).total_seconds() / 3600, 0)
    return f"{hours:.0f} j" if hours < 48 else f"{hours / 24:.0f} h"


def _queue_rows(flags: list[dict[str, Any]], language: str, user: Reviewer) -> list[dict[str, Any]]:
    """What the queue table shows of each flag, beside the record itself."""
    from timpora.review.i18n import rule_name
    from timpora.review.panels import region_name

    windows = svc.monitoring_windows()
    now = svc.now_utc()
    rows = []
    for f in flags:
        reason = f.get("reason_id") if language == "id" else f.get("reason_en")
        rows.append(
            {
                **f,
                "rule_name": rule_name(str(f["rule_code"]), language),
                "region_name": region_name(f.get("region_code")),
                "region_short": region_name(f.get("region_code")).rsplit(" (", 1)[0],
                "windows": _window_badges(f, windows),
                "reason_short": _short(reason),
                "age": _age(f.get("raised_at"), now),
                "deadline": svc.local_time(f.get("deadline_at"), user.timezone)[5:] if f.get("deadline_at") else "",
                "mine": f.get("assignee") == user.username,
            }
        )
    return rows


def _scope_regions(user: Reviewer) -> list[dict[str, str]]:
    """The regions of the user's scope, for the region filter (names, not codes to type)."""
    from timpora.reference import regions

    scope = user.region_scope
    return [
        {"code": code, "name": region.name}
        for code, region in sorted(regions().items())
        if code == scope or (region.province_code == scope and code != scope)
    ]


def _history(events: list[dict[str, Any]], language: str) -> list[dict[str, Any]]:
    from timpora.review.i18n import term

    return [{**e, "kind_name": term("flag_event", e.get("kind"), language)} for e in events]


def _group_views(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive views by one actor collapse into one row (``12 x VIEW_QUEUE``): a
    reviewer's morning is not seventy rows each listing forty flag ids."""
    grouped: list[dict[str, Any]] = []
    for entry in entries:
        last = grouped[-1] if grouped else None
        if (
            last is not None
            and str(entry["action"]).startswith("VIEW_")
            and last["action"] == entry["action"]
            and last["actor"] == entry["actor"]
        ):
            last["count"] += 1
            last["first_at"] = entry["at"]
            last["flag_count"] += len((entry.get("detail") or {}).get("flag_ids") or [])
            continue
        grouped.append(
            {
                **entry,
                "count": 1,
                "first_at": entry["at"],
                "flag_count": len((entry.get("detail") or {}).get("flag_ids") or []),
            }
        )
    return grouped


def _detail_text(detail: Any) -> str:
    """An audit row's detail, short: flag id lists become their count."""
    if not isinstance(detail, dict):
        return str(detail or "")
    shown = {k: (f"{len(v)} flag" if k == "flag_ids" and isinstance(v, list) else v) for k, v in detail.items()}
    return json.dumps(shown, ensure_ascii=False, default=str)[:400]


def create_app() -> FastAPI:
    """The review app. Opens no connection until a request needs one; in production it
    refuses to start with a missing, public or short secret."""
    settings = get_settings()
    settings.require_secrets(APP_SECRETS, who="the review app")
    docs = settings.review_api_docs
    app = FastAPI(
        title="TIMPORA review queue",
        version="1.0.0",
        description=(
            "Flags raised by the TIMPORA reconcile, worked by reviewers in their region. Log in with "
            "POST /api/login (a session cookie); send the returned csrf_token as X-CSRF-Token on changes."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json" if docs else None,
    )
    app.mount("/static", StaticFiles(directory=str(_HERE / "static")), name="static")
    privileged: dict[str, str] = {}

    @app.middleware("http")
    async def _boundary(request: Request, call_next: Callable[[Request], Any]) -> Response:
        """Malformed paths refused before any handler, the least-privilege check on the first
        request (production), and the security headers on every answer."""
        raw = request.scope.get("raw_path", b"") + b"?" + request.scope.get("query_string", b"")
        if b"%00" in raw or b"\x00" in raw or "\x00" in request.url.path:
            response: Response = _error_json(
                400, "the request may not contain NUL characters", "permintaan tidak boleh memuat karakter NUL"
            )
        elif problem := _least_privilege_problem(privileged):
            response = _error_json(503, problem, "aplikasi menolak berjalan dengan hak basis data berlebih")
        else:
            try:
                response = await call_next(request)
            except Exception:  # the handlers answer everything they know; this is the rest
                log.exception("review app: unhandled error on %s %s", request.method, request.url.path[:200])
                response = _error_json(500, "internal error", "kesalahan internal")
        security_headers(request, response)
        return response

    @app.exception_handler(NotLoggedIn)
    async def _to_login(request: Request, _: NotLoggedIn) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        base = request.scope.get("root_path", "")
        return RedirectResponse(f"{base}/login?{urlencode({'next': target})}", status_code=303)

    @app.exception_handler(ReviewError)
    async def _review_error(request: Request, exc: ReviewError) -> Response:
        user = getattr(request.state, "user", None)
        if exc.status == 404 and user is not None:
            svc.record_denied(user, "NOT_FOUND", {"path": request.url.path[:200], "message": str(exc)[:200]})
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else None
        if _is_api(request):
            return _error_json(exc.status, str(exc), exc.message_id, headers)
        return _error_page(request, exc.status, str(exc), exc.message_id)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message_en = str(exc.detail)
        message_id = _HTTP_MESSAGES_ID.get(exc.status_code, message_en)
        if _is_api(request) or exc.status_code < 400:
            return _error_json(exc.status_code, message_en, message_id, dict(exc.headers or {}))
        return _error_page(request, exc.status_code, message_en, message_id)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        # Never echo what was sent (it may be a password): where and what kind of error only.
        problems = [
            {"loc": [str(part) for part in error.get("loc", ())], "msg": str(error.get("msg", ""))[:200]}
            for error in exc.errors()
        ]
        fields = ", ".join(sorted({p["loc"][-1] for p in problems if p["loc"]})) or "-"
        message_en, message_id = f"invalid request: {fields}", f"permintaan tidak sah: {fields}"
        if _is_api(request):
            return JSONResponse(
                {"detail": problems, "message_en": message_en, "message_id": message_id}, status_code=422
            )
        return _error_page(request, 422, message_en, message_id)

    # --- operations and sessions -------------------------------------------------------------

    @app.get("/healthz", tags=["operations"], name="healthz")
    def healthz() -> dict[str, Any]:
        """Liveness and the warehouse the app reads."""
        return {"status": "ok", "warehouse": get_settings().warehouse_dialect}

    def _set_session(request: Request, response: Response, token: str) -> None:
        response.set_cookie(
            SESSION_COOKIE,
            token,
            max_age=get_settings().session_minutes * 60,
            httponly=True,
            samesite="lax",
            secure=get_settings().production or _https(request),
            path="/",
        )

    def _throttled(request: Request, seconds: int) -> ReviewError:
        return ReviewError(
            f"too many failed logins: try again in {seconds} s",
            429,
            f"terlalu banyak percobaan masuk yang gagal: coba lagi dalam {seconds} detik",
            retry_after=seconds,
        )

    @app.post("/api/login", tags=["session"], name="api_login", dependencies=[Depends(guard)])
    def api_login(request: Request, credentials: Credentials, response: Response) -> dict[str, Any]:
        """Start a session (cookie); the answer carries the CSRF token for changes. Repeated
        failures make a user name or address wait, then lock it out for a while (429)."""
        result = svc.login(credentials.username, credentials.password, client=_client(request))
        if result.retry_after is not None:
            raise _throttled(request, result.retry_after)
        if result.token is None:
            raise ReviewError("wrong username or password", 401, "nama pengguna atau kata sandi salah")
        _set_session(request, response, result.token)
        user = svc.session_user(result.token)
        assert user is not None
        return {"username": user.username, "role": user.role.value, "csrf_token": user.csrf_token}

    @app.get("/api/me", tags=["session"], name="api_me")
    def api_me(user: User) -> dict[str, Any]:
        return {
            "username": user.username,
            "display_name": user.display_name,
            "role": user.role.value,
            "region_scope": user.region_scope,
            "language": user.language,
            "timezone": user.timezone,
            "csrf_token": user.csrf_token,
        }

    @app.post("/api/logout", tags=["session"], name="api_logout")
    def api_logout(request: Request, user: User, response: Response) -> dict[str, str]:
        svc.logout(request.cookies.get(SESSION_COOKIE, ""), user)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return {"status": "logged out"}

    @app.post("/api/password", tags=["session"], name="api_password")
    def api_password(request: Request, user: User, body: PasswordChange) -> dict[str, Any]:
        """Change your own password; your other sessions end."""
        ended = svc.change_password(user, body.current_password, body.new_password, request.cookies.get(SESSION_COOKIE))
        return {"status": "password changed", "other_sessions_ended": ended}

    # --- API: the queue and its flags ------------------------------------------------------------

    @app.get("/api/windows", tags=["queue"], name="api_windows")
    def api_windows(user: User) -> list[dict[str, Any]]:
        """Monitoring windows the queue can be filtered by."""
        return json.loads(json.dumps(svc.monitoring_windows(), default=str))

    @app.get("/api/flags", tags=["queue"], name="api_queue")
    def api_queue(user: User, filters: Filters) -> dict[str, Any]:
        """Flags in your region, by priority (then age) or by age, one page at a time."""
        return svc.queue(user, filters)

    @app.get("/api/flags/export.csv", tags=["queue"], name="api_export", response_class=PlainTextResponse)
    def api_export(user: User, filters: Filters) -> Response:
        """The filtered queue of your region as CSV (formula-safe)."""
        return _csv(svc.export_csv(user, filters))

    @app.get("/api/flags/{flag_id}", tags=["flag"], name="api_flag")
    def api_flag(user: User, flag_id: str) -> dict[str, Any]:
        """A flag with its records, identity links and history (the view is audited)."""
        return svc.flag_detail(user, flag_id)

    @app.post("/api/flags/{flag_id}/claim", tags=["flag"], name="api_claim")
    def api_claim(user: User, flag_id: str) -> dict[str, str]:
        svc.claim(user, flag_id)
        return {"flag_id": flag_id, "status": "IN_REVIEW", "assignee": user.username}

    @app.post("/api/flags/{flag_id}/release", tags=["flag"], name="api_release")
    def api_release(user: User, flag_id: str) -> dict[str, str]:
        svc.release(user, flag_id)
        return {"flag_id": flag_id, "status": "OPEN"}

    @app.post("/api/flags/{flag_id}/comments", tags=["flag"], name="api_comment")
    def api_comment(user: User, flag_id: str, body: CommentRequest) -> dict[str, str]:
        svc.comment(user, flag_id, body.body)
        return {"flag_id": flag_id, "status": "commented"}

    @app.post("/api/flags/{flag_id}/close", tags=["flag"], name="api_close")
    def api_close(user: User, flag_id: str, body: CloseRequest) -> dict[str, str]:
        """Close a flag you hold, with a disposition and a note."""
        svc.close(user, flag_id, body.disposition.value, body.note)
        return {"flag_id": flag_id, "status": "CLOSED", "disposition": body.disposition.value}

    @app.post("/api/flags/{flag_id}/reopen", tags=["flag"], name="api_reopen")
    def api_reopen(user: User, flag_id: str, body: ReopenRequest) -> dict[str, str]:
        svc.reopen(user, flag_id, body.note)
        return {"flag_id": flag_id, "status": "REOPENED"}

    @app.post("/api/flags/{flag_id}/reassign", tags=["supervision"], name="api_reassign")
    def api_reassign(user: User, flag_id: str, body: ReassignRequest) -> dict[str, str]:
        svc.reassign(user, flag_id, body.assignee)
        return {"flag_id": flag_id, "status": "IN_REVIEW", "assignee": body.assignee}

    @app.post("/api/bulk-close", tags=["supervision"], name="api_bulk_close")
    def api_bulk_close(user: User, body: BulkCloseRequest) -> dict[str, Any]:
        """Close many flags with one disposition and note (supervisors). Each id gets its
        outcome: closed, not_found, already_closed, not_open, or held (by someone else:
        closed only with ``override_holds``). Repeated ids count once."""
        results = svc.close_many(user, body.flag_ids, body.disposition.value, body.note, body.override_holds)
        closed = [r["flag_id"] for r in results if r["outcome"] == svc.CLOSED]
        return {"closed": closed, "disposition": body.disposition.value, "results": results}

    @app.get("/api/dashboard", tags=["supervision"], name="api_dashboard")
    def api_dashboard(user: User, filters: DashboardFilters) -> dict[str, Any]:
        """Workload per reviewer, ageing, deadline breaches, open flags per rule and region,
        closed flags per rule (false-positive rate, time to close); by window and period."""
        return svc.dashboard(user, filters)

    @app.get("/api/flags/{flag_id}/assignable", tags=["supervision"], name="api_assignable")
    def api_assignable(user: User, flag_id: str) -> list[dict[str, Any]]:
        """Whom the flag may be reassigned to: the active reviewers of its region."""
        return svc.assignable_users(user, svc.flag_detail(user, flag_id)["flag"])

    @app.get("/api/audit", tags=["supervision"], name="api_audit")
    def api_audit(user: User, filters: AuditFilters) -> list[dict[str, Any]]:
        """The audit log of your scope, newest first (admins; read-only; reading it is audited)."""
        return svc.audit_entries(user, filters)

    # --- pages ----------------------------------------------------------------------------------

    def _login_form(request: Request, target: str, status: int = 200, message: str = "") -> Response:
        csrf = secrets.token_urlsafe(24)
        response = _render(request, "login.html", None, status, next=target, csrf=csrf, message=message)
        response.set_cookie(
            LOGIN_CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="strict", secure=_https(request), path="/"
        )
        return response

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False, name="login_page")
    def login_page(request: Request, next: Annotated[str, Query(max_length=500)] = "") -> Response:
        return _login_form(request, _safe_next(request, next))

    @app.post("/login", include_in_schema=False, name="login_submit")
    def login_submit(
        request: Request,
        username: Annotated[Text, Form(max_length=60)] = "",
        password: Annotated[Text, Form(max_length=200)] = "",
        csrf_token: Annotated[Text, Form(max_length=100)] = "",
        next: Annotated[Text, Form(max_length=500)] = "",
    ) -> Response:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(expected.encode(), csrf_token.encode()):
            svc.record_denied(None, "LOGIN_CSRF_FAILED", {"username": username[:60], "client": _client(request)})
            raise HTTPException(403, "the login form expired: reload the page")
        target = _safe_next(request, next)
        t = words(_language(request, None))
        result = svc.login(username, password, client=_client(request))
        if result.retry_after is not None:
            message = t["login_throttled"].format(seconds=result.retry_after)
            response = _login_form(request, target, 429, message)
            response.headers["Retry-After"] = str(result.retry_after)
            return response
        if result.token is None:
            return _login_form(request, target, 401, t["login_failed"])
        redirect = RedirectResponse(target, status_code=303)
        _set_session(request, redirect, result.token)
        return redirect

    @app.post("/logout", include_in_schema=False, name="page_logout")
    def page_logout(request: Request, user: User) -> Response:
        svc.logout(request.cookies.get(SESSION_COOKIE, ""), user)
        response = RedirectResponse(request.scope.get("root_path", "") + "/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/password", response_class=HTMLResponse, include_in_schema=False, name="page_password_form")
    def page_password_form(request: Request, user: User) -> Response:
        return _render(request, "password.html", user, message="", changed=False)

    @app.post("/password", include_in_schema=False, name="page_password")
    def page_password(
        request: Request,
        user: User,
        current_password: Annotated[Text, Form(max_length=200)] = "",
        new_password: Annotated[Text, Form(max_length=200)] = "",
    ) -> Response:
        try:
            svc.change_password(user, current_password, new_password, request.cookies.get(SESSION_COOKIE))
        except ReviewError as exc:
            message = exc.message_id if _language(request, user) == "id" else str(exc)
            return _render(request, "password.html", user, exc.status, message=message, changed=False)
        return _render(request, "password.html", user, message="", changed=True)

    @app.get("/lang/{language}", include_in_schema=False, name="page_language")
    def page_language(
        request: Request, user: User, language: str, next: Annotated[str, Query(max_length=500)] = ""
    ) -> Response:
        if language not in ("id", "en"):
            raise HTTPException(404, "language must be id or en")
        response = RedirectResponse(_safe_next(request, next), status_code=303)
        response.set_cookie(
            LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", secure=_https(request), path="/"
        )
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False, name="page_queue")
    def page_queue(request: Request, user: User, filters: PageFilters) -> Response:
        page = svc.queue(user, filters)
        pages = max(1, -(-page["total"] // filters.page_size))
        query = {k: v for k, v in request.query_params.items() if k != "page"}
        view = request.query_params.get("view", "open")
        language = _language(request, user)
        offset = (filters.page - 1) * filters.page_size
        return _render(
            request,
            "queue.html",
            user,
            page=page,
            rows=_queue_rows(page["flags"], language, user),
            offset=offset,
            pages=pages,
            filters=filters,
            view=view,
            views=VIEWS,
            scope_regions=_scope_regions(user),
            filtered=any(request.query_params.get(k) for k in ("rule", "status", "severity", "region", "window")),
            query=urlencode(query),
            tab_query={v: urlencode({**{k: x for k, x in query.items() if k != "view"}, "view": v}) for v in VIEWS},
            can_lead=user.role in LEADS,
            saved_views=svc.saved_views(user),
        )

    @app.get("/export.csv", include_in_schema=False, name="page_export")
    def page_export(user: User, filters: Filters) -> Response:
        return _csv(svc.export_csv(user, filters))

    @app.get("/flags/{flag_id}", response_class=HTMLResponse, include_in_schema=False, name="page_flag")
    def page_flag(
        request: Request,
        user: User,
        flag_id: str,
        filters: PageFilters,
        error: Annotated[str, Query(max_length=300)] = "",
        pos: Annotated[int | None, Query(ge=0, le=10_000_000)] = None,
    ) -> Response:
        from timpora.review import notify
        from timpora.review.panels import build_panel, region_name

        detail = svc.flag_detail(user, flag_id)
        notify.mark_read(user, flag_id)
        language = _language(request, user)
        flag = detail["flag"]
        query = {k: v for k, v in request.query_params.items() if k not in ("pos", "error", "page")}
        around = svc.neighbours(user, filters, pos, flag_id) if pos is not None else None
        return _render(
            request,
            "flag.html",
            user,
            detail=detail,
            flag=flag,
            row=_queue_rows([flag], language, user)[0],
            panel=build_panel(detail, language),
            history=_history(detail["history"], language),
            linked_flags=_queue_rows(detail["linked_flags"], language, user),
            region_name=region_name,
            evidence=json.dumps(flag["evidence"], ensure_ascii=False, indent=1),
            error=error[:300],
            can_work=user.role in WORKERS,
            can_lead=user.role in LEADS,
            assignable=svc.assignable_users(user, flag) if user.role in LEADS else [],
            around=around,
            query=urlencode(query),
            return_query=urlencode({**query, **({"pos": pos} if pos is not None else {})}),
        )

    @app.post("/flags/{flag_id}/action", include_in_schema=False, name="page_flag_action")
    def page_flag_action(
        request: Request,
        user: User,
        flag_id: str,
        action: Annotated[Text, Form(max_length=20)],
        disposition: Annotated[Text, Form(max_length=30)] = "",
        note: Annotated[Text, Form(max_length=4000)] = "",
        body: Annotated[Text, Form(max_length=4000)] = "",
        assignee: Annotated[Text, Form(max_length=60)] = "",
        return_query: Annotated[Text, Form(max_length=2000)] = "",
    ) -> Response:
        operations: dict[str, Callable[[], Any]] = {
            "claim": lambda: svc.claim(user, flag_id),
            "release": lambda: svc.release(user, flag_id),
            "comment": lambda: svc.comment(user, flag_id, body),
            "close": lambda: svc.close(user, flag_id, disposition, note),
            "reopen": lambda: svc.reopen(user, flag_id, note),
            "reassign": lambda: svc.reassign(user, flag_id, assignee),
        }
        if action not in operations:
            raise HTTPException(422, f"unknown action {action!r}")
        target = f"{request.scope.get('root_path', '')}/flags/{flag_id}"
        back = "&".join(part for part in return_query.split("&") if part and not part.startswith("error="))
        try:
            operations[action]()
        except ReviewError as exc:
            if exc.status == 404:
                raise
            message = exc.message_id if _language(request, user) == "id" else str(exc)
            joined = "&".join(p for p in (back, urlencode({"error": message[:300]})) if p)
            return RedirectResponse(f"{target}?{joined}", status_code=303)
        return RedirectResponse(f"{target}?{back}" if back else target, status_code=303)

    @app.post("/flags/{flag_id}/close-linked", include_in_schema=False, name="page_close_linked")
    async def page_close_linked(request: Request, user: User, flag_id: str) -> Response:
        """Close this flag and the person's linked flags ticked one by one, with one
        disposition and note; each gets its own outcome."""
        form = await request.form()
        others = [str(v) for v in form.getlist("flag_id")][:50]
        values = [str(form.get(name, "")) for name in ("disposition", "note", "return_query")]
        if not all(_valid_form_text(value) for value in [*others, *values]):
            raise ReviewError("text must be valid Unicode", 422, "teks harus Unicode yang sah")
        disposition, note, return_query = values
        results = svc.close_linked(user, flag_id, others, disposition, note)
        return _render(request, "bulk_result.html", user, results=results, return_query=return_query[:2000])

    @app.post("/bulk-close", include_in_schema=False, name="page_bulk_close")
    async def page_bulk_close(request: Request, user: User) -> Response:
        form = await request.form()
        flag_ids = [str(v) for v in form.getlist("flag_id")][:1000]
        values = [str(form.get(name, "")) for name in ("disposition", "note", "return_query")]
        if not all(_valid_form_text(value) for value in [*flag_ids, *values]):
            raise ReviewError("text must be valid Unicode", 422, "teks harus Unicode yang sah")
        disposition, note, return_query = values
        override = form.get("override_holds") == "1"
        if form.get("confirmed") != "1":
            # First the plan: what would become of each flag, nothing changed yet.
            plan = svc.close_many(user, flag_ids, disposition, note, override_holds=override, dry_run=True)
            return _render(
                request,
                "bulk_confirm.html",
                user,
                results=plan,
                flag_ids=flag_ids,
                disposition=disposition,
                note=note,
                override=override,
                return_query=return_query[:2000],
                closing=sum(1 for r in plan if r["outcome"] == svc.CLOSED),
            )
        results = svc.close_many(user, flag_ids, disposition, note, override_holds=override)
        return _render(request, "bulk_result.html", user, results=results, return_query=return_query[:2000])

    @app.get("/dashboard", response_class=HTMLResponse, include_in_schema=False, name="page_dashboard")
    def page_dashboard(request: Request, user: User, filters: DashboardFilters) -> Response:
        from timpora.review.i18n import rule_name

        data = svc.dashboard(user, filters)
        language = _language(request, user)
        return _render(
            request,
            "dashboard.html",
            user,
            data=data,
            top=max(data["open_by_rule"].values(), default=1),
            top_age=max(data["ageing"].values(), default=1) or 1,
            top_load=max((w["held"] for w in data["workload"]), default=1),
            rule_label=lambda code: rule_name(code, language),
        )

    @app.get("/audit", response_class=HTMLResponse, include_in_schema=False, name="page_audit")
    def page_audit(request: Request, user: User, filters: AuditFilters) -> Response:
        entries = svc.audit_entries(user, filters)
        query = {k: v for k, v in request.query_params.items() if k != "page"}
        return _render(
            request,
            "audit.html",
            user,
            entries=_group_views(entries),
            raw_count=len(entries),
            page=filters.page,
            filters=filters,
            actions=svc.AUDIT_ACTIONS,
            detail_text=_detail_text,
            query=urlencode(query),
        )

    @app.get("/api/notifications", tags=["queue"], name="api_notifications")
    def api_notifications(user: User) -> list[dict[str, Any]]:
        """Your notifications (new HIGH flags, flags in monitoring windows, deadline breaches)."""
        from timpora.review import notify

        return json.loads(json.dumps(notify.listing(user), default=str))

    @app.get("/api/views", tags=["queue"], name="api_views")
    def api_views(user: User) -> list[dict[str, str]]:
        """Your saved queue filters (the queue page's query strings)."""
        return svc.saved_views(user)

    @app.get("/notifications", response_class=HTMLResponse, include_in_schema=False, name="page_notifications")
    def page_notifications(request: Request, user: User) -> Response:
        from timpora.review import notify
        from timpora.review.i18n import rule_name

        language = _language(request, user)
        rows = [
            {
                **n,
                "rule_name": rule_name(str(n["rule_code"]), language),
                "kind_name": words(language)[f"notify_{n['kind']}"],
            }
            for n in notify.listing(user)
        ]
        return _render(request, "notifications.html", user, notifications=rows)

    @app.post("/notifications/read", include_in_schema=False, name="page_notifications_read")
    def page_notifications_read(request: Request, user: User) -> Response:
        from timpora.review import notify

        notify.mark_read(user)
        return RedirectResponse(request.scope.get("root_path", "") + "/notifications", status_code=303)

    @app.post("/views", include_in_schema=False, name="page_save_view")
    def page_save_view(
        request: Request,
        user: User,
        name: Annotated[Text, Form(max_length=60)] = "",
        query: Annotated[Text, Form(max_length=2000)] = "",
    ) -> Response:
        svc.save_view(user, name, query)
        return RedirectResponse(f"{request.scope.get('root_path', '')}/?{query}", status_code=303)

    @app.post("/views/delete", include_in_schema=False, name="page_delete_view")
    def page_delete_view(request: Request, user: User, name: Annotated[Text, Form(max_length=60)] = "") -> Response:
        svc.delete_view(user, name)
        return RedirectResponse(request.scope.get("root_path", "") + "/", status_code=303)

    if docs:
        _mount_api_docs(app)

    unguarded = [getattr(route, "name", "?") for route in app.routes if getattr(route, "name", "?") not in ACCESS]
    if unguarded:
        raise RuntimeError(f"routes without an access rule in timpora.review.app.ACCESS: {unguarded}")
    for route in app.routes:
        if isinstance(route, APIRoute) and ACCESS[route.name] is not PUBLIC and not _takes_user(route):
            raise RuntimeError(f"route {route.name} has an access rule but does not depend on guard()")
    return app


def _valid_form_text(value: str) -> bool:
    try:
        _valid_text(value)
    except ValueError:
        return False
    return True


def _least_privilege_problem(cache: dict[str, str]) -> str:
    """In production on PostgreSQL, why the app's login has too many rights ('' if none);
    asked once per process."""
    if "checked" not in cache:
        from timpora.warehouse.privileges import require_least_privilege

        try:
            require_least_privilege(get_settings(), who="the review app")
            cache["checked"] = ""
        except ConfigError as exc:
            log.error("%s", exc)
            cache["checked"] = str(exc)
    return cache["checked"]


def _mount_api_docs(app: FastAPI) -> None:
    """Swagger UI from the swagger-ui-bundle package, initialised by a script of ours (the
    CSP allows no inline script): no CDN is ever asked for anything."""
    from swagger_ui_bundle import swagger_ui_path

    app.mount("/docs/assets", StaticFiles(directory=str(swagger_ui_path)), name="swagger_assets")

    @app.get("/docs", include_in_schema=False, name="swagger_ui_html")
    def swagger_ui_html(request: Request) -> Response:
        base = request.scope.get("root_path", "")
        return HTMLResponse(
            "<!doctype html><html><head><meta charset='utf-8'><title>TIMPORA review API</title>"
            f"<link rel='stylesheet' href='{base}/docs/assets/swagger-ui.css'></head><body>"
            f"<div id='swagger-ui' data-openapi='{base}/openapi.json'></div>"
            f"<script src='{base}/docs/assets/swagger-ui-bundle.js'></script>"
            f"<script src='{base}/static/docs.js'></script></body></html>"
        )


def _takes_user(route: APIRoute) -> bool:
    def walk(dependant: Any) -> bool:
        return any(d.call is guard or walk(d) for d in dependant.dependencies)

    return walk(route.dependant)


def _safe_next(request: Request, target: str) -> str:
    """Only paths of this app: never an open redirect to another site."""
    base = request.scope.get("root_path", "")
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return base + "/"


def _csv(text: str) -> Response:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="timpora-flags.csv"'},
    )
