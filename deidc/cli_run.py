"""``deidc run``: recipes + DICOM files and folders → de-identified copies, a summary and a record.

The recipes are compiled first and every ``var:`` they need is checked before the
first file is read, so a recipe problem touches nothing. Files then stream through
:func:`deidc.batch.run_batch` (which writes atomically and never replaces a file
unless told); a progress bar goes to stderr when it is a terminal; the summary table
goes to stdout. Exit codes: 0 every file succeeded, 1 a recipe error, a missing input
or a failed file, 2 bad usage, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import IO, Final

from tqdm import tqdm

from deidc.batch import BatchOptions, FileResult, iter_inputs, run_batch
from deidc.compiler import compile_sources, missing_inputs
from deidc.data import DATASETS, get_dataset
from deidc.diagnostics import render
from deidc.errors import InputError
from deidc.plan import Plan

__all__ = ["UsageError", "compile_plan", "configure", "parse_var", "run", "summary_text"]

#: the actions that change elements, in the order the summary lists them
CHANGING: Final = ("ADD", "BLANK", "JITTER", "REPLACE", "REMOVE")


class UsageError(Exception):
    """A problem with the command line found after parsing it (exit code 2)."""


# ---------------------------------------------------------------- shared with ``deidc explain``


def parse_var(text: str) -> tuple[str, str]:
    """Parse ``NAME=VALUE`` (an argparse type).

    Args:
        text: The argument of ``--var``.

    Returns:
        The name (stripped) and the value (as written; it may be empty).

    Raises:
        argparse.ArgumentTypeError: There is no ``=`` or no name.
    """
    name, equals, value = text.partition("=")
    if not equals or not name.strip():
        raise argparse.ArgumentTypeError(f"'{text}' is not NAME=VALUE (e.g. --var id=new-id)")
    return name.strip(), value


def add_recipe_arguments(parser: argparse.ArgumentParser) -> None:
    """Declare ``RECIPE``, ``--recipe`` and ``--var`` (shared by ``run`` and ``explain``)."""
    parser.add_argument("recipe", metavar="RECIPE", help="the recipe file")
    parser.add_argument("--recipe", dest="more_recipes", action="append", default=[], metavar="RECIPE",
                        help="another recipe, run after the first (repeatable)")
    parser.add_argument("--var", dest="variables", action="append", default=[], type=parse_var,
                        metavar="NAME=VALUE", help="the value of a var: the recipe uses (repeatable)")


def compile_plan(recipes: Sequence[str], variables: dict[str, object]) -> Plan | None:
    """Compile recipes and check that the run provides every ``var:`` and ``func:`` they need.

    Diagnostics (errors and warnings) are printed to stderr in the full format.

    Args:
        recipes: The recipe files, in order.
        variables: The ``--var`` values.

    Returns:
        The plan, or None when a recipe has errors or needs an input the run lacks.
    """
    from deidc.cli import _load, _render_text  # the CLI's reader and renderer (late: deidc.cli imports this module)

    parsed, unreadable, sources = _load(recipes)
    if unreadable:
        print(render(unreadable, sources), file=sys.stderr)
        return None
    compiled = compile_sources(parsed)
    if compiled.diagnostics:  # at most 100 per file, errors first, as lint and compile show them
        print(_render_text(compiled.diagnostics, sources, "full", "list every one with 'deidc lint --format json'")
              + "\n", file=sys.stderr)
    if compiled.plan is None:
        return None
    missing = missing_inputs(compiled.plan, variables, {})
    if missing:
        print(render(missing, sources) + "\n", file=sys.stderr)
        count = f"{len(missing)} input{'' if len(missing) == 1 else 's'}"
        print(f"deidc: error: the run does not provide {count} the recipe needs; nothing was read or written",
              file=sys.stderr)
        return None
    return compiled.plan


# ---------------------------------------------------------------- arguments


def _jobs(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of processes (1 or more)")
    return value


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds (more than 0)")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``deidc run``."""
    add_recipe_arguments(parser)
    parser.add_argument("inputs", nargs="*", metavar="INPUT", help="DICOM files, or folders searched recursively")
    parser.add_argument("--dataset", action="append", default=[], choices=DATASETS, metavar="NAME",
                        help=f"add a deid-data example dataset as an input ({', '.join(DATASETS)})")
    parser.add_argument("-o", "--output", metavar="OUT",
                        help="the output folder (created if missing; required unless --dry-run)")
    parser.add_argument("--dry-run", action="store_true", help="process every file but write nothing")
    parser.add_argument("-j", "--jobs", type=_jobs, default=None, metavar="N",
                        help="worker processes (default: all cores)")
    parser.add_argument("--timeout", type=_seconds, default=None, metavar="SECONDS",
                        help="stop a file that takes longer (it fails, the batch goes on; default: no limit)")
    parser.add_argument("--overwrite", action="store_true", help="replace existing outputs (and the record)")
    parser.add_argument("--record", metavar="FILE", help="write one JSON line per file with what changed")
    parser.add_argument("--record-values", action="store_true",
                        help="put original values in the record too (they are identifying)")
    parser.add_argument("--strip-sequences", action="store_true", help="delete top-level sequences first")
    parser.add_argument("--remove-private", action="store_true", help="delete private elements first")
    parser.add_argument("--force", action="store_true", help="read files without the DICM preamble")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="print one line per file; -vv also lists each element changed and the recipe line")


def _inputs(args: argparse.Namespace) -> list[str]:
    inputs = list(args.inputs)
    for name in args.dataset:
        try:
            folder = get_dataset(name)
        except InputError as error:
            raise UsageError(str(error)) from error
        if folder is None:
            raise UsageError(f"unknown dataset '{name}' (choose from {', '.join(DATASETS)})")
        inputs.append(folder)
    if not inputs:
        raise UsageError("no inputs: name DICOM files or folders, or use --dataset NAME")
    for item in inputs:
        if not os.path.exists(item):
            raise UsageError(f"cannot read {item}: No such file or directory")
    return inputs


def _inside(path: str, folder: str) -> bool:
    return os.path.commonpath([path, folder]) == folder


def _check_output(output: str, inputs: Sequence[str]) -> None:
    """Refuse an output folder that would put outputs among (or over) the inputs."""
    out = os.path.realpath(output)
    if os.path.exists(out) and not os.path.isdir(out):
        raise UsageError(f"the output {output} exists and is not a folder")
    for item in inputs:
        real = os.path.realpath(item)
        if os.path.isdir(real) and _inside(out, real):
            raise UsageError(f"the output folder {output} is inside the input folder {item}; "
                             "choose a folder outside the inputs")
        if not os.path.isdir(real) and out == os.path.dirname(real):
            raise UsageError(f"the output folder {output} holds the input {item}, which its output would "
                             "replace; choose another folder")


def _check_record(record: str, inputs: Sequence[str], overwrite: bool) -> None:
    real = os.path.realpath(record)
    for item in inputs:
        if _inside(real, os.path.realpath(item)):
            raise UsageError(f"the record {record} would be written among the inputs ({item})")
    if os.path.isdir(real):
        raise UsageError(f"the record {record} is a folder")
    if os.path.exists(real) and not overwrite:
        raise UsageError(f"the record {record} exists (use --overwrite to replace it)")


# ---------------------------------------------------------------- the run


@dataclass
class Tally:
    """What a run did, for the summary."""

    dry_run: bool = False  #: nothing was written
    processed: int = 0  #: files read
    written: int = 0  #: files written (or, in a dry run, that would be)
    skipped: list[FileResult] = field(default_factory=list)  #: outputs that existed
    failed: list[FileResult] = field(default_factory=list)  #: files that failed
    changes: Counter[str] = field(default_factory=Counter)  #: changed elements by action

    def add(self, result: FileResult) -> None:
        """Count one file's result."""
        self.processed += 1
        if not result.ok:
            self.failed.append(result)
        elif result.skipped:
            self.skipped.append(result)
        else:
            self.written += 1
            self.changes.update(result.counts)


def summary_text(tally: Tally) -> str:
    """Render the summary table and one line per skipped or failed file."""
    rows = [
        ("files processed", tally.processed),
        ("  would be written" if tally.dry_run else "  written", tally.written),
        ("  skipped (exists)", len(tally.skipped)),
        ("  failed", len(tally.failed)),
        ("elements changed", sum(tally.changes[a] for a in CHANGING)),
        *((f"  {action}", tally.changes[action]) for action in CHANGING),
    ]
    width = max(len(label) for label, _ in rows) + 2 + max(len(str(n)) for _, n in rows)
    lines = ["dry run: no file was written"] if tally.dry_run else []
    lines += [label + str(count).rjust(width - len(label)) for label, count in rows]
    for result in tally.skipped:
        lines.append(f"skipped  {result.path}  {result.code or 'DEID404'}  {_one_line(result.reason or 'exists')}")
    for result in tally.failed:
        lines.append(f"failed   {result.path}  {result.code}  {_one_line(result.reason or '')}")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _Record:
    """The ``--record`` file: JSON lines written to a temporary file, renamed into place at the end."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self.temporary: str | None = None
        self.handle: IO[str] | None = None

    def __enter__(self) -> _Record:
        if self.path is not None:
            folder = os.path.dirname(os.path.abspath(self.path))
            os.makedirs(folder, exist_ok=True)
            descriptor, self.temporary = tempfile.mkstemp(prefix=".deidc-", suffix=".part", dir=folder)
            self.handle = os.fdopen(descriptor, "w", encoding="utf-8")
        return self

    def write(self, result: FileResult, output: str | None) -> None:
        if self.handle is None:
            return
        line: dict[str, object] = {"file": result.path, "output": output, "ok": result.ok,
                                   "changes": list(result.changes)}
        if result.skipped:
            line["skipped"] = True
        if result.reason is not None:
            line["code"], line["reason"] = result.code, result.reason
        self.handle.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        if self.handle is None or self.temporary is None or self.path is None:
            return
        self.handle.close()
        if kind is None:
            os.replace(self.temporary, self.path)
        elif os.path.exists(self.temporary):
            os.unlink(self.temporary)


def _verbose_line(result: FileResult, output: str | None, dry_run: bool) -> str:
    count = sum(result.counts.values())
    changes = f"{count} change{'' if count == 1 else 's'}"
    if not result.ok:
        return f"{result.path} → failed: {result.code} {_one_line(result.reason or '')}"
    if result.skipped:
        return f"{result.path} → {output} exists, skipped ({changes})"
    return f"{result.path} → {output or '-'} ({changes}{', dry run' if dry_run else ''})"


def _change_line(change: dict[str, object]) -> str:
    """Return one change of the record as ``  ACTION keyword (address) = value  ← path:line``."""
    element = f"{change['keyword'] or 'private'} {change['element']}"
    after = change.get("after")
    value = "" if change["action"] == "REMOVE" or after is None else f" = {_one_line(str(after))[:40]!r}"
    return f"    {change['action']:<8}{element}{value}  ← {change['origin']}"


def _process(plan: Plan, args: argparse.Namespace, inputs: Sequence[str], variables: dict[str, object]) -> Tally:
    total = sum(1 for _ in iter_inputs(inputs))  # for the progress bar; the files themselves stream through
    if not total:
        print("deidc: warning: no files found in the inputs", file=sys.stderr)
    jobs = max(1, min(args.jobs or os.cpu_count() or 1, total))
    options = BatchOptions(output=args.output, variables=variables, overwrite=args.overwrite, dry_run=args.dry_run,
                           strip_sequences=args.strip_sequences, remove_private=args.remove_private,
                           force=args.force, record_values=args.record_values,
                           change_rows=args.record is not None or args.verbose > 1)
    tally = Tally(dry_run=args.dry_run)
    bar = tqdm(total=total, file=sys.stderr, unit="file", disable=not sys.stderr.isatty(), dynamic_ncols=True)
    with _Record(args.record) as record, bar:
        for result in run_batch(plan, iter_inputs(inputs), options, jobs, args.timeout):
            tally.add(result)
            record.write(result, result.output)
            if args.verbose:
                tqdm.write(_verbose_line(result, result.output, args.dry_run), file=sys.stdout)
            if args.verbose > 1:
                for change in result.changes:
                    tqdm.write(_change_line(change), file=sys.stdout)
            bar.update()
    return tally


def run(args: argparse.Namespace) -> int:
    """Run ``deidc run`` and return its exit code."""
    variables: dict[str, object] = dict(args.variables)
    try:
        inputs = _inputs(args)
        if args.output is None and not args.dry_run:
            raise UsageError("-o OUT is required (or use --dry-run to see what would change)")
        if args.output is not None:
            _check_output(args.output, inputs)
        if args.record is not None:
            _check_record(args.record, inputs, args.overwrite)
    except UsageError as error:
        print(f"deidc: error: {error}", file=sys.stderr)
        return 2
    plan = compile_plan([args.recipe, *args.more_recipes], variables)
    if plan is None:
        return 1
    if args.output is not None and not args.dry_run:
        os.makedirs(args.output, exist_ok=True)
    try:
        tally = _process(plan, args, inputs, variables)
    except KeyboardInterrupt:
        print("deidc: interrupted; files already written are complete, no partial file was left",
              file=sys.stderr)
        return 130
    print(summary_text(tally))
    return 1 if tally.failed else 0
