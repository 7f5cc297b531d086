"""``deidc.workers.run_parallel``: any work in worker processes, results in input order, inherited objects frozen."""

from __future__ import annotations

import gc
import os

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
