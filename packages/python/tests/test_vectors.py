"""The shared vectors (tests/vectors/revocation.json), through ``check`` and ``is_revoked``."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from cognito_revocation import RevocationCheck

from .conftest import FakeTable, decision, vector_cases

CASES = vector_cases()
OPTION_NAMES = {"cacheSeconds": "cache_seconds", "onLookupError": "on_lookup_error"}


def test_the_vector_file_has_at_least_20_cases() -> None:
    assert len(CASES) >= 20


def _options(case: dict[str, Any]) -> dict[str, Any]:
    return {OPTION_NAMES[k]: v for k, v in case.get("options", {}).items()}


@pytest.mark.parametrize("entry", ["check", "is_revoked"])
@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_vector(case: dict[str, Any], entry: str) -> None:
    table = FakeTable(case["table"])
    now = [0.0]
    build = lambda: RevocationCheck("cutoffs", client=table, clock=lambda: now[0], **_options(case))  # noqa: E731
    if "construction" in case:
        assert case["construction"] == "error:config"
        with pytest.raises((TypeError, ValueError)):
            build()
        return
    check = build()
    for i, step in enumerate(case["steps"]):
        now[0] = step["clock"]
        if "table" in step:
            table.state = step["table"]
        claims = step["claims"]
        run = (lambda: check.check(claims)) if entry == "check" else (lambda: check.is_revoked(claims))
        n = step.get("concurrent", 1)
        if n == 1:
            outcomes = [decision(run)]
        else:
            outcomes = _concurrently(table, n, run)
        assert outcomes == [step["expect"]] * n, f"step {i}"
        assert table.lookups == step["lookups"], f"GetItem requests after step {i}"
    table.before_answer = None


def _concurrently(table: FakeTable, n: int, run: Any) -> list[str]:
    """``n`` checks on ``n`` threads, the table's answers held until every thread has started
    its check (and a little longer, for each to reach the lookup)."""
    started = threading.Semaphore(0)
    everyone = threading.Event()
    holder = threading.Lock()

    def hold() -> None:
        if holder.acquire(blocking=False):
            for _ in range(n):
                started.acquire()
            time.sleep(0.1)
            everyone.set()
        everyone.wait()

    table.before_answer = hold

    def one(_: int) -> str:
        started.release()
        return decision(run)

    with ThreadPoolExecutor(max_workers=n) as pool:
        outcomes = list(pool.map(one, range(n)))
    table.before_answer = None
    return outcomes
