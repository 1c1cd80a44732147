"""What every command handler gets: the parsed options, the printer and the two APIs."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from services.cli.client import Api
from services.cli.output import Printer


@dataclass
class Context:
    args: argparse.Namespace
    printer: Printer
    talent: Api
    competition: Api

    @property
    def lang(self) -> str:
        return str(getattr(self.args, "lang", "en") or "en")

    @property
    def export_path(self) -> Path | None:
        value = getattr(self.args, "export", None)
        return Path(value) if value else None

    def progress(self, total: int) -> Progress:
        """A progress bar on stderr; shown when stderr is a terminal and the job is not tiny."""
        return Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=self.printer.err,
            transient=True,
            disable=total < 5 or not self.printer.err.is_terminal,
        )


def when(stamp: Timestamp) -> str:
    if not stamp.seconds and not stamp.nanos:
        return ""
    return stamp.ToDatetime(tzinfo=UTC).isoformat(timespec="seconds")


def opt(args: argparse.Namespace, name: str) -> Any:
    return getattr(args, name, None)
