"""Shared set-up of the review tests: users of every role and scope, and literal flags."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from timpora.config import get_settings
from timpora.review import service as svc
from timpora.warehouse.db import warehouse_engine

PASSWORD = "rahasia-sekali-2024"
# username -> (role, region scope)
USERS = {
    "reviewer": ("reviewer", "16"),
    "reviewer_city": ("reviewer", "16.71"),
    "supervisor": ("supervisor", "16"),
    "analyst": ("analyst", "16"),
    "admin": ("admin", "16"),
    "reviewer_jakarta": ("reviewer", "31"),
}
REGION_OF = {"16": ("16.71", "16"), "16.72": ("16.72", "16"), "31": ("31.74", "31")}


def create_users() -> None:
    for username, (role, scope) in USERS.items():
        svc.save_user(username, PASSWORD, role, scope, display_name=username.replace("_", " ").title())


def make_flag(
    flag_id: str,
    where: str = "16",
    *,
    rule: str = "NO_VALID_PERMIT",
    status: str = "OPEN",
    assignee: str | None = None,
    priority: int = 450,
    passport: str = "A12345678",
    reason_id: str = "Tamu tanpa izin tinggal.",
    first_night: str = "2024-10-02",
) -> str:
    region_code, province = REGION_OF[where]
    evidence = {
        "stay": {"report_id": f"R-{flag_id}", "passport_number": passport, "passport_number_as_typed": passport},
        "mrz": {"line1": "P<AUSSMITH<<ANN<<<<<<<<<<<<<<<<<<<<<<<<<<<<<<", "line2": passport + "<0AUS"},
        "nights": {"first": first_night, "last": first_night, "count": 1},
    }
    now = datetime(2024, 10, 3, 6, 0)
    row: dict[str, Any] = {
        "flag_id": flag_id,
        "rule_code": rule,
        "subject_key": f"{passport}|R-{flag_id}",
        "person_key": passport,
        "severity": "HIGH",
        "priority": priority,
        "status": status,
        "passport_number": passport,
        "nationality": "AUS",
        "report_ids": json.dumps([f"R-{flag_id}"]),
        "lodging_id": "LDG-167101",
        "region_code": region_code,
        "province_code": province,
        "first_night": first_night,
        "last_night": first_night,
        "night_count": 1,
        "reason_id": reason_id,
        "reason_en": "Guest without a stay permit.",
        "evidence": json.dumps(evidence),
        "evidence_hash": "e" * 32,
        "material_hash": "m" * 32,
        "rule_version": "test",
        "raised_at": now,
        "updated_at": now,
        "assignee": assignee,
        "closed_at": now if status == "CLOSED" else None,
        "disposition": "FALSE_POSITIVE" if status == "CLOSED" else None,
    }
    with warehouse_engine(get_settings()).begin() as conn:
        conn.execute(sa.text(f"INSERT INTO flag ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})"), row)
    return flag_id


def flag_state(flag_id: str) -> tuple[str, str | None, str | None]:
    with warehouse_engine(get_settings()).connect() as conn:
        row = conn.execute(
            sa.text("SELECT status, assignee, disposition FROM flag WHERE flag_id = :f"), {"f": flag_id}
        ).one()
    return row[0], row[1], row[2]


def client(app: Any, **options: Any) -> Any:
    """A test client over HTTPS, as production serves the app (its cookies are Secure)."""
    from fastapi.testclient import TestClient

    return TestClient(app, base_url="https://testserver", **options)
