"""The change record (``Execution.changes``): a ChangeLog that makes its Change objects when first read.

The runtime notes each change compactly; the log must give exactly the changes the
runtime made, in order, the same whether read as changes, as actions or as the batch's
text rows, and make no ``Change`` (nor uid string) unless asked.
"""

from __future__ import annotations

import copy
import dataclasses

import pydicom
import pytest
import samples
from pydicom.data import get_testdata_file

from deidc.config import DeidRecipe
from deidc.runtime import Change, ChangeLog, Matcher, execute
from deidc.runtime import changes as changes_module
from deidc.runtime.walk import Entry, keyword_of

FILES = ["CT_small.dcm", "MR_small.dcm", "rtplan.dcm", "JPEG2000.dcm"]


def _run(recipe: str, name: str, record_values: bool = True, reuse_raw: bool = False) -> ChangeLog:
    dataset = pydicom.dcmread(get_testdata_file(name))
    plan = DeidRecipe(str(samples.RECIPE_PATHS[recipe])).plan
    return execute(plan, dataset, dict(samples.VARIABLES), matcher=Matcher(), record_values=record_values,
                   reuse_raw=reuse_raw).changes


@pytest.fixture(scope="module")
def logs() -> dict[tuple[str, str, bool], ChangeLog]:
    return {(recipe, name, reuse): _run(recipe, name, reuse_raw=reuse)
            for recipe in samples.RECIPE_PATHS for name in FILES for reuse in (False, True)}


def test_the_log_holds_every_change_in_order_with_its_fields(logs: dict[tuple[str, str, bool], ChangeLog]) -> None:
    log = logs[("groups", "CT_small.dcm", False)]
    assert isinstance(log, ChangeLog)
    changes = list(log)
    assert len(log) == len(changes) > 5
    assert all(isinstance(c, Change) for c in changes)
    first = changes[0]
    assert (first.uid, first.action) == ("(0012,0062)", "ADD")  # the recipe's first step: ADD PatientIdentityRemoved
    assert first.keyword == "PatientIdentityRemoved" and first.after == "Yes" and first.before is None
    assert first.address == (0x00120062,) and first.vr == "CS" and not first.filemeta
    assert first.origin == f"{samples.RECIPE_PATHS['groups']}:14"
    assert all(c.after is None for c in changes if c.action == "REMOVE")


def test_actions_and_rows_read_the_same_record_as_the_changes(logs: dict[tuple[str, str, bool], ChangeLog]) -> None:
    for key, log in logs.items():
        changes = list(log)
        assert list(log.actions()) == [c.action for c in changes], key
        assert list(log.rows(False)) == [
            (c.uid, c.keyword, c.action, c.origin, None if c.after is None else str(c.after)) for c in changes], key
        assert list(log.rows(True)) == [
            (c.uid, c.keyword, c.action, c.origin, None if c.after is None else str(c.after),
             None if c.before is None else str(c.before)) for c in changes], key


def test_values_before_are_kept_only_when_asked() -> None:
    kept = _run("groups", "CT_small.dcm", record_values=True)
    dropped = _run("groups", "CT_small.dcm", record_values=False)
    assert [c.uid for c in kept] == [c.uid for c in dropped]
    assert any(c.before is not None for c in kept)
    assert all(c.before is None for c in dropped)
    assert [dataclasses.replace(c, before=None) for c in kept] == list(dropped)


def test_no_change_is_made_until_the_log_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    made: list[object] = []
    real = changes_module._change

    def counting(noted: changes_module.Noted) -> Change:
        made.append(noted)
        return real(noted)

    monkeypatch.setattr(changes_module, "_change", counting)
    log = _run("default", "CT_small.dcm")
    count = len(log)
    assert count > 10 and not made
    assert len(list(log.actions())) == count and len(list(log.rows(True))) == count and not made
    assert log[0] == log[0] and log[-1] is log[-1]
    assert len(made) == count  # all made once, at the first read, then kept
    list(log)
    assert len(made) == count


def test_the_log_reads_like_a_list_of_changes(logs: dict[tuple[str, str, bool], ChangeLog]) -> None:
    log = logs[("expanders", "MR_small.dcm", True)]
    changes = list(log)
    assert log == changes and changes == list(log)
    assert log == ChangeLog(log._noted)  # another log of the same notes
    assert log != changes[:-1] and log != tuple(changes) and log != "changes"
    assert log[1:3] == changes[1:3] and log[-1] == changes[-1]
    assert repr(log) == repr(changes)
    assert changes[2] in log and log.index(changes[2]) == 2
    assert list(reversed(log)) == changes[::-1]
    with pytest.raises(TypeError):
        hash(log)
    assert ChangeLog() == [] and len(ChangeLog()) == 0 and list(ChangeLog().rows(True)) == []


def test_a_log_is_the_same_whether_the_raw_elements_are_reused_or_not(
        logs: dict[tuple[str, str, bool], ChangeLog]) -> None:
    for recipe in samples.RECIPE_PATHS:
        for name in FILES:
            plain, reused = logs[(recipe, name, False)], logs[(recipe, name, True)]
            assert [(c.uid, c.action, c.origin, c.address) for c in plain] == [
                (c.uid, c.action, c.origin, c.address) for c in reused], (recipe, name)


def test_the_log_names_nested_elements_by_their_full_uid() -> None:
    dataset = pydicom.dcmread(get_testdata_file("rtplan.dcm"))
    plan = DeidRecipe(str(samples.RECIPE_PATHS["expanders"])).plan
    log = execute(plan, copy.deepcopy(dataset), dict(samples.VARIABLES), matcher=Matcher()).changes
    nested = [c for c in log if len(c.address) > 1]
    assert nested
    for change in nested:
        parts = change.uid.split("__")
        assert len(parts) == len(change.address)
        assert parts[-1] == f"({change.address[-1] >> 16:04X},{change.address[-1] & 0xFFFF:04X})"
        assert [int(p) for p in parts[1::2]] == list(change.address[1::2])


def test_rows_of_elements_removed_as_records_name_them_as_the_changes_do() -> None:
    plan = DeidRecipe(str(samples.RECIPE_PATHS["expanders"])).plan
    matcher = Matcher()
    for name in ("reportsi.dcm", "reportsi.dcm"):  # the second time, what only removals select stays a record
        dataset = pydicom.dcmread(get_testdata_file(name))
        log = execute(plan, dataset, dict(samples.VARIABLES), matcher=matcher, record_values=False,
                      reuse_raw=True).changes
    assert any(not isinstance(noted[0], Entry) for noted in log._noted)
    assert list(log.rows(False)) == [
        (c.uid, c.keyword, c.action, c.origin, None if c.after is None else str(c.after)) for c in log]
    nested = [c for c in log if len(c.address) > 1 and c.action == "REMOVE"]
    assert nested and all(c.keyword == keyword_of(c.address[-1]) for c in nested)
