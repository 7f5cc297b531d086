"""A batch raises the garbage collector's threshold while it processes a file, and puts it back."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from deidc import batch
from deidc.batch import BatchOptions, FileResult
from deidc.runtime.collector import FILE_THRESHOLD, few_collections


@pytest.fixture(autouse=True)
def _thresholds() -> Iterator[None]:
    before, enabled = gc.get_threshold(), gc.isenabled()
    gc.set_threshold(700, 10, 10)
    gc.enable()
    yield
    gc.set_threshold(*before)
    if not enabled:
        gc.disable()


def test_the_threshold_is_raised_inside_and_put_back_after() -> None:
    with few_collections():
        assert gc.get_threshold() == (FILE_THRESHOLD, 10, 10)
        assert gc.isenabled()
    assert gc.get_threshold() == (700, 10, 10)


def test_it_is_put_back_after_an_exception() -> None:
    with pytest.raises(RuntimeError), few_collections():
        raise RuntimeError("a failed file")
    assert gc.get_threshold() == (700, 10, 10)


def test_a_nested_block_changes_nothing() -> None:
    with few_collections():
        with few_collections():
            assert gc.get_threshold()[0] == FILE_THRESHOLD
        assert gc.get_threshold()[0] == FILE_THRESHOLD  # still the outer block's
    assert gc.get_threshold() == (700, 10, 10)


def test_a_disabled_collector_or_a_higher_threshold_is_left_alone() -> None:
    gc.disable()
    try:
        with few_collections():
            assert gc.get_threshold() == (700, 10, 10) and not gc.isenabled()
    finally:
        gc.enable()
    gc.set_threshold(50_000, 10, 10)
    with few_collections():
        assert gc.get_threshold() == (50_000, 10, 10)
    assert gc.get_threshold() == (50_000, 10, 10)


def test_a_threshold_set_inside_the_block_is_kept() -> None:
    with few_collections():
        gc.set_threshold(1234, 5, 5)
    assert gc.get_threshold() == (1234, 5, 5)


def test_a_batch_processes_each_file_with_the_raised_threshold(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[int] = []

    def process(plan: object, path: str, relative: str, options: object, matcher: object) -> FileResult:
        seen.append(gc.get_threshold()[0])
        return FileResult(path, True)

    monkeypatch.setattr(batch, "process_file", process)
    results = list(batch.run_batch(None, [("a.dcm", "a.dcm"), ("b.dcm", "b.dcm")], BatchOptions()))  # type: ignore[arg-type]
    assert [r.ok for r in results] == [True, True]
    assert seen == [FILE_THRESHOLD, FILE_THRESHOLD]
    assert gc.get_threshold() == (700, 10, 10)
