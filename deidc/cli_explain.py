"""``deidc explain``: recipes + one DICOM file → what each touched element becomes, and which line decided it.

The explanation itself is :func:`deidc.explain.explain`; this module reads the inputs,
reports problems and prints. Exit codes: 0 explained, 1 a recipe error, a missing input
or a step that cannot run on the file, 2 bad usage or an unreadable file.
"""

from __future__ import annotations

import argparse
import sys

import pydicom
from pydicom.errors import InvalidDicomError

from deidc.cli_run import add_recipe_arguments, compile_plan
from deidc.explain import explain, explanation_text
from deidc.runtime import StepError

__all__ = ["configure", "run"]


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the arguments of ``deidc explain``."""
    add_recipe_arguments(parser)
    parser.add_argument("file", metavar="FILE", help="the DICOM file")
    parser.add_argument("--force", action="store_true", help="read a file without the DICM preamble")
    parser.add_argument("--width", type=int, default=40, metavar="N",
                        help="show at most about N characters of each value (default: 40)")


def run(args: argparse.Namespace) -> int:
    """Run ``deidc explain`` and return its exit code."""
    variables: dict[str, object] = dict(args.variables)
    plan = compile_plan([args.recipe, *args.more_recipes], variables)
    if plan is None:
        return 1
    try:
        dataset = pydicom.dcmread(args.file, force=args.force)
    except (OSError, InvalidDicomError, ValueError, EOFError, TypeError) as error:
        print(f"deidc: error: cannot read {args.file} as DICOM: {error}", file=sys.stderr)
        return 2
    try:
        explanation = explain(plan, dataset, variables, file=args.file)
    except StepError as error:
        print(f"deidc: error: {args.file}: {error}", file=sys.stderr)
        return 1
    print(explanation_text(explanation, width=max(args.width, 8)), end="")
    return 0
