"""The rule analysis: a compiled ``Plan`` (with its trees, for spans) → warnings.

It runs after lowering, so only on recipes without errors, and it only ever warns: a
recipe that compiles still compiles. Like the checks, the rules are a tuple of pure
functions; each reads the plan and yields diagnostics, and none raises on user input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Final

from deidc import ast
from deidc.compiler.interactions import check_interactions
from deidc.compiler.rule_filters import check_filters
from deidc.compiler.rule_patterns import check_patterns
from deidc.compiler.rule_values import check_values
from deidc.compiler.where import Where
from deidc.diagnostics import Diagnostic
from deidc.plan import Plan
from deidc.source import Source

Rule = Callable[[Plan, Where], Iterable[Diagnostic]]

RULES: Final[tuple[Rule, ...]] = (
    check_interactions,
    check_patterns,
    check_values,
    check_filters,
)


def analyse(plan: Plan, recipes: Sequence[tuple[ast.Recipe, Source]]) -> list[Diagnostic]:
    """Run every rule on a plan and return their warnings.

    Args:
        plan: the plan lowered from ``recipes``.
        recipes: the checked trees and their sources, in order (the diagnostics point into them).

    Returns:
        The diagnostics, in rule order.
    """
    where = Where.of(recipes)
    found: list[Diagnostic] = []
    for rule in RULES:
        found += rule(plan, where)
    return found
