"""The audit log over real gRPC, on a database of its own (the test edits rows by SQL)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from protos.competition.v1 import competition_pb2 as pb
from services.common.server import RunningService
from tests.competition.helpers import (
    admin,
    expect_error,
    fresh_service,
    judge_auth,
    make_contest,
    seal_audit,
    viewer,
)


@pytest.fixture(scope="module")
async def audited(postgres_url: str) -> AsyncIterator[tuple[Any, RunningService]]:
    async with fresh_service(postgres_url) as running:
        yield running


async def test_state_changes_are_listed_and_the_chain_verifies(audited: tuple[Any, RunningService]) -> None:
    stub, service = audited
    c = await make_contest(stub, entries=2, judges=2)
    await stub.AutoAssign(pb.AutoAssignRequest(round=c.round.name), metadata=admin())
    await stub.OpenRound(pb.OpenRoundRequest(name=c.round.name), metadata=admin())
    await seal_audit(service)
    events: list[pb.AuditEvent] = []
    token = ""
    while True:
        page = await stub.ListAuditEvents(pb.ListAuditEventsRequest(page_size=3, page_token=token), metadata=admin())
        events += page.events
        token = page.next_page_token
        if not token:
            break
    assert [e.sequence for e in events] == list(range(1, len(events) + 1))
    actions = [e.action for e in events]
    # make_contest creates the judges first, then the contest with them on its panel.
    assert actions[:5] == ["judge.created", "judge.created", "contest.created", "round.created", "entries.created"]
    assert actions[-2:] == ["round.auto_assigned", "round.opened"]
    assert all(e.actor == "admin-1" for e in events)
    assert events[1].previous_hash == events[0].hash
    assert json.loads(events[2].payload_json)["contest"] == c.id
    verdict = await stub.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=admin())
    assert (verdict.intact, verdict.events_checked, verdict.first_broken_sequence) == (True, len(events), 0)
    for metadata in (viewer(), judge_auth(c.judge_id(0))):
        await expect_error(
            stub.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=metadata), grpc.StatusCode.PERMISSION_DENIED
        )
        await expect_error(
            stub.ListAuditEvents(pb.ListAuditEventsRequest(), metadata=metadata), grpc.StatusCode.PERMISSION_DENIED
        )
    await expect_error(stub.VerifyAuditLog(pb.VerifyAuditLogRequest()), grpc.StatusCode.UNAUTHENTICATED)


async def test_editing_a_row_by_sql_is_detected(audited: tuple[Any, RunningService]) -> None:
    stub, service = audited
    total = await service.pool.fetchval("SELECT max(seq) FROM audit_log")
    assert total >= 5
    k = 5
    # seq 5 is "entries.created" (after two judges, the contest and its round): quietly drop an entry.
    await service.pool.execute("UPDATE audit_log SET payload = replace(payload, '\"e0\",', '') WHERE seq = $1", k)
    verdict = await stub.VerifyAuditLog(pb.VerifyAuditLogRequest(), metadata=admin())
    assert not verdict.intact
    assert verdict.first_broken_sequence == k
    assert verdict.events_checked == k - 1
    assert "altered" in verdict.reason or "match" in verdict.reason
