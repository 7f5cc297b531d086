"""deidc: a compiler for DICOM de-identification recipes (the ``.deid`` language of pydicom/deid).

The pipeline, one function per stage:

- :func:`parse`: recipe text → AST and syntax diagnostics;
- :func:`compile_recipe`: recipe text (or AST) → :class:`Plan` or diagnostics;
- :func:`apply`: plan + pydicom dataset → de-identified dataset and a record of changes;
- :func:`render`: diagnostics → text (``full``, ``concise``) or JSON.

deid's API lives in :mod:`deidc.dicom`, :mod:`deidc.config`, :mod:`deidc.data` and
:mod:`deidc.utils`, under deid's names.
"""

from __future__ import annotations

from deidc.api import Applied, apply
from deidc.compiler import Compiled, compile_recipe, compile_sources
from deidc.diagnostics import Diagnostic, render
from deidc.errors import DeidcError, InputError, RecipeError
from deidc.plan import Plan
from deidc.source import Source, Span
from deidc.syntax import Parsed, parse

__version__ = "0.1.0"

__all__ = [
    "Applied",
    "Compiled",
    "DeidcError",
    "Diagnostic",
    "InputError",
    "Parsed",
    "Plan",
    "RecipeError",
    "Source",
    "Span",
    "__version__",
    "apply",
    "compile_recipe",
    "compile_sources",
    "parse",
    "render",
]
