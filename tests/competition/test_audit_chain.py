"""The tamper-evident audit chain."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.competition.domain.audit import (
    GENESIS_HASH,
    AuditRow,
    canonical_payload,
    chain_hash,
    format_occurred_at,
    next_audit_row,
    verify_chain,
)

START = datetime(2024, 6, 1, 9, 30, tzinfo=UTC)


def _chain(length: int) -> list[AuditRow]:
    rows: list[AuditRow] = []
    for seq in range(1, length + 1):
        rows.append(
            next_audit_row(
                rows[-1] if rows else None,
                START + timedelta(seconds=seq),
                actor=f"judge-{seq % 3}",
                action="SubmitScoreSheet",
                payload={"entry": f"e{seq}", "values": [8, 7], "comment": "技术先进"},
            )
        )
    return rows


def test_canonical_payload() -> None:
    assert canonical_payload({"b": 1, "a": {"y": "瓯海", "x": None}}) == '{"a":{"x":null,"y":"瓯海"},"b":1}'.encode()
    with pytest.raises(ValueError):
        canonical_payload({"score": float("nan")})


def test_timestamps_are_spelled_one_way() -> None:
    east8 = timezone(timedelta(hours=8))
    assert format_occurred_at(datetime(2024, 6, 1, 17, 30, tzinfo=east8)) == "2024-06-01T09:30:00.000000+00:00"
    with pytest.raises(ValueError):
        format_occurred_at(datetime(2024, 6, 1))


def test_genesis_and_links() -> None:
    rows = _chain(3)
    assert rows[0].previous_hash == GENESIS_HASH == "0" * 64
    assert [row.seq for row in rows] == [1, 2, 3]
    assert rows[1].previous_hash == rows[0].hash
    assert len(rows[0].hash) == 64
    assert rows[0].hash == chain_hash(
        GENESIS_HASH,
        1,
        rows[0].occurred_at,
        rows[0].actor,
        rows[0].action,
        rows[0].payload.encode(),
    )


def test_field_boundaries_cannot_be_shifted() -> None:
    assert chain_hash(GENESIS_HASH, 1, "t", "ab", "c", b"{}") != chain_hash(GENESIS_HASH, 1, "t", "a", "bc", b"{}")


def test_intact_chain_verifies() -> None:
    rows = _chain(10)
    verdict = verify_chain(rows)
    assert verdict.ok and verdict.first_broken_seq is None
    assert verdict.rows_checked == 10
    assert (verdict.last_seq, verdict.last_hash) == (10, rows[-1].hash)
    assert verify_chain([]).ok


def test_edited_payload_is_detected() -> None:
    rows = _chain(6)
    rows[3] = rows[3].model_copy(update={"payload": rows[3].payload.replace("[8,7]", "[10,10]")})
    verdict = verify_chain(rows)
    assert not verdict.ok
    assert verdict.first_broken_seq == 4
    assert verdict.rows_checked == 3
    assert "altered" in verdict.reason


def test_edited_actor_is_detected() -> None:
    rows = _chain(6)
    rows[0] = rows[0].model_copy(update={"actor": "admin"})
    assert verify_chain(rows).first_broken_seq == 1


def test_edited_row_with_recomputed_hash_breaks_the_next_link() -> None:
    rows = _chain(6)
    forged = next_audit_row(rows[1], START, "admin", "SubmitScoreSheet", {"entry": "e3", "values": [1, 1]})
    rows[2] = forged
    verdict = verify_chain(rows)
    assert verdict.first_broken_seq == 4
    assert "link" in verdict.reason


def test_deleted_row_is_detected() -> None:
    rows = _chain(6)
    del rows[2]
    verdict = verify_chain(rows)
    assert verdict.first_broken_seq == 3
    assert "missing" in verdict.reason


def test_deleted_row_with_renumbered_seqs_is_detected() -> None:
    rows = _chain(6)
    del rows[2]
    rows = [row.model_copy(update={"seq": i}) for i, row in enumerate(rows, 1)]
    assert verify_chain(rows).first_broken_seq == 3


def test_reordered_rows_are_detected() -> None:
    rows = _chain(6)
    rows[2], rows[3] = rows[3], rows[2]
    assert verify_chain(rows).first_broken_seq == 3


def test_swapped_seq_numbers_are_detected() -> None:
    rows = _chain(6)
    third, fourth = rows[2], rows[3]
    rows[2] = fourth.model_copy(update={"seq": 3})
    rows[3] = third.model_copy(update={"seq": 4})
    assert verify_chain(rows).first_broken_seq == 3


def test_truncated_tail_needs_the_recorded_head() -> None:
    rows = _chain(6)
    assert verify_chain(rows[:4]).ok
    verdict = verify_chain(rows[:4], expected_head=(6, rows[-1].hash))
    assert not verdict.ok and verdict.first_broken_seq == 5
    assert verify_chain(rows, expected_head=(6, rows[-1].hash)).ok


def test_verify_from_a_checkpoint() -> None:
    rows = _chain(6)
    assert verify_chain(rows[3:], start_seq=4, start_previous_hash=rows[2].hash).ok
    assert not verify_chain(rows[3:]).ok


@given(st.integers(min_value=1, max_value=12), st.data())
def test_any_single_edit_is_found_where_it_was_made(length: int, data: st.DataObject) -> None:
    rows = _chain(length)
    index = data.draw(st.integers(min_value=0, max_value=length - 1))
    field = data.draw(st.sampled_from(["actor", "action", "occurred_at", "payload"]))
    value = '{"tampered":true}' if field == "payload" else "tampered"
    rows[index] = rows[index].model_copy(update={field: value})
    assert verify_chain(rows).first_broken_seq == index + 1
