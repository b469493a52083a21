"""N reviewers claiming the same flags at the same moment: every flag ends with one holder."""

from __future__ import annotations

import random
import threading
from collections import Counter
from typing import Any

import sqlalchemy as sa

from tests.review_support import PASSWORD, make_flag
from timpora.config import get_settings
from timpora.review import service as svc
from timpora.warehouse.db import warehouse_engine

REVIEWERS = 8
FLAGS = 25


def test_concurrent_claims_leave_each_flag_with_one_holder(warehouse: str) -> None:
    names = [f"petugas{i}" for i in range(REVIEWERS)]
    for name in names:
        svc.save_user(name, PASSWORD, "reviewer", "16")
    users = [svc.authenticate(name, PASSWORD) for name in names]
    flags = [make_flag(f"FC{i:08d}") for i in range(FLAGS)]
    start = threading.Barrier(REVIEWERS)
    wins: Counter[tuple[str, str]] = Counter()
    refusals = Counter[str]()
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(index: int) -> None:
        user = users[index]
        assert user is not None
        order = flags[:]
        random.Random(index).shuffle(order)
        start.wait()
        for flag_id in order:
            try:
                svc.claim(user, flag_id)
            except svc.ReviewError as exc:
                assert exc.status == 409, exc
                with lock:
                    refusals[flag_id] += 1
            except BaseException as exc:
                errors.append(exc)
            else:
                with lock:
                    wins[(flag_id, user.username)] += 1

    threads = [threading.Thread(target=work, args=(i,)) for i in range(REVIEWERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    holders = Counter(flag_id for flag_id, _ in wins)
    assert holders == Counter({flag_id: 1 for flag_id in flags})
    assert all(refusals[flag_id] == REVIEWERS - 1 for flag_id in flags)
    with warehouse_engine(get_settings()).connect() as conn:
        stored: dict[str, Any] = dict(
            conn.execute(sa.text("SELECT flag_id, assignee FROM flag WHERE flag_id LIKE 'FC%'")).all()
        )
        claims = conn.execute(
            sa.text("SELECT flag_id, COUNT(*) FROM flag_event WHERE kind = 'CLAIMED' GROUP BY flag_id")
        ).all()
    assert stored == {flag_id: user for flag_id, user in wins}
    assert {flag_id: count for flag_id, count in claims} == {flag_id: 1 for flag_id in flags}
