"""TransitionLanding: move an entry of the landing pool along its stages."""

from __future__ import annotations

from typing import Final

from protos.competition.v1 import competition_pb2 as pb
from services.common.auth import Caller
from services.common.errors import DomainError, aborted, failed_precondition
from services.common.idempotency import RequestKey
from services.common.uow import UnitOfWork
from services.competition.api import codec
from services.competition.app.context import App, run
from services.competition.app.locks import Lock
from services.competition.domain.landing import LandingStage
from services.competition.domain.stages import check_landing_transition
from services.competition.store import landing as landing_store

NOT_IN_LANDING_POOL: Final = "NOT_IN_LANDING_POOL"
STAGE_MISMATCH: Final = "STAGE_MISMATCH"


def not_in_pool(contest_id: str, entry_id: str) -> DomainError:
    return failed_precondition(
        NOT_IN_LANDING_POOL,
        f"contests/{contest_id}/entries/{entry_id} is not in the contest's landing pool",
        {"entry": f"contests/{contest_id}/entries/{entry_id}"},
    )


def stage_mismatch(current: LandingStage | None, expected: LandingStage | None) -> DomainError:
    def name(stage: LandingStage | None) -> str:
        return stage.value if stage else "UNSPECIFIED (no landing record)"

    return aborted(
        STAGE_MISMATCH,
        f"the landing is at {name(current)}, not {name(expected)}; read it again",
        {"current_stage": current.value if current else "UNSPECIFIED"},
    )


def audit_payload(before: landing_store.Landing, after: landing_store.Landing, note: str) -> dict[str, object]:
    payload: dict[str, object] = {
        "entry": f"contests/{after.contest_id}/entries/{after.entry_id}",
        "from": before.stage.value if before.stage else None,
        "to": after.stage.value if after.stage else None,
        "note": note,
    }
    if after.stage is LandingStage.SIGNED and after.agreement_date:
        payload["agreement_date"] = after.agreement_date.isoformat()
    if after.stage is LandingStage.REGISTERED and after.company:
        payload["company"] = {
            "display_name": after.company.display_name,
            "credit_code": after.company.credit_code,
            "registration_date": after.company.registration_date.isoformat(),
            "registered_capital_wan_cny": after.company.registered_capital_wan_cny,
        }
    if after.stage is LandingStage.DROPPED:
        payload["drop_reason"] = after.drop_reason
    return payload


async def transition(
    app: App,
    caller: Caller,
    contest_id: str,
    entry_id: str,
    expected: LandingStage | None,
    move: landing_store.Move,
    note: str,
    key: RequestKey | None,
) -> pb.Landing:
    async def work(uow: UnitOfWork) -> pb.Landing:
        await landing_store.ensure_entry(uow.connection, contest_id, entry_id)
        if not await landing_store.in_pool(uow.connection, contest_id, entry_id):
            raise not_in_pool(contest_id, entry_id)
        current = await landing_store.lock_for_transition(uow.at(Lock.EDITED), contest_id, entry_id)
        if current.stage != expected:
            raise stage_mismatch(current.stage, expected)
        check_landing_transition(current.stage, move.target, move.drop_reason, "drop_reason")
        moved = await landing_store.apply(uow.connection, current, move, caller.subject, note)
        if moved is None:  # created by a concurrent call between our read and our insert
            raced = await landing_store.get(uow.connection, contest_id, entry_id)
            raise stage_mismatch(raced.stage, expected)
        uow.audit(caller.subject, "landing.transition", audit_payload(current, moved, note))
        return codec.landing_to_proto(moved)

    return await run(app, key, pb.Landing, work)
