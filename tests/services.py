"""Real services the tests start and stop themselves (see :mod:`timpora.localstack`)."""

from __future__ import annotations

from timpora.localstack import AirflowStack, CeleryStack, SeaweedS3, free_port, wait_for

__all__ = ["AirflowStack", "CeleryStack", "SeaweedS3", "free_port", "wait_for"]
