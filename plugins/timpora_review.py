"""Registers the TIMPORA review app with Airflow: mounted under /timpora, with a nav link.

Airflow does not authenticate plugin apps; the review app has its own login, roles and
region scopes. Building the app opens no connection (the warehouse is reached per request).
"""

from __future__ import annotations

from typing import Any

from airflow.plugins_manager import AirflowPlugin

from timpora.review.app import create_app

URL_PREFIX = "/timpora"


class TimporaReviewPlugin(AirflowPlugin):
    name = "timpora_review"
    # Plain class attributes, as AirflowPlugin declares them (a ClassVar would not override them).
    fastapi_apps: list[Any] = [  # noqa: RUF012
        {"app": create_app(), "url_prefix": URL_PREFIX, "name": "TIMPORA review queue"}
    ]
    # Relative href: Airflow may itself be served under a path.
    external_views: list[Any] = [  # noqa: RUF012
        {
            "name": "TIMPORA review queue",
            "href": "timpora/",
            "destination": "nav",
            "category": "browse",
            "url_route": "timpora_review",
        }
    ]
