"""The one check of free text from clients, used by both services for every text field, filter and
request id.

PostgreSQL's ``text`` cannot hold NUL, and other control characters in a name or a filter are either
an attack or a copy-and-paste accident that would corrupt exports and logs. They are refused with a
field violation here, before any I/O, so that they never reach the database as an INTERNAL error.
Multi-line fields (comments, summaries, reasons) may contain tab and line breaks, nothing else below
U+0020.
"""

from __future__ import annotations

import re
from typing import Final

from services.common.errors import ViolationCollector

# C0 controls, DEL and the C1 controls (U+0080–U+009F).
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_MULTILINE: Final = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(value: str, *, multiline: bool = False) -> str | None:
    """The first forbidden control character of ``value`` as ``U+XXXX``, or None."""
    found = (_CONTROL_MULTILINE if multiline else _CONTROL).search(value)
    return f"U+{ord(found.group()):04X}" if found else None


def check_text(
    value: str,
    path: str,
    violations: ViolationCollector,
    *,
    limit: int,
    required: bool = False,
    multiline: bool = False,
) -> None:
    """Add at most one violation for ``value`` at ``path``: missing, too long, or a control character."""
    if required and not value.strip():
        violations.add(path, "is required")
    elif len(value) > limit:
        violations.add(path, f"must be at most {limit} characters (got {len(value)})")
    elif (character := control_character(value, multiline=multiline)) is not None:
        kind = "control characters other than tab and line breaks" if multiline else "control characters"
        violations.add(path, f"must not contain {kind} (found {character})")
