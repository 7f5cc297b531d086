"""What ``run.py`` and ``scaling.py`` share: cached corpora, one measurement per process, tables."""

from __future__ import annotations

import json
import multiprocessing
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import corpus

__all__ = ["Bench", "Result", "markdown", "rate"]

HERE = Path(__file__).resolve().parent

Result = dict[str, object]


@dataclass
class Bench:
    """Where corpora live and how a measurement is run."""

    workdir: Path  #: corpora and generated recipes go here
    seed: int = 1  #: corpus seed
    pixels: int = 64  #: rows = columns of each image
    verbose: bool = True  #: one progress line per measurement on stderr
    results: list[Result] = field(default_factory=list)  #: every measurement, in order
    errors: list[str] = field(default_factory=list)  #: measurements that failed twice
    save: Path | None = None  #: rewrite this JSON file after each measurement
    header: str = ""  #: saved with the results
    pythonpath: str | None = None  #: put first on the measuring processes' path (a deidc snapshot)

    def corpus(self, profile: str, files: int) -> str:
        """Return a folder with at least ``files`` files of ``profile`` (reused when it exists)."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        stem = f"corpus-{profile}-s{self.seed}-p{self.pixels}-n"
        for stamp in sorted(self.workdir.glob(f"{stem}*.done"), key=lambda p: int(p.stem.rsplit("-n", 1)[1])):
            if int(stamp.stem.rsplit("-n", 1)[1]) >= files:
                return str(stamp.with_suffix(""))
        folder = self.workdir / f"{stem}{files}"
        self.log(f"writing {files} {profile} files to {folder} ...")
        for _ in corpus.write_corpus(profile, files, str(folder), self.seed, self.pixels):
            pass
        folder.with_suffix(".done").write_text("ok\n", encoding="utf-8")
        return str(folder)

    def measure(self, engine: str, folder: str, recipe: str, limit: int | None = None,
                budget: float | None = None, **tags: object) -> Result:
        """Run one measurement in a fresh Python process and return its result (with ``tags``)."""
        args = ["--engine", engine, "--recipe", recipe]
        if folder:
            args += ["--corpus", folder]
        if limit is not None:
            args += ["--limit", str(limit)]
        if budget is not None:
            args += ["--budget", str(budget)]
        try:
            found = self._call(args)
        except RuntimeError:  # e.g. deidc caught half-edited: wait and try once more
            time.sleep(10)
            try:
                found = self._call(args)
            except RuntimeError as error:
                self.errors.append(f"{engine} {recipe} {tags}: {str(error).splitlines()[-1]}")
                self.log(f"  FAILED: {self.errors[-1]}")
                return {}
        found.update(tags, engine=engine, recipe=recipe)
        self.results.append(found)
        self.dump()
        if engine != "compile":
            per_file = 1000 * float(found["seconds"]) / max(int(found["files"]), 1)  # type: ignore[arg-type]
            self.log(f"  {engine:>7} {recipe:<12} {tags}: {found['files']} files, {per_file:.2f} ms/file, "
                     f"peak {found['rss_peak']:.0f} MiB" + (f", {found['failed']} FAILED" if found["failed"] else ""))
        return found

    def _call(self, args: list[str]) -> Result:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as handle:
            target = handle.name
        try:
            env = dict(os.environ)
            if self.pythonpath:
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [self.pythonpath, env.get("PYTHONPATH")]))
            done = subprocess.run([sys.executable, str(HERE / "engines.py"), *args, "--result", target],
                                  capture_output=True, text=True, check=False, env=env)
            if done.returncode != 0:
                raise RuntimeError(f"measurement {args} failed:\n{done.stderr[-3000:]}")
            result: Result = json.loads(Path(target).read_text(encoding="utf-8"))
            return result
        finally:
            os.unlink(target)

    def dump(self, footer: str = "") -> None:
        """Write the results so far (with the header, errors and footer) to ``save``, if set."""
        if self.save is not None:
            saved = {"header": self.header, "footer": footer, "seed": self.seed, "pixels": self.pixels,
                     "errors": self.errors, "results": self.results}
            self.save.write_text(json.dumps(saved, indent=1), encoding="utf-8")

    def log(self, message: str) -> None:
        """Print progress on stderr."""
        if self.verbose:
            print(message, file=sys.stderr, flush=True)

    def select(self, **tags: object) -> list[Result]:
        """Return the results whose fields equal ``tags``."""
        return [r for r in self.results if all(r.get(k) == v for k, v in tags.items())]


def per_file(results: Iterable[Result], key: str = "seconds") -> float | None:
    """Return the median seconds (wall, or ``cpu_seconds``) per file over repetitions (None without results)."""
    values = [float(r[key]) / int(r["files"]) for r in results if int(r["files"])]  # type: ignore[arg-type]
    return statistics.median(values) if values else None


def steady(results: Iterable[Result]) -> float | None:
    """Return the median seconds per file after the first file (None without two files)."""
    values = [(float(r["seconds"]) - float(r["first_seconds"])) / (int(r["files"]) - 1)  # type: ignore[arg-type]
              for r in results if int(r["files"]) > 1]  # type: ignore[call-overload]
    return statistics.median(values) if values else None


def first(results: Iterable[Result]) -> float | None:
    """Return the median seconds of the first file (None without results)."""
    values = [float(r["first_seconds"]) for r in results]  # type: ignore[arg-type]
    return statistics.median(values) if values else None


def _spin(count: int) -> int:
    total = 0
    for number in range(count):
        total += number
    return total


def parallel_capacity(workers: int = 2, count: int = 10_000_000) -> float:
    """Return the speed-up of ``workers`` processes over one on pure CPU work: what the machine can give now."""
    start = time.perf_counter()
    for _ in range(workers):
        _spin(count)
    serial = time.perf_counter() - start
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with context.Pool(workers) as pool:
        start = time.perf_counter()
        pool.map(_spin, [count] * workers)
        parallel = time.perf_counter() - start
    return serial / parallel


def machine_load() -> str:
    """Return the 1, 5 and 15 minute load averages."""
    return "/".join(f"{x:.2f}" for x in os.getloadavg())


def rate(seconds: float | None) -> str:
    """Format seconds per file as files per second."""
    return "—" if not seconds else f"{1 / seconds:,.0f}" if seconds < 0.1 else f"{1 / seconds:.2f}"


def ms(seconds: float | None) -> str:
    """Format seconds as milliseconds."""
    return "—" if seconds is None else f"{1000 * seconds:.2f}" if seconds < 1 else f"{1000 * seconds:,.0f}"


def ratio(a: float | None, b: float | None) -> str:
    """Format a / b."""
    return "—" if not a or not b else f"{a / b:.2f}×" if a / b < 10 else f"{a / b:,.0f}×"


def peak(results: Iterable[Result]) -> str:
    """Format the largest peak RSS and the largest growth during the timed loop, in MiB."""
    found = list(results)
    if not found:
        return "—"
    top = max(float(r["rss_peak"]) for r in found)  # type: ignore[arg-type]
    growth = max(float(r["rss_peak"]) - float(r["rss_before"]) for r in found)  # type: ignore[arg-type]
    return f"{top:.0f} (+{growth:.1f})"


def markdown(headers: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """Return a Markdown table, columns padded for reading as plain text too."""
    body = [[str(c) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(headers)]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    rows_text = ["| " + " | ".join(c.ljust(w) if c[:1].isalpha() else c.rjust(w)
                                   for c, w in zip(r, widths, strict=True)) + " |" for r in body]
    return "\n".join([line, rule, *rows_text])
