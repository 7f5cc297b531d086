"""Parsing and compiling pause Python's cyclic garbage collector, and always leave it as they found it."""

from __future__ import annotations

import gc

import pytest

import deidc.compiler
from deidc.compiler import compile_recipe
from deidc.syntax import parse

RECIPE = "FORMAT dicom\n%header\nREMOVE PatientName\nREPLACE PatientID var:id\nREMOVE NoSuchKeyword\n"


def test_compiling_leaves_an_enabled_collector_enabled() -> None:
    assert gc.isenabled()
    assert compile_recipe(RECIPE).plan is not None
    parse(RECIPE)
    assert gc.isenabled()


def test_compiling_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    try:
        compile_recipe(RECIPE)
        parse(RECIPE)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_a_compile_that_fails_restores_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(parsed: object) -> None:
        assert not gc.isenabled()  # paused while it runs
        raise RuntimeError("boom")

    monkeypatch.setattr(deidc.compiler, "_compile_sources", broken)
    with pytest.raises(RuntimeError):
        compile_recipe(RECIPE)
    assert gc.isenabled()


def test_a_compile_leaves_no_cyclic_garbage() -> None:
    compile_recipe(RECIPE)  # parsers loaded, caches warm
    gc.collect()
    gc.disable()
    try:
        compile_recipe(RECIPE + "".join(f"REMOVE Keyword{i}\n" for i in range(50)))
        found = gc.collect()
    finally:
        gc.enable()
    assert found == 0
