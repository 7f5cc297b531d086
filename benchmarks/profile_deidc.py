"""Where deidc's time goes: read / execute / write split, the cold first file, and cProfile's top functions.

    python benchmarks/profile_deidc.py --profile ct --recipe default [--files 100] [--top 25]

The corpus comes from the runner's cache (``--workdir``) or is written there. ``execute`` is
profiled warm (the batch's ``Matcher`` has seen one pass over the files already) and cold
(a fresh ``Matcher``, first file only), as a batch worker sees them.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import sys
import tempfile
import time
import warnings
from pathlib import Path

import pydicom

sys.path.insert(0, str(Path(__file__).resolve().parent))

from engines import VARIABLES, recipe_paths  # noqa: E402
from harness import Bench  # noqa: E402


def _read(paths: list[str]) -> list[pydicom.Dataset]:
    return [pydicom.dcmread(p) for p in paths]


def split(paths: list[str], plan: object, out: str) -> dict[str, float]:
    """Return ms per file of dcmread, deidc's reader, execute (warm), save_as and deidc's writer, measured apart."""
    from deidc.runtime import Matcher, execute

    matcher = Matcher()
    for dataset in _read(paths):
        execute(plan, dataset, dict(VARIABLES), matcher=matcher, record_values=False, reuse_raw=True)  # type: ignore[arg-type]
    start = time.perf_counter()
    datasets = _read(paths)
    read = time.perf_counter() - start
    from deidc.runtime.reader import read as fast_read

    start = time.perf_counter()
    for path in paths:
        fast_read(path)
    batch_read = time.perf_counter() - start
    start = time.perf_counter()
    for dataset in datasets:
        execute(plan, dataset, dict(VARIABLES), matcher=matcher, record_values=False, reuse_raw=True)  # type: ignore[arg-type]
    run = time.perf_counter() - start
    from deidc.runtime.writer import save

    untouched = _read(paths)
    # each written twice, into new files (the first pass), then over them (the second): the second is timed,
    # so that neither side pays for creating files
    for _ in range(2):
        start = time.perf_counter()
        for number, dataset in enumerate(datasets):
            dataset.save_as(os.path.join(out, f"changed-{number}.dcm"))
        write = time.perf_counter() - start
        start = time.perf_counter()
        for number, dataset in enumerate(datasets):
            save(dataset, os.path.join(out, f"changed-{number}.dcm"))
        fast_write = time.perf_counter() - start
        start = time.perf_counter()
        for number, dataset in enumerate(untouched):
            dataset.save_as(os.path.join(out, f"unchanged-{number}.dcm"))
        floor_write = time.perf_counter() - start
    scale = 1000 / len(paths)
    return {"read (dcmread)": read * scale, "deidc.runtime.reader.read": batch_read * scale,
            "execute (warm)": run * scale, "save_as (changed)": write * scale,
            "deidc.runtime.writer.save (changed)": fast_write * scale,
            "save_as (unchanged, the floor's)": floor_write * scale}


def cold(path: str, plan: object) -> float:
    """Return ms of execute on one file with a fresh Matcher."""
    from deidc.runtime import Matcher, execute

    dataset = pydicom.dcmread(path)
    start = time.perf_counter()
    execute(plan, dataset, dict(VARIABLES), matcher=Matcher(), record_values=False, reuse_raw=True)  # type: ignore[arg-type]
    return 1000 * (time.perf_counter() - start)


def profiled(paths: list[str], plan: object, warm: bool, top: int, sort: str) -> str:
    """Return cProfile's report of execute (warm over all files, or cold on the first)."""
    from deidc.runtime import Matcher, execute

    matcher = Matcher()
    if warm:
        for dataset in _read(paths):
            execute(plan, dataset, dict(VARIABLES), matcher=matcher, record_values=False, reuse_raw=True)  # type: ignore[arg-type]
    datasets = _read(paths if warm else paths[:1])
    profile = cProfile.Profile()
    profile.enable()
    for dataset in datasets:
        execute(plan, dataset, dict(VARIABLES), matcher=matcher, record_values=False, reuse_raw=True)  # type: ignore[arg-type]
    profile.disable()
    stream = io.StringIO()
    pstats.Stats(profile, stream=stream).strip_dirs().sort_stats(sort).print_stats(top)
    return stream.getvalue()


def main(argv: list[str] | None = None) -> int:
    """Print the split, the cold cost and the profiles."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--profile", default="ct")
    parser.add_argument("--recipe", default="default")
    parser.add_argument("--files", type=int, default=100)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative, ...)")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "deidc-bench"))
    args = parser.parse_args(argv)
    warnings.simplefilter("ignore")
    from deidc.config import DeidRecipe

    folder = Bench(Path(args.workdir), verbose=False).corpus(args.profile, args.files)
    paths = sorted(str(p) for p in Path(folder).iterdir())[: args.files]
    plan = DeidRecipe(recipe_paths(args.recipe)[1]).plan
    with tempfile.TemporaryDirectory() as out:
        parts = split(paths, plan, out)
    print(f"{args.profile} × {args.recipe}, {len(paths)} files, ms per file:")
    for name, value in parts.items():
        print(f"  {name:<34} {value:8.2f}")
    print(f"  {'execute, first file, cold Matcher':<34} {cold(paths[0], plan):8.2f}")
    print("\nexecute, warm:\n" + profiled(paths, plan, True, args.top, args.sort))
    print("execute, first file, cold Matcher:\n" + profiled(paths, plan, False, args.top, args.sort))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
