"""Printing results: a rich table for people, ``--output json`` or ``--output csv`` for scripts, and
exports to .xlsx/.csv files with English or Chinese headers (``--lang``).

Rows are dicts of plain values keyed by :class:`Column` keys; JSON and CSV on stdout use the keys
as field names, tables and exported files use the column titles.
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from services.cli import sheets

Row = dict[str, Any]
Format = Literal["table", "json", "csv"]


@dataclass(frozen=True)
class Column:
    key: str
    en: str
    zh: str
    justify: Literal["left", "right", "center"] = "left"
    # How a value reads in a table (default: str, empty for None).
    fmt: Callable[[Any], str] | None = None
    # A rich style for a value (e.g. status colours).
    style: Callable[[Any], str | None] | None = None
    # Chinese renderings of enum values for ``--lang zh`` exports.
    zh_values: Mapping[str, str] | None = None

    def title(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en

    def text(self, value: Any) -> str:
        if value is None:
            return ""
        if self.fmt is not None:
            return self.fmt(value)
        if isinstance(value, bool):
            return "yes" if value else ""
        return str(value)

    def export_value(self, value: Any, lang: str) -> Any:
        if lang == "zh" and self.zh_values is not None and isinstance(value, str):
            return self.zh_values.get(value, value)
        return value


STATUS_STYLES = {
    "MET": "bold green",
    "ON_TRACK": "yellow",
    "AT_RISK": "bold red",
    "MISSED": "bold white on red",
}


def status_style(value: Any) -> str | None:
    return STATUS_STYLES.get(str(value))


def percent(value: Any) -> str:
    return "undefined" if value is None else f"{float(value) * 100:.1f} %"


def fixed(digits: int) -> Callable[[Any], str]:
    return lambda value: f"{float(value):.{digits}f}"


class Printer:
    def __init__(self, fmt: Format, lang: str = "en") -> None:
        self.fmt = fmt
        self.lang = lang
        self.out = Console(soft_wrap=False, highlight=False)
        self.err = Console(stderr=True, highlight=False, soft_wrap=True)

    def rows(
        self,
        columns: Sequence[Column],
        rows: Sequence[Row],
        title: str | None = None,
        caption: str | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        """Print rows; ``extra`` goes into the JSON object next to the rows (e.g. totals)."""
        if self.fmt == "json":
            payload: Any = [{c.key: r.get(c.key) for c in columns} for r in rows]
            if extra is not None:
                payload = {**extra, "rows": payload}
            self.json(payload)
        elif self.fmt == "csv":
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow([c.key for c in columns])
            for r in rows:
                writer.writerow(["" if r.get(c.key) is None else r.get(c.key) for c in columns])
        else:
            table = Table(title=title, caption=caption, header_style="bold", title_justify="left")
            for c in columns:
                table.add_column(c.title(self.lang), justify=c.justify, overflow="fold")
            for r in rows:
                cells = []
                for c in columns:
                    value = r.get(c.key)
                    style = c.style(value) if c.style is not None and value is not None else None
                    cells.append(Text(c.text(value), style=style or ""))
                table.add_row(*cells)
            self.out.print(table)

    def record(self, pairs: Sequence[tuple[str, Any]], title: str | None = None, style: str | None = None) -> None:
        """One resource as a two-column table (or a JSON object / a one-row CSV)."""
        if self.fmt == "json":
            self.json(dict(pairs))
        elif self.fmt == "csv":
            writer = csv.writer(sys.stdout, lineterminator="\n")
            writer.writerow([k for k, _ in pairs])
            writer.writerow(["" if v is None else v for _, v in pairs])
        else:
            table = Table(title=title, show_header=False, title_justify="left")
            table.add_column(style="bold")
            table.add_column(overflow="fold")
            for key, value in pairs:
                cell = Text("" if value is None else str(value))
                if key == "status" and value is not None:
                    cell.stylize(status_style(value) or "")
                table.add_row(key, cell)
            self.out.print(table)

    def json(self, payload: Any) -> None:
        print(json.dumps(payload, ensure_ascii=False, indent=2, default=str))

    def message(self, text: str, style: str | None = None) -> None:
        """A human remark: to stdout for tables, to stderr for json/csv so that scripts parse stdout."""
        console = self.out if self.fmt == "table" else self.err
        console.print(text, style=style, markup=False)

    def warn(self, text: str) -> None:
        self.err.print(text, style="yellow", markup=False)


def export(path: Path, columns: Sequence[Column], rows: Sequence[Row], lang: str, title: str) -> None:
    header = [c.title(lang) for c in columns]
    values = [[c.export_value(r.get(c.key), lang) for c in columns] for r in rows]
    sheets.write_sheet(path, header, values, title=title)
