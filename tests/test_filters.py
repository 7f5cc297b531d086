"""``%filter`` sections at run time: has_burned_pixels, against deid 0.4.13 and by example."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from deidc.data import DATASETS, get_dataset
from deidc.dicom import get_files
from deidc.dicom.pixels import has_burned_pixels


def recipe(tmp_path: Path, body: str) -> str:
    path = tmp_path / "deid.filters"
    path.write_text("FORMAT dicom\n\n" + body.strip() + "\n", encoding="utf-8")
    return str(path)


def image(**values: object) -> Dataset:
    ds = Dataset()
    for keyword, value in values.items():
        setattr(ds, keyword, value)
    return ds


def groups(result: dict[str, object]) -> list[tuple[object, object]]:
    return [(r["group"], r["coordinates"]) for r in result["results"]]  # type: ignore[index, union-attr]


def all_files() -> list[str]:
    files: list[str] = []
    for name in DATASETS:
        files += sorted(get_files(get_dataset(name) or "", check=True))
    return files


@pytest.mark.oracle
@pytest.mark.parametrize("tag", ["dicom", "dicom.xray.chest", "dicom.ultrasound"])
def test_flags_what_deid_flags_and_more_only_through_leading_or(tag: str) -> None:
    from importlib import resources

    import pydicom
    from deid.dicom.pixels import has_burned_pixels as deid_has_burned_pixels

    from deidc.config import DeidRecipe
    from deidc.runtime.filters import evaluate

    path = str(resources.files("deid") / "data" / f"deid.{tag}")
    files = all_files()
    ours = has_burned_pixels(files, deid=path)
    theirs = deid_has_burned_pixels(files, deid=path)
    assert set(theirs["flagged"]) <= set(ours["flagged"])  # type: ignore[arg-type]
    plan = DeidRecipe(path).plan
    for name, result in ours["flagged"].items():  # type: ignore[attr-defined]
        deid_groups = [r["group"] for r in theirs["flagged"].get(name, {"results": []})["results"]]
        our_groups = [r["group"] for r in result["results"]]
        assert all(our_groups.count(g) >= deid_groups.count(g) for g in deid_groups), name
        if len(our_groups) > len(deid_groups):
            extra = evaluate(plan.filters, pydicom.dcmread(name))
            assert any(line.operator == "or" for match in extra for label in _labels(plan, match.label)
                       for line in label.lines), name


def _labels(plan: object, name: str) -> list[object]:
    return [label for group in plan.filters for label in group.labels if label.name == name]  # type: ignore[attr-defined]


def test_single_file_gives_flagged_and_results(tmp_path: Path) -> None:
    body = "%filter graylist\nLABEL CT\n  contains Modality CT\n  coordinates 0,0,10,10"
    result = has_burned_pixels(image(Modality="CT"), deid=recipe(tmp_path, body))
    assert result == {"flagged": True, "results": [
        {"reason": "Modality contains CT", "group": "graylist", "coordinates": [[0, "0,0,10,10"]]}]}
    assert has_burned_pixels(image(Modality="MR"), deid=recipe(tmp_path, body)) == {"flagged": False, "results": []}


def test_f1_a_leading_or_joins_lines_with_or(tmp_path: Path) -> None:
    body = "%filter g\nLABEL x\n  contains Modality CT\n  || contains Manufacturer GE"
    assert has_burned_pixels(image(Modality="MR", Manufacturer="GE"), deid=recipe(tmp_path, body))["flagged"]


def test_f2_inner_operators_fold_left_to_right(tmp_path: Path) -> None:
    body = "%filter g\nLABEL x\n  contains Modality MR || contains Manufacturer XX + contains Manufacturer Siemens"
    assert not has_burned_pixels(image(Modality="MR", Manufacturer="GE"), deid=recipe(tmp_path, body))["flagged"]


def test_f3_equals_matches_one_value_of_a_multivalued_element(tmp_path: Path) -> None:
    body = "%filter g\nLABEL x\n  equals ImageType SECONDARY"
    ds = image(ImageType=["DERIVED", "SECONDARY"])
    assert has_burned_pixels(ds, deid=recipe(tmp_path, body))["flagged"]


def test_f4_from_regions_are_read_from_each_file(tmp_path: Path) -> None:
    body = ("%filter g\nLABEL x\n  present SequenceOfUltrasoundRegions\n"
            "  keepcoordinates from:SequenceOfUltrasoundRegions")
    path = recipe(tmp_path, body)
    results = []
    for x0 in (0, 5):
        region = Dataset()
        region.RegionLocationMinX0, region.RegionLocationMinY0 = x0, 1
        region.RegionLocationMaxX1, region.RegionLocationMaxY1 = 100, 200
        results.append(has_burned_pixels(image(SequenceOfUltrasoundRegions=Sequence([region])), deid=path))
    assert [r["results"][0]["coordinates"] for r in results] == [[[1, ["0,1,100,200"]]], [[1, ["5,1,100,200"]]]]


def test_f5_a_numeric_zero_is_not_empty(tmp_path: Path) -> None:
    body = "%filter g\nLABEL x\n  empty Rows"
    assert not has_burned_pixels(image(Rows=0), deid=recipe(tmp_path, body))["flagged"]
    assert has_burned_pixels(image(PatientComments=""), deid=recipe(tmp_path, "%filter g\nLABEL x\n  empty "
                                                                              "PatientComments"))["flagged"]


def test_f6_a_label_with_only_coordinates_always_matches(tmp_path: Path) -> None:
    body = "%filter g\nLABEL everything\n  coordinates all"
    assert groups(has_burned_pixels(image(Modality="CT"), deid=recipe(tmp_path, body))) == [("g", [[0, "all"]])]


def test_f7_filter_fields_take_any_case_and_every_tag_form(tmp_path: Path) -> None:
    for field in ("modality", "(0008,0060)", "00080060", "0x00080060"):
        body = f"%filter g\nLABEL x\n  contains {field} CT"
        assert has_burned_pixels(image(Modality="CT"), deid=recipe(tmp_path, body))["flagged"], field


def test_a_list_of_files_gives_clean_and_flagged(tmp_path: Path) -> None:
    files = all_files()
    body = "%filter g\nLABEL cookies\n  contains PatientID cookie"
    result = has_burned_pixels(files, deid=recipe(tmp_path, body))
    assert len(result["flagged"]) == 7  # type: ignore[arg-type]
    assert len(result["clean"]) == len(files) - 7  # type: ignore[arg-type]
