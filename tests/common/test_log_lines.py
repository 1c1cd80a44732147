"""A log line is one JSON object whatever its fields hold: Chinese text as it is, times in ISO 8601,
odd values as text, and numbers orjson refuses through the standard encoder."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal

from services.common.logs import _line


def line(fields: dict[str, object]) -> dict[str, object]:
    text = _line("talent", 1764770400.25, "INFO", "rpc", "rpc", "req-1", fields)
    assert "\n" not in text
    parsed: dict[str, object] = json.loads(text)
    return parsed


def test_a_line_carries_the_record_and_its_fields() -> None:
    assert line({"method": "/talent.v1.TalentService/GetCandidate", "code": "OK", "duration_ms": 1.25}) == {
        "time": "2025-12-03T14:00:00.250Z",
        "level": "INFO",
        "service": "talent",
        "logger": "rpc",
        "message": "rpc",
        "request_id": "req-1",
        "method": "/talent.v1.TalentService/GetCandidate",
        "code": "OK",
        "duration_ms": 1.25,
    }


def test_text_is_kept_as_it_is_times_are_iso_8601_and_odd_values_become_text() -> None:
    text = _line("talent", 0.0, "INFO", "x", "候选人 已创建", "", {"when": datetime(2026, 1, 2, tzinfo=UTC)})
    assert "候选人 已创建" in text
    assert json.loads(text)["when"] == "2026-01-02T00:00:00+00:00"
    assert line({"amount": Decimal("1.10")})["amount"] == "1.10"


def test_an_integer_beyond_64_bits_is_still_a_line() -> None:
    assert line({"big": 2**70})["big"] == 2**70
