"""The review application (FastAPI): served standalone or mounted in Airflow by the plugin."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from timpora.config import get_settings


def create_app() -> FastAPI:
    """The review app."""
    app = FastAPI(title="TIMPORA review queue", version="0.1.0")

    @app.get("/healthz", tags=["operations"])
    def healthz() -> dict[str, Any]:
        """Liveness and the warehouse the app reads."""
        return {"status": "ok", "warehouse": get_settings().warehouse_dialect}

    return app
