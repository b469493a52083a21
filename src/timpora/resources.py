"""Locating the project's non-Python files: SQL, expectation suites, DAGs, plugins, config.

In a source checkout (the normal, editable install) they are the top-level folders of
the repository, so an edit to a ``.sql`` file takes effect without reinstalling. A wheel
carries copies under ``timpora/_bundled``.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def source_checkout_root() -> Path | None:
    """The repository root when running from a source checkout, else ``None``."""
    candidate = _PACKAGE_DIR.parent.parent
    if (candidate / "pyproject.toml").is_file() and (candidate / "sql").is_dir():
        return candidate
    return None


def project_dir(name: str) -> Path:
    """Top-level project folder ``name`` (``sql``, ``expectations``, ``dags``, ...)."""
    root = source_checkout_root()
    if root is not None:
        return root / name
    return _PACKAGE_DIR / "_bundled" / name


def package_data(*parts: str) -> Path:
    """A file shipped inside the package (reference data)."""
    return _PACKAGE_DIR.joinpath(*parts)
