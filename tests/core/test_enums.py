import json

from core.enums import FlagCode, PageSource, Status
from core.models import Flag, PageText
from core.review import FLAG_CATALOGUE


def test_enum_members_serialise_as_the_strings_of_the_contracts():
    assert json.dumps({"status": Status.TO_REVIEW, "code": FlagCode.DUPLICATE}) == '{"status": "to_review", "code": "DUPLICATE"}'
    assert f"{Status.REN_PROPOSED}" == "ren_proposed" and Status("closed") is Status.CLOSED


def test_every_flag_code_is_in_the_catalogue():
    assert set(FLAG_CATALOGUE) == set(FlagCode)


def test_strings_read_back_from_json_become_members():
    assert Flag("NOT_COVERED", "x").code is FlagCode.NOT_COVERED
    assert PageText(1, 10, 10, [], "ocr").source is PageSource.OCR
