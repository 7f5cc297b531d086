"""How long ``deidc lint`` takes: a generated 10,000-line recipe and deid's default recipe, warm and cold.

*Warm* is ``deidc.cli.main(["lint", path])`` in this process after one untimed run (the
parsers are built, the dictionary tables cached). *Cold* is a fresh ``python -m deidc lint
path`` subprocess, imports included. Each figure is the best of ``--repeat`` runs.

    python benchmarks/lint_bench.py                 # the table
    python benchmarks/lint_bench.py --repeat 10 --lines 20000
"""

from __future__ import annotations

import argparse
import contextlib
import io
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from importlib import resources
from pathlib import Path

from pydicom.datadict import dictionary_VR, keyword_dict

from deidc.cli import main


def _keywords(rng: random.Random) -> Callable[[str], str]:
    """Return a picker of dictionary keywords, by VR family (``date``, ``text``, ``any``)."""
    words = sorted(k for k in keyword_dict if k)
    dates = [k for k in words if dictionary_VR(keyword_dict[k]) in ("DA", "DT")]
    texts = [k for k in words if dictionary_VR(keyword_dict[k]) in ("LO", "SH", "PN", "LT", "ST")]
    return lambda family: rng.choice({"date": dates, "text": texts}.get(family, words))


def _header(rng: random.Random, pick: Callable[[str], str], lists: Sequence[str], count: int) -> list[str]:
    lines = ["%header"]
    for i in range(count):
        roll = rng.random()
        if roll < 0.35:
            lines.append(f"REMOVE {pick('any')}")
        elif roll < 0.45:
            lines.append(f"BLANK {pick('text')}  # identifying")
        elif roll < 0.55:
            lines.append(f"REPLACE {pick('text')} " + rng.choice(["var:new_id", "func:pseudonym", "ANONYMOUS",
                                                                   "deid_func:basic_uuid"]))
        elif roll < 0.62:
            lines.append(f"JITTER {pick('date')} {rng.randint(-30, 30)}")
        elif roll < 0.70:
            lines.append(f"KEEP {pick('any')}")
        elif roll < 0.76:
            lines.append(f"ADD {pick('text')} value{i}")
        elif roll < 0.84:
            word, size = pick("any"), rng.randint(4, 9)
            lines.append(rng.choice([f"REMOVE contains:{word[:size]}", f"REMOVE startswith:{word[:size]}",
                                     f"REMOVE endswith:{word[-size:]}"]))
        elif roll < 0.90:
            tag = int(keyword_dict[pick("any")])
            lines.append(rng.choice([f"REMOVE ({tag >> 16:04X},{tag & 0xFFFF:04X})", f"BLANK {tag:08X}"]))
        elif roll < 0.95 and lists:
            lines.append(f"REPLACE {rng.choice(lists)} var:source_id")
        else:
            lines.append(f"# a comment about line {i}")
    return lines


def generate(total: int = 10_000, seed: int = 0) -> str:
    """Return a valid recipe of ``total`` lines using every section kind and action."""
    rng = random.Random(seed)
    pick = _keywords(rng)
    lines = ["FORMAT dicom", "", "%labels", "ADD MAINTAINER someone@example.org", "ADD VERSION 1.0", ""]
    lists: list[str] = []
    block = 0
    while len(lines) < total:
        block += 1
        kind = block % 5
        if kind == 1:
            lists.append(f"values:names{block}")
            lines += [f"%values names{block}", f"FIELD {pick('text')}", f'SPLIT {pick("text")} by="^";minlength=3', ""]
        elif kind == 2:
            lists.append(f"fields:found{block}")
            lines += [f"%fields found{block}", f"FIELD contains:{pick('any')[:6]}", ""]
        elif kind == 3:
            lines += [f"%filter graylist{block}", "", f"LABEL Scanner {block} # (someone)",
                      "  contains Modality CT|MR", f"  + contains Manufacturer Vendor{block}",
                      "  || empty ImageType", f"  ctpcoordinates 0,0,{rng.randint(100, 600)},40", ""]
        else:
            lines += _header(rng, pick, lists, rng.randint(20, 60)) + [""]
    return "\n".join(lines[:total]) + "\n"


def _warm(path: str) -> float:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        start = time.perf_counter()
        main(["lint", path])
        return time.perf_counter() - start


def _cold(path: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "deidc", "lint", path], capture_output=True, check=False)
    return time.perf_counter() - start


def _exit_and_summary(path: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        code = main(["lint", path])
    return code, err.getvalue().strip().splitlines()[-1]


def run(repeat: int, lines: int) -> str:
    """Time both recipes and return the table (markdown)."""
    with tempfile.TemporaryDirectory() as folder:
        generated = Path(folder) / "generated.deid"
        generated.write_text(generate(lines), encoding="utf-8")
        default = Path(folder) / "deid.dicom"
        default.write_text((resources.files("deid") / "data" / "deid.dicom").read_text(encoding="utf-8"),
                           encoding="utf-8")
        rows = ["| recipe | lines | warm (best) | cold (best) | lint says |", "|---|---:|---:|---:|---|"]
        for name, path in ((f"generated, {lines} lines", generated), ("deid's default (deid.dicom)", default)):
            count = len(path.read_text(encoding="utf-8").splitlines())
            code, summary = _exit_and_summary(str(path))
            warm = min(_warm(str(path)) for _ in range(repeat))
            cold = min(_cold(str(path)) for _ in range(repeat))
            rows.append(f"| {name} | {count} | {warm * 1000:.0f} ms | {cold * 1000:.0f} ms | exit {code}: {summary} |")
    return "\n".join(rows)


def main_bench(argv: Sequence[str] | None = None) -> int:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure; the best is kept (default 5)")
    parser.add_argument("--lines", type=int, default=10_000, help="lines of the generated recipe (default 10000)")
    args = parser.parse_args(argv)
    print(f"python {sys.version.split()[0]}, best of {args.repeat}")
    print(run(args.repeat, args.lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main_bench())
