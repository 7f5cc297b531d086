"""Where ``run_batch``'s time goes with 1 and N jobs: CPU per file in the parent and in the workers.

    python benchmarks/pool_bench.py --corpus /tmp/pool-ct --recipe default --jobs 1,2 --repeat 3

Each measurement runs in a fresh process (``--one``), so the CPU time of the pool's
workers is that process's ``RUSAGE_CHILDREN`` once the pool has been closed and its
workers reaped, and the parent's is its ``RUSAGE_SELF`` (the main thread, and the pool's
threads in older versions). The loop consumes results as ``deidc run`` does (the counts,
and the change records when ``--changes`` is given). Before and after each round, the
speed-up that 2 processes get over 1 on pure CPU work (2.00× on an idle 2-core machine)
says whether the machine was idle. ``--module head=FILE`` measures another ``batch.py``
(e.g. ``git show HEAD:deidc/batch.py > FILE``) in the same rounds. While others edit the
tree, measure a copy of it: ``cp -r deidc /tmp/snap/`` and run from outside the
repository with ``PYTHONPATH=/tmp/snap``. Nothing here is a test.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.append(str(HERE.parent))  # after PYTHONPATH: a snapshot of deidc there is measured instead

from engines import VARIABLES, recipe_paths  # noqa: E402
from harness import machine_load, parallel_capacity  # noqa: E402

__all__ = ["measure_one", "main"]


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _batch_module(path: str | None) -> ModuleType:
    """Return ``deidc.batch``, or another version of it from a file (e.g. ``git show HEAD:deidc/batch.py``)."""
    if path is None:
        return importlib.import_module("deidc.batch")
    spec = importlib.util.spec_from_file_location("batch_under_test", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["batch_under_test"] = module  # the pool pickles its task function by module name
    spec.loader.exec_module(module)
    return module


def measure_one(corpus: str, recipe: str, jobs: int, limit: int | None, changes: bool,
                module: str | None = None) -> dict[str, float]:
    """Run one batch in this process and return wall time, CPU time of parent and workers, first result."""
    import pydicom

    from deidc.config import DeidRecipe

    batch = _batch_module(module)
    BatchOptions, iter_inputs, run_batch = batch.BatchOptions, batch.iter_inputs, batch.run_batch  # noqa: N806

    plan = DeidRecipe(recipe_paths(recipe)[1]).plan
    files = list(iter_inputs([corpus]))[: limit or None]
    out = tempfile.mkdtemp(prefix="pool-bench-")
    try:
        pydicom.dcmread(files[0][0]).save_as(os.path.join(out, "warmup.dcm"))  # pydicom's lazy imports
        os.remove(os.path.join(out, "warmup.dcm"))
        parent0, children0 = _cpu(resource.RUSAGE_SELF), _cpu(resource.RUSAGE_CHILDREN)
        rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        first = None
        done = failed = records = 0
        try:  # as deidc run: the change records are sent back only for --record (--changes here)
            options = BatchOptions(output=out, variables=VARIABLES, change_rows=changes)
        except TypeError:  # an older deidc.batch: always sent
            options = BatchOptions(output=out, variables=VARIABLES)
        for result in run_batch(plan, iter(files), options, jobs=jobs):
            if first is None:
                first = time.perf_counter() - start
            done += 1
            failed += not result.ok
            if changes:
                records += len(json.dumps(list(result.changes), default=str))
            else:
                records += sum(result.counts.values())
        wall = time.perf_counter() - start
        parent = _cpu(resource.RUSAGE_SELF) - parent0
        workers = _cpu(resource.RUSAGE_CHILDREN) - children0
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return {"jobs": jobs, "files": done, "failed": failed, "wall": wall, "first": first or wall,
            "parent_cpu": parent, "worker_cpu": workers, "records": records,
            "rss_self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "rss_growth_mib": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss0) / 1024,
            "rss_children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def _fresh(args: argparse.Namespace, jobs: int, module: str | None) -> dict[str, float]:
    command = [sys.executable, __file__, "--one", "--corpus", args.corpus, "--recipe", args.recipe,
               "--jobs", str(jobs)] + (["--limit", str(args.limit)] if args.limit else []) + (
               ["--changes"] if args.changes else []) + (["--module", module] if module else [])
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _table(found: dict[tuple[str, int], list[dict[str, float]]]) -> str:
    lines = ["| version | jobs | files | wall s (min) | files/s | first result ms | parent CPU ms/file "
             "| worker CPU ms/file | total CPU ms/file | parent RSS MiB (growth) | worker RSS MiB |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for (label, jobs), results in found.items():
        def med(key: str, rows: list[dict[str, float]] = results) -> float:
            return statistics.median(float(r[key]) for r in rows)
        files = med("files")
        lines.append(
            f"| {label} | {jobs} | {files:.0f} | {med('wall'):.2f} ({min(r['wall'] for r in results):.2f}) "
            f"| {files / med('wall'):.0f} | {1000 * med('first'):.0f} "
            f"| {1000 * med('parent_cpu') / files:.2f} | {1000 * med('worker_cpu') / files:.2f} "
            f"| {1000 * (med('parent_cpu') + med('worker_cpu')) / files:.2f} "
            f"| {med('rss_self_mib'):.0f} ({med('rss_growth_mib'):+.1f}) | {med('rss_children_mib'):.0f} |")
    labels = dict.fromkeys(label for label, _ in found)
    counts = sorted({jobs for _, jobs in found})
    for label in labels:
        base = statistics.median(r["wall"] for r in found[label, counts[0]])
        for jobs in counts[1:]:
            wall = statistics.median(r["wall"] for r in found[label, jobs])
            lines.append(f"\n{label}: j={jobs} vs j={counts[0]}: {base / wall:.2f}× (medians of wall time)")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command line: rounds of one fresh measurement per version and job count, then a table of medians."""
    parser = argparse.ArgumentParser(description="run_batch: parent and worker CPU per file, 1 vs N jobs")
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--recipe", default="default")
    parser.add_argument("--jobs", default="1,2")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--limit", type=int)
    parser.add_argument("--changes", action="store_true", help="serialise every change record, as --record does")
    parser.add_argument("--module", action="append", default=[], metavar="[LABEL=]FILE",
                        help="also measure this file's run_batch (repeatable; the tree's deidc.batch is 'tree')")
    parser.add_argument("--one", action="store_true", help="(internal) one measurement, JSON on stdout")
    args = parser.parse_args(argv)
    counts = [int(j) for j in args.jobs.split(",")]
    if args.one:
        module = args.module[0] if args.module else None
        print(json.dumps(measure_one(args.corpus, args.recipe, counts[0], args.limit, args.changes, module)))
        return 0
    versions: list[tuple[str, str | None]] = [("tree", None)]
    for item in args.module:
        label, _, path = item.rpartition("=")
        versions.append((label or Path(path).stem, path))
    cells = [(label, module, jobs) for label, module in versions for jobs in counts]
    found: dict[tuple[str, int], list[dict[str, float]]] = {(label, jobs): [] for label, _, jobs in cells}
    print(f"start: load {machine_load()}, 2-process CPU speed-up {parallel_capacity():.2f}×", file=sys.stderr)
    for round_ in range(args.repeat):
        before = parallel_capacity()
        shift = round_ % len(cells)
        order = cells[shift:] + cells[:shift]  # rotate, so that load from elsewhere falls on every cell alike
        for label, module, jobs in order:
            found[label, jobs].append(_fresh(args, jobs, module))
        after = parallel_capacity()
        print(f"round {round_ + 1}: load {machine_load()}, 2-process CPU speed-up {before:.2f}× before, "
              f"{after:.2f}× after; " + ", ".join(f"{label} j={jobs} {found[label, jobs][-1]['wall']:.2f} s"
                                                    for label, _, jobs in order), file=sys.stderr)
    print(_table(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
