"""The deidc benchmark: floor (pydicom read + write) vs deid 0.4.13 vs deidc, per profile × recipe.

Every measurement runs in a fresh process (``engines.py``); repetitions are interleaved
(each repetition measures every engine of a cell in turn, rotating the order), so machine
noise falls on all engines alike. Results are medians over repetitions.

    python benchmarks/run.py                      # the main table and the compile times
    python benchmarks/run.py --quick              # a smoke check: few files, one repetition
    python benchmarks/run.py --scaling [--big]    # and the scaling tables (--big: up to 10000 files)

See benchmarks/README.md for the columns and the targets.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import corpus
import engines
import scaling
from harness import Bench, markdown, ms, peak, per_file, rate, ratio

ALL_RECIPES = ["groups", "expanders", "default"]


def options(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line (``--quick`` sets small defaults for what was not given)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few files, one repetition: a smoke check")
    parser.add_argument("--profiles", default="small,ct,heavy", help="comma-separated corpus profiles")
    parser.add_argument("--recipes", default=",".join(ALL_RECIPES),
                        help=f"comma-separated, from {sorted(engines.RECIPES)} or recipe paths")
    parser.add_argument("--files", type=int, help="files per corpus (default 100; --quick 10)")
    parser.add_argument("--repeat", type=int, help="repetitions (default 3; --quick 1)")
    parser.add_argument("--jobs", default="1,2", help="worker counts for run_batch (default 1,2)")
    parser.add_argument("--deid-budget", type=float, help="seconds deid may spend per measurement before it "
                        "stops (it does at least one file; default 20, --quick 3)")
    parser.add_argument("--scaling", action="store_true", help="also measure the scaling tables")
    parser.add_argument("--scaling-only", action="store_true", help="measure the scaling tables only")
    parser.add_argument("--big", action="store_true", help="scaling by files goes up to 10000 (slow)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pixels", type=int, default=64, help="image rows = columns (0: no pixel data)")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "deidc-bench"),
                        help="where corpora are cached")
    parser.add_argument("--json", help="also write every raw measurement to this file")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    args.files = args.files or (10 if args.quick else 100)
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.deid_budget = args.deid_budget or (3.0 if args.quick else 20.0)
    return args


def run_main(bench: Bench, args: argparse.Namespace) -> str:
    """Measure every profile × recipe × engine, interleaved, and return the tables."""
    profiles = args.profiles.split(",")
    recipes = args.recipes.split(",")
    batches = [f"batch{j}" for j in args.jobs.split(",")]
    order = ["floor", "deid", "deidc", *batches]
    folders = {p: bench.corpus(p, args.files) for p in profiles}
    for rep in range(args.repeat):
        bench.log(f"repetition {rep + 1}/{args.repeat}")
        for profile in profiles:
            for recipe in recipes:
                turn = order[rep % len(order):] + order[:rep % len(order)]
                for engine in turn:
                    budget = args.deid_budget if engine == "deid" else None
                    bench.measure(engine, folders[profile], recipe, args.files, budget,
                                  profile=profile, rep=rep, table="main")
    return main_tables(bench, profiles, recipes, batches, args)


def main_tables(bench: Bench, profiles: list[str], recipes: list[str], batches: list[str],
                args: argparse.Namespace) -> str:
    """Return the speed table and the memory table of the main measurement."""
    speed, memory = [], []
    for profile in profiles:
        elements = corpus.count_elements(corpus.make_dataset(profile, 0, args.seed, args.pixels))
        for recipe in recipes:
            found = {e: bench.select(table="main", profile=profile, recipe=recipe, engine=e)
                     for e in ["floor", "deid", "deidc", *batches]}
            t = {e: per_file(r) for e, r in found.items()}
            deid_files = min((int(r["files"]) for r in found["deid"]), default=0)  # type: ignore[call-overload]
            failed = sum(int(r["failed"]) for rs in found.values() for r in rs)  # type: ignore[call-overload]
            row = [profile, recipe, elements, rate(t["floor"]), f"{rate(t['deid'])} (n={deid_files})",
                   rate(t["deidc"]), ratio(t["deidc"], t["floor"]), ratio(t["deid"], t["deidc"])]
            row += [rate(t[b]) for b in batches]
            if len(batches) >= 2:
                row.append(ratio(t[batches[0]], t[batches[-1]]))
            row.append(failed or "")
            speed.append(row)
            memory.append([profile, recipe, *(peak(found[e]) for e in found)])
    headers = ["profile", "recipe", "elements", "floor f/s", "deid f/s", "deidc f/s", "deidc/floor", "deid/deidc"]
    headers += [f"batch j={b[5:]} f/s" for b in batches]
    if len(batches) >= 2:
        headers.append(f"j={batches[-1][5:]} vs j={batches[0][5:]}")
    headers.append("failed")
    memory_headers = ["profile", "recipe", "floor", "deid", "deidc", *(f"batch j={b[5:]}" for b in batches)]
    return ("### Speed (files per second, median of repetitions; ratios of time per file)\n\n"
            + markdown(headers, speed)
            + "\n\n### Peak memory (max RSS of the measuring process in MiB, and its growth during the timed loop)\n\n"
            + markdown(memory_headers, memory))


def run_compile(bench: Bench, recipes: list[str], repeat: int) -> str:
    """Measure compile times in fresh processes and return the table."""
    rows = []
    for recipe in recipes:
        found = [bench.measure("compile", "", recipe, recipe=recipe, table="compile") for _ in range(repeat)]
        med = sorted(found, key=lambda r: float(r["warm_median"]))[len(found) // 2]  # type: ignore[arg-type]
        cold = sorted(float(r["cold"]) for r in found)[len(found) // 2]  # type: ignore[arg-type]
        rows.append([recipe if recipe in engines.RECIPES else Path(recipe).name, int(float(med["lines"])),
                     int(float(med["steps"])), ms(float(med["import"])), ms(cold),  # type: ignore[arg-type]
                     ms(float(med["warm_median"])), ms(float(med["warm_min"]))])  # type: ignore[arg-type]
    return ("### Compile times (ms; cold: first compile_recipe in a fresh process after `import "
            "deidc.compiler`; warm: median and min of 20 more compiles)\n\n"
            + markdown(["recipe", "lines", "steps", "import", "cold", "warm median", "warm min"], rows))


def header(args: argparse.Namespace) -> str:
    """Describe the machine and the run."""
    from importlib.metadata import version

    cores = os.cpu_count()
    return (f"Machine: {platform.machine()}, {cores} cores, Python {platform.python_version()}, "
            f"pydicom {version('pydicom')}, deid {version('deid')}, deidc {version('deidc')}. "
            f"Files per cell: {args.files}, repetitions: {args.repeat}, deid budget: {args.deid_budget:.0f} s "
            f"per measurement, seed {args.seed}, {args.pixels}×{args.pixels} uint16 pixels.")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables (Markdown) on stdout."""
    args = options(argv)
    bench = Bench(Path(args.workdir), args.seed, args.pixels, verbose=not args.quiet)
    started = time.perf_counter()
    parts = [header(args)]
    if not args.scaling_only:
        parts.append(run_main(bench, args))
        parts.append(run_compile(bench, ["deid-default", "default", "expanders", "groups"], args.repeat))
    if args.scaling or args.scaling_only:
        parts.append(scaling.run(bench, args))
    parts.append(f"Total benchmark time: {time.perf_counter() - started:,.0f} s.")
    print("\n\n".join(parts))
    if args.json:
        Path(args.json).write_text(json.dumps(bench.results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
