"""Spreadsheets in and out: .xlsx (openpyxl) and .csv.

Reading CSV: UTF-8 with or without a BOM, else GB18030 (what Chinese government offices' Excel
saves), detected by trial decoding, or the encoding given with ``--encoding``. A file that is
mostly UTF-8 with a few bytes that are not is refused (asking for ``--encoding``) rather than read
as GB18030, which accepts almost any bytes and would give mojibake. Writing CSV: UTF-8
with a BOM so that Excel opens Chinese text correctly. Writing .xlsx: a bold, frozen header row
and column widths fitted to the content (CJK characters count double).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

from services.cli.client import EXIT_OTHER, EXIT_USAGE, CliError
from services.cli.headers import Field, label, map_headers

SUPPORTED = (".xlsx", ".csv")


@dataclass(frozen=True)
class Sheet:
    """A header row and the data rows, each with its 1-based row number in the file."""

    header: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str | None = None


def check_suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        raise CliError(f"{path}: unsupported file type {suffix or '(none)'}; use .xlsx or .csv", EXIT_USAGE)
    return suffix


def decode_csv(data: bytes, encoding: str | None) -> tuple[str, str]:
    """(text, encoding used). A leading BOM never ends up in the text."""
    if encoding:
        try:
            codec = codecs.lookup(encoding).name
        except LookupError:
            raise CliError(f"unknown encoding {encoding!r}", EXIT_USAGE) from None
        # ``--encoding utf-8`` on a file Excel saved with a BOM: utf-8-sig drops it (and reads a
        # file without one the same), else "\ufeff姓名" would not match the 姓名 column.
        try:
            text = data.decode("utf-8-sig" if codec == "utf-8" else encoding)
        except UnicodeDecodeError as exc:
            raise CliError(f"the file is not valid {encoding}: {exc.reason} at byte {exc.start}") from None
        return text.removeprefix("\ufeff"), encoding
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise _mixed(data, exc.start + 3) from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    if _mostly_utf8(data):
        # GB18030 decodes almost any bytes, so falling back would turn the UTF-8 text into
        # mojibake without a word: most likely a UTF-8 file with a few cells pasted from a
        # legacy (Latin-1, GBK…) source.
        raise _mixed(data, first_bad)
    try:
        return data.decode("gb18030").removeprefix("\ufeff"), "gb18030"
    except UnicodeDecodeError as exc:
        raise CliError(
            f"cannot tell the file's encoding (neither UTF-8 nor GB18030, byte {exc.start}); use --encoding"
        ) from None


def _mostly_utf8(data: bytes) -> bool:
    """Whether the file's non-ASCII text is mostly valid multi-byte UTF-8 (a GB18030 file gives
    only the odd accidental UTF-8 sequence, e.g. 学 = D1 A7, among many invalid bytes)."""
    text = data.decode("utf-8", errors="replace")
    invalid = text.count("\ufffd")
    valid = sum(1 for c in text if c > "\x7f" and c != "\ufffd")
    return valid > 0 and valid >= invalid


def _mixed(data: bytes, offset: int) -> CliError:
    line = data[:offset].count(b"\n") + 1
    return CliError(
        f"the file is mostly UTF-8 but byte {offset} (line {line}) is not (mixed encodings?); "
        "re-save it as UTF-8, or give --encoding with the file's encoding (e.g. --encoding gb18030)",
        EXIT_OTHER,
    )


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def read_sheet(path: Path, encoding: str | None = None, sheet: str | None = None) -> Sheet:
    suffix = check_suffix(path)
    if not path.is_file():
        raise CliError(f"{path}: no such file", EXIT_OTHER)
    raw_rows: list[list[str]]
    used: str | None = None
    if suffix == ".csv":
        text, used = decode_csv(path.read_bytes(), encoding)
        raw_rows = [[c.strip() for c in row] for row in csv.reader(io.StringIO(text, newline=""))]
    else:
        from openpyxl import load_workbook

        try:
            book = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a damaged file
            raise CliError(f"{path}: not a readable .xlsx file ({exc})") from None
        try:
            if sheet is not None and sheet not in book.sheetnames:
                raise CliError(f"{path}: no sheet {sheet!r} (sheets: {', '.join(book.sheetnames)})", EXIT_USAGE)
            worksheet = book[sheet] if sheet else book.worksheets[0]
            raw_rows = [[cell_text(v) for v in row] for row in worksheet.iter_rows(values_only=True)]
        finally:
            book.close()
    header_index = next((i for i, row in enumerate(raw_rows) if any(row)), None)
    if header_index is None:
        raise CliError(f"{path}: the file is empty")
    header = raw_rows[header_index]
    rows = [(i + 1, row) for i, row in enumerate(raw_rows) if i > header_index and any(c for c in row)]
    return Sheet(header, rows, used)


# --- writing ------------------------------------------------------------------------------------


def display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def write_sheet(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]], title: str = "Sheet1") -> None:
    suffix = check_suffix(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows([["" if v is None else v for v in row] for row in rows])
        return
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook()
    worksheet = book.active
    assert worksheet is not None
    worksheet.title = title[:31] or "Sheet1"
    worksheet.append(list(header))
    for cell in worksheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        worksheet.append(["" if v is None else v for v in row])
    worksheet.freeze_panes = "A2"
    for index, name in enumerate(header, start=1):
        values = [name, *(cell_text(row[index - 1]) for row in rows if index - 1 < len(row))]
        width = max(display_width(v) for v in values) + 2
        worksheet.column_dimensions[get_column_letter(index)].width = min(max(width, 8), 60)
    book.save(path)


# --- rows as records ----------------------------------------------------------------------------


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    reason: str

    def line(self) -> str:
        where = f"row {self.row}" if self.row else "file"
        return f"  {where}, {self.column}: {self.reason}" if self.column else f"  {where}: {self.reason}"


def records(sheet: Sheet, fields: Sequence[Field], path: Path) -> tuple[list[tuple[int, dict[str, str]]], list[str]]:
    """Rows as {field key: text}; unknown headers come back as warnings, a missing required column
    is an error naming it in both languages."""
    mapping = map_headers(sheet.header, fields)
    if mapping.missing:
        wanted = ", ".join(label(f) for f in mapping.missing)
        raise CliError(
            f"{path}: missing column(s) {wanted}",
            EXIT_OTHER,
            [f"  found headers: {', '.join(h for h in sheet.header if h) or '(none)'}"],
        )
    out: list[tuple[int, dict[str, str]]] = []
    for number, cells in sheet.rows:
        record = {key: (cells[i].strip() if i < len(cells) else "") for i, key in mapping.columns.items()}
        out.append((number, record))
    warnings = [f"ignoring unknown column {name!r}" for name in mapping.unknown]
    return out, warnings


def row_errors(errors: Sequence[RowError], path: Path, total: int) -> CliError:
    bad_rows = len({e.row for e in errors})
    lines = [e.line() for e in sorted(errors, key=lambda e: (e.row, e.column))]
    return CliError(f"{path}: {bad_rows} of {total} row(s) are invalid; nothing was written", EXIT_OTHER, lines)


def written_rows(numbers: Sequence[int], failed: int) -> str:
    """The line after a mid-import server failure: which rows are in, and that a re-run is safe
    (each row's request id is derived from its content, so a re-run does not write a row twice)."""
    if not numbers:
        return f"  nothing was written (row {failed} was the first); fix the problem and re-run"
    return (
        f"  {len(numbers)} row(s) before row {failed} were written (row(s) {', '.join(str(n) for n in numbers)}), "
        f"row {failed} and the rest were not; after fixing the problem, re-running the whole file is safe "
        "(rows already written are not written again)"
    )


def split_list(text: str) -> list[str]:
    """``a; b、c，d`` → [a, b, c, d] (semicolons, commas, 、 and new lines, ASCII or full-width)."""
    return [part.strip() for part in re.split(r"[;；,，、\n]+", text) if part.strip()]


def parse_person(text: str) -> tuple[str, str]:
    """``王强(工程师)`` / ``王强（工程师）`` / ``王强`` → (name, role)."""
    match = re.fullmatch(r"\s*(.+?)\s*[（(]\s*(.*?)\s*[)）]\s*", text)
    if match:
        return match.group(1), match.group(2)
    return text.strip(), ""


def format_person(name: str, role: str) -> str:
    return f"{name}({role})" if role else name
