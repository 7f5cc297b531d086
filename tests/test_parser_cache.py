"""The parser cache (``deidc.syntax_cache``): a loaded parser parses exactly as a built one, and a
damaged file, a folder that cannot be written or ``DEIDC_NO_PARSER_CACHE=1`` make deidc build
the parsers as before, without a word."""

from __future__ import annotations

import dataclasses
import gc
import os
import pickle
import subprocess
import sys
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import lark
import pytest
from lark import Lark, Token, Tree

from deidc import syntax, syntax_cache
from deidc.syntax import parse

ROOT = Path(__file__).resolve().parents[1]
DEID_DEFAULT = resources.files("deid") / "data" / "deid.dicom"

#: lines that do not parse, to put into good recipes (every kind of syntax error, and recovery after it)
BAD_LINES = ("REPLACE\n", 'ADD PatientName "unterminated\n', "%header extra words here\n", "coordinates 1,2\n",
             "SPLIT PatientID by=;minlength\n", "REPLACE PatientID deid_func:jitter days\n", "((((\n",
             "LABEL\n", "+ contains\n", "\ufeffREMOVE\n")


def recipes() -> dict[str, str]:
    """Return every recipe of the tests and examples, deid's and deidc's shipped ones, and broken copies."""
    paths = sorted((ROOT / "tests" / "recipes").glob("*.deid"))
    paths += sorted((ROOT / "examples").glob("*/deid*"))
    found = {str(p.relative_to(ROOT)): p.read_text(encoding="utf-8") for p in paths}
    for name in ("deid.dicom", "deid.dicom.ultrasound", "deid.dicom.xray.chest"):
        found[f"deid/{name}"] = (resources.files("deid") / "data" / name).read_text(encoding="utf-8")
    found["deidc/deid.dicom"] = (resources.files("deidc") / "data" / "recipes" / "deid.dicom").read_text("utf-8")
    for name in ("deid/deid.dicom", "examples/deid/deid.dicom-groups"):
        lines = found[name].splitlines(keepends=True)
        for i, bad in enumerate(BAD_LINES):
            lines.insert((i * 37) % len(lines), bad)
        found[f"{name} (broken)"] = "".join(lines)
    return found


RECIPES = recipes()


def flat(node: Any) -> list[object]:
    """Return a parse tree as a list that holds every node, token and position (Lark's ``==`` ignores positions)."""
    if isinstance(node, Token):
        return [node.type, str(node), node.line, node.column, node.end_line, node.end_column, node.start_pos,
                node.end_pos]
    if isinstance(node, Tree):
        meta = node.meta
        where = () if meta.empty else (meta.line, meta.column, meta.end_line, meta.end_column, meta.start_pos,
                                       meta.end_pos)
        return [str(node.data), where, [flat(child) for child in node.children]]
    return [repr(node)]


def everything(parsed: syntax.Parsed) -> tuple[object, ...]:
    """Return all of a parse's result, spans included (the AST's ``==`` ignores spans)."""
    return dataclasses.astuple(parsed.recipe), tuple(dataclasses.astuple(d) for d in parsed.diagnostics)


def fresh_parsers() -> None:
    """Forget the parsers and the parsed fields of this process: the next parse gets them again."""
    syntax.recipe_parser.cache_clear()
    syntax.field_parser.cache_clear()
    syntax._field_node.cache_clear()


class NoBuild(Lark):
    """Stands for Lark in the cache module when a test requires the parsers to be loaded, not built."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        raise AssertionError("the parser was built, not loaded from the cache")


@pytest.fixture
def parsers_again() -> Iterator[None]:
    fresh_parsers()
    yield
    fresh_parsers()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parsers_again: None) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(syntax_cache.DIR_ENV, str(folder))
    monkeypatch.delenv(syntax_cache.DISABLE_ENV, raising=False)
    return folder


def cache_files(folder: Path) -> list[Path]:
    return sorted(folder.glob("parser-*.pickle")) if folder.is_dir() else []


def parse_all() -> dict[str, tuple[object, ...]]:
    return {name: everything(parse(text, name)) for name, text in RECIPES.items()}


def test_a_loaded_parser_parses_every_recipe_as_a_built_one(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as m:
        m.setenv(syntax_cache.DISABLE_ENV, "1")
        built = parse_all()
        built_trees = {name: flat(syntax.recipe_parser().parse(text)) for name, text in RECIPES.items()
                       if "broken" not in name and not name.startswith("tests/recipes/DEID0")}
    assert cache_files(cache) == []
    assert len(built_trees) > 30
    fresh_parsers()
    assert parse_all() == built  # built, then saved
    assert [p.name.split("-")[1] for p in cache_files(cache)] == ["deid", "field"]
    fresh_parsers()
    monkeypatch.setattr(syntax_cache, "Lark", NoBuild)
    loaded = parse_all()  # loaded
    assert loaded == built
    assert {name: flat(syntax.recipe_parser().parse(RECIPES[name])) for name in built_trees} == built_trees
    assert sum(len(d) for _, d in built.values()) > len(BAD_LINES)  # the broken recipes did test the errors


def test_the_cache_is_written_once_and_read_after(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parse("%header\nREMOVE PatientID\n")
    files = {p: p.stat().st_mtime_ns for p in cache_files(cache)}
    assert len(files) == 2
    assert all(p.stat().st_mode & 0o077 == 0 for p in files)  # private to the user
    fresh_parsers()
    monkeypatch.setattr(syntax_cache, "Lark", NoBuild)
    parse("%header\nREMOVE PatientID\n")
    assert {p: p.stat().st_mtime_ns for p in cache_files(cache)} == files
    assert [p.name for p in cache.iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize("damage", ["garbage", "empty", "truncated", "header only", "wrong key", "code"])
def test_a_damaged_cache_file_is_ignored_and_replaced(damage: str, cache: Path, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capfd: pytest.CaptureFixture[str]) -> None:
    text = RECIPES["deid/deid.dicom (broken)"]
    expected = everything(parse(text))
    files = cache_files(cache)
    good = {p: p.read_bytes() for p in files}
    marker = tmp_path / "code-ran"
    damaged = {}
    for path in files:
        header, rest = good[path].split(b"\n", 1)
        damaged[path] = {
            "garbage": b"\x00\x01 not a pickle \xff" * 10,
            "empty": b"",
            "truncated": good[path][: len(good[path]) // 2],
            "header only": header + b"\n",
            "wrong key": header[:-4] + b"0000\n" + rest,
            "code": header + b"\n" + pickle.dumps(Marker(str(marker))),
        }[damage]
        path.write_bytes(damaged[path])
    fresh_parsers()
    assert everything(parse(text)) == expected
    assert not marker.exists()  # a forged file cannot run code
    assert all(p.read_bytes() != damaged[p] for p in files)  # built again, saved again ...
    fresh_parsers()
    monkeypatch.setattr(syntax_cache, "Lark", NoBuild)
    assert everything(parse(text)) == expected  # ... and good again
    assert capfd.readouterr() == ("", "")


class Marker:
    """A pickle that would make a folder when loaded, if the loader ran what a pickle names."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return os.mkdir, (self.path,)


@pytest.mark.parametrize("enabled", [True, False])
def test_loading_leaves_the_garbage_collector_as_it_was(enabled: bool, cache: Path) -> None:
    parse("%header\nREMOVE PatientID\n")
    fresh_parsers()
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        parse("%header\nREMOVE PatientID\n")
        assert gc.isenabled() is enabled
        for path in cache_files(cache):
            path.write_bytes(b"damaged")
        fresh_parsers()
        parse("%header\nREMOVE PatientID\n")
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


def test_load_parser_returns_none_for_what_it_cannot_load(tmp_path: Path) -> None:
    assert syntax_cache.load_parser(tmp_path / "missing.pickle", "0" * 64) is None
    assert syntax_cache.load_parser(tmp_path, "0" * 64) is None  # a folder


def test_a_cache_folder_that_cannot_be_made_means_building(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           parsers_again: None,
                                                           capfd: pytest.CaptureFixture[str]) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("in the way", encoding="utf-8")
    monkeypatch.setenv(syntax_cache.DIR_ENV, str(blocker / "cache"))
    text = RECIPES["examples/deid/deid.dicom-groups"]
    assert everything(parse(text)) == everything(parse(text))
    assert parse(text).recipe.sections
    assert blocker.read_text(encoding="utf-8") == "in the way"
    assert capfd.readouterr() == ("", "")


def test_a_cache_folder_that_refuses_writes_means_building(cache: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capfd: pytest.CaptureFixture[str]) -> None:
    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(13, "Permission denied")  # what a read-only folder says (root is never refused)

    monkeypatch.setattr(syntax_cache.tempfile, "mkstemp", refuse)
    assert parse("%header\nREMOVE PatientID\n").recipe.sections
    assert not cache.exists() or list(cache.iterdir()) == []
    assert capfd.readouterr() == ("", "")


def test_save_parser_says_when_it_could_not_write(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("", encoding="utf-8")
    parser = syntax.field_parser()
    assert not syntax_cache.save_parser(parser, blocker / "parser-x.pickle", "0" * 64)
    assert syntax_cache.save_parser(parser, tmp_path / "sub" / "parser-x.pickle", "0" * 64)
    assert syntax_cache.load_parser(tmp_path / "sub" / "parser-x.pickle", "0" * 64) is not None
    assert syntax_cache.load_parser(tmp_path / "sub" / "parser-x.pickle", "1" * 64) is None


@pytest.mark.parametrize("value", ["1", "yes", "true"])
def test_the_environment_variable_turns_the_cache_off(value: str, cache: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(syntax_cache.DISABLE_ENV, value)
    assert syntax_cache.cache_dir() is None
    assert parse("%header\nREMOVE PatientID\n").recipe.sections
    assert not cache.exists()


def test_the_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(syntax_cache.DISABLE_ENV, "0")  # 0 is "not off"
    monkeypatch.setenv(syntax_cache.DIR_ENV, str(tmp_path / "mine"))
    assert syntax_cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv(syntax_cache.DIR_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert syntax_cache.cache_dir() == tmp_path / "xdg" / "deidc"
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", "relative/is/ignored")
        monkeypatch.setenv("HOME", str(tmp_path / "home"))
        assert syntax_cache.cache_dir() == tmp_path / "home" / ".cache" / "deidc"


def test_the_key_changes_with_what_the_saved_parser_depends_on(monkeypatch: pytest.MonkeyPatch) -> None:
    options = {"parser": "lalr", "maybe_placeholders": True}
    key = syntax_cache.cache_key("start: A\nA: \"a\"\n", options)
    assert key == syntax_cache.cache_key("start: A\nA: \"a\"\n", dict(reversed(options.items())))
    others = [syntax_cache.cache_key("start: A\nA: \"b\"\n", options),
              syntax_cache.cache_key("start: A\nA: \"a\"\n", {**options, "maybe_placeholders": False}),
              syntax_cache.cache_key("start: A\nA: \"a\"\n", options, {"propagate_positions": print})]
    monkeypatch.setattr(lark, "__version__", "0.0.1")
    others.append(syntax_cache.cache_key("start: A\nA: \"a\"\n", options))
    assert len({key, *others}) == 5


def test_a_fresh_process_writes_the_cache_then_reads_it(tmp_path: Path) -> None:
    env = {**os.environ, syntax_cache.DIR_ENV: str(tmp_path / "cache")}
    env.pop(syntax_cache.DISABLE_ENV, None)
    code = ("import sys, deidc.compiler as c; p = sys.argv[1]; "
            "assert c.compile_recipe(open(p, encoding='utf-8').read(), path=p).plan is not None")

    def run() -> None:
        done = subprocess.run([sys.executable, "-c", code, str(DEID_DEFAULT)], env=env, capture_output=True,
                              text=True, check=False)
        assert (done.returncode, done.stdout, done.stderr) == (0, "", "")

    run()
    files = {p: p.stat().st_mtime_ns for p in cache_files(tmp_path / "cache")}
    assert len(files) == 2
    run()
    assert {p: p.stat().st_mtime_ns for p in cache_files(tmp_path / "cache")} == files
    for path in files:
        path.write_bytes(b"damaged")
    run()
    assert all(p.read_bytes() != b"damaged" for p in files)
