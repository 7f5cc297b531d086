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
import io
import json
import os
import platform
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import corpus
import engines
import scaling
from harness import (
    Bench,
    Result,
    machine_load,
    markdown,
    ms,
    parallel_capacity,
    peak,
    per_file,
    rate,
    ratio,
    steady,
)

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
    parser.add_argument("--engines", help="measure only these engines of the main table (floor, deid, deidc, "
                        "deidc-save_as, batchN), e.g. deidc,batch1,batch2")
    parser.add_argument("--deid-budget", type=float, help="seconds deid may spend per measurement before it "
                        "stops (it does at least one file; default 20, --quick 3)")
    parser.add_argument("--scaling", action="store_true", help="also measure the scaling tables")
    parser.add_argument("--scaling-only", action="store_true", help="measure the scaling tables only")
    parser.add_argument("--big", action="store_true", help="scaling by files goes up to 10000 (slow)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pixels", type=int, default=64, help="image rows = columns (0: no pixel data)")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "deidc-bench"),
                        help="where corpora are cached")
    parser.add_argument("--deidc", choices=["tree", "head"], default="tree",
                        help="measure deidc as in the working tree (default) or as committed at HEAD "
                        "(a `git archive` snapshot in the workdir: stable while others edit the tree)")
    parser.add_argument("--json", help="also write every raw measurement to this file")
    parser.add_argument("--report", help="measure nothing: print the tables of a file written by --json")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    args = parser.parse_args(argv)
    args.files = args.files or (10 if args.quick else 100)
    args.repeat = args.repeat or (1 if args.quick else 3)
    args.deid_budget = args.deid_budget or (3.0 if args.quick else 20.0)
    return args


def run_main(bench: Bench, args: argparse.Namespace) -> None:
    """Measure every profile × recipe × engine, interleaved."""
    profiles = args.profiles.split(",")
    order = ["floor", "deid", "deidc", "deidc-save_as", *(f"batch{j}" for j in args.jobs.split(","))]
    if args.engines:
        order = [e for e in order if e in args.engines.split(",")]
    folders = {p: bench.corpus(p, args.files) for p in profiles}
    for rep in range(args.repeat):
        bench.log(f"repetition {rep + 1}/{args.repeat}")
        for profile in profiles:
            for recipe in args.recipes.split(","):
                turn = order[rep % len(order):] + order[:rep % len(order)]
                for engine in turn:
                    budget = args.deid_budget if engine == "deid" else None
                    bench.measure(engine, folders[profile], recipe, args.files, budget,
                                  profile=profile, rep=rep, table="main")


def _seen(bench: Bench, key: str, **tags: object) -> list[str]:
    """Return the values of ``key`` among the results with ``tags``, in order of first appearance."""
    return list(dict.fromkeys(str(r[key]) for r in bench.select(**tags)))


def main_tables(bench: Bench, seed: int, pixels: int) -> str:
    """Return the speed, workers and memory tables of the main measurement."""
    batches = sorted((e for e in _seen(bench, "engine", table="main") if e.startswith("batch")),
                     key=lambda e: int(e[5:]))
    speed, workers, memory = [], [], []
    for profile in _seen(bench, "profile", table="main"):
        elements = corpus.count_elements(corpus.make_dataset(profile, 0, seed, pixels))
        for recipe in _seen(bench, "recipe", table="main", profile=profile):
            found = {e: bench.select(table="main", profile=profile, recipe=recipe, engine=e)
                     for e in ["floor", "deid", "deidc", *batches]}
            t = {e: per_file(r) for e, r in found.items()}
            pydicom_written = bench.select(table="main", profile=profile, recipe=recipe, engine="deidc-save_as")
            with_save_as = ratio(per_file(pydicom_written), t["floor"]) if pydicom_written else "—"
            cpu = {e: per_file(r, "cpu_seconds") for e, r in found.items()}
            deid_files = min((int(r["files"]) for r in found["deid"]), default=0)  # type: ignore[call-overload]
            failed = sum(int(r["failed"]) for rs in found.values() for r in rs)  # type: ignore[call-overload]
            out = "/".join(str(found[e][0]["elements_out"]) if found[e] else "—" for e in ("deid", "deidc"))
            speed.append([profile, recipe, elements, out, rate(t["floor"]), f"{rate(t['deid'])} (n={deid_files})",
                          rate(t["deidc"]), ratio(t["deidc"], t["floor"]),
                          ratio(steady(found["deidc"]), steady(found["floor"])), ratio(cpu["deidc"], cpu["floor"]),
                          with_save_as, ratio(t["deid"], t["deidc"]), failed or ""])
            gain = [ratio(t[batches[0]], t[batches[-1]])] if len(batches) >= 2 else []
            workers.append([profile, recipe, rate(t["deidc"]), *(rate(t[b]) for b in batches), *gain])
            memory.append([profile, recipe, *(peak(found[e]) for e in found)])
    headers = ["profile", "recipe", "elements", "out deid/deidc", "floor f/s", "deid f/s", "deidc f/s",
               "deidc/floor", "after 1st file", "CPU", "written by save_as", "deid/deidc", "failed"]
    gain = [f"j={batches[-1][5:]} vs j={batches[0][5:]}"] if len(batches) >= 2 else []
    names = [f"batch j={b[5:]}" for b in batches]
    return ("### Speed (files per second, median of repetitions; ratios of time per file)\n\n"
            + markdown(headers, speed)
            + "\n\n### Workers (files per second: execute loop, run_batch with j jobs)\n\n"
            + markdown(["profile", "recipe", "deidc", *names, *gain], workers)
            + "\n\n### Peak memory (max RSS of the measuring process in MiB, and its growth during the timed loop)\n\n"
            + markdown(["profile", "recipe", "floor", "deid", "deidc", *names], memory))


def run_compile(bench: Bench, recipes: list[str], repeat: int) -> None:
    """Measure compile times, each in a fresh process."""
    for _ in range(repeat):
        for recipe in recipes:
            bench.measure("compile", "", recipe, table="compile")


def compile_table(bench: Bench) -> str:
    """Return the compile-time table (medians over processes)."""
    rows = []
    for recipe in _seen(bench, "recipe", table="compile"):
        found = bench.select(table="compile", recipe=recipe)

        def med(key: str, found: list[Result] = found) -> float:
            return statistics.median(float(r[key]) for r in found)  # type: ignore[arg-type]
        rows.append([recipe if recipe in engines.RECIPES else Path(recipe).name, int(med("lines")),
                     int(med("steps")), ms(med("import")), ms(med("cold")), ms(med("warm_median")),
                     ms(med("warm_min"))])
    return ("### Compile times (ms, medians over fresh processes; cold: the first compile_recipe after "
            "`import deidc.compiler`; warm: median and min of 20 more compiles in that process)\n\n"
            + markdown(["recipe", "lines", "steps", "import", "cold", "warm median", "warm min"], rows))


def header(args: argparse.Namespace, state: str) -> str:
    """Describe the machine, the code measured and the run."""
    from importlib.metadata import version

    return (f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"pydicom {version('pydicom')}, deid {version('deid')}, deidc {version('deidc')} ({state}). "
            f"Files per cell: {args.files}, repetitions: {args.repeat}, deid budget: {args.deid_budget:.0f} s "
            f"per measurement, seed {args.seed}, {args.pixels}×{args.pixels} uint16 pixels. "
            + machine_state("start"))


def machine_state(when: str) -> str:
    """Say how busy the machine is: load averages and what 2 processes gain over 1 on pure CPU work."""
    return (f"At {when}: load average {machine_load()}, 2-process speed-up on pure CPU work "
            f"{parallel_capacity():.2f}× (2.00× on an idle 2-core machine).")


ROOT = Path(__file__).resolve().parent.parent


def _git(*args: str) -> str:
    return subprocess.run(["git", "--no-optional-locks", "-C", str(ROOT), *args], capture_output=True, text=True,
                          check=True).stdout


def source_state(snapshot: bool = False) -> str:
    """Return the deidc commit and how many files of deidc/ differ from it (read-only git)."""
    try:
        head = _git("rev-parse", "--short", "HEAD").strip()
        dirty = [] if snapshot else _git("status", "--porcelain", "deidc").splitlines()
    except (OSError, subprocess.CalledProcessError):
        return "not a git checkout"
    return f"commit {head}" + (" (snapshot)" if snapshot else f" + {len(dirty)} changed files in deidc/" if dirty
                               else "")


def snapshot(workdir: Path) -> tuple[str, str]:
    """Extract deidc/ as committed at HEAD into the workdir (read-only git); return (folder, state)."""
    state = source_state(snapshot=True)
    folder = workdir / f"deidc-{state.split()[1]}"
    if not (folder / "deidc").is_dir():
        folder.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", "HEAD", "deidc"],
                                 capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(folder, filter="data")
    return str(folder), state


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or re-read a --json file) and print the tables (Markdown) on stdout."""
    args = options(argv)
    bench = Bench(Path(args.workdir), args.seed, args.pixels, verbose=not args.quiet,
                  save=Path(args.json) if args.json else None)
    if args.report:
        saved = json.loads(Path(args.report).read_text(encoding="utf-8"))
        bench.results, bench.errors, first, last = saved["results"], saved["errors"], saved["header"], saved["footer"]
        args.seed, args.pixels = saved["seed"], saved["pixels"]
    else:
        started = time.perf_counter()
        state = source_state()
        if args.deidc == "head":
            bench.pythonpath, state = snapshot(Path(args.workdir))
        first = bench.header = header(args, state)
        if not args.scaling_only:
            run_main(bench, args)
            run_compile(bench, ["deid-default", "default", "expanders", "groups"], args.repeat)
        if args.scaling or args.scaling_only:
            scaling.measure(bench, args)
        last = (f"Total benchmark time: {time.perf_counter() - started:,.0f} s. " + machine_state("end")
                + ("" if args.deidc == "head" else f" deidc at the end: {source_state()}."))
        bench.dump(last)
    parts = [first]
    if bench.select(table="main"):
        parts.append(main_tables(bench, args.seed, args.pixels))
    if bench.select(table="compile"):
        parts.append(compile_table(bench))
    parts.extend(scaling.tables(bench, args.seed, args.pixels))
    if bench.errors:
        parts.append("Failed measurements:\n\n" + "\n".join(f"- {e}" for e in bench.errors))
    print("\n\n".join([*parts, last]))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    raise SystemExit(main())
