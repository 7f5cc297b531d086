"""Compile times of a recipe, cold and warm, each process a fresh one; optionally HEAD against the tree.

Each measurement is one fresh process (``engines.py --engine compile``, the measurement of
``run.py``'s compile table): it imports ``deidc.compiler`` (timed apart: *import*), reads the
recipe, times the first ``compile_recipe`` (*cold*), then 20 more (*warm*: their median and
min). The parser cache (``deidc.syntax_cache``) is filled by an untimed process first, so
*cold* is the cost of a fresh process with a warm cache, not of the very first run. Results
are medians over the processes. With ``--compare-head``, deidc as committed at ``HEAD`` (a
``git archive`` snapshot, read-only for the repository) is measured too, interleaved with the
tree, so that machine load falls on both alike. Nothing here asserts a time.

    python benchmarks/compile_bench.py                          # deid's default recipe, 15 processes
    python benchmarks/compile_bench.py --compare-head           # before (HEAD) / after (tree)
    python benchmarks/compile_bench.py --recipe groups,default --processes 9
    python benchmarks/compile_bench.py --profile                # where a cold compile spends its time
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import engines
from harness import Bench, Result, machine_load, markdown, ms
from run import snapshot, source_state

HERE = Path(__file__).resolve().parent

_PROFILE = """
import cProfile, pstats, sys
from deidc.compiler import compile_recipe
text = open(sys.argv[1], encoding="utf-8").read()
profile = cProfile.Profile()
profile.enable()
compile_recipe(text, path=sys.argv[1])
profile.disable()
pstats.Stats(profile).sort_stats(sys.argv[2]).print_stats(int(sys.argv[3]))
"""


def options(argv: list[str] | None) -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog="\n\n".join(__doc__.split("\n\n")[1:]))
    parser.add_argument("--recipe", default="deid-default",
                        help=f"comma-separated, from {sorted(engines.RECIPES)} or recipe paths (default: "
                        "deid-default, deid's deid.dicom)")
    parser.add_argument("--processes", type=int, default=15, help="fresh processes per recipe and version "
                        "(default 15)")
    parser.add_argument("--compare-head", action="store_true",
                        help="also measure deidc as committed at HEAD, interleaved with the working tree")
    parser.add_argument("--workdir", default=os.path.join(tempfile.gettempdir(), "deidc-bench"),
                        help="where the HEAD snapshot is extracted")
    parser.add_argument("--json", help="also write every raw measurement to this file")
    parser.add_argument("--profile", action="store_true",
                        help="measure nothing: print cProfile's top functions of one cold compile (of the tree)")
    parser.add_argument("--sort", default="tottime", help="--profile: the pstats sort key (default tottime)")
    parser.add_argument("--top", type=int, default=30, help="--profile: how many functions (default 30)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    return parser.parse_args(argv)


def profile(recipe: str, sort: str, top: int) -> None:
    """Print the profile of one cold compile of ``recipe`` in a fresh process (after a cache warm-up)."""
    path = engines.recipe_paths(recipe)[1]
    from deidc.config import find_recipe

    path = str(find_recipe(path))
    for _ in range(2):  # the first fills the parser cache
        done = subprocess.run([sys.executable, "-c", _PROFILE, path, sort, str(top)], capture_output=True,
                              text=True, check=True)
    print(done.stdout)


def table(results: list[Result]) -> str:
    """Return the medians of each version × recipe as a Markdown table."""
    rows = []
    for version in dict.fromkeys(str(r["version"]) for r in results):
        for recipe in dict.fromkeys(str(r["recipe"]) for r in results):
            found = [r for r in results if r["version"] == version and r["recipe"] == recipe]
            if not found:
                continue

            def values(key: str, found: list[Result] = found) -> list[float]:
                return sorted(float(r[key]) for r in found)  # type: ignore[arg-type]
            cold = values("cold")
            name = recipe if recipe in engines.RECIPES else Path(recipe).name
            rows.append([version, name, len(found), int(found[0]["lines"]),  # type: ignore[call-overload]
                         ms(statistics.median(values("import"))), ms(statistics.median(cold)),
                         f"{ms(cold[0])}–{ms(cold[-1])}", ms(statistics.median(values("warm_median"))),
                         ms(min(values("warm_min")))])
    return markdown(["deidc", "recipe", "processes", "lines", "import", "cold", "cold range", "warm median",
                     "warm min"], rows)


def main(argv: list[str] | None = None) -> int:
    """Measure, then print the table (Markdown) on stdout; progress goes to stderr."""
    args = options(argv)
    recipes = args.recipe.split(",")
    if args.profile:
        for recipe in recipes:
            profile(recipe, args.sort, args.top)
        return 0
    versions: dict[str, Bench] = {f"tree ({source_state()})": Bench(Path(args.workdir), verbose=not args.quiet)}
    if args.compare_head:
        head = Bench(Path(args.workdir), verbose=not args.quiet)
        head.pythonpath, state = snapshot(Path(args.workdir))
        versions = {f"HEAD ({state})": head, **versions}
    start_load = machine_load()
    for bench in versions.values():  # fill the parser cache of each version: not timed
        for recipe in recipes:
            bench.measure("compile", "", recipe)
    results: list[Result] = []
    names = list(versions)
    for index in range(args.processes):
        for recipe in recipes:
            for version in names[index % len(names):] + names[:index % len(names)]:  # rotate the order
                found = dict(versions[version].measure("compile", "", recipe), version=version, recipe=recipe)
                results.append(found)
                if not args.quiet:
                    print(f"  {index + 1}/{args.processes} {version} {recipe}: cold {ms(float(found['cold']))} ms, "
                          f"warm {ms(float(found['warm_median']))} ms", file=sys.stderr, flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")
    print(f"### Compile times (ms; medians over fresh processes; cold: the first compile_recipe after "
          f"`import deidc.compiler`, parser cache warm; warm: 20 more in that process)\n\n{table(results)}\n\n"
          f"Load average (1/5/15 min): {start_load} at the start, {machine_load()} at the end "
          f"({os.cpu_count()} cores).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
