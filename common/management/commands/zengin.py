"""`manage.py zengin build|parse|check`: 全銀 bank files for IT staff and for integration.

Thin: the rules are in common.zengin. Exit status: 0 fine, 1 the spec or the file has problems (nothing is
written when building), 2 the input could not be read at all. docs/zengin.md describes the command.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, BinaryIO

from django.core.management.base import BaseCommand, CommandError, CommandParser

from common import zengin
from common.zengin.errors import ZenginError

EXIT_PROBLEMS = 1
EXIT_UNREADABLE = 2


class Command(BaseCommand):
    help = (
        "全銀協フォーマットのファイルを作成・解析・検査します。"
        " build SPEC.json: JSON の指定からファイルを作成（標準出力か --output）。"
        " parse FILE: ファイルを JSON で出力。 check FILE: 問題をレコード番号とバイト位置つきで一覧し、問題があれば"
        " 終了コード 1。FILE・SPEC に - を指定すると標準入力から読みます。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        build = actions.add_parser("build", help="JSON の指定から全銀ファイルを作成します。")
        build.add_argument("spec", help="JSON の指定ファイル（docs/zengin.md）。- は標準入力。")
        build.add_argument("--output", "-o", help="書き出すファイル（省略時は標準出力）。")
        for name, help_text in (
            ("parse", "全銀ファイルを解析し、JSON（UTF-8）で出力します。"),
            ("check", "全銀ファイルを検査し、問題をすべて一覧します。"),
        ):
            sub = actions.add_parser(name, help=help_text)
            sub.add_argument("file", help="全銀ファイル。- は標準入力。")
            kind = sub.add_mutually_exclusive_group()
            kind.add_argument("--result", action="store_true", help="口座振替の結果ファイルとして読む。")
            kind.add_argument("--request", action="store_true", help="口座振替の依頼ファイルとして読む。")
            if name == "check":
                sub.add_argument("--json", action="store_true", help="問題を JSON で出力する。")
                sub.add_argument("--strict", action="store_true", help="警告も問題として終了コード 1 にする。")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "build":
            self._build(options["spec"], options.get("output"))
            return
        data = _read_bytes(options["file"])
        result = True if options["result"] else False if options["request"] else None
        parsed = zengin.parse_file(data, result=result)
        if options["action"] == "parse":
            self._emit(json.dumps(zengin.parsed_to_json(parsed), ensure_ascii=False, indent=2))
            if not parsed.ok:
                raise CommandError(f"ファイルに誤りが{len(parsed.errors)}件あります。", returncode=EXIT_PROBLEMS)
            return
        self._check(parsed, as_json=options["json"], strict=options["strict"])

    def _build(self, spec_path: str, output: str | None) -> None:
        try:
            document = json.loads(_read_bytes(spec_path).decode("utf-8-sig"))  # a BOM from Notepad is fine
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise CommandError(
                f"指定ファイルが UTF-8 の JSON ではありません: {exc}", returncode=EXIT_UNREADABLE
            ) from exc
        try:
            result = zengin.build_file(zengin.spec_from_json(document))
        except ZenginError as exc:
            raise CommandError(f"{exc.message} [{exc.code}]", returncode=EXIT_PROBLEMS) from exc
        for warning in result.warnings:
            self.stderr.write(f"警告: {warning.message}")
        for cut in result.truncations:
            self.stderr.write(f"切り詰め: {cut.record}レコード目 {cut.field}「{cut.original}」→「{cut.written}」")
        if output:
            try:
                _write_atomically(Path(output), result.data)
            except OSError as exc:
                raise CommandError(f"書き出せません: {output}（{exc.strerror}）", returncode=EXIT_UNREADABLE) from exc
        else:
            self._write_bytes(result.data)
        self.stderr.write(
            f"{result.record_count}件 合計{result.total_amount:,}円（{len(result.data)}バイト）を書き出しました。"
        )

    def _write_bytes(self, data: bytes) -> None:
        out: Any = self.stdout._out  # the wrapped stream's binary buffer: bytes, not text in the locale's encoding
        stream: BinaryIO = getattr(out, "buffer", out)
        stream.write(data)
        stream.flush()

    def _emit(self, text: str) -> None:
        """Text output in UTF-8 whatever the terminal's locale (integration reads it as UTF-8)."""
        if hasattr(self.stdout._out, "buffer"):
            self._write_bytes(f"{text}\n".encode())
        else:
            self.stdout.write(text)

    def _check(self, parsed: zengin.ParsedFile, *, as_json: bool, strict: bool) -> None:
        if as_json:
            self._emit(json.dumps(zengin.parsed_to_json(parsed)["problems"], ensure_ascii=False, indent=2))
        else:
            lines = [_problem_line(problem) for problem in parsed.problems]
            self._emit("\n".join([*lines, _summary(parsed)]))
        failing = parsed.problems if strict else parsed.errors
        if failing:
            raise CommandError(
                f"誤り{len(parsed.errors)}件、警告{len(parsed.warnings)}件があります。", returncode=EXIT_PROBLEMS
            )


def _read_bytes(path: str) -> bytes:
    if path == "-":
        return sys.stdin.buffer.read()
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"ファイルを読めません: {path}（{exc.strerror}）", returncode=EXIT_UNREADABLE) from exc


def _write_atomically(path: Path, data: bytes) -> None:
    """A bank file is all there or not there: a half-written one must never be uploaded."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _problem_line(problem: zengin.Problem) -> str:
    level = "エラー" if problem.is_error else "警告"
    place = f"レコード{problem.record}" if problem.record else "ファイル"
    if problem.start is not None:
        place += f" バイト{problem.start}-{problem.end}（ファイル先頭からのオフセット{problem.offset}）"
    return f"{level}\t{place}\t[{problem.code}] {problem.message}"


def _summary(parsed: zengin.ParsedFile) -> str:
    kind = f"{parsed.kind.label}（{parsed.kind.value}）" if parsed.kind else "種別不明"
    line = f"{kind} {parsed.record_count}件 合計{parsed.total_amount:,}円"
    totals = parsed.result_totals
    if totals is not None:
        line += (
            f"／振替済 {totals.succeeded_count}件 {totals.succeeded_amount:,}円"
            f"／振替不能 {totals.failed_count}件 {totals.failed_amount:,}円"
        )
        if totals.unknown_count:
            line += f"（うち不明な結果コード {totals.unknown_count}件）"
    verdict = "問題はありません" if parsed.ok else f"誤り{len(parsed.errors)}件"
    return f"{line}：{verdict}（警告{len(parsed.warnings)}件）"
