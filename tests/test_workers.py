"""``deidc.workers.run_parallel``: any work in worker processes, results in input order, inherited objects frozen."""

from __future__ import annotations

import gc
import os
import time

import pytest

from deidc.workers import run_parallel


def _work(path: str, relative: str) -> tuple[str, int, int]:
    """Say which process did a file, and how many objects its collector leaves alone (frozen)."""
    return relative, os.getpid(), gc.get_freeze_count()


def _setup() -> object:
    return _work


def _died(path: str, relative: str, pid: int | None, how: str) -> tuple[str, int, int]:
    raise AssertionError(f"no worker should die ({relative}: {how})")


def test_results_come_back_in_input_order_from_worker_processes() -> None:
    inputs = [(f"/in/{n}", f"{n}") for n in range(60)]
    results = list(run_parallel(_setup, _died, inputs, 2))  # type: ignore[arg-type]
    assert [relative for relative, _, _ in results] == [relative for _, relative in inputs]
    assert {pid for _, pid, _ in results} - {os.getpid()}  # done elsewhere
    assert os.getpid() not in {pid for _, pid, _ in results}


def test_a_worker_freezes_what_it_inherited_so_the_collector_never_copies_it() -> None:
    results = list(run_parallel(_setup, _died, [("/in/a", "a")], 1))  # type: ignore[arg-type]
    assert results[0][2] > 1000  # the parent's modules and objects, frozen in the worker
    assert gc.get_freeze_count() == 0  # the parent's own collector is left as it was


def _slow(path: str, relative: str) -> tuple[str, int, int]:
    """Take (nearly) for ever on a file named ``hang*``: a worker stuck in a library."""
    if relative.startswith("hang"):
        time.sleep(600)
    return relative, os.getpid(), 0


def _slow_setup() -> object:
    return _slow


def _stopped(path: str, relative: str, pid: int | None, how: str) -> tuple[str, int, int]:
    return f"stopped {relative}: {how}", pid or 0, 0


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_file_that_takes_longer_than_the_limit_is_stopped_and_the_others_go_on(jobs: int) -> None:
    inputs = [(f"/in/{name}", name) for name in ["a", "b", "hang", "c", "d", "e", "f"]]
    start = time.monotonic()
    results = list(run_parallel(_slow_setup, _stopped, inputs, jobs, limit=0.5))  # type: ignore[arg-type]
    assert time.monotonic() - start < 30  # not the 600 s of the stuck file
    assert [r[0] for r in results] == ["a", "b", "stopped hang: stopped after the time limit of 0.5 s per file",
                                       "c", "d", "e", "f"]
    assert len({pid for name, pid, _ in results if not name.startswith("stopped")}) >= 2  # the worker was replaced


def test_files_within_the_limit_are_not_stopped() -> None:
    inputs = [(f"/in/{n}", f"{n}") for n in range(20)]
    results = list(run_parallel(_setup, _died, inputs, 2, limit=30))  # type: ignore[arg-type]
    assert [r[0] for r in results] == [str(n) for n in range(20)]


def _tenth(path: str, relative: str) -> tuple[str, int, int]:
    time.sleep(0.1)
    return relative, os.getpid(), 0


def _tenth_setup() -> object:
    return _tenth


def test_the_limit_is_per_file_not_per_task() -> None:
    """Tasks grow to 8 files of 0.1 s (0.8 s): above a 0.5 s limit, which no single file reaches."""
    inputs = [(f"/in/{n}", f"{n}") for n in range(16)]
    results = list(run_parallel(_tenth_setup, _died, inputs, 1, limit=0.5))  # type: ignore[arg-type]
    assert [r[0] for r in results] == [str(n) for n in range(16)]
