"""Scaling tables: cost per file vs elements per file, vs rules per recipe, vs number of files.

deidc's promise is that a file costs one walk over its elements with a look-up each: so
the time per file should grow with the elements of a file, barely with the rules of the
recipe (identity decisions are cached for the whole batch), not at all with the number of
files, and memory should not grow with the number of files (files stream through).
"""

from __future__ import annotations

import argparse
import random
import statistics
from pathlib import Path

import corpus
from harness import Bench, first, markdown, ms, peak, per_file, ratio, steady
from pydicom.datadict import DicomDictionary

__all__ = ["measure", "rules_recipe", "tables"]

#: values that are valid for each VR a generated REPLACE may target
REPLACEMENTS = {"LO": "ANONYMOUS", "SH": "ANON", "PN": "Anonymous^Patient", "LT": "removed", "ST": "removed",
                "UT": "removed", "CS": "ANON", "DA": "19000101", "TM": "000000", "DT": "19000101000000",
                "UI": "1.2.826.0.1.3680043.10.1153.7", "IS": "0", "DS": "0", "AE": "ANON", "AS": "050Y"}
#: never generated: file meta, the image pixel module, pixel data (a rule there would break the file)
SPARED_GROUPS = {0x0000, 0x0002, 0x0028, 0x7FE0, 0xFFFE}
#: never generated either: a new Specific Character Set ("ANON") is not a character set at all, and
#: would make pydicom decode and re-encode every text of the file (with a warning each): the table
#: would measure that, not the cost of rules
SPARED_KEYWORDS = {"SpecificCharacterSet"}


def rules_recipe(count: int, seed: int, folder: Path) -> str:
    """Write a recipe of ``count`` REMOVE/REPLACE rules over dictionary keywords and return its path.

    The keywords of the ``ct`` corpus come first (so rules hit), then others from pydicom's
    dictionary (as in a long recipe, most rules match nothing in a given file).
    """
    rng = random.Random(f"{seed}-rules")
    present = corpus.CORE + corpus.filler_keywords("ct", corpus.PROFILES["ct"].filler, seed)
    present = [k for k in present if k not in corpus.PIXEL_MODULE and k not in SPARED_KEYWORDS]
    others = sorted(e[4] for t, e in DicomDictionary.items()
                    if e[4] and not e[3] and t >> 16 not in SPARED_GROUPS and e[4] not in present
                    and e[4] not in SPARED_KEYWORDS)
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


def measure(bench: Bench, args: argparse.Namespace, recipe: str = "default") -> None:
    """Measure the three scaling tables: by elements, by rules, by files."""
    cells = [(p, bench.corpus(p, args.files), recipe, args.files) for p in ("small", "ct", "heavy")]
    _interleaved(bench, cells, ["floor", "deidc"], args.repeat, args.deid_budget, "elements")
    folder = bench.corpus("ct", args.files)
    rules = {n: rules_recipe(n, args.seed, bench.workdir / "recipes") for n in RULES}
    cells = [(f"rules-{n}", folder, rules[n], args.files) for n in RULES]
    _interleaved(bench, cells, ["floor", "deid", "deidc"], args.repeat, args.deid_budget, "rules")
    for n in RULES:
        for _ in range(args.repeat):
            bench.measure("compile", "", rules[n], table="rules-compile", cell=f"rules-{n}")
    counts = [20, 100] if args.quick else [100, 1000, 10000] if args.big else [100, 1000]
    folder = bench.corpus("ct", counts[-1])
    cells = [(f"files-{n}", folder, recipe, n) for n in counts]
    _interleaved(bench, cells, FILE_ENGINES, 1 if counts[-1] >= 10000 else args.repeat, args.deid_budget, "files")


RULES = [10, 100, 1000]
FILE_ENGINES = ["floor", "deidc", "batch1", "batch2"]


def _cells(bench: Bench, table: str) -> list[str]:
    return list(dict.fromkeys(str(r["cell"]) for r in bench.select(table=table)))


def tables(bench: Bench, seed: int, pixels: int) -> list[str]:
    """Return the scaling tables for which there are results."""
    found = []
    if bench.select(table="elements"):
        found.append(by_elements(bench, seed, pixels))
    if bench.select(table="rules"):
        found.append(by_rules(bench))
    if bench.select(table="files"):
        found.append(by_files(bench))
    return found


def by_elements(bench: Bench, seed: int, pixels: int) -> str:
    """Time per file and per element for the three profiles."""
    rows = []
    recipe = bench.select(table="elements")[0]["recipe"]
    for profile in _cells(bench, "elements"):
        elements = corpus.count_elements(corpus.make_dataset(profile, 0, seed, pixels))
        floor = per_file(bench.select(table="elements", cell=profile, engine="floor"))
        found = bench.select(table="elements", cell=profile, engine="deidc")
        deidc, warm = per_file(found), steady(found)
        extra = None if floor is None or warm is None else warm - floor
        per_element = "—" if extra is None else f"{1e6 * extra / elements:.1f}"
        rows.append([profile, elements, ms(floor), ms(deidc), ratio(deidc, floor), ms(first(found)), ms(warm),
                     ratio(warm, floor), per_element])
    return (f"### Scaling with elements per file (recipe {recipe}; ms per file)\n\n"
            + markdown(["profile", "elements", "floor", "deidc", "deidc/floor", "deidc 1st file",
                        "deidc after 1st", "after 1st/floor", "µs per element after 1st (− floor)"], rows))


def by_rules(bench: Bench) -> str:
    """Time per file for 10, 100 and 1000 generated rules on the ct profile, and compile times."""
    rows = []
    for cell in _cells(bench, "rules"):
        t = {e: per_file(bench.select(table="rules", cell=cell, engine=e)) for e in ("floor", "deid", "deidc")}
        deid_files = min((int(r["files"]) for r in bench.select(table="rules", cell=cell, engine="deid")),  # type: ignore[call-overload]
                         default=0)
        compiled = [float(r["warm_median"]) for r in bench.select(table="rules-compile", cell=cell)]  # type: ignore[arg-type]
        rows.append([cell[6:], ms(t["floor"]), f"{ms(t['deid'])} (n={deid_files})", ms(t["deidc"]),
                     ratio(t["deidc"], t["floor"]), ratio(t["deid"], t["deidc"]),
                     ms(statistics.median(compiled)) if compiled else "—"])
    return ("### Scaling with rules per recipe (ct profile; ms per file; compile: warm median)\n\n"
            + markdown(["rules", "floor", "deid", "deidc", "deidc/floor", "deid/deidc", "deidc compile"], rows))


def by_files(bench: Bench) -> str:
    """Time per file and peak memory for 100, 1000 (and 10000 with --big) files of the ct profile."""
    rows = []
    recipe = bench.select(table="files")[0]["recipe"]
    for cell in _cells(bench, "files"):
        found = {e: bench.select(table="files", cell=cell, engine=e) for e in FILE_ENGINES}
        t = {e: per_file(r) for e, r in found.items()}
        rows.append([cell[6:], ms(t["floor"]), ms(t["deidc"]), ms(steady(found["deidc"])), ms(t["batch1"]),
                     ms(t["batch2"]), ratio(t["batch1"], t["batch2"]), *(peak(found[e]) for e in FILE_ENGINES)])
    return (f"### Scaling with the number of files (ct profile, recipe {recipe}; ms per file of wall time; "
            "peak RSS in MiB (+ growth during the loop))\n\n"
            + markdown(["files", "floor", "deidc", "deidc after 1st", "batch j=1", "batch j=2", "j=2 vs j=1",
                        "floor RSS", "deidc RSS", "batch j=1 RSS", "batch j=2 RSS"], rows))
