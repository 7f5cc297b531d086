"""``deidc.batch.run_batch`` with a worker pool when a worker process dies: the batch goes on, nothing is lost.

A file named ``crash*`` kills the worker process that processes it (the patch of
``deidc.batch.process_file`` is inherited by the forked workers). Every batch runs in a
thread that must finish within :data:`LIMIT` seconds, so a batch that hangs fails the test.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

import pydicom
import pytest

import deidc.batch
import deidc.dicom.utils
from deidc.batch import BatchOptions, FileResult, run_batch
from deidc.config import DeidRecipe
from deidc.plan import Plan

VARIABLES = {"id": "new-cookie-id", "source_id": "new-operator-id"}
LIMIT = 60  #: seconds a batch may take before the test calls it hung (they take well under one)


@pytest.fixture(scope="module")
def plan(groups_recipe: str) -> Plan:
    return DeidRecipe(groups_recipe).plan


def _kill() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def _exit() -> None:
    os._exit(3)


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Patch ``process_file``: log ``pid name`` of every file a worker starts; ``crash*`` files kill the worker.

    ``crash-exit*`` files end it with exit code 3, other ``crash*`` files with SIGKILL.
    """
    path = tmp_path / "log.txt"
    real = deidc.batch.process_file

    def dying(plan: Plan, file: str, relative: str, options: BatchOptions, matcher: object) -> FileResult:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{os.getpid()} {relative}\n")
        if relative.startswith("crash-exit"):
            _exit()
        if relative.startswith("crash"):
            _kill()
        return real(plan, file, relative, options, matcher)  # type: ignore[arg-type]

    monkeypatch.setattr(deidc.batch, "process_file", dying)
    return path


def _files(sources: list[str], folder: Path, count: int, crashers: dict[int, str]) -> list[tuple[str, str]]:
    """``count`` copies of the source files; the ones at the positions of ``crashers`` get those names."""
    folder.mkdir()
    items = []
    for number in range(count):
        target = folder / crashers.get(number, f"f{number:04d}.dcm")
        shutil.copyfile(sources[number % len(sources)], target)
        items.append((str(target), target.name))
    return items


def _run(plan: Plan, items: Iterable[tuple[str, str]], options: BatchOptions, jobs: int = 2,
         consume: Callable[[FileResult], None] | None = None) -> list[FileResult]:
    """Run the batch in a thread and return its results; fail if it has not finished within :data:`LIMIT`."""
    results: list[FileResult] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            for result in run_batch(plan, items, options, jobs):
                results.append(result)
                if consume is not None:
                    consume(result)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(LIMIT)
    assert not thread.is_alive(), f"the batch hung: {len(results)} results after {LIMIT} s"
    assert errors == []
    return results


def _starts(log: Path) -> list[tuple[int, str]]:
    """``(pid, file name)`` of every file a worker started, in order."""
    return [(int(pid), name) for pid, name in (line.split() for line in log.read_text().splitlines())]


def _check(results: list[FileResult], items: list[tuple[str, str]], out: Path, signals: dict[str, str]) -> None:
    """One result per input, in order; the crashers failed as their worker died (how: ``signals``); the rest written."""
    assert [r.path for r in results] == [path for path, _ in items]
    for result, (_, name) in zip(results, items, strict=True):
        if name in signals:
            assert (result.ok, result.code, result.output) == (False, "DEID403", None)
            assert result.reason == f"the worker process died while processing this file ({signals[name]})"
        else:
            assert result.ok and result.output == str(out / name) and not result.skipped, result
    assert sorted(p.name for p in out.iterdir()) == sorted(name for _, name in items if name not in signals)


def test_a_file_that_kills_its_worker_in_the_middle_of_a_task_fails_and_the_others_are_written(
    plan: Plan, cookies: list[str], tmp_path: Path, log: Path,
) -> None:
    items = _files(cookies, tmp_path / "in", 40, {17: "crash.dcm"})  # tasks of 1, 1, 2, 2, 4, 4, 8: 14..21
    out = tmp_path / "out"
    results = _run(plan, items, BatchOptions(output=str(out), variables=VARIABLES))
    _check(results, items, out, {"crash.dcm": "killed by signal SIGKILL"})


def test_every_file_is_started_once_and_the_dead_worker_is_replaced(
    plan: Plan, cookies: list[str], tmp_path: Path, log: Path,
) -> None:
    items = _files(cookies, tmp_path / "in", 60, {17: "crash.dcm"})
    out = tmp_path / "out"
    workers: list[int] = []  # live workers when each result after the crash is yielded

    def count(result: FileResult) -> None:
        if workers or not result.ok:
            workers.append(len(multiprocessing.active_children()))

    _run(plan, items, BatchOptions(output=str(out), variables=VARIABLES), consume=count)
    starts = _starts(log)
    assert sorted(name for _, name in starts) == sorted(name for _, name in items)  # none redone, none lost
    assert len({pid for pid, _ in starts}) == 3  # two workers, and one that replaced the dead one
    assert workers == [2] * (60 - 17)


def test_a_crash_on_the_first_file_does_not_stop_the_batch(
    plan: Plan, cookies: list[str], tmp_path: Path, log: Path,
) -> None:
    items = _files(cookies, tmp_path / "in", 12, {0: "crash.dcm"})
    out = tmp_path / "out"
    results = _run(plan, items, BatchOptions(output=str(out), variables=VARIABLES))
    _check(results, items, out, {"crash.dcm": "killed by signal SIGKILL"})


@pytest.mark.parametrize(("crashers", "jobs"), [
    ({5: "crash-a.dcm", 30: "crash-exit-b.dcm"}, 2),  # in different tasks
    ({18: "crash-a.dcm", 19: "crash-exit-b.dcm"}, 2),  # one after the other in the same task
    ({0: "crash-a.dcm", 1: "crash-exit-b.dcm"}, 2),  # every worker dies at once
    ({3: "crash-a.dcm", 4: "crash-exit-b.dcm"}, 3),  # tasks of 1, 1, 1, 2: the fourth is two crashers
], ids=["apart", "same-task", "all-workers", "three-jobs"])
def test_two_crashing_files_fail_with_how_their_worker_ended_and_the_rest_are_written(
    crashers: dict[int, str], jobs: int, plan: Plan, cookies: list[str], tmp_path: Path, log: Path,
) -> None:
    items = _files(cookies, tmp_path / "in", 40, crashers)
    out = tmp_path / "out"
    results = _run(plan, items, BatchOptions(output=str(out), variables=VARIABLES), jobs=jobs)
    a, b = crashers.values()
    _check(results, items, out, {a: "killed by signal SIGKILL", b: "exit code 3"})
    assert sorted(name for _, name in _starts(log)) == sorted(name for _, name in items)


def test_inputs_are_still_read_lazily_a_bounded_window_ahead_after_crashes(
    plan: Plan, tmp_path: Path, log: Path,
) -> None:
    pulled = 0

    def inputs() -> Iterator[tuple[str, str]]:  # (missing) files that fail fast, and a few crashers
        nonlocal pulled
        for number in range(2000):
            pulled += 1
            name = f"crash{number}.dcm" if number % 400 == 7 else f"missing{number}.dcm"
            yield str(tmp_path / name), name

    ahead: list[int] = []
    results = _run(plan, inputs(), BatchOptions(variables=VARIABLES),
                   consume=lambda _: ahead.append(pulled - len(ahead) - 1))
    assert len(results) == pulled == 2000 and max(ahead) < 200
    died = [r.path for r in results if "worker process died" in (r.reason or "")]
    assert died == [str(tmp_path / f"crash{n}.dcm") for n in range(7, 2000, 400)]
    assert all(r.reason and r.reason.startswith("cannot read as DICOM") for r in results if r.path not in died)


def test_a_worker_killed_from_outside_costs_at_most_the_file_in_hand(
    plan: Plan, cookies: list[str], tmp_path: Path,
) -> None:
    items = _files(cookies, tmp_path / "in", 60, {})
    out = tmp_path / "out"

    def kill_a_worker(result: FileResult) -> None:
        if result.path == items[3][0]:
            pid = multiprocessing.active_children()[0].pid
            assert pid is not None
            os.kill(pid, signal.SIGKILL)  # as the out-of-memory killer would

    results = _run(plan, items, BatchOptions(output=str(out), variables=VARIABLES), consume=kill_a_worker)
    assert [r.path for r in results] == [path for path, _ in items]
    failed = [r for r in results if not r.ok]
    assert len(failed) <= 1
    assert all(r.reason == "the worker process died while processing this file (killed by signal SIGKILL)"
               for r in failed)
    written = {p.name for p in out.iterdir() if not p.name.startswith(".")}  # SIGKILL may cut a write short
    assert {name for path, name in items if path not in {r.path for r in failed}} <= written
    assert written <= {name for _, name in items}  # the file in hand may have been written just before


def test_closing_a_batch_after_a_worker_died_stops_every_worker(
    plan: Plan, cookies: list[str], tmp_path: Path, log: Path,
) -> None:
    items = _files(cookies, tmp_path / "in", 200, {0: "crash.dcm"})
    out = tmp_path / "out"
    batch = run_batch(plan, items, BatchOptions(output=str(out), variables=VARIABLES), jobs=2)
    first = next(batch)
    assert (first.ok, first.code) == (False, "DEID403")
    batch.close()
    assert multiprocessing.active_children() == []
    assert [p.name for p in out.rglob(".deidc-*")] == []  # a worker writing a file finished it
    written = list(out.glob("*"))
    assert len(written) < 199
    assert all(pydicom.dcmread(p).PatientID == "new-cookie-id" for p in written)


def test_a_worker_killed_while_writing_leaves_no_temporary_file(
    plan: Plan, cookies: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = deidc.dicom.utils.save  # what write_atomic writes with

    def dying(dataset: pydicom.dataset.Dataset, stream: BinaryIO) -> None:
        if "crash" in str(getattr(dataset, "filename", "")):  # the temporary file exists by now: die writing it
            with open(tmp_path / "parts.txt", "a", encoding="utf-8") as handle:  # what it writes, and if it is seen
                handle.write(f"{stream.name} {os.path.exists(stream.name)}\n")
            _kill()
        real(dataset, stream)

    monkeypatch.setattr(deidc.dicom.utils, "save", dying)
    items = _files(cookies, tmp_path / "in", 12, {5: "crash.dcm", 9: "crash-2.dcm"})
    out = tmp_path / "out"
    results = _run(plan, items, BatchOptions(output=str(out), variables=VARIABLES))
    parts = [line.rsplit(" ", 1) for line in (tmp_path / "parts.txt").read_text().splitlines()]
    # it did die mid-write: into a named temporary file, or (Linux) a file with no name yet, its output's to be
    assert len(parts) == 2 and all(Path(name).name.startswith(".deidc-") and seen == "True"
                                   or Path(name).name.startswith("crash") and seen == "False" for name, seen in parts)
    _check(results, items, out, {"crash.dcm": "killed by signal SIGKILL", "crash-2.dcm": "killed by signal SIGKILL"})


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_file_that_takes_longer_than_the_limit_fails_and_the_batch_goes_on(
    plan: Plan, cookies: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: int,
) -> None:
    real = deidc.batch.process_file

    def stuck(plan: Plan, file: str, relative: str, options: BatchOptions, matcher: object) -> FileResult:
        if relative.startswith("crash"):  # stuck (in a library, say): only a kill ends it
            time.sleep(600)
        return real(plan, file, relative, options, matcher)  # type: ignore[arg-type]

    monkeypatch.setattr(deidc.batch, "process_file", stuck)  # inherited by the forked workers
    items = _files(cookies, tmp_path / "in", 9, {4: "crash.dcm"})
    out = tmp_path / "out"
    results: list[FileResult] = []
    thread = threading.Thread(target=lambda: results.extend(
        run_batch(plan, items, BatchOptions(output=str(out), variables=VARIABLES), jobs, limit=1)), daemon=True)
    thread.start()
    thread.join(LIMIT)
    assert not thread.is_alive(), "the batch waited for the stuck file"
    _check(results, items, out, {"crash.dcm": "stopped after the time limit of 1 s per file"})
