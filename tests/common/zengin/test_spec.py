"""The JSON spec: exactly the documented keys, each of its JSON type; the parse output as JSON."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from common.zengin import FileKind, Separator, build_file, parse_file, parsed_to_json, spec_from_json
from common.zengin.errors import DataRejected, InvalidKind, InvalidSeparator, SpecInvalid
from tests.common.zengin.golden_records import GOLDEN

# The example of docs/zengin.md.
EXAMPLE: dict[str, Any] = {
    "kind": "21",
    "requester": {"code": "1234567890", "name": "ｺｳﾁﾁﾖｳ"},
    "date": "0410",
    "bank": {
        "code": "0175",
        "name": "ｼｺｸ",
        "branch_code": "232",
        "branch_name": "ｸﾎﾞｶﾜ",
        "account_type": "1",
        "account_number": "0000001",
    },
    "records": [
        {
            "bank_code": "0578",
            "bank_name": "ｺｳﾁ",
            "branch_code": "032",
            "branch_name": "ｽｻｷ",
            "account_type": "1",
            "account_number": "1234567",
            "name": "ﾔﾏﾀﾞ ﾀﾛｳ",
            "amount": 1000,
            "new_code": "0",
            "customer_code": "",
            "transfer_kind": "7",
            "edi": "",
        }
    ],
    "separator": "crlf",
    "truncate": False,
}


def example(**changes: Any) -> dict[str, Any]:
    document = copy.deepcopy(EXAMPLE)
    document.update(changes)
    return document


def spec_errors(document: Any) -> list[str]:
    with pytest.raises(SpecInvalid) as caught:
        spec_from_json(document)
    assert caught.value.code == "zengin_spec_invalid"
    return caught.value.details["errors"]


def test_the_documented_example_builds() -> None:
    spec = spec_from_json(EXAMPLE)
    assert (spec.kind, spec.separator, spec.truncate) == (FileKind.TRANSFER, Separator.CRLF, False)
    assert len(build_file(spec).data) == 4 * 122


def test_optional_keys_may_be_left_out() -> None:
    document = example()
    del document["separator"], document["truncate"]
    for key in ("bank_name", "branch_name", "new_code", "customer_code", "transfer_kind", "edi"):
        del document["records"][0][key]
    spec = spec_from_json(document)
    assert spec.records[0].transfer_kind is None
    assert spec.separator is Separator.CRLF


def test_unknown_keys_are_refused_with_their_path() -> None:
    document = example(extra=1)
    document["records"][0]["amount_yen"] = 1
    errors = spec_errors(document)
    assert errors[0].startswith("$: 不明な項目「extra」です（使える項目: kind, requester,")
    assert errors[1].startswith("$.records[0]: 不明な項目「amount_yen」です")


def test_missing_keys_are_refused() -> None:
    document = example()
    del document["records"][0]["amount"], document["requester"]["name"]
    assert spec_errors(document) == [
        "$.requester: 項目「name」が必要です。",
        "$.records[0]: 項目「amount」が必要です。",
    ]


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("records", 0, "amount"), "1000", "$.records[0].amount: 整数で指定してください。"),
        (("records", 0, "amount"), True, "$.records[0].amount: 整数で指定してください。"),
        (("records", 0, "amount"), 1000.0, "$.records[0].amount: 整数で指定してください。"),
        (("records", 0, "bank_code"), 578, "$.records[0].bank_code: 文字列で指定してください。"),
        (("truncate",), "yes", "$.truncate: 真偽値（true / false）で指定してください。"),
        (("records",), {}, "$.records: 配列で指定してください。"),
    ],
)
def test_values_of_the_wrong_json_type_are_refused(path: tuple[Any, ...], value: Any, message: str) -> None:
    document = example()
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    assert message in spec_errors(document)


def test_a_spec_that_is_not_an_object_is_refused() -> None:
    assert spec_errors([1, 2]) == ["$: オブジェクト（{...}）で指定してください。"]


def test_unknown_kind_and_separator() -> None:
    with pytest.raises(InvalidKind):
        spec_from_json(example(kind="31"))
    with pytest.raises(InvalidSeparator):
        spec_from_json(example(separator="lf"))


def test_a_field_the_kind_does_not_have_is_refused_even_empty() -> None:
    with pytest.raises(DataRejected) as caught:
        build_file(spec_from_json(example(kind="11")))
    assert [error.code for error in caught.value.errors] == ["zengin_field_not_in_kind"] * 3


def test_parse_json_of_a_result_file() -> None:
    document = parsed_to_json(parse_file((GOLDEN / "debit_91_result.dat").read_bytes()))
    assert (document["kind"], document["kind_label"], document["result_file"], document["ok"]) == (
        "91",
        "口座振替",
        True,
        True,
    )
    assert document["records"][1]["result_code"] == "1"
    assert document["records"][1]["result_label"] == "資金不足"
    assert document["records"][1]["succeeded"] is False
    assert document["result_totals"]["succeeded_count"] == 2
    assert document["totals"] == {"count": 8, "amount": 43_580}
    json.dumps(document, ensure_ascii=False)
