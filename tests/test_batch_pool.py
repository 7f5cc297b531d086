"""``deidc.batch.run_batch`` with a worker pool: order, failures, lazy inputs, change records, stopping early."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pydicom
import pytest

from deidc.batch import CHANGE_KEYS, BatchOptions, FileResult, iter_inputs, run_batch
from deidc.config import DeidRecipe
from deidc.plan import Plan
from deidc.runtime import execute

VARIABLES = {"id": "new-cookie-id", "source_id": "new-operator-id"}
#: how many inputs a two-job batch may have read beyond the results the caller has taken
#: (a few small tasks per worker; the real window is smaller)
AHEAD = 200


@pytest.fixture(scope="module")
def plan(groups_recipe: str) -> Plan:
    return DeidRecipe(groups_recipe).plan


@pytest.fixture(scope="module")
def default_plan() -> Plan:
    return DeidRecipe("dicom").plan


def _copies(sources: list[str], folder: Path, count: int) -> list[tuple[str, str]]:
    """Copy the source files round-robin into ``count`` files (different names, the same contents)."""
    folder.mkdir()
    items = []
    for number in range(count):
        target = folder / f"f{number:04d}.dcm"
        shutil.copyfile(sources[number % len(sources)], target)
        items.append((str(target), target.name))
    return items


def _leftovers(root: Path) -> list[str]:
    return [p.name for p in root.rglob(".deidc-*")]


def test_two_jobs_yield_one_result_per_file_in_input_order(plan: Plan, cookies: list[str], tmp_path: Path) -> None:
    items = _copies(cookies, tmp_path / "in", 60)
    out = tmp_path / "out"
    results = list(run_batch(plan, items, BatchOptions(output=str(out), variables=VARIABLES), jobs=2))
    assert [r.path for r in results] == [path for path, _ in items]
    assert all(r.ok and r.output == str(out / name) for r, (_, name) in zip(results, items, strict=True))
    assert sorted(p.name for p in out.iterdir()) == [name for _, name in items]


def test_a_bad_file_in_the_middle_does_not_stop_a_two_job_batch(
    plan: Plan, cookies: list[str], tmp_path: Path,
) -> None:
    items = _copies(cookies, tmp_path / "in", 20)
    broken = tmp_path / "in" / "broken.dcm"
    broken.write_bytes(b"this is not DICOM")
    missing = tmp_path / "in" / "missing.dcm"
    items[7:7] = [(str(broken), broken.name), (str(missing), missing.name)]
    out = tmp_path / "out"
    results = list(run_batch(plan, items, BatchOptions(output=str(out), variables=VARIABLES), jobs=2))
    assert [r.path for r in results] == [path for path, _ in items]
    assert [(r.path, r.code) for r in results if not r.ok] == [(str(broken), "DEID403"), (str(missing), "DEID403")]
    assert all("cannot read as DICOM" in (r.reason or "") for r in results if not r.ok)
    assert len(list(out.iterdir())) == 20
    assert _leftovers(out) == []


@pytest.mark.parametrize("jobs", [1, 2])
def test_an_unexpected_error_in_one_file_is_that_files_failure(
    jobs: int, plan: Plan, cookies: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    items = _copies(cookies, tmp_path / "in", 6)
    real = execute

    def flaky(plan: Plan, dataset: pydicom.Dataset, *args: object, **kwargs: object) -> object:
        if str(dataset.filename).endswith("f0002.dcm"):
            raise RuntimeError("a bug in one file's path")
        return real(plan, dataset, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("deidc.batch.execute", flaky)  # forked workers inherit the patch
    results = list(run_batch(plan, items, BatchOptions(variables=VARIABLES), jobs=jobs))
    assert [r.ok for r in results] == [True, True, False, True, True, True]
    assert (results[2].code, results[2].reason) == ("DEID403", "unexpected RuntimeError: a bug in one file's path")


def test_two_jobs_read_the_inputs_lazily_a_bounded_window_ahead(plan: Plan, tmp_path: Path) -> None:
    pulled = 0

    def inputs() -> Iterator[tuple[str, str]]:  # a long stream of (missing) files: each fails fast
        nonlocal pulled
        for number in range(3000):
            pulled += 1
            yield str(tmp_path / f"missing{number}.dcm"), f"missing{number}.dcm"

    seen = []
    for taken, result in enumerate(run_batch(plan, inputs(), BatchOptions(variables=VARIABLES), jobs=2), 1):
        seen.append(pulled - taken)
        if taken in (1, 500):
            time.sleep(0.3)  # a slow consumer: the batch must not run on ahead of it
            seen.append(pulled - taken)
        assert not result.ok
    assert taken == pulled == 3000
    assert seen[0] < AHEAD and max(seen) < AHEAD


def test_change_records_are_the_same_with_one_and_two_jobs(
    default_plan: Plan, cookies: list[str], humans: list[str], tmp_path: Path,
) -> None:
    items = _copies([*humans, *cookies], tmp_path / "in", 30)
    variables = {"entity_id": "E1", "item_id": "I1", "entity_timestamp": "20200101", "item_timestamp": "20200102"}
    runs = {}
    for jobs in (1, 2):
        out = tmp_path / f"out{jobs}"
        options = BatchOptions(output=str(out), variables=variables, record_values=True)
        runs[jobs] = list(run_batch(default_plan, items, options, jobs=jobs))
    one, two = runs[1], runs[2]
    assert [r.changes for r in one] == [r.changes for r in two]
    assert [(r.path, r.counts, r.change_rows) for r in one] == [(r.path, r.counts, r.change_rows) for r in two]
    assert all(r.ok and len(r.changes) > 10 for r in one) and sum(len(r.changes) for r in one) > 800
    assert any(c["before"] is not None for c in one[0].changes)


def test_changes_are_dicts_keyed_as_before_and_original_values_only_when_asked(
    plan: Plan, cookies: list[str],
) -> None:
    items = list(iter_inputs(cookies[:1]))
    [plain] = run_batch(plan, items, BatchOptions(variables=VARIABLES))
    [valued] = run_batch(plan, items, BatchOptions(variables=VARIABLES, record_values=True))
    assert all(list(c) == list(CHANGE_KEYS[:5]) for c in plain.changes)
    assert all(list(c) == list(CHANGE_KEYS) for c in valued.changes)
    [patient] = [c for c in valued.changes if c["keyword"] == "PatientID"]
    assert (patient["element"], patient["action"], patient["after"]) == ("(0010,0020)", "REPLACE", "new-cookie-id")
    assert patient["before"] == pydicom.dcmread(cookies[0]).PatientID
    assert plain.changes is plain.changes  # built once
    assert replace(plain, skipped=True).changes == plain.changes
    assert FileResult("x", False).changes == ()


def test_a_dry_run_says_where_each_file_would_go_and_which_would_be_skipped(
    plan: Plan, cookies: list[str], tmp_path: Path,
) -> None:
    items = list(iter_inputs(cookies[:2]))
    out = tmp_path / "out"
    out.mkdir()
    (out / items[1][1]).write_bytes(b"already there")
    results = list(run_batch(plan, items, BatchOptions(output=str(out), variables=VARIABLES, dry_run=True)))
    assert [(r.ok, r.output, r.skipped, r.code) for r in results] == [
        (True, str(out / items[0][1]), False, None), (True, str(out / items[1][1]), True, "DEID404")]
    assert sorted(p.name for p in out.iterdir()) == [items[1][1]]
    assert (out / items[1][1]).read_bytes() == b"already there"


def test_closing_a_two_job_batch_early_leaves_complete_outputs_and_no_temporary_file(
    plan: Plan, cookies: list[str], tmp_path: Path,
) -> None:
    items = _copies(cookies, tmp_path / "in", 300)
    out = tmp_path / "out"
    batch = run_batch(plan, items, BatchOptions(output=str(out), variables=VARIABLES), jobs=2)
    first = next(batch)
    assert first.ok
    batch.close()  # as when the caller stops (or Ctrl-C): the pool is terminated mid-batch
    assert _leftovers(out) == []
    written = list(out.iterdir())
    assert 1 <= len(written) < 300
    assert all(pydicom.dcmread(p).PatientID == "new-cookie-id" for p in written)


def test_outputs_do_not_depend_on_what_a_worker_saw_before(humans: list[str], tmp_path: Path) -> None:
    """An element only read (not changed) is written as it was read, whether or not an earlier file decoded it."""
    from deidc.batch import BatchOptions, process_file
    from deidc.compiler import compile_recipe
    from deidc.runtime import Matcher

    text = "FORMAT dicom\n%header\nREMOVE contains:NoSuchName\nREMOVE PatientID\n"  # names: read once per identity
    plan = compile_recipe(text, path="<recipe>").plan
    first, second = humans[0], humans[1]
    fresh = process_file(plan, second, "fresh.dcm", BatchOptions(output=str(tmp_path)), Matcher())
    used = Matcher()
    process_file(plan, first, "warm-up.dcm", BatchOptions(output=str(tmp_path)), used)
    again = process_file(plan, second, "used.dcm", BatchOptions(output=str(tmp_path)), used)
    assert fresh.ok and again.ok
    assert (tmp_path / "fresh.dcm").read_bytes() == (tmp_path / "used.dcm").read_bytes()


@pytest.mark.parametrize("jobs", [1, 2])
def test_a_batch_without_change_rows_sends_the_counts_only(plan: Plan, cookies: list[str], tmp_path: Path,
                                                           jobs: int) -> None:
    items = _copies(cookies, tmp_path / "in", 6)
    with_rows = list(run_batch(plan, items, BatchOptions(output=str(tmp_path / "a"), variables=VARIABLES), jobs=jobs))
    counts_only = list(run_batch(plan, items, BatchOptions(output=str(tmp_path / "b"), variables=VARIABLES,
                                                           change_rows=False), jobs=jobs))
    assert all(r.change_rows and sum(r.counts.values()) == len(r.change_rows) for r in with_rows)
    assert [r.counts for r in counts_only] == [r.counts for r in with_rows]
    assert all(r.change_rows == () and r.changes == () for r in counts_only)
    assert sorted(p.read_bytes() for p in (tmp_path / "b").iterdir()) == sorted(
        p.read_bytes() for p in (tmp_path / "a").iterdir())
