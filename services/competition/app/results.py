"""FinalizeRound: the frozen leaderboard, the outcomes and awards, and the round's last state."""

from __future__ import annotations

import asyncio

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import Caller
from services.common.idempotency import RequestKey
from services.common.uow import UnitOfWork
from services.competition.api import codec
from services.competition.app.context import App, run
from services.competition.app.locks import Lock
from services.competition.domain import setup as rules
from services.competition.domain.ranking import DEFAULT_SEED, leaderboard_digest
from services.competition.domain.results import (
    compute_leaderboard,
    cut_rule,
    exact_sheets,
    freeze_row,
    round_results,
    snapshot_rows,
)
from services.competition.domain.stages import RoundState, check_round_transition, ensure_round_writable
from services.competition.store import entries as entry_store
from services.competition.store import results as result_store
from services.competition.store import rounds as round_store
from services.competition.store import sheets as sheet_store


async def finalize_round(app: App, caller: Caller, contest_id: str, round_id: str, key: RequestKey | None) -> pb.Round:
    resamples = app.settings.bootstrap_resamples

    async def work(uow: UnitOfWork) -> pb.Round:
        current = await round_store.lock_for_state_change(uow.at(Lock.ROUNDS), contest_id, round_id)
        ensure_round_writable(current.state)
        check_round_transition(current.state, RoundState.FINALIZED)
        connection = uow.connection
        before = await round_store.previous(connection, current)
        rules.ensure_previous_finalized(contest_id, before, "finalized")
        entry_ids = await round_store.entry_ids(connection, current)
        stored = await sheet_store.for_round(connection, contest_id, round_id)
        sheets = exact_sheets(stored, current.domain_criteria(), entry_ids)
        lines = await asyncio.to_thread(
            compute_leaderboard,
            sheets,
            current.domain_criteria(),
            current.aggregation,
            cut_rule(current.advancement, current.award_tiers),
            resamples,
            DEFAULT_SEED,
            entry_ids,
        )
        results = round_results(lines, entry_ids, current.award_tiers)
        titles = await entry_store.titles(connection, contest_id, entry_ids)
        rows = [freeze_row(row) for row in snapshot_rows(lines, titles, results)]
        digest = leaderboard_digest(rows)
        await result_store.save(
            connection, contest_id, round_id, current.aggregation.value, rows, digest, results, resamples
        )
        finalized = await round_store.set_state(
            connection, current, RoundState.FINALIZED, codec.ROUND_ENCODING, leaderboard_digest=digest
        )
        uow.audit(
            caller.subject,
            "round.finalized",
            {
                "contest": contest_id,
                "round": round_id,
                "digest": digest,
                "advanced": sorted(r.entry_id for r in results if r.outcome.value == "ADVANCED"),
                "awards": [
                    {"entry": r.entry_id, "tier": r.award_tier, "rank": r.rank} for r in results if r.award_tier
                ],
            },
        )
        return codec.round_to_proto(finalized)

    return await run(app, key, pb.Round, work)
