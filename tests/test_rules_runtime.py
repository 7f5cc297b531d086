"""The interaction warnings agree with the runtime: a line they call useless changes no output.

For random recipes over a few elements, each DEID301-DEID305 warning names a line that
never matters; deleting that line must leave the result of running the recipe on every
sample dataset unchanged (the same dataset, or the same failure). A line whose only effect
is to fail the file (JITTER of a value that is not a date) is not judged: that is a
problem of the data, reported when the file is run.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from deidc.compiler import compile_recipe
from deidc.runtime.engine import StepError, execute

HEAD = "FORMAT dicom\n%header\n"
LISTS = "FORMAT dicom\n%values v\nFIELD PatientID\n%fields f\nFIELD PatientName\n%header\n"
#: codes that say a line has no effect on the output (a repeated JITTER does: it is left out)
USELESS = {"DEID301", "DEID302", "DEID303", "DEID304", "DEID305"}
EXACT = ["PatientID", "PatientName", "StudyDate", "(0010,0020)", "PatientIdentityRemoved", '(0009,"ACME",01)']
FIELDS = [*EXACT, "ReferencedStudySequence", "ReferencedSOPInstanceUID",
          "ReferencedStudySequence__ReferencedSOPInstanceUID", "ReferencedStudySequence__PatientID",
          "(0008,1110)__0__(0008,1155)", "00091001", "ALL", "contains:Patient", "endswith:Date", "select:vr:PN",
          "values:v", "fields:f"]
VALUES = ["X", "20000101", "var:v", "func:none", "func:val"]


def _sample(full: bool) -> Dataset:
    dataset = Dataset()
    dataset.PatientName = "Doe^John"
    dataset.StudyDate = "20230101"
    item = Dataset()
    item.ReferencedSOPInstanceUID = "1.2.3"
    item.PatientID = "nested"
    dataset.ReferencedStudySequence = Sequence([item])
    dataset.private_block(0x0009, "ACME", create=True).add_new(0x01, "LO", "secret")
    if full:
        dataset.PatientID = "123"
        dataset.PatientIdentityRemoved = "NO"
    return dataset


def _lookup() -> dict[str, object]:
    def none(**_: object) -> None:
        return None

    def val(**_: object) -> str:
        return "FROM-FUNC"

    return {"v": "FROM-VAR", "flag": True, "days": 2, "none": none, "val": val}


def _freeze(dataset: Dataset) -> object:
    return tuple((int(e.tag), e.VR, tuple(_freeze(i) for i in e.value) if e.VR == "SQ" else str(e.value))
                 for e in dataset)


def outcome(text: str, removed: int = 0) -> list[object]:
    plan = compile_recipe(text, path="r.deid").plan
    assert plan is not None
    results: list[object] = []
    for full in (True, False):
        dataset = _sample(full)
        try:
            execute(plan, dataset, _lookup())
        except StepError as error:
            line = error.step.origin.line
            results.append(("failed", line + 1 if removed and line >= removed else line))
            continue
        results.append(_freeze(dataset))
    return results


def _line(draw: Callable[..., object]) -> str:
    action = draw(st.sampled_from(["ADD", "REPLACE", "JITTER", "REMOVE", "BLANK", "KEEP"]))
    field = draw(st.sampled_from(EXACT if action == "ADD" else FIELDS))
    if action in ("ADD", "REPLACE"):
        return f"{action} {field} {draw(st.sampled_from(VALUES))}"
    if action == "JITTER":
        return f"JITTER {field} {draw(st.sampled_from(['1', 'var:days']))}"
    if action == "REMOVE":
        return f"REMOVE {field} {draw(st.sampled_from(['', 'var:flag', 'func:none']))}".rstrip()
    return f"{action} {field}"


@st.composite
def recipes(draw: Callable[..., object]) -> str:
    count = draw(st.integers(min_value=2, max_value=9))
    return LISTS + "".join(_line(draw) + "\n" for _ in range(count))


def check(text: str) -> None:
    compiled = compile_recipe(text, path="r.deid")
    assert compiled.ok, compiled.diagnostics
    before = outcome(text)
    lines = text.splitlines(keepends=True)
    for diagnostic in compiled.diagnostics:
        if diagnostic.code not in USELESS or "move twice" in diagnostic.message:
            continue
        line = diagnostic.span.line
        without = "".join(text for number, text in enumerate(lines, 1) if number != line)
        after = outcome(without, removed=line)
        for old, new in zip(before, after, strict=True):
            if old != ("failed", line):  # a line whose only effect is to fail the file (a bad date) is not judged
                assert new == old, (diagnostic.code, diagnostic.message)


KNOWN = [
    "KEEP PatientID\nREMOVE PatientID\n",
    "REPLACE PatientID X\nREMOVE PatientID\n",
    "BLANK PatientName\nREMOVE ALL\n",
    "ADD PatientIdentityRemoved X\nREMOVE ALL\n",
    "REPLACE PatientName X\nREPLACE PatientName var:v\nREPLACE PatientName 20000101\n",
    "JITTER StudyDate 1\nREPLACE StudyDate 20000101\n",
    "REMOVE PatientID\nREMOVE (0010,0020)\n",
    "KEEP ALL\nREMOVE contains:Patient\nADD PatientName X\nBLANK PatientName\n",
    "KEEP ReferencedStudySequence\nREMOVE ReferencedStudySequence__ReferencedSOPInstanceUID\n",
]


def test_known_useless_lines_are_reported_and_change_nothing() -> None:
    for body in KNOWN:
        compiled = compile_recipe(HEAD + body, path="r.deid")
        assert {d.code for d in compiled.diagnostics} & USELESS, body
        check(HEAD + body)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(recipes())
@example(HEAD + "REPLACE PatientID func:none\nREMOVE PatientID\n")
@example(HEAD + "KEEP PatientID\nADD PatientID X\nREMOVE PatientID\n")
@example(HEAD + "REPLACE PatientID X\nREMOVE PatientID\nADD PatientID 20000101\n")
def test_a_line_called_useless_changes_no_output(text: str) -> None:
    check(text)
