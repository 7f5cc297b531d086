"""The registry of diagnostic codes: every code is declared here once.

Codes are numbered by stage: ``0xx`` syntax; ``1xx`` names (sections, actions,
criteria, expanders, keywords, lists, functions); ``2xx`` arguments and values;
``3xx`` rule interactions; ``4xx`` run-time inputs. A code is never reused or
renumbered: it is a public, stable interface (``--select``/``--ignore`` use it).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Final


class Severity(enum.Enum):
    """How serious a diagnostic is."""

    ERROR = "error"  #: stops lowering: the recipe will not run
    WARNING = "warning"  #: the recipe runs, but probably not as meant
    NOTE = "note"  #: context only


@dataclass(frozen=True, slots=True)
class Code:
    """One registered diagnostic code."""

    code: str  #: ``DEIDnnn``
    name: str  #: kebab-case name
    severity: Severity  #: its default severity
    description: str  #: one line: what it means


REGISTRY: Final[dict[str, Code]] = {}


def _code(code: str, name: str, severity: Severity, description: str) -> Code:
    entry = Code(code, name, severity, description)
    assert code not in REGISTRY, code
    REGISTRY[code] = entry
    return entry


E, W = Severity.ERROR, Severity.WARNING

# 0xx: syntax
SYNTAX_ERROR = _code("DEID001", "syntax-error", E, "a line does not have the shape of any recipe line")
UNTERMINATED_QUOTE = _code("DEID002", "unterminated-quote", E, 'a double quote (") is not closed on its line')
MISSING_FIELD = _code("DEID003", "missing-field", E, "an action or criterion has no field")
BAD_COORDINATES = _code("DEID004", "bad-coordinates", E,
                        "a coordinates line is not 'all', 'from:Keyword' or four integers")
BAD_SPLIT_OPTIONS = _code("DEID005", "bad-split-options", E, "SPLIT options are not name=value pairs joined by ';'")
TRAILING_TEXT = _code("DEID006", "trailing-text", E, "a complete line is followed by more text")
NOT_TEXT = _code("DEID007", "not-text", E, "the recipe file is not UTF-8 text")
TOO_MANY_ERRORS = _code("DEID008", "too-many-errors", E, "so many syntax errors that only the first ones are reported")
BAD_FUNC_ARGS = _code("DEID009", "bad-func-args", E, "a deid_func: without a name, or arguments not written key=value")

# 1xx: names
UNKNOWN_ACTION = _code("DEID101", "unknown-action", E, "an action word that is not an action of its section")
UNKNOWN_SECTION = _code("DEID102", "unknown-section", E, "a %section word that is not a section of the language")
UNKNOWN_EXPANDER = _code("DEID103", "unknown-expander", E, "an expander name that does not exist")
UNKNOWN_CRITERION = _code("DEID104", "unknown-criterion", E, "a filter criterion word that does not exist")
UNKNOWN_KEYWORD = _code("DEID105", "unknown-keyword", W, "a keyword that is not in the DICOM dictionary")
UNKNOWN_LIST = _code("DEID106", "unknown-list", E, "a values:/fields: reference to a list the recipe does not define")
UNKNOWN_DEID_FUNC = _code("DEID107", "unknown-deid-func", E, "a deid_func: name that is not a built-in")
SECTION_NEEDS_NAME = _code("DEID108", "section-needs-name", E, "a %values, %fields or %filter section without a name")
SECTION_TAKES_NO_NAME = _code("DEID109", "section-takes-no-name", E, "a %header or %labels section with a name")
OUTSIDE_SECTION = _code("DEID110", "outside-section", E, "an action before the first section")
WRONG_SECTION = _code("DEID111", "wrong-section", E, "a line that belongs in another kind of section")
MISSING_FORMAT = _code("DEID112", "missing-format", E, "the recipe has no FORMAT line")
UNKNOWN_FORMAT = _code("DEID113", "unknown-format", E, "a FORMAT that is not 'dicom'")
REPEATED_FORMAT = _code("DEID114", "repeated-format", W, "more than one FORMAT line")
REOPENED_SECTION = _code("DEID115", "reopened-section", W, "a named section defined twice: its lines are joined")
UNUSED_LIST = _code("DEID116", "unused-list", W, "a %values or %fields list that no action uses")
CRITERION_BEFORE_LABEL = _code("DEID117", "criterion-before-label", E, "a filter line before the first LABEL")
UNKNOWN_OPTION = _code("DEID118", "unknown-option", E, "a SPLIT option other than 'by' and 'minlength'")
UNKNOWN_FUNC_ARG = _code("DEID119", "unknown-func-arg", E, "an argument a deid_func: built-in does not take")
LIST_SHADOWS_NAME = _code("DEID120", "list-shadows-variable", W, "a list and a var: share a name")
LIST_NAME_HAS_SPACE = _code("DEID121", "list-name-has-space", W, "a list name with a space: no reference can name it")

# 2xx: arguments and values
MISSING_VALUE = _code("DEID201", "missing-value", E, "an action that needs a value has none")
UNEXPECTED_VALUE = _code("DEID202", "unexpected-value", E, "an action that takes no value has one")
INVALID_REGEX = _code("DEID203", "invalid-regex", E, "an expander or filter pattern is not a valid regular expression")
BAD_JITTER = _code("DEID204", "bad-jitter", E, "a JITTER amount that is not a whole number of days")
MALFORMED_FIELD = _code("DEID205", "malformed-field", E, "a field that has no known form")
ADD_NEEDS_EXACT = _code("DEID206", "add-needs-exact-field", E, "ADD names one element: a keyword or a tag")
BAD_OPTION_VALUE = _code("DEID207", "bad-option-value", E, "a SPLIT or deid_func: argument with a value it cannot take")
EMPTY_PATTERN = _code("DEID208", "empty-pattern", E, "an expander without a pattern")
GROUP_IN_GROUP = _code("DEID209", "group-in-group", E, "a values:/fields: reference inside a %values/%fields list")
CRITERION_ARITY = _code("DEID210", "criterion-arity", E, "a filter criterion with a missing or extra value")
BAD_SELECT = _code("DEID211", "bad-select", E, "a select: expander that is not select:vr:XX or select:group:GGGG")
FILTER_FIELD_FORM = _code("DEID212", "filter-field-form", E, "a filter field that is not a keyword or a tag")
GROUP_OPTIONS = _code("DEID213", "unexpected-options", E, "options on a line that takes none")
NO_SUCH_TAG = _code("DEID214", "bad-tag", E, "a private-creator field whose group is not private")
SPACE_AFTER_PREFIX = _code("DEID215", "space-after-prefix", W,
                           "a space between 'var:', 'func:' or 'deid_func:' and its name")

# 3xx: rule interactions and values, found on the compiled plan (warnings: the recipe still runs)
HIDDEN_BY_KEEP = _code("DEID301", "hidden-by-keep", W, "an action that never applies: a KEEP hides its elements")
OVERRIDDEN_ACTION = _code("DEID302", "overridden-action", W, "an action whose effect a later action always undoes")
DUPLICATE_ACTION = _code("DEID303", "duplicate-action", W, "an action that repeats an earlier one exactly")
CONFLICTING_ACTIONS = _code("DEID304", "conflicting-actions", W,
                            "two actions give one element different outcomes: the later one wins")
SPARED_BY_REPLACE = _code("DEID305", "spared-by-replace", W,
                          "a REMOVE that never applies: a REPLACE of the same element always writes it")
PATTERN_MATCHES_NOTHING = _code("DEID306", "pattern-matches-nothing", W,
                                "an expander pattern that matches no keyword, name or tag of the DICOM dictionary")
JITTER_NOT_A_DATE = _code("DEID307", "jitter-not-a-date", W,
                          "JITTER on an element that is not a date (DA) or date-time (DT)")
INVALID_UID = _code("DEID308", "invalid-uid", W, "a literal that is not a valid UID, for a UID (UI) element")
VALUE_TOO_LONG = _code("DEID309", "value-too-long", W, "a literal longer than the element's VR allows")
NOT_A_NUMBER = _code("DEID310", "not-a-number", W,
                     "a literal that is not a number, or out of range, for a numeric element")
INVALID_VALUE = _code("DEID311", "invalid-value", W,
                      "a literal the element's VR does not allow, e.g. lower case in a code string (CS)")
LABEL_NEVER_MATCHES = _code("DEID312", "label-never-matches", W, "a filter LABEL whose criteria contradict each other")

# 4xx: run-time inputs
MISSING_VARIABLE = _code("DEID401", "missing-variable", E, "a var: the run does not provide")
MISSING_FUNCTION = _code("DEID402", "missing-function", E, "a func: the run does not provide")
UNREADABLE_FILE = _code("DEID403", "unreadable-file", E, "an input that cannot be read as DICOM")
OUTPUT_EXISTS = _code("DEID404", "output-exists", E, "an output file exists and overwrite is off")
RECIPE_NOT_FOUND = _code("DEID405", "recipe-not-found", E, "a recipe path or name that does not exist")
