"""The review application (FastAPI): a JSON API and server-rendered pages, one app.

It runs standalone (``timpora review serve``) or mounted in Airflow by the plugin in
``plugins/``, which does not authenticate plugin apps: this app does, itself. Every route
is listed in :data:`ACCESS` with the roles that may use it; a route without an entry
refuses to start the app, so a new route cannot slip in unguarded. Region scope is
enforced below the routes, in SQL (:mod:`timpora.review.service`).
"""

from __future__ import annotations

import hmac
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, FastAPI, Form, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from pydantic import AfterValidator, BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from timpora.config import get_settings
from timpora.review import service as svc
from timpora.review.i18n import words
from timpora.review.service import EVERYONE, LEADS, WORKERS, QueueFilter, Reviewer, ReviewError, Role
from timpora.rules.config import RuleCode

SESSION_COOKIE = "timpora_session"
LANGUAGE_COOKIE = "timpora_lang"
LOGIN_CSRF_COOKIE = "timpora_login_csrf"
SESSION_MINUTES = 8 * 60
PUBLIC: frozenset[Role] = frozenset()
DASHBOARD_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN, Role.ANALYST})
ADMINS = frozenset({Role.ADMIN})

# Route name -> roles allowed (PUBLIC: no login). Every route of the app must be here.
ACCESS: dict[str, frozenset[Role]] = {
    "healthz": PUBLIC,
    "openapi": PUBLIC,
    "swagger_ui_html": PUBLIC,
    "swagger_ui_redirect": PUBLIC,
    "redoc_html": PUBLIC,
    "api_login": PUBLIC,
    "login_page": PUBLIC,
    "login_submit": PUBLIC,
    "api_me": EVERYONE,
    "api_logout": EVERYONE,
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
    "api_audit": ADMINS,
    "page_logout": EVERYONE,
    "page_language": EVERYONE,
    "page_queue": EVERYONE,
    "page_export": EVERYONE,
    "page_flag": EVERYONE,
    "page_flag_action": WORKERS,
    "page_bulk_close": LEADS,
    "page_dashboard": DASHBOARD_ROLES,
    "page_audit": ADMINS,
}
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL; a request carrying one is malformed, not a server error.
    if "\x00" in value:
        raise ValueError("text may not contain NUL characters")
    return value


Text = Annotated[str, AfterValidator(_no_nul)]


class NotLoggedIn(Exception):
    """No valid session on a page: the browser goes to the login page."""


class Credentials(BaseModel):
    username: Text = Field(min_length=1, max_length=60)
    password: Text = Field(min_length=1, max_length=200)


class CloseRequest(BaseModel):
    disposition: svc.Disposition
    note: Text = Field(min_length=1, max_length=4000)


class BulkCloseRequest(CloseRequest):
    flag_ids: list[Annotated[Text, Field(min_length=1, max_length=20)]] = Field(min_length=1, max_length=1000)


class CommentRequest(BaseModel):
    body: Text = Field(min_length=1, max_length=4000)


class ReopenRequest(BaseModel):
    note: Text = Field(min_length=1, max_length=4000)


class ReassignRequest(BaseModel):
    assignee: Text = Field(min_length=1, max_length=60)


def _is_api(request: Request) -> bool:
    return request.url.path.removeprefix(request.scope.get("root_path", "")).startswith("/api/")


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
    user = svc.session_user(token) if token else None
    if user is None:
        if _is_api(request):
            raise HTTPException(401, "log in first: POST /api/login", headers={"WWW-Authenticate": "Cookie"})
        raise NotLoggedIn()
    if user.role not in allowed:
        raise HTTPException(403, f"a {user.role.value} may not use this")
    if request.method in _UNSAFE:
        sent = request.headers.get("x-csrf-token")
        if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")
        ):
            sent = str((await request.form()).get("csrf_token") or "")
        if not sent or not hmac.compare_digest(sent, user.csrf_token):
            raise HTTPException(403, "missing or wrong CSRF token")
    return user


User = Annotated[Reviewer, Depends(guard)]


def _language(request: Request, user: Reviewer | None) -> str:
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in ("id", "en"):
        return chosen
    return user.language if user else "id"


def _render(request: Request, template: str, user: Reviewer | None, status: int = 200, **context: Any) -> HTMLResponse:
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
            "rules": [code.value for code in RuleCode],
            "statuses": svc.STATUSES,
            "severities": svc.SEVERITIES,
            "dispositions": [d.value for d in svc.Disposition],
            "windows": svc.monitoring_windows(),
            **context,
        },
        status_code=status,
    )


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


FilterArgs = dict[str, Any]


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


def _flag_grid(detail: dict[str, Any], t: dict[str, str]) -> dict[str, Any]:
    """The side-by-side view: one column per stay and document, disagreeing cells marked."""
    stays, documents, links = detail["stays"], detail["documents"], detail["links"]
    verdicts = {(link["report_id"], link["document_number"]): link for link in links}
    first_report = stays[0]["report_id"] if stays else None
    columns = [{"title": f"{t['stay']} {s['report_id']}", "kind": "stay"} for s in stays] + [
        {
            "title": f"{t['permit'] if d['document_kind'] == 'PERMIT' else t['visa']} {d['document_number']}"
            f" ({d['kind']}, {d['status']}, v{d['record_version']})",
            "kind": d["document_kind"].lower(),
        }
        for d in documents
    ]
    fields = [
        ("surname", "guest_surname", "surname", "name_verdict"),
        ("given_names", "guest_given_names", "given_names", "name_verdict"),
        ("sex", "sex", "sex", "sex_verdict"),
        ("date_of_birth", "date_of_birth", "date_of_birth", "date_of_birth_verdict"),
        ("nationality", "nationality", "nationality", "nationality_verdict"),
        ("passport_number", "passport_number", "passport_number", None),
    ]
    rows = []
    for label, stay_key, document_key, verdict_key in fields:
        cells = [{"value": _plain(s.get(stay_key)), "mark": ""} for s in stays]
        for d in documents:
            link = verdicts.get((first_report, d["document_number"])) if first_report else None
            verdict = link.get(verdict_key) if (link and verdict_key) else None
            mark = {"DIFFERENT": "differs", "NOISE": "noise"}.get(verdict or "", "")
            cells.append({"value": _plain(d.get(document_key)), "mark": mark})
        rows.append({"label": t[label], "cells": cells})
    dates = [f"{_plain(s.get('check_in_local'))} → {_plain(s.get('check_out_local')) or '…'}" for s in stays]
    dates += [f"{_plain(d.get('valid_from'))} → {_plain(d.get('valid_until'))}" for d in documents]
    rows.append({"label": t["dates"], "cells": [{"value": v, "mark": ""} for v in dates]})
    activity = [f"{s.get('occupation') or ''} / {s.get('purpose_of_visit') or ''}" for s in stays]
    activity += [f"{d.get('activity') or ''} ({d.get('sponsor_type') or '-'})" for d in documents]
    rows.append({"label": t["activity"], "cells": [{"value": v, "mark": ""} for v in activity]})
    return {"columns": columns, "rows": rows}


def _plain(value: Any) -> str:
    if value is None:
        return ""
    text = str(value)
    return text[:16].replace("T", " ") if len(text) >= 16 and text[4] == "-" and text[10] == "T" else text[:200]


def create_app() -> FastAPI:
    """The review app. Opens no connection until a request needs one."""
    app = FastAPI(
        title="TIMPORA review queue",
        version="1.0.0",
        description=(
            "Flags raised by the TIMPORA reconcile, worked by reviewers in their region. Log in with "
            "POST /api/login (a session cookie); send the returned csrf_token as X-CSRF-Token on changes."
        ),
    )

    @app.middleware("http")
    async def _refuse_nul(request: Request, call_next: Callable[[Request], Any]) -> Response:
        """A NUL in the path or query (%00) is a malformed request: 400 before any handler."""
        raw = request.scope.get("raw_path", b"") + b"?" + request.scope.get("query_string", b"")
        if b"%00" in raw or b"\x00" in raw or "\x00" in request.url.path:
            return JSONResponse({"detail": "the request may not contain NUL characters"}, status_code=400)
        response: Response = await call_next(request)
        return response

    @app.exception_handler(NotLoggedIn)
    async def _to_login(request: Request, _: NotLoggedIn) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        base = request.scope.get("root_path", "")
        return RedirectResponse(f"{base}/login?{urlencode({'next': target})}", status_code=303)

    @app.exception_handler(ReviewError)
    async def _review_error(request: Request, exc: ReviewError) -> Response:
        if _is_api(request):
            return JSONResponse({"detail": str(exc)}, status_code=exc.status)
        return PlainTextResponse(str(exc), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if _is_api(request) or exc.status_code < 400:
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return PlainTextResponse(str(exc.detail), status_code=exc.status_code)

    # --- operations and sessions -------------------------------------------------------------

    @app.get("/healthz", tags=["operations"], name="healthz")
    def healthz() -> dict[str, Any]:
        """Liveness and the warehouse the app reads."""
        return {"status": "ok", "warehouse": get_settings().warehouse_dialect}

    def _start_session(response: Response, username: str, password: str) -> bool:
        token = svc.login(username, password, SESSION_MINUTES)
        if token is None:
            return False
        response.set_cookie(
            SESSION_COOKIE, token, max_age=SESSION_MINUTES * 60, httponly=True, samesite="lax", path="/"
        )
        return True

    @app.post("/api/login", tags=["session"], name="api_login", dependencies=[Depends(guard)])
    def api_login(credentials: Credentials, response: Response) -> dict[str, Any]:
        """Start a session (cookie); the answer carries the CSRF token for changes."""
        token = svc.login(credentials.username, credentials.password, SESSION_MINUTES)
        if token is None:
            raise HTTPException(401, "wrong username or password")
        response.set_cookie(
            SESSION_COOKIE, token, max_age=SESSION_MINUTES * 60, httponly=True, samesite="lax", path="/"
        )
        user = svc.session_user(token)
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
        svc.logout(request.cookies.get(SESSION_COOKIE, ""), user.username)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return {"status": "logged out"}

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
        svc.close(user, [flag_id], body.disposition.value, body.note)
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
        """Close many flags with one disposition and note (supervisors)."""
        closed = svc.close(user, body.flag_ids, body.disposition.value, body.note)
        return {"closed": closed, "disposition": body.disposition.value}

    @app.get("/api/dashboard", tags=["supervision"], name="api_dashboard")
    def api_dashboard(user: User) -> dict[str, Any]:
        return svc.dashboard(user)

    @app.get("/api/audit", tags=["supervision"], name="api_audit")
    def api_audit(
        user: User,
        actor: Annotated[str | None, Query(max_length=60)] = None,
        flag_id: Annotated[str | None, Query(max_length=20)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> list[dict[str, Any]]:
        """The audit log, newest first (admins; read-only)."""
        return svc.audit_entries(user, actor, flag_id, page)

    # --- pages ----------------------------------------------------------------------------------

    @app.get("/login", response_class=HTMLResponse, include_in_schema=False, name="login_page")
    def login_page(request: Request, next: str = "") -> Response:
        csrf = secrets.token_urlsafe(24)
        response = _render(request, "login.html", None, next=_safe_next(request, next), csrf=csrf, failed=False)
        response.set_cookie(LOGIN_CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="strict", path="/")
        return response

    @app.post("/login", include_in_schema=False, name="login_submit")
    def login_submit(
        request: Request,
        username: Annotated[str, Form(max_length=60)] = "",
        password: Annotated[str, Form(max_length=200)] = "",
        csrf_token: Annotated[str, Form(max_length=100)] = "",
        next: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(expected, csrf_token):
            raise HTTPException(403, "the login form expired: reload the page")
        target = _safe_next(request, next)
        response: Response = RedirectResponse(target, status_code=303)
        if not _start_session(response, username, password):
            csrf = secrets.token_urlsafe(24)
            response = _render(request, "login.html", None, 401, next=target, csrf=csrf, failed=True)
            response.set_cookie(LOGIN_CSRF_COOKIE, csrf, max_age=3600, httponly=True, samesite="strict", path="/")
        return response

    @app.post("/logout", include_in_schema=False, name="page_logout")
    def page_logout(request: Request, user: User) -> Response:
        svc.logout(request.cookies.get(SESSION_COOKIE, ""), user.username)
        response = RedirectResponse(request.scope.get("root_path", "") + "/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    @app.get("/lang/{language}", include_in_schema=False, name="page_language")
    def page_language(request: Request, user: User, language: str, next: str = "") -> Response:
        if language not in ("id", "en"):
            raise HTTPException(404, "language must be id or en")
        response = RedirectResponse(_safe_next(request, next), status_code=303)
        response.set_cookie(LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", path="/")
        return response

    @app.get("/", response_class=HTMLResponse, include_in_schema=False, name="page_queue")
    def page_queue(request: Request, user: User, filters: Filters) -> Response:
        page = svc.queue(user, filters)
        pages = max(1, -(-page["total"] // filters.page_size))
        query = {k: v for k, v in request.query_params.items() if k != "page"}
        return _render(
            request,
            "queue.html",
            user,
            page=page,
            pages=pages,
            filters=filters,
            query=urlencode(query),
        )

    @app.get("/export.csv", include_in_schema=False, name="page_export")
    def page_export(user: User, filters: Filters) -> Response:
        return _csv(svc.export_csv(user, filters))

    @app.get("/flags/{flag_id}", response_class=HTMLResponse, include_in_schema=False, name="page_flag")
    def page_flag(request: Request, user: User, flag_id: str, error: str = "") -> Response:
        detail = svc.flag_detail(user, flag_id)
        t = words(_language(request, user))
        return _render(
            request,
            "flag.html",
            user,
            detail=detail,
            flag=detail["flag"],
            grid=_flag_grid(detail, t),
            evidence=json.dumps(detail["flag"]["evidence"], ensure_ascii=False, indent=1),
            error=error[:300],
            can_work=user.role in WORKERS,
            can_lead=user.role in LEADS,
        )

    @app.post("/flags/{flag_id}/action", include_in_schema=False, name="page_flag_action")
    def page_flag_action(
        request: Request,
        user: User,
        flag_id: str,
        action: Annotated[str, Form(max_length=20)],
        disposition: Annotated[str, Form(max_length=30)] = "",
        note: Annotated[str, Form(max_length=4000)] = "",
        body: Annotated[str, Form(max_length=4000)] = "",
        assignee: Annotated[str, Form(max_length=60)] = "",
    ) -> Response:
        operations: dict[str, Callable[[], Any]] = {
            "claim": lambda: svc.claim(user, flag_id),
            "release": lambda: svc.release(user, flag_id),
            "comment": lambda: svc.comment(user, flag_id, body),
            "close": lambda: svc.close(user, [flag_id], disposition, note),
            "reopen": lambda: svc.reopen(user, flag_id, note),
            "reassign": lambda: svc.reassign(user, flag_id, assignee),
        }
        if action not in operations:
            raise HTTPException(422, f"unknown action {action!r}")
        target = f"{request.scope.get('root_path', '')}/flags/{flag_id}"
        try:
            operations[action]()
        except ReviewError as exc:
            if exc.status == 404:
                raise
            return RedirectResponse(f"{target}?{urlencode({'error': str(exc)})}", status_code=303)
        return RedirectResponse(target, status_code=303)

    @app.post("/bulk-close", include_in_schema=False, name="page_bulk_close")
    async def page_bulk_close(request: Request, user: User) -> Response:
        form = await request.form()
        flag_ids = [str(v) for v in form.getlist("flag_id")][:1000]
        svc.close(user, flag_ids, str(form.get("disposition", "")), str(form.get("note", "")))
        return RedirectResponse(request.scope.get("root_path", "") + "/", status_code=303)

    @app.get("/dashboard", response_class=HTMLResponse, include_in_schema=False, name="page_dashboard")
    def page_dashboard(request: Request, user: User) -> Response:
        data = svc.dashboard(user)
        top = max(data["open_by_rule"].values(), default=1)
        return _render(request, "dashboard.html", user, data=data, top=top)

    @app.get("/audit", response_class=HTMLResponse, include_in_schema=False, name="page_audit")
    def page_audit(
        request: Request,
        user: User,
        actor: Annotated[str | None, Query(max_length=60)] = None,
        flag_id: Annotated[str | None, Query(max_length=20)] = None,
        page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    ) -> Response:
        entries = svc.audit_entries(user, actor or None, flag_id or None, page)
        return _render(request, "audit.html", user, entries=entries, page=page)

    unguarded = [getattr(route, "name", "?") for route in app.routes if getattr(route, "name", "?") not in ACCESS]
    if unguarded:
        raise RuntimeError(f"routes without an access rule in timpora.review.app.ACCESS: {unguarded}")
    for route in app.routes:
        if isinstance(route, APIRoute) and ACCESS[route.name] is not PUBLIC and not _takes_user(route):
            raise RuntimeError(f"route {route.name} has an access rule but does not depend on guard()")
    return app


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
