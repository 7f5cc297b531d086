"""The command line: ``argv`` → exit code.

``deidc lint`` checks recipes and ``deidc compile`` prints their plan. This is the
only module that prints. Exit codes follow ruff: 0 clean (warnings allowed), 1 recipe
errors, 2 bad usage, unreadable input or an internal error.

Subcommands live in :data:`COMMANDS`: to add one, write a ``configure`` function that
declares its arguments and a ``run`` function that returns the exit code, and register
them there.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from deidc import __version__, cli_explain, cli_fmt, cli_run, codes
from deidc.codes import REGISTRY, Severity
from deidc.compiler import check_inputs, compile_sources
from deidc.diagnostics import MAX_SHOWN_PER_FILE, Diagnostic, cap_per_file, make, render, to_sarif
from deidc.source import Source
from deidc.syntax import Parsed, parse

__all__ = ["COMMANDS", "Command", "build_parser", "console", "main"]

FORMATS: Final = ("full", "concise", "json")
LINT_FORMATS: Final = (*FORMATS, "sarif")


class _CannotRead(Exception):
    """An input path that does not exist or cannot be read (exit code 2)."""

    def __init__(self, path: str, error: OSError) -> None:
        super().__init__(f"cannot read {path}: {error.strerror or error}")


@dataclass(frozen=True)
class Command:
    """A subcommand: its help line, how it declares arguments, and how it runs."""

    help: str  #: one line, shown by ``deidc --help``
    configure: Callable[[argparse.ArgumentParser], None]  #: adds the command's arguments
    run: Callable[[argparse.Namespace], int]  #: does the work and returns the exit code


# ---------------------------------------------------------------- inputs


def _is_recipe_name(name: str) -> bool:
    return name.startswith("deid") or name.endswith(".deid")


def _expand(paths: Iterable[str]) -> list[str]:
    """Return the files named, with every recipe file under each folder, in sorted order."""
    found: list[str] = []
    for arg in paths:
        path = Path(arg)
        if path.is_dir():
            try:
                found += sorted(str(p) for p in path.rglob("*") if p.is_file() and _is_recipe_name(p.name))
            except OSError as error:
                raise _CannotRead(arg, error) from error
        elif path.exists():
            found.append(arg)
        else:
            raise _CannotRead(arg, FileNotFoundError(2, "No such file or directory"))
    return list(dict.fromkeys(found))


def _read(path: str) -> Source | tuple[Source, Diagnostic]:
    """Read one recipe: its source, or a stand-in source and a DEID007 if it is not UTF-8."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise _CannotRead(path, error) from error
    try:
        return Source(path, data.decode("utf-8"))
    except UnicodeDecodeError as error:
        source = Source(path, data.decode("utf-8", errors="replace"))
        offset = len(data[: error.start].decode("utf-8"))
        diagnostic = make(
            codes.NOT_TEXT,
            f"the recipe is not UTF-8 text: byte 0x{data[error.start]:02X} cannot be decoded",
            source.span(offset, offset + 1),
            path=path,
            help="save the recipe as UTF-8",
            label="not UTF-8",
        )
        return source, diagnostic


def _load(paths: Sequence[str]) -> tuple[list[Parsed], list[Diagnostic], dict[str, Source]]:
    """Read and parse recipes; files that are not text become diagnostics instead."""
    parsed: list[Parsed] = []
    unreadable: list[Diagnostic] = []
    sources: dict[str, Source] = {}
    for path in paths:
        read = _read(path)
        if isinstance(read, tuple):
            sources[path] = read[0]
            unreadable.append(read[1])
        else:
            sources[path] = read
            parsed.append(parse(read))
    return parsed, unreadable, sources


# ---------------------------------------------------------------- output


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    counts = Counter(d.severity for d in diagnostics)
    parts = [_plural(counts[Severity.ERROR], "error"), _plural(counts[Severity.WARNING], "warning")]
    if counts[Severity.NOTE]:
        parts.append(_plural(counts[Severity.NOTE], "note"))
    return f"{', '.join(parts)} in {_plural(files, 'file')}"


def _left_out(path: str, hidden: Sequence[Diagnostic], fmt: str, help: str) -> str:
    """Render the note that ends a file's diagnostics when some were left out (:func:`cap_per_file`)."""
    counts = Counter(d.severity for d in hidden)
    kinds = ", ".join(_plural(counts[s], s.value) for s in Severity if counts[s])
    note = (f"{path}: note: {_plural(len(hidden), 'more diagnostic')} not shown ({kinds}): text output shows "
            f"{MAX_SHOWN_PER_FILE} per file, errors first")
    return note if fmt == "concise" else f"{note}\n  = help: {help}"


def _render_text(diagnostics: Sequence[Diagnostic], sources: Mapping[str, Source], fmt: str, help: str) -> str:
    """Render diagnostics as ``full`` or ``concise`` text, at most :data:`MAX_SHOWN_PER_FILE` per file.

    Each file with more ends with a note that counts the others, and says how to see them (``help``).
    """
    shown, hidden = cap_per_file(diagnostics)
    if not hidden:
        return render(shown, sources, format=fmt)
    parts = []
    for path, group in itertools.groupby(shown, key=lambda d: d.path):
        parts.append(render(group, sources, format=fmt))
        if path in hidden:
            parts.append(_left_out(path, hidden[path], fmt, help))
    return ("\n" if fmt == "concise" else "\n\n").join(parts)


def _report(diagnostics: Sequence[Diagnostic], sources: dict[str, Source], fmt: str, files: int) -> None:
    """Print diagnostics to stdout in ``fmt``; in text formats, a summary to stderr.

    JSON and SARIF list every diagnostic; text formats at most :data:`MAX_SHOWN_PER_FILE` per file, with
    a note for the others. The summary counts them all.
    """
    if fmt == "json":
        print(render(diagnostics, sources, format="json"))
        return
    if fmt == "sarif":
        print(json.dumps(to_sarif(diagnostics, version=__version__), indent=2))
        return
    if diagnostics:
        print(_render_text(diagnostics, sources, fmt, "fix these and lint again, narrow them with --select or "
                           "--ignore, or list every one with --format json"))
        if fmt == "full":
            print()
    print(_summary(diagnostics, files), file=sys.stderr)


def _code_list(text: str) -> tuple[str, ...]:
    """Parse ``DEID105,DEID2``: codes or code prefixes (an argparse type)."""
    items = tuple(item.strip().upper() for item in text.split(",") if item.strip())
    for item in items:
        if not any(code.startswith(item) for code in REGISTRY):
            raise argparse.ArgumentTypeError(
                f"'{item}' is not a diagnostic code or a prefix of one (e.g. DEID105, DEID1)")
    return items


def _selected(diagnostics: Iterable[Diagnostic], select: Sequence[str], ignore: Sequence[str]) -> list[Diagnostic]:
    return [
        d for d in diagnostics
        if (not select or d.code.startswith(tuple(select))) and not d.code.startswith(tuple(ignore))
    ]


# ---------------------------------------------------------------- lint


def _configure_lint(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="recipe files, or folders to search for deid* and *.deid files")
    parser.add_argument("--format", choices=LINT_FORMATS, default="full",
                        help="how to print diagnostics (default: full; sarif: a SARIF 2.1.0 log)")
    parser.add_argument("--select", type=_code_list, action="extend", default=[], metavar="CODES",
                        help="report only these codes or prefixes, comma-separated (e.g. DEID1,DEID203)")
    parser.add_argument("--ignore", type=_code_list, action="extend", default=[], metavar="CODES",
                        help="do not report these codes or prefixes, comma-separated")
    parser.add_argument("--exit-zero", action="store_true", help="exit with 0 even when there are errors")
    inputs = parser.add_argument_group("run inputs", "check that a run provides every var: and func: the recipes "
                                       "need (DEID401, DEID402); checked when one of these options is given")
    inputs.add_argument("--var", dest="variables", action="append", default=[], type=cli_run.parse_var,
                        metavar="NAME=VALUE", help="a variable the run provides (repeatable)")
    inputs.add_argument("--func", dest="functions", action="append", default=[], metavar="NAME",
                        help="a function the run provides (repeatable)")
    inputs.add_argument("--inputs", action="store_true",
                        help="check the run's inputs even when it provides none")


def _run_lint(args: argparse.Namespace) -> int:
    files = _expand(args.paths)
    if not files:
        print("deidc: warning: no recipe files found (deid* or *.deid)", file=sys.stderr)
    parsed, diagnostics, sources = _load(files)
    binding = args.inputs or bool(args.variables) or bool(args.functions)
    for one in parsed:
        compiled = compile_sources([one])
        diagnostics += compiled.diagnostics
        if binding:
            diagnostics += check_inputs(compiled, variables=[name for name, _ in args.variables],
                                        functions=args.functions)
    diagnostics = _selected(diagnostics, args.select, args.ignore)
    _report(diagnostics, sources, args.format, len(files))
    failed = any(d.is_error for d in diagnostics)
    return 1 if failed and not args.exit_zero else 0


# ---------------------------------------------------------------- compile


def _configure_compile(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recipes", nargs="+", metavar="RECIPE", help="recipe files; several combine, in order")
    parser.add_argument("--emit", choices=("text", "json"), default="text",
                        help="print the plan as text (default) or as JSON")


def _run_compile(args: argparse.Namespace) -> int:
    parsed, unreadable, sources = _load(args.recipes)
    if unreadable:
        print(render(unreadable, sources) + "\n", file=sys.stderr)
        print(_summary(unreadable, len(args.recipes)), file=sys.stderr)
        return 1
    compiled = compile_sources(parsed)
    if compiled.diagnostics:
        print(_render_text(compiled.diagnostics, sources, "full", "fix these and compile again, or list every one "
                           "with 'deidc lint --format json'") + "\n", file=sys.stderr)
    if compiled.plan is None:
        print(_summary(compiled.diagnostics, len(args.recipes)), file=sys.stderr)
        return 1
    if args.emit == "json":
        from deidc.plan_json import plan_to_json

        print(json.dumps(plan_to_json(compiled.plan), indent=2))
    else:
        print(compiled.plan.to_text(), end="")
    return 0


# ---------------------------------------------------------------- main

#: the subcommands, by name; ``run`` will be added here
COMMANDS: Final[dict[str, Command]] = {
    "lint": Command("check recipes and report problems", _configure_lint, _run_lint),
    "compile": Command("compile recipes and print the plan", _configure_compile, _run_compile),
    "run": Command("de-identify DICOM files and folders with recipes", cli_run.configure, cli_run.run),
    "explain": Command("show what recipes do to one DICOM file, and which line decided each change",
                       cli_explain.configure, cli_explain.run),
    "fmt": Command("format recipes in place (or --check, --diff)", cli_fmt.configure, cli_fmt.run),
}


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with one subparser per entry of :data:`COMMANDS`.

    Returns:
        The parser; ``command`` holds the subcommand's name and ``debug`` is always set.
    """
    parser = argparse.ArgumentParser(prog="deidc", description="Compile and check DICOM de-identification recipes.")
    parser.add_argument("--version", action="version", version=f"deidc {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an internal error")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name, command in COMMANDS.items():
        sub = subparsers.add_parser(name, help=command.help, description=command.help[0].upper() + command.help[1:])
        sub.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
        command.configure(sub)
    return parser


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    return code if isinstance(code, int) else 2


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit code.

    Args:
        argv: The arguments without the program name; ``sys.argv[1:]`` when None.

    Returns:
        0 on success (warnings allowed), 1 when a recipe has errors, 2 on bad usage,
        unreadable input or an internal error.
    """
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits after --help, --version and usage errors
        return _exit_code(exit_.code)
    try:
        return COMMANDS[args.command].run(args)
    except _CannotRead as error:
        print(f"deidc: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:
        if args.debug:
            raise
        reason = " ".join(str(error).split())
        print(f"deidc: internal error: {type(error).__name__}: {reason} (run with --debug for the traceback)",
              file=sys.stderr)
        return 2


def console() -> None:
    """Run :func:`main` as the ``deidc`` console script and exit with its code."""
    raise SystemExit(main())
