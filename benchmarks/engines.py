"""One measurement in a fresh process: an engine × a corpus folder × a recipe.

The runner (``run.py``) starts this module once per measurement, so each engine pays its
own imports, starts with cold caches, and its peak memory (``ru_maxrss``) is its own:

    python benchmarks/engines.py --engine deidc --corpus DIR --recipe expanders --result out.json

Engines: ``floor`` (``dcmread`` + ``save_as``, no change), ``deid`` (deid 0.4.13's
``DicomParser`` per file), ``deidc`` (read + ``execute`` + save, one ``Matcher`` and one
plan for the batch; the file written by the batch's writer, :func:`deidc.runtime.writer.save`),
``deidc-save_as`` (the same, written by pydicom's ``save_as``), ``batch1``/``batch2``/...
(``deidc.batch.run_batch`` with N jobs).
Only the loop over the files is timed; the recipe is loaded before it. One file is read
and written before the clock starts, for every engine, so lazy imports inside pydicom are
not charged to the first engine that happens to need them.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import logging
import os
import resource
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from importlib import resources
from pathlib import Path

import pydicom

__all__ = ["RECIPES", "VARIABLES", "measure", "recipe_paths"]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: var: values given to every engine and every file (each recipe uses some of them)
VARIABLES: dict[str, str] = {
    "id": "SUBJ-0001", "source_id": "SRC-0001",  # the groups example and deid.expanders
    "entity_timestamp": "20200101", "item_timestamp": "20200102",  # deid's default recipe
    "entity_id": "ENTITY-0001", "item_id": "ITEM-0001",
}

#: name → (what deid runs, what deidc runs); a tag is a shipped recipe, anything else a path
RECIPES: dict[str, tuple[str, str]] = {
    "groups": (str(ROOT / "examples/deid/deid.dicom-groups"), str(ROOT / "examples/deid/deid.dicom-groups")),
    "expanders": (str(HERE / "recipes/deid.expanders"), str(HERE / "recipes/deid.expanders")),
    "default": ("dicom", "dicom"),  # each engine's own default: deid's deid.dicom, deidc's PS3.15 E.1-1
    "deid-default": ("dicom", "<deid>/deid.dicom"),  # deid's default for both
}


def deid_default_path() -> str:
    """Return the path of deid's own default recipe (``deid/data/deid.dicom``)."""
    return str(Path(str(resources.files("deid"))) / "data" / "deid.dicom")


def recipe_paths(name: str) -> tuple[str, str]:
    """Return (deid's recipe, deidc's recipe) for a recipe name or a recipe file path."""
    deid_recipe, deidc_recipe = RECIPES.get(name, (name, name))
    return deid_recipe, deidc_recipe.replace("<deid>/deid.dicom", deid_default_path())


def _files(corpus: str, limit: int | None) -> list[tuple[str, str]]:
    from deidc.batch import iter_inputs

    found = list(iter_inputs([corpus]))
    return found if limit is None else found[:limit]


Loop = Callable[[list[tuple[str, str]], str, float], tuple[int, int]]
_FIRST: list[float] = []  #: when the first file of the timed loop was done


def _first() -> None:
    if not _FIRST:
        _FIRST.append(time.perf_counter())


def _floor(recipe: str) -> Loop:
    def loop(files: list[tuple[str, str]], out: str, budget: float) -> tuple[int, int]:
        for path, name in files:
            pydicom.dcmread(path).save_as(os.path.join(out, name))
            _first()
        return len(files), 0
    return loop


def _deid(recipe: str) -> Loop:
    from deid.config import DeidRecipe
    from deid.dicom.parser import DicomParser

    loaded = DeidRecipe(recipe)  # loaded once and passed as an object: deid then skips re-reading it

    def loop(files: list[tuple[str, str]], out: str, budget: float) -> tuple[int, int]:
        done = failed = 0
        start = time.perf_counter()
        for path, name in files:
            if done and time.perf_counter() - start > budget:
                break
            done += 1
            try:
                parser = DicomParser(path, recipe=loaded)
                for key, value in VARIABLES.items():
                    parser.define(key, value)
                parser.parse()
                parser.dicom.save_as(os.path.join(out, name))
            except Exception:  # noqa: BLE001 - deid raises anything; a batch would log and go on
                failed += 1
            _first()
        return done, failed
    return loop


def _deidc(recipe: str, pydicom_writer: bool = False) -> Loop:
    from deidc.config import DeidRecipe
    from deidc.runtime import Matcher, execute

    def save_as(dataset: pydicom.Dataset, target: str) -> None:
        dataset.save_as(target, enforce_file_format=False)

    save = save_as
    if not pydicom_writer:
        with contextlib.suppress(ImportError):  # the batch's writer (the bytes of save_as); older deidc: save_as
            from deidc.runtime.writer import save

    few_collections: Callable[[], contextlib.AbstractContextManager[None]] = contextlib.nullcontext
    with contextlib.suppress(ImportError):  # as a batch runs each file; older deidc: the collector as it is
        from deidc.runtime.collector import few_collections
    read: Callable[[str], pydicom.Dataset] = pydicom.dcmread
    with contextlib.suppress(ImportError):  # the batch's reader (what dcmread reads); older deidc: dcmread
        from deidc.runtime.reader import read

    plan = DeidRecipe(recipe).plan

    def one(path: str, target: str, matcher: Matcher) -> None:
        dataset = read(path)
        execute(plan, dataset, dict(VARIABLES), matcher=matcher, record_values=False, reuse_raw=True)
        save(dataset, target)

    def loop(files: list[tuple[str, str]], out: str, budget: float) -> tuple[int, int]:
        matcher = Matcher()
        for path, name in files:
            with few_collections():
                one(path, os.path.join(out, name), matcher)
            _first()
        return len(files), 0
    return loop


def _batch(recipe: str, jobs: int) -> Loop:
    from deidc.batch import BatchOptions, run_batch
    from deidc.config import DeidRecipe

    plan = DeidRecipe(recipe).plan

    def options(out: str) -> BatchOptions:
        """As ``deidc run -o OUT`` (no --record: the change records stay in the workers; older deidc: sent)."""
        try:
            return BatchOptions(output=out, variables=VARIABLES, change_rows=False)  # type: ignore[call-arg]
        except TypeError:
            return BatchOptions(output=out, variables=VARIABLES)

    def loop(files: list[tuple[str, str]], out: str, budget: float) -> tuple[int, int]:
        done = failed = 0
        for result in run_batch(plan, files, options(out), jobs=jobs):
            done += 1
            failed += not result.ok
            _first()
        return done, failed
    return loop


def _engine(engine: str, recipe: str) -> Loop:
    deid_recipe, deidc_recipe = recipe_paths(recipe)
    if engine == "floor":
        return _floor(recipe)
    if engine == "deid":
        return _deid(deid_recipe)
    if engine == "deidc":
        return _deidc(deidc_recipe)
    if engine == "deidc-save_as":
        return _deidc(deidc_recipe, pydicom_writer=True)
    if engine.startswith("batch"):
        return _batch(deidc_recipe, int(engine[5:]))
    raise SystemExit(f"unknown engine {engine}")


def _count(path: str) -> int:
    def count(ds: pydicom.Dataset) -> int:
        return sum(1 + (sum(count(i) for i in e.value) if e.VR == "SQ" else 0) for e in ds)
    return count(pydicom.dcmread(path))


def _rss_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # KiB on Linux


def _cpu() -> float:
    """Return the user + system CPU time of this process and its reaped children."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure(engine: str, corpus: str, recipe: str, limit: int | None = None, budget: float = 1e9) -> dict[str, object]:
    """Time ``engine`` over the corpus (in this process) and return what was measured."""
    files = _files(corpus, limit)
    load_start = time.perf_counter()
    loop = _engine(engine, recipe)
    load = time.perf_counter() - load_start
    out = tempfile.mkdtemp(prefix=f"bench-{engine}-")
    try:
        pydicom.dcmread(files[0][0]).save_as(os.path.join(out, "warmup.dcm"))
        os.remove(os.path.join(out, "warmup.dcm"))
        before = _rss_mib(resource.RUSAGE_SELF)
        cpu_start = _cpu()
        start = time.perf_counter()
        done, failed = loop(files, out, budget)
        seconds = time.perf_counter() - start
        cpu = _cpu() - cpu_start
        first = _FIRST[0] - start if _FIRST else seconds
        peak = max(_rss_mib(resource.RUSAGE_SELF), _rss_mib(resource.RUSAGE_CHILDREN))
        written = sorted(os.listdir(out))
        elements = _count(os.path.join(out, written[0])) if written else 0
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"engine": engine, "recipe": recipe, "corpus": corpus, "files": done, "failed": failed,
            "seconds": seconds, "first_seconds": first, "cpu_seconds": cpu, "load_seconds": load,
            "rss_before": before, "rss_peak": peak, "elements_out": elements}


def compile_times(path: str, warm_runs: int = 20) -> dict[str, float]:
    """Time ``compile_recipe`` of one recipe: import, first (cold) call, then warm calls (median, min)."""
    start = time.perf_counter()
    from deidc.compiler import compile_recipe

    imported = time.perf_counter()
    from deidc.config import find_recipe

    path = str(find_recipe(path))  # a tag (dicom) is deidc's shipped recipe
    text = Path(path).read_text(encoding="utf-8")
    first_start = time.perf_counter()
    compiled = compile_recipe(text, path=path)
    first = time.perf_counter() - first_start
    warm = []
    for _ in range(warm_runs):
        tick = time.perf_counter()
        compile_recipe(text, path=path)
        warm.append(time.perf_counter() - tick)
    warm.sort()
    return {"import": imported - start, "cold": first, "warm_median": warm[len(warm) // 2], "warm_min": warm[0],
            "steps": float(len(compiled.plan.steps) if compiled.plan else 0),
            "lines": float(len(text.splitlines()))}


def main(argv: list[str] | None = None) -> int:
    """Command line: one measurement, written as JSON to ``--result``."""
    parser = argparse.ArgumentParser(description="one benchmark measurement in this process")
    parser.add_argument("--engine", required=True)
    parser.add_argument("--corpus")
    parser.add_argument("--recipe", required=True, help="a name in RECIPES or a recipe path")
    parser.add_argument("--limit", type=int, help="use the first N files only")
    parser.add_argument("--budget", type=float, default=1e9, help="deid: stop after this many seconds (>= 1 file)")
    parser.add_argument("--result", required=True)
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    logging.disable(logging.WARNING)
    with contextlib.redirect_stdout(io.StringIO()):  # deid prints (deid_func calls, messages)
        if args.engine == "compile":
            found: dict[str, object] = dict(compile_times(recipe_paths(args.recipe)[1]))
        else:
            found = measure(args.engine, args.corpus, args.recipe, args.limit, args.budget)
    Path(args.result).write_text(json.dumps(found), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    raise SystemExit(main())
