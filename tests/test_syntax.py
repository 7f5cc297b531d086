"""The syntax stage: each line form parses into its AST node, and no Lark object leaves the stage."""

from __future__ import annotations

import dataclasses
import enum

import pytest

from deidc import ast
from deidc.source import Span
from deidc.syntax import parse, parse_field

HEAD = "FORMAT dicom\n%header\n"


def clean(text: str) -> ast.Recipe:
    parsed = parse(text, "r.deid")
    assert parsed.diagnostics == ()
    return parsed.recipe


def header(text: str) -> tuple[ast.HeaderLine, ...]:
    section = clean(HEAD + text).sections[0]
    assert isinstance(section, ast.HeaderSection)
    return section.body


def action(line: str) -> ast.Action:
    (node,) = header(line + "\n")
    assert isinstance(node, ast.Action)
    return node


def label(text: str) -> ast.LabelBlock:
    section = clean("FORMAT dicom\n%filter f\n" + text).sections[0]
    assert isinstance(section, ast.FilterSection)
    (block,) = section.labels
    return block


def member(line: str) -> ast.Member:
    (node,) = label("LABEL x\n" + line + "\n").body
    assert isinstance(node, ast.Member)
    return node


# ---------------------------------------------------------------- actions and values


def test_action_without_value_has_none() -> None:
    assert action("REMOVE PatientID") == ast.Action(verb="REMOVE", target=ast.FieldName(names=("PatientID",)))


def test_literal_value_keeps_its_inner_spaces() -> None:
    assert action("ADD PatientName John   Smith").value == ast.Literal(text="John   Smith")


def test_quoted_literal_is_unquoted_and_marked() -> None:
    assert action('REPLACE PatientName "John Smith"').value == ast.Literal(text="John Smith", quoted=True)


def test_quoted_literal_keeps_a_hash() -> None:
    assert action('REPLACE PatientName "a # b"').value == ast.Literal(text="a # b", quoted=True)


def test_lone_apostrophe_stays_in_a_literal() -> None:
    assert action("REPLACE InstitutionName St John's").value == ast.Literal(text="St John's")


def test_var_value_names_a_variable() -> None:
    assert action("REPLACE PatientID var:patient_id").value == ast.VarRef(name="patient_id")


def test_func_value_names_a_function() -> None:
    assert action("REPLACE SOPInstanceUID func:generate_uid").value == ast.FuncRef(name="generate_uid")


def test_deid_func_value_keeps_its_arguments_in_order() -> None:
    value = action('JITTER StudyDate deid_func:jitter days=-2 years=1 note="a b"').value
    assert value == ast.DeidFunc(name="jitter", args=(
        ast.FuncArg(key="days", value="-2"), ast.FuncArg(key="years", value="1"), ast.FuncArg(key="note", value="a b"),
    ))


def test_deid_func_without_arguments() -> None:
    assert action("REPLACE PatientID deid_func:basic_uuid").value == ast.DeidFunc(name="basic_uuid")


def test_trailing_comment_is_kept_and_is_not_a_value() -> None:
    node = action("REMOVE PatientID # drop it")
    assert node.value is None
    assert node.comment == "# drop it"


def test_action_words_are_kept_as_written() -> None:
    assert [a.verb for a in header("remove PatientID\nREPLAC PatientName x\n")] == ["remove", "REPLAC"]


# ---------------------------------------------------------------- fields

FIELDS = [
    ("PatientID", ast.FieldName(names=("PatientID",))),
    ("ALL", ast.FieldName(names=("ALL",))),
    ("(0010,0020)", ast.FieldTag(group=0x0010, element=0x0020, form="paren")),
    ("(7fe0,0010)", ast.FieldTag(group=0x7FE0, element=0x0010, form="paren")),
    ("00100020", ast.FieldTag(group=0x0010, element=0x0020, form="hex")),
    ("0x00100020", ast.FieldTag(group=0x0010, element=0x0020, form="hex0x")),
    ('(0033,"MITRA OBJECT UTF8 ATTRIBUTES 1.0",1E)',
     ast.FieldPrivate(group=0x0033, creator="MITRA OBJECT UTF8 ATTRIBUTES 1.0", offset=0x1E, parens=True)),
    ('0033,"MITRA OBJECT UTF8 ATTRIBUTES 1.0",1E',
     ast.FieldPrivate(group=0x0033, creator="MITRA OBJECT UTF8 ATTRIBUTES 1.0", offset=0x1E, parens=False)),
    ('(0021,"Siemens: Thorax/Multix FD Post Processing",15)',
     ast.FieldPrivate(group=0x0021, creator="Siemens: Thorax/Multix FD Post Processing", offset=0x15)),
    ("(0008,1140)__0__(0008,1155)", ast.FieldAddress(tags=(0x00081140, 0x00081155), items=(0,))),
    ("(0008,1115)__1__(0008,1140)__12__(0008,1155)",
     ast.FieldAddress(tags=(0x00081115, 0x00081140, 0x00081155), items=(1, 12))),
    ("ReferencedStudySequence__ReferencedSOPInstanceUID",
     ast.FieldName(names=("ReferencedStudySequence", "ReferencedSOPInstanceUID"))),
    ("startswith:Patient", ast.FieldExpander(name="startswith", pattern="Patient")),
    ("endswith:Date|Time", ast.FieldExpander(name="endswith", pattern="Date|Time")),
    ("contains:Instance", ast.FieldExpander(name="contains", pattern="Instance")),
    ("except:Manufacturer", ast.FieldExpander(name="except", pattern="Manufacturer")),
    ("select:vr:PN", ast.FieldExpander(name="select", pattern="vr:PN")),
    ("select:group:0010", ast.FieldExpander(name="select", pattern="group:0010")),
    ("contains:", ast.FieldExpander(name="contains", pattern="")),
    ("values:cookie_names", ast.FieldGroup(kind="values", name="cookie_names")),
    ("fields:instance_fields", ast.FieldGroup(kind="fields", name="instance_fields")),
    ("(0010,00ZZ)", ast.FieldMalformed(text="(0010,00ZZ)")),
    ("(0010, 0020)", ast.FieldMalformed(text="(0010, 0020)")),
    ('"PatientID"', ast.FieldMalformed(text='"PatientID"')),
]


@pytest.mark.parametrize(("text", "node"), FIELDS, ids=[f[0] for f in FIELDS])
def test_field_form_parses_into_its_node(text: str, node: ast.Field) -> None:
    assert action(f"REMOVE {text}").target == node


@pytest.mark.parametrize(("text", "node"), FIELDS, ids=[f[0] for f in FIELDS])
def test_parse_field_agrees_with_the_field_of_an_action(text: str, node: ast.Field) -> None:
    assert parse_field(text) == node


def test_tag_with_spaces_is_one_malformed_field_not_a_field_and_a_value() -> None:
    node = action("BLANK (0010, 0020)")
    assert node.value is None
    assert node.target.span == Span(3, 7, 3, 19, 27, 39)


# ---------------------------------------------------------------- %values, %fields


def test_split_options_are_name_value_pairs_unquoted() -> None:
    section = clean('FORMAT dicom\n%values cookie_names\nSPLIT PatientID by="^";minlength=4\n').sections[0]
    assert section == ast.ValuesSection(keyword="values", name="cookie_names", body=(
        ast.GroupAction(verb="SPLIT", target=ast.FieldName(names=("PatientID",)), options=(
            ast.SplitOption(name="by", value="^"), ast.SplitOption(name="minlength", value="4"))),
    ))


def test_split_options_allow_spaces_single_quotes_and_a_final_semicolon() -> None:
    section = clean("FORMAT dicom\n%values v\nSPLIT PatientID by='-' ; minlength = 2;\n").sections[0]
    (line,) = section.body
    assert isinstance(line, ast.GroupAction)
    assert line.options == (ast.SplitOption(name="by", value="-"), ast.SplitOption(name="minlength", value="2"))


def test_fields_section_holds_field_lines() -> None:
    section = clean("FORMAT dicom\n%fields instance_fields\nFIELD contains:Instance\n").sections[0]
    assert section == ast.FieldsSection(keyword="fields", name="instance_fields", body=(
        ast.GroupAction(verb="FIELD", target=ast.FieldExpander(name="contains", pattern="Instance")),))


def test_section_word_is_kept_as_written_without_its_percent() -> None:
    recipe = clean("FORMAT dicom\n%HEADER\n%Values v\n")
    assert [(type(s).__name__, s.keyword) for s in recipe.sections] == [("HeaderSection", "HEADER"),
                                                                         ("ValuesSection", "Values")]


def test_section_name_with_spaces_is_kept_whole() -> None:
    assert clean("FORMAT dicom\n%values my  list # note\n").sections[0].name == "my  list"


@pytest.mark.parametrize("line", ["%headers", "% header", "%", "%%header"])
def test_unknown_section_word_makes_an_unknown_section_that_keeps_its_lines(line: str) -> None:
    (section,) = clean(f"FORMAT dicom\n{line}\nREMOVE PatientID\n").sections
    assert isinstance(section, ast.UnknownSection)
    assert section.body == (ast.Action(verb="REMOVE", target=ast.FieldName(names=("PatientID",))),)


# ---------------------------------------------------------------- %filter


def test_label_block_holds_its_criteria_and_comment() -> None:
    block = label("LABEL Dose Report # (CTP)\n  contains Modality CT\n")
    assert block == ast.LabelBlock(label="Dose Report", comment="# (CTP)", body=(
        ast.Member(operator=None, criteria=(
            ast.Criterion(word="contains", target=ast.FieldName(names=("Modality",)), value="CT"),)),))


def test_leading_operators_are_kept_on_each_line() -> None:
    block = label("LABEL x\ncontains Modality CT\n+ contains Manufacturer GE\n|| empty ImageType\n")
    assert [m.operator for m in block.body if isinstance(m, ast.Member)] == [None, "+", "||"]


def test_leading_plus_needs_no_space() -> None:
    assert member("+contains Modality CT").operator == "+"


def test_inner_operators_split_criteria() -> None:
    node = member("+ contains Manufacturer GE || empty ImageType + missing PatientName")
    assert node.operators == ("||", "+")
    assert [(c.word, c.value) for c in node.criteria] == [("contains", "GE"), ("empty", None), ("missing", None)]


@pytest.mark.parametrize("value", ["SOMATOM Definition AS+", "DERIVED+SECONDARY+SCREEN SAVE", "CT|MR", "Dose Report"])
def test_plus_and_bar_inside_words_stay_in_the_value(value: str) -> None:
    (criterion,) = member(f"contains ManufacturerModelName {value}").criteria
    assert criterion.value == value


def test_hash_after_a_filter_value_starts_a_comment() -> None:
    node = member("contains Modality CT # note")
    assert node.criteria[0].value == "CT"
    assert node.comment == "# note"


REGIONS = [
    ("coordinates 0,0,512,200", "coordinates", ast.RegionBox(values=(0, 0, 512, 200))),
    ("keepcoordinates 10,20,30,40", "keepcoordinates", ast.RegionBox(values=(10, 20, 30, 40))),
    ("ctpcoordinates 450,0,672, 85", "ctpcoordinates", ast.RegionBox(values=(450, 0, 672, 85))),
    ("ctpkeepcoordinates 1,2,3,4,", "ctpkeepcoordinates", ast.RegionBox(values=(1, 2, 3, 4))),
    ("coordinates all", "coordinates", ast.RegionAll()),
    ("keepcoordinates from:SequenceOfUltrasoundRegions", "keepcoordinates",
     ast.RegionFrom(keyword="SequenceOfUltrasoundRegions")),
]


@pytest.mark.parametrize(("line", "keyword", "region"), REGIONS, ids=[r[0] for r in REGIONS])
def test_coordinates_line_parses_into_its_region(line: str, keyword: str, region: ast.Region) -> None:
    (node,) = label(f"LABEL x\n{line}\n").body
    assert node == ast.Coordinates(keyword=keyword, region=region)


def test_label_may_hold_only_coordinates_and_comments() -> None:
    block = label("LABEL Blank Image\n    # the whole image\n    coordinates all\n")
    assert block.body == (ast.Comment(text="# the whole image"), ast.Coordinates(keyword="coordinates",
                                                                                  region=ast.RegionAll()))


def test_lines_before_the_first_label_stay_in_the_section_body() -> None:
    section = clean("FORMAT dicom\n%filter f\ncontains Modality CT\nLABEL x\npresent A\n").sections[0]
    assert isinstance(section, ast.FilterSection)
    assert [type(n).__name__ for n in section.body] == ["Member"]
    assert [b.label for b in section.labels] == ["x"]


def test_labelled_is_a_criterion_word_not_a_label() -> None:
    (node,) = label("LABEL x\nlabelled Modality CT\n").body
    assert isinstance(node, ast.Member)
    assert node.criteria[0].word == "labelled"


# ---------------------------------------------------------------- comments, FORMAT, layout


def test_whole_line_comments_are_kept_everywhere() -> None:
    recipe = clean("# top\nFORMAT dicom\n%header\n  # in header\nREMOVE A\n")
    assert recipe.body[0] == ast.Comment(text="# top")
    assert recipe.sections[0].body[0] == ast.Comment(text="# in header")


def test_format_line_keeps_its_word_and_comment() -> None:
    assert clean("FORMAT dicom # the only one\n").body == (ast.FormatLine(format="dicom", comment="# the only one"),)


def test_format_line_keeps_everything_after_format_for_the_checker() -> None:
    assert clean("format di com\n").body == (ast.FormatLine(format="di com"),)


def test_format_without_a_word() -> None:
    assert clean("FORMAT\n").body == (ast.FormatLine(format=None),)


def reference() -> ast.Recipe:
    return clean("FORMAT dicom\n%header\nREMOVE PatientID\nKEEP Modality # keep\n")


@pytest.mark.parametrize("text", [
    "FORMAT dicom\r\n%header\r\nREMOVE PatientID\r\nKEEP Modality # keep\r\n",
    "FORMAT dicom\r%header\rREMOVE PatientID\rKEEP Modality # keep\r",
    "FORMAT dicom\r\n%header\rREMOVE PatientID\nKEEP Modality # keep",
    "\ufeffFORMAT dicom\n%header\nREMOVE PatientID\nKEEP Modality # keep\n",
    "FORMAT\tdicom\n%header\n\tREMOVE\tPatientID\nKEEP  Modality\t# keep\n",
    "\n\n  \nFORMAT dicom\n\n%header\n \t \nREMOVE PatientID\n\n\nKEEP Modality # keep",
    "FORMAT dicom\n%header\nREMOVE\x0bPatientID\nKEEP\x0cModality # keep\n",
], ids=["crlf", "lone-cr", "mixed-no-final-newline", "bom", "tabs", "blank-lines", "vt-ff"])
def test_layout_variants_give_the_same_tree(text: str) -> None:
    assert clean(text) == reference()


def test_empty_text_is_an_empty_recipe() -> None:
    assert clean("") == ast.Recipe()


# ---------------------------------------------------------------- no Lark object leaves the stage


def walk(value: object) -> list[object]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return [value] + [leaf for f in dataclasses.fields(value) for leaf in walk(getattr(value, f.name))]
    if isinstance(value, tuple):
        return [value] + [leaf for item in value for leaf in walk(item)]
    return [value]


EVERYTHING = """# every line form
FORMAT dicom
%values names # a list
SPLIT PatientName by="^";minlength=4
%fields instance_fields
FIELD contains:Instance
%labels
ADD MAINTAINER someone
%filter graylist
LABEL CT Dose # (CTP)
  contains Modality CT|MR
  + equals ManufacturerModelName SOMATOM Definition AS+ || empty ImageType
  ctpcoordinates 0,0,512,110
  keepcoordinates from:SequenceOfUltrasoundRegions
  coordinates all
%header
ADD PatientIdentityRemoved YES
REPLACE PatientName "John Smith"
REPLACE PatientID var:id
REPLACE SOPInstanceUID func:uid
JITTER StudyDate deid_func:jitter days=-2
REMOVE (0033,"MITRA",1E)
REMOVE (0008,1140)__0__(0008,1155)
BLANK values:names
KEEP 0x00100020
REMOVE (0010, 0020)
%unknown
REMOVE A
"""


def test_every_leaf_of_the_tree_is_plain_data() -> None:
    recipe = clean(EVERYTHING)
    allowed = (str, int, bool, type(None), enum.Enum, tuple)
    for value in walk(recipe):
        if dataclasses.is_dataclass(value):
            assert type(value).__module__ in ("deidc.ast", "deidc.source"), type(value)
        else:
            assert isinstance(value, allowed), (type(value), value)
            assert type(value).__module__ == "builtins" or isinstance(value, enum.Enum), type(value)


def test_every_node_has_a_real_span() -> None:
    recipe = clean(EVERYTHING)
    for value in walk(recipe):
        if dataclasses.is_dataclass(value) and hasattr(value, "span"):
            assert value.span.line >= 1, value
