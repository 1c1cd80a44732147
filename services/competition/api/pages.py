"""Page sizes of the competition's lists, bounded by the size of a page, not only by its row count.

A default gRPC client refuses a response above 4 MiB. The most a page may hold is therefore the
budget below divided by the largest item the request limits allow (every text at its character
limit, every character 4 bytes in UTF-8, every repeated field full), rounded down to a round number.
``tests/competition/test_api_heavy_reads.py`` builds those maximal items and checks each bound.

| list            | largest item | most per page |
|-----------------|--------------|---------------|
| ListEntries     | ~143 KB      | 20            |
| ListJudges      | ~41 KB       | 50            |
| ListContests    | ~37 KB       | 50            |
| ListRounds      | ~45 KB       | 50            |
| ListConflicts   | ~41 KB       | 50            |
| ListScoreSheets | ~18 KB       | 100           |
"""

from __future__ import annotations

from services.common.errors import invalid_field
from services.common.pagination import DEFAULT_PAGE_SIZE

PAGE_BUDGET_BYTES = 3 * 1024 * 1024
"""Comfortably below a default client's 4 MiB limit (room for the page token and framing)."""

ENTRIES_MAX = 20
JUDGES_MAX = 50
CONTESTS_MAX = 50
ROUNDS_MAX = 50
CONFLICTS_MAX = 50
SCORE_SHEETS_MAX = 100


def bounded_page_size(requested: int, maximum: int) -> int:
    """AIP-158: negative → INVALID_ARGUMENT, 0 → the default (50, or ``maximum`` when smaller), more
    than ``maximum`` → ``maximum`` (a client follows next_page_token either way)."""
    if requested < 0:
        raise invalid_field("page_size", "must not be negative")
    return min(requested or DEFAULT_PAGE_SIZE, maximum)


PROGRESS_DEFAULT, PROGRESS_MAX = 500, 1000


def progress_page_size(requested: int) -> int:
    """Rows of each GetJudgingProgress list per page: default 500 so that a client that predates paging
    still sees a whole round of up to 500 judges and 500 entries; at most 1000 (~100 bytes a row)."""
    if requested < 0:
        raise invalid_field("page_size", "must not be negative")
    return min(requested or PROGRESS_DEFAULT, PROGRESS_MAX)
