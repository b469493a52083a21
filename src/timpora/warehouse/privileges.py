"""Least privilege in production: the app and the DAG tasks must not run as the owner.

Migrations run as the schema's owner (``TIMPORA_WAREHOUSE_OWNER_URL``); everything else
connects as a login granted ``timpora_runtime`` (``sql/views/grants/runtime_role``), which
owns nothing. A process that finds itself connected as a superuser, as an owner, or able
to change the audit log refuses to go on in production, naming what is wrong.
"""

from __future__ import annotations

from functools import lru_cache

from timpora.config import ConfigError, Settings, get_settings
from timpora.warehouse.db import query_sql, warehouse_engine


def least_privilege_problems(settings: Settings | None = None) -> list[str]:
    """What the warehouse login may do that a runtime role must not (empty: nothing)."""
    settings = settings or get_settings()
    with warehouse_engine(settings).connect() as conn:
        row = query_sql(conn, "security/least_privilege")[0]
    problems = []
    if row.superuser:
        problems.append(f"{row.login} is a superuser")
    if row.owned:
        problems.append(f"{row.login} owns {row.owned} table(s) or view(s) of the warehouse")
    if row.audit_writable:
        problems.append(f"{row.login} may UPDATE or DELETE audit_log")
    return problems


@lru_cache(maxsize=8)
def _checked(settings: Settings) -> tuple[str, ...]:
    return tuple(least_privilege_problems(settings))


def require_least_privilege(settings: Settings | None = None, who: str = "this process") -> None:
    """In production on PostgreSQL, refuse a login with more rights than the runtime role
    (checked once per process and URL)."""
    settings = settings or get_settings()
    if not settings.production or settings.warehouse_dialect != "postgresql":
        return
    problems = _checked(settings)
    if problems:
        raise ConfigError(
            f"{who} refuses to run in production as a privileged database login: "
            + "; ".join(problems)
            + ". Connect TIMPORA_WAREHOUSE_URL as a login granted timpora_runtime, and run migrations "
            "with TIMPORA_WAREHOUSE_OWNER_URL (see docs/OPERATIONS.md)."
        )
