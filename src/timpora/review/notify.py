"""Telling reviewers and supervisors about flags: in the app and by e-mail.

After each reconcile (the reconcile DAG's last task, or ``timpora review notify``):

* a new HIGH flag nobody has claimed, or any open flag in a monitoring window, notifies
  the active reviewers and supervisors whose scope covers it;
* a flag past its deadline (``review.deadline_hours``) notifies its region's supervisors
  once, with an ``ESCALATED`` event on the flag and an audit row (escalation);
* idle claims are released first (:func:`timpora.review.service.expire_claims`).

Each person is told of a flag once per kind (the table's key), so reruns tell nobody
twice. E-mail goes through the relay of ``TIMPORA_SMTP_HOST`` (one message per flag, or
one digest per run for users with ``notify_digest``), and says nothing personal: the
rule, severity, region and flag id, and a link to the app, where the person logs in to
see the rest. Without a relay the notifications wait in the app.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from timpora.config import Settings, SmtpSettings, get_settings
from timpora.review import service as svc
from timpora.review.i18n import rule_name, term
from timpora.review.panels import region_name
from timpora.rules.config import Severity, load_rules_config
from timpora.warehouse.db import query_sql, run_sql

log = logging.getLogger(__name__)

WORKER_ROLES = ["reviewer", "supervisor"]
SUPERVISOR_ROLES = ["supervisor"]
# How far back a HIGH or window flag is still "new" on a first run over an old warehouse.
NEW_FOR = timedelta(days=2)
KIND_TEXT = {
    "NEW_HIGH": ("Flag baru tingkat tinggi", "New high-severity flag"),
    "WINDOW": ("Flag dalam masa pengawasan", "Flag in a monitoring window"),
    "OVERDUE": ("Flag lewat tenggat", "Flag past its deadline"),
}


@dataclass
class NotifyResult:
    claims_released: list[str] = field(default_factory=list)
    told: dict[str, int] = field(default_factory=dict)
    escalated: list[str] = field(default_factory=list)
    emails_sent: int = 0
    email_failures: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "claims_released": len(self.claims_released),
            "told": self.told,
            "escalated": len(self.escalated),
            "emails_sent": self.emails_sent,
            "email_failures": self.email_failures,
        }


def run(settings: Settings | None = None, now: datetime | None = None) -> NotifyResult:
    """Release idle claims, record who is told of what, escalate breaches, send e-mail."""
    settings = settings or get_settings()
    now = now or svc.now_utc()
    result = NotifyResult(claims_released=svc.expire_claims(settings, now=now))
    result.told, result.escalated = collect(settings, now)
    result.emails_sent, result.email_failures = send(settings, now)
    log.info("notifications: %s", result.as_dict())
    return result


def collect(settings: Settings, now: datetime) -> tuple[dict[str, int], list[str]]:
    """Record the notifications this moment calls for, in one transaction, set-based: one
    ``INSERT ... SELECT`` per kind (per monitoring window for WINDOW)."""
    config = load_rules_config(settings.rules_config)
    deadlines = config.review.deadline_hours
    base: dict[str, Any] = {
        "now": now,
        "raised_after": now - NEW_FOR,
        "window_from": None,
        "window_until": None,
        "window_regions": [""],
        "high_due_before": now - timedelta(hours=deadlines[Severity.HIGH]),
        "medium_due_before": now - timedelta(hours=deadlines[Severity.MEDIUM]),
        "low_due_before": now - timedelta(hours=deadlines[Severity.LOW]),
    }
    told: dict[str, int] = {}
    with svc._tx(settings) as conn:
        told["NEW_HIGH"] = run_sql(
            conn, "review/notify/collect", {**base, "kind": "NEW_HIGH", "user_roles": WORKER_ROLES}
        )[0]
        told["WINDOW"] = 0
        for window in config.monitoring_windows:
            told["WINDOW"] += run_sql(
                conn,
                "review/notify/collect",
                {
                    **base,
                    "kind": "WINDOW",
                    "user_roles": WORKER_ROLES,
                    "window_from": window.date_from,
                    "window_until": window.date_until,
                    "window_regions": list(window.region_prefixes),
                },
            )[0]
        told["OVERDUE"] = run_sql(
            conn, "review/notify/collect", {**base, "kind": "OVERDUE", "user_roles": SUPERVISOR_ROLES}
        )[0]
        escalated = [row.flag_id for row in query_sql(conn, "review/notify/escalated", {"now": now})]
        for flag_id in escalated:
            svc._event(conn, flag_id, "ESCALATED", "system", "tenggat terlewati / deadline passed")
            svc._audit(conn, "system", "ESCALATED", flag_id, {"to": "supervisors of the region"})
    return told, escalated


def send(settings: Settings, now: datetime) -> tuple[int, int]:
    """E-mail what is not yet sent: (messages sent, messages that failed and wait for the
    next run). Without a relay configured, nothing is sent and nothing is lost."""
    if settings.smtp is None:
        return 0, 0
    with svc._engine(settings).connect() as conn:
        pending = list(query_sql(conn, "review/notify/unsent", {}))
    by_user: dict[str, list[Any]] = {}
    for row in pending:
        by_user.setdefault(row.username, []).append(row)
    sent = failed = 0
    for username, rows in by_user.items():
        batches = [rows] if rows[0].notify_digest else [[row] for row in rows]
        for batch in batches:
            message = _message(settings, batch)
            try:
                _deliver(settings.smtp, message)
            except (OSError, smtplib.SMTPException) as exc:
                log.error("notification e-mail to %s failed (kept for the next run): %s", username, exc)
                failed += 1
                continue
            with svc._tx(settings) as conn:
                run_sql(
                    conn,
                    "review/notify/mark_sent",
                    {"now": now, "username": username, "flag_ids": sorted({row.flag_id for row in batch})},
                )
            sent += 1
    return sent, failed


def _message(settings: Settings, rows: list[Any]) -> EmailMessage:
    language = rows[0].language if rows[0].language in ("id", "en") else "id"
    position = 0 if language == "id" else 1
    lines = []
    for row in rows:
        lines.append(
            f"- {KIND_TEXT[row.kind][position]}: {rule_name(row.rule_code, language)}, "
            f"{term('severity', row.severity, language)}, {region_name(row.region_code)}\n"
            f"  {settings.review_url}/flags/{row.flag_id}"
        )
    if len(rows) == 1:
        subject = f"TIMPORA: {KIND_TEXT[rows[0].kind][position]} · {rule_name(rows[0].rule_code, language)}"
    else:
        subject = f"TIMPORA: {len(rows)} " + ("pemberitahuan flag" if language == "id" else "flag notifications")
    intro = (
        "Flag berikut menunggu Anda di antrean pemeriksaan TIMPORA (masuk untuk melihat rinciannya):"
        if language == "id"
        else "These flags wait for you in the TIMPORA review queue (log in to see the details):"
    )
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp.sender if settings.smtp else "timpora@localhost"
    message["To"] = rows[0].email
    message.set_content(intro + "\n\n" + "\n".join(lines) + "\n")
    return message


def _deliver(smtp: SmtpSettings, message: EmailMessage) -> None:
    with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
        if smtp.starttls:
            client.starttls()
        if smtp.user:
            client.login(smtp.user, smtp.password or "")
        client.send_message(message)


# --- in the app ---------------------------------------------------------------------------------


def unread_count(user: svc.Reviewer, settings: Settings | None = None) -> int:
    with svc._engine(settings).connect() as conn:
        return int(query_sql(conn, "review/notify/unread_count", {"username": user.username})[0][0])


def listing(user: svc.Reviewer, settings: Settings | None = None) -> list[dict[str, Any]]:
    with svc._engine(settings).connect() as conn:
        rows = query_sql(conn, "review/notify/list", {"username": user.username})
    return [dict(row._mapping) for row in rows]


def mark_read(user: svc.Reviewer, flag_id: str | None = None, settings: Settings | None = None) -> None:
    with svc._tx(settings) as conn:
        run_sql(conn, "review/notify/mark_read", {"username": user.username, "flag_id": flag_id, "now": svc.now_utc()})
