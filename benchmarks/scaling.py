"""Scaling tables: cost per file vs elements per file, vs rules per recipe, vs number of files.

deidc's promise is that a file costs one walk over its elements with a look-up each: so
the time per file should grow with the elements of a file, barely with the rules of the
recipe (identity decisions are cached for the whole batch), not at all with the number of
files, and memory should not grow with the number of files (files stream through).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import corpus
from harness import Bench, markdown, ms, peak, per_file, ratio
from pydicom.datadict import DicomDictionary

__all__ = ["rules_recipe", "run"]

#: values that are valid for each VR a generated REPLACE may target
REPLACEMENTS = {"LO": "ANONYMOUS", "SH": "ANON", "PN": "Anonymous^Patient", "LT": "removed", "ST": "removed",
                "UT": "removed", "CS": "ANON", "DA": "19000101", "TM": "000000", "DT": "19000101000000",
                "UI": "1.2.826.0.1.3680043.10.1153.7", "IS": "0", "DS": "0", "AE": "ANON", "AS": "050Y"}
#: never generated: file meta, the image pixel module, pixel data (a rule there would break the file)
SPARED_GROUPS = {0x0000, 0x0002, 0x0028, 0x7FE0, 0xFFFE}


def rules_recipe(count: int, seed: int, folder: Path) -> str:
    """Write a recipe of ``count`` REMOVE/REPLACE rules over dictionary keywords and return its path.

    The keywords of the ``ct`` corpus come first (so rules hit), then others from pydicom's
    dictionary (as in a long recipe, most rules match nothing in a given file).
    """
    rng = random.Random(f"{seed}-rules")
    present = corpus.CORE + corpus.filler_keywords("ct", corpus.PROFILES["ct"].filler, seed)
    present = [k for k in present if k not in corpus.PIXEL_MODULE]
    others = sorted(e[4] for t, e in DicomDictionary.items()
                    if e[4] and not e[3] and t >> 16 not in SPARED_GROUPS and e[4] not in present)
    rng.shuffle(present)
    rng.shuffle(others)
    chosen = (present[: count // 4 or 1] + others)[:count]
    rng.shuffle(chosen)
    lines = ["FORMAT dicom", "", f"# {count} generated rules over dictionary keywords (benchmarks/scaling.py)", "",
             "%header", ""]
    for number, keyword in enumerate(chosen):
        tag = next(t for t, e in DicomDictionary.items() if e[4] == keyword)
        vr = DicomDictionary[tag][0]
        if number % 2 and vr in REPLACEMENTS:
            lines.append(f"REPLACE {keyword} {REPLACEMENTS[vr]}")
        else:
            lines.append(f"REMOVE {keyword}")
    path = folder / f"deid.rules-{count}"
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def _interleaved(bench: Bench, cells: list[tuple[str, str, str, int | None]], engines: list[str], repeat: int,
                 budget: float, table: str) -> None:
    """Measure each (label, folder, recipe, limit) cell with each engine, repetition by repetition."""
    for rep in range(repeat):
        for label, folder, recipe, limit in cells:
            turn = engines[rep % len(engines):] + engines[:rep % len(engines)]
            for engine in turn:
                bench.measure(engine, folder, recipe, limit, budget if engine == "deid" else None,
                              table=table, cell=label, rep=rep)


def by_elements(bench: Bench, args: argparse.Namespace, recipe: str) -> str:
    """Time per file and per element for the three profiles."""
    cells = [(p, bench.corpus(p, args.files), recipe, args.files) for p in ("small", "ct", "heavy")]
    _interleaved(bench, cells, ["floor", "deidc"], args.repeat, args.deid_budget, "elements")
    rows = []
    for profile, _, _, _ in cells:
        elements = corpus.count_elements(corpus.make_dataset(profile, 0, args.seed, args.pixels))
        floor = per_file(bench.select(table="elements", cell=profile, engine="floor"))
        deidc = per_file(bench.select(table="elements", cell=profile, engine="deidc"))
        extra = None if floor is None or deidc is None else deidc - floor
        per_element = "—" if extra is None else f"{1e6 * extra / elements:.1f}"
        rows.append([profile, elements, ms(floor), ms(deidc), ratio(deidc, floor), ms(extra), per_element])
    return (f"### Scaling with elements per file (recipe {recipe}; ms per file)\n\n"
            + markdown(["profile", "elements", "floor", "deidc", "deidc/floor", "deidc − floor",
                        "µs per element"], rows))


def by_rules(bench: Bench, args: argparse.Namespace) -> str:
    """Time per file for 10, 100 and 1000 generated rules on the ct profile, and compile times."""
    folder = bench.corpus("ct", args.files)
    counts = [10, 100, 1000]
    recipes = {n: rules_recipe(n, args.seed, bench.workdir / "recipes") for n in counts}
    cells = [(f"rules-{n}", folder, recipes[n], args.files) for n in counts]
    _interleaved(bench, cells, ["floor", "deid", "deidc"], args.repeat, args.deid_budget, "rules")
    rows = []
    for n in counts:
        found = {e: bench.select(table="rules", cell=f"rules-{n}", engine=e) for e in ("floor", "deid", "deidc")}
        t = {e: per_file(r) for e, r in found.items()}
        compiled = bench.measure("compile", "", recipes[n], table="rules-compile", cell=f"rules-{n}")
        rows.append([n, ms(t["floor"]), ms(t["deid"]), ms(t["deidc"]), ratio(t["deidc"], t["floor"]),
                     ratio(t["deid"], t["deidc"]), ms(float(compiled["warm_median"]))])  # type: ignore[arg-type]
    return ("### Scaling with rules per recipe (ct profile; ms per file; compile: warm median)\n\n"
            + markdown(["rules", "floor", "deid", "deidc", "deidc/floor", "deid/deidc", "deidc compile"], rows))


def by_files(bench: Bench, args: argparse.Namespace, recipe: str) -> str:
    """Time per file and peak memory for 100, 1000 (and 10000 with --big) files of the ct profile."""
    counts = [100, 1000, 10000] if args.big else [100, 1000]
    if args.quick:
        counts = [20, 100]
    folder = bench.corpus("ct", counts[-1])
    cells = [(f"files-{n}", folder, recipe, n) for n in counts]
    engines = ["floor", "deidc", "batch1", "batch2"]
    _interleaved(bench, cells, engines, 1 if counts[-1] >= 10000 else args.repeat, args.deid_budget, "files")
    rows = []
    for n in counts:
        found = {e: bench.select(table="files", cell=f"files-{n}", engine=e) for e in engines}
        t = {e: per_file(r) for e, r in found.items()}
        rows.append([n, ms(t["floor"]), ms(t["deidc"]), ms(t["batch1"]), ms(t["batch2"]),
                     peak(found["floor"]), peak(found["deidc"]), peak(found["batch1"]), peak(found["batch2"])])
    return (f"### Scaling with the number of files (ct profile, recipe {recipe}; ms per file of wall time; "
            "peak RSS in MiB (+ growth during the loop))\n\n"
            + markdown(["files", "floor", "deidc", "batch j=1", "batch j=2", "floor RSS", "deidc RSS",
                        "batch j=1 RSS", "batch j=2 RSS"], rows))


def run(bench: Bench, args: argparse.Namespace) -> str:
    """Measure and return the three scaling tables."""
    return "\n\n".join([by_elements(bench, args, "default"), by_rules(bench, args), by_files(bench, args, "default")])
