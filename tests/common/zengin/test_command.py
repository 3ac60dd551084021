"""`manage.py zengin build|parse|check`: output, and exit status 0 / 1 (problems) / 2 (unreadable input)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from tests.common.zengin.golden_records import GOLDEN
from tests.common.zengin.test_spec import EXAMPLE, example

ROOT = Path(__file__).resolve().parents[3]


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("zengin", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def failing(*args: str) -> CommandError:
    with pytest.raises(CommandError) as caught:
        run(*args)
    return caught.value


def write_spec(tmp_path: Path, document: object) -> Path:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def test_build_writes_the_file(tmp_path: Path) -> None:
    output = tmp_path / "furikomi.dat"
    _, err = run("build", str(write_spec(tmp_path, EXAMPLE)), "--output", str(output))
    assert len(output.read_bytes()) == 4 * 122
    assert "1件 合計1,000円（488バイト）を書き出しました。" in err


def test_build_writes_bytes_to_stdout(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    call_command("zengin", "build", str(write_spec(tmp_path, EXAMPLE)), stdout=buffer, stderr=io.StringIO())
    assert buffer.getvalue()[:3] == b"121"
    assert len(buffer.getvalue()) == 4 * 122


def test_build_reports_warnings_and_truncations_on_stderr(tmp_path: Path) -> None:
    document = example(truncate=True)
    document["records"][0] |= {"bank_code": "0999", "name": "ｱ" * 33}
    output = tmp_path / "out.dat"
    _, err = run("build", str(write_spec(tmp_path, document)), "-o", str(output))
    assert "警告: データレコード1件目（2レコード目）の被仕向金融機関番号：金融機関コード「0999」は" in err
    assert "切り詰め: 2レコード目 name「" + "ｱ" * 33 + "」→「" + "ｱ" * 30 + "」" in err


def test_build_refuses_bad_data_with_status_1_and_writes_nothing(tmp_path: Path) -> None:
    document = example()
    document["records"][0]["name"] = "山田"
    output = tmp_path / "out.dat"
    error = failing("build", str(write_spec(tmp_path, document)), "-o", str(output))
    assert error.returncode == 1
    assert "受取人名：「山」は全銀ファイルで使えない文字です" in str(error)
    assert "[zengin_data_rejected]" in str(error)
    assert not output.exists()
    assert list(tmp_path.iterdir()) == [tmp_path / "spec.json"]


def test_build_refuses_a_spec_with_unknown_keys_with_status_1(tmp_path: Path) -> None:
    error = failing("build", str(write_spec(tmp_path, example(colour="red"))))
    assert error.returncode == 1
    assert "不明な項目「colour」" in str(error)


def test_build_of_a_file_that_is_not_json_is_status_2(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text("{kind: 21", encoding="utf-8")
    error = failing("build", str(path))
    assert error.returncode == 2
    assert "UTF-8 の JSON ではありません" in str(error)


def test_a_missing_file_is_status_2(tmp_path: Path) -> None:
    error = failing("check", str(tmp_path / "none.dat"))
    assert error.returncode == 2
    assert "ファイルを読めません" in str(error)


def test_parse_prints_json() -> None:
    out, _ = run("parse", str(GOLDEN / "debit_91_result.dat"))
    document = json.loads(out)
    assert document["result_totals"]["failed_count"] == 6
    assert document["records"][0]["name"] == "ｸﾚ ｲﾁﾛｳ"


def test_parse_of_a_file_with_problems_prints_json_and_exits_1() -> None:
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("zengin", "parse", str(GOLDEN / "debit_91_result_tampered.dat"), stdout=out)
    assert caught.value.returncode == 1
    assert len(json.loads(out.getvalue())["problems"]) == 6


def test_check_of_a_good_file() -> None:
    out, _ = run("check", str(GOLDEN / "transfer_21.dat"))
    assert out.strip() == "総合振込（21） 2件 合計1,284,567円：問題はありません（警告0件）"


def test_check_lists_every_problem_with_record_and_bytes() -> None:
    out = io.StringIO()
    with pytest.raises(CommandError) as caught:
        call_command("zengin", "check", str(GOLDEN / "debit_91_result_tampered.dat"), stdout=out)
    assert caught.value.returncode == 1
    lines = out.getvalue().splitlines()
    assert len(lines) == 7
    assert lines[0].startswith(
        "エラー\tレコード6 バイト112-112（ファイル先頭からのオフセット721）\t[zengin_unknown_result_code]"
    )
    assert lines[-1].endswith("（うち不明な結果コード 1件）：誤り6件（警告0件）")


def test_check_json_and_request_mode() -> None:
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("zengin", "check", "--json", "--request", str(GOLDEN / "debit_91_result.dat"), stdout=out)
    problems = json.loads(out.getvalue())
    assert {problem["code"] for problem in problems} == {"zengin_invalid_choice", "zengin_total_mismatch"}
    assert problems[0]["record"] == 3


def test_check_strict_fails_on_warnings(tmp_path: Path) -> None:
    data = bytearray((GOLDEN / "transfer_21.dat").read_bytes())
    data[123:127] = b"0999"
    path = tmp_path / "unknown_bank.dat"
    path.write_bytes(bytes(data))
    run("check", str(path))
    assert failing("check", "--strict", str(path)).returncode == 1


def test_command_line_exit_status_and_stdin() -> None:
    spec = json.dumps(EXAMPLE).encode()
    # --skip-checks: Django's system checks are not what this test is about; each process would run them all again.
    zengin = [sys.executable, "manage.py", "zengin", "--skip-checks"]
    # The tampered file's check needs nothing from the other two: it runs alongside them.
    tampered = subprocess.Popen(
        [*zengin, "check", str(GOLDEN / "debit_91_result_tampered.dat")],
        cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        built = subprocess.run([*zengin, "build", "-"], input=spec, capture_output=True, cwd=ROOT, check=True)
        assert len(built.stdout) == 4 * 122
        checked = subprocess.run([*zengin, "check", "-"], input=built.stdout, capture_output=True, cwd=ROOT)
        assert checked.returncode == 0
    finally:
        tampered_status = tampered.wait(timeout=120)
    assert tampered_status == 1


def test_json_output_is_utf8_whatever_the_locale() -> None:
    parsed = subprocess.run(
        [sys.executable, "manage.py", "zengin", "parse", str(GOLDEN / "debit_91_result.dat")],
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "ascii", "LC_ALL": "C"},
        check=True,
    )
    assert json.loads(parsed.stdout.decode("utf-8"))["records"][1]["result_label"] == "資金不足"


def test_a_spec_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(EXAMPLE).encode())
    output = tmp_path / "out.dat"
    run("build", str(path), "-o", str(output))
    assert output.stat().st_size == 4 * 122


def test_an_output_directory_that_does_not_exist_is_status_2(tmp_path: Path) -> None:
    error = failing("build", str(write_spec(tmp_path, EXAMPLE)), "-o", str(tmp_path / "missing" / "out.dat"))
    assert error.returncode == 2
    assert "書き出せません" in str(error)
