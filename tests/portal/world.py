"""The portal tests' world: a real competition service (its own database), a real portal in front
of it, and a contest whose open round gives every test its own judge and entries."""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from protos.competition.v1 import competition_pb2 as pb
from services.common.server import RunningService
from services.portal.web.app import RunningPortal
from tests.support import PAGE_TOKEN_SECRET, auth

ADMIN = auth("portal-test-admin", "competition.admin")
CONTEST = "portal-2026"
ROUND = f"contests/{CONTEST}/rounds/preliminary"
CLOSING_CONTEST = "portal-closing"
# 2030-01-15 10:00 UTC is 18:00 in Beijing (UTC+8).
DEADLINE = datetime(2030, 1, 15, 10, 0, tzinfo=UTC)
DEADLINE_BEIJING = "2030-01-15 18:00"
CRITERIA = [
    pb.Criterion(key="technology", display_name="技术创新", weight=30, min_value=0, max_value=10, step=0.5),
    pb.Criterion(key="industrialisation", display_name="产业化前景", weight=30, min_value=0, max_value=10, step=0.5),
    pb.Criterion(key="team", display_name="团队", weight=20, min_value=0, max_value=10, step=1),
    pb.Criterion(key="landing", display_name="落地意向", weight=20, min_value=0, max_value=10, step=1),
]
# Judge id → (name, the entries assigned to them). Every test uses its own judge.
JUDGES: dict[str, tuple[str, list[str]]] = {
    "j-signin": ("陈立新", ["e-01", "e-02"]),
    "j-score": ("王慧敏", ["e-01", "e-03"]),
    "j-draft": ("李建国", ["e-02", "e-03"]),
    "j-resubmit": ("张晓峰", ["e-04"]),
    "j-conflict": ("刘芳", ["e-05", "e-06"]),
    "j-other": ("赵明", ["e-06"]),
    "j-phone": ("孙雅琴", ["e-04", "e-05"]),
    "j-keys": ("周强", ["e-02"]),
    "j-bad": ("吴婷", ["e-03"]),
    "j-revoke": ("徐浩", ["e-01"]),
    "j-english": ("Dr. Anna Weber", ["e-05"]),
    "j-nojs": ("郑雪", ["e-06"]),
    "j-double": ("黄磊", ["e-04"]),
    "j-sheets": ("林婉", ["e-02", "e-03"]),
}
TOPICS = ["mRNA 疫苗递送平台", "钙钛矿叠层电池", "工业视觉质检", "固态锂电池电解质", "隐私计算平台", "眼科人工晶体"]
ORGS = ["慕尼黑工业大学", "新加坡国立大学", "浙江大学", "清华大学", "斯坦福大学", "帝国理工学院"]


def entry_message(i: int) -> pb.Entry:
    return pb.Entry(
        title=f"{TOPICS[i]}项目",
        team=pb.Team(
            leader=pb.TeamMember(display_name=f"负责人{i + 1}", role="首席科学家"),
            members=[pb.TeamMember(display_name=f"成员{i + 1}", role="工程师")],
            organisations=[ORGS[i]],
        ),
        domain=(pb.DOMAIN_LIFE_HEALTH, pb.DOMAIN_NEW_ENERGY_MATERIALS, pb.DOMAIN_DIGITAL_ECONOMY)[i % 3],
        origin_country="CN",
        summary=f"{TOPICS[i]}方向的创业项目，拟在瓯海区设立公司。",
    )


def invitation_secret() -> bytes:
    """The competition service's invitation key when none is configured (derived from the page-token secret)."""
    return hmac.new(PAGE_TOKEN_SECRET.encode(), b"judge-invitations", hashlib.sha256).digest()


@dataclass
class World:
    competition: RunningService
    portal: RunningPortal
    stub: Any
    codes: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.portal.port}"

    def link(self, judge: str) -> str:
        return f"{self.url}/signin#t={self.codes[judge]}"

    async def sheets(self, judge: str, round_: str = ROUND) -> list[Any]:
        """What the service holds for the judge (read as admin)."""
        response = await self.stub.ListScoreSheets(
            pb.ListScoreSheetsRequest(round=round_, judge=f"judges/{judge}", page_size=500), metadata=ADMIN
        )
        return list(response.score_sheets)

    async def history(self, judge: str, entry: str, round_: str = ROUND) -> list[Any]:
        response = await self.stub.GetScoreSheetHistory(
            pb.GetScoreSheetHistoryRequest(
                round=round_, entry=f"contests/{CONTEST}/entries/{entry}", judge=f"judges/{judge}"
            ),
            metadata=ADMIN,
        )
        return list(response.versions)

    async def assignments(self, judge: str, round_: str = ROUND) -> list[str]:
        response = await self.stub.ListAssignments(
            pb.ListAssignmentsRequest(round=round_, judge=f"judges/{judge}", page_size=500), metadata=ADMIN
        )
        return sorted(a.entry.rsplit("/", 1)[-1] for a in response.assignments)


async def build_contest(stub: Any) -> dict[str, str]:
    """Judges, entries, the open round with its assignments, and one invitation per judge: judge → code."""
    for judge_id, (name, _) in JUDGES.items():
        await stub.CreateJudge(
            pb.CreateJudgeRequest(
                judge=pb.Judge(display_name=name, domains=[pb.DOMAIN_LIFE_HEALTH]), judge_id=judge_id
            ),
            metadata=ADMIN,
        )
    panel = [f"judges/{j}" for j in JUDGES]
    await stub.CreateContest(
        pb.CreateContestRequest(
            contest=pb.Contest(display_name="2026 全球精英创新创业大赛", year=2026, judges=panel), contest_id=CONTEST
        ),
        metadata=ADMIN,
    )
    deadline = Timestamp()
    deadline.FromDatetime(DEADLINE)
    await stub.CreateRound(
        pb.CreateRoundRequest(
            parent=f"contests/{CONTEST}",
            round_id="preliminary",
            round=pb.Round(
                display_name="初赛",
                kind=pb.ROUND_KIND_PRELIMINARY,
                sequence=1,
                criteria=CRITERIA,
                judges_per_entry=3,
                aggregation=pb.AGGREGATION_METHOD_MEAN,
                advancement=pb.Advancement(top_n=3),
                judging_deadline=deadline,
            ),
        ),
        metadata=ADMIN,
    )
    await stub.BatchCreateEntries(
        pb.BatchCreateEntriesRequest(
            parent=f"contests/{CONTEST}",
            requests=[
                pb.CreateEntryRequest(parent=f"contests/{CONTEST}", entry=entry_message(i), entry_id=f"e-{i + 1:02d}")
                for i in range(6)
            ],
        ),
        metadata=ADMIN,
    )
    for judge_id, (_, entries) in JUDGES.items():
        for entry in entries:
            await stub.CreateAssignment(
                pb.CreateAssignmentRequest(
                    round=ROUND, judge=f"judges/{judge_id}", entry=f"contests/{CONTEST}/entries/{entry}"
                ),
                metadata=ADMIN,
            )
    await stub.OpenRound(pb.OpenRoundRequest(name=ROUND), metadata=ADMIN)
    created = await stub.CreateJudgeInvitations(pb.CreateJudgeInvitationsRequest(round=ROUND), metadata=ADMIN)
    return {i.judge.removeprefix("judges/"): i.code for i in created.invitations}


async def open_one_entry_round(stub: Any, contest: str, judge: str, *, title: str, entry: int = 0) -> tuple[str, str]:
    """A contest of its own with one open final round ("only", one award) and one entry assigned
    to ``judge``; returns the round's and the entry's names."""
    await stub.CreateContest(
        pb.CreateContestRequest(
            contest=pb.Contest(display_name=title, year=2026, judges=[f"judges/{judge}"]), contest_id=contest
        ),
        metadata=ADMIN,
    )
    await stub.CreateRound(
        pb.CreateRoundRequest(
            parent=f"contests/{contest}",
            round_id="only",
            round=pb.Round(
                display_name="唯一轮",
                kind=pb.ROUND_KIND_FINAL,
                sequence=1,
                criteria=CRITERIA,
                judges_per_entry=1,
                aggregation=pb.AGGREGATION_METHOD_MEAN,
                advancement=pb.Advancement(top_n=1),
                award_tiers=[pb.AwardTier(tier="FIRST", display_name="一等奖", count=1)],
            ),
        ),
        metadata=ADMIN,
    )
    round_name, entry_name = f"contests/{contest}/rounds/only", f"contests/{contest}/entries/c-01"
    await stub.CreateEntry(
        pb.CreateEntryRequest(parent=f"contests/{contest}", entry=entry_message(entry), entry_id="c-01"),
        metadata=ADMIN,
    )
    await stub.CreateAssignment(
        pb.CreateAssignmentRequest(round=round_name, judge=f"judges/{judge}", entry=entry_name), metadata=ADMIN
    )
    await stub.OpenRound(pb.OpenRoundRequest(name=round_name), metadata=ADMIN)
    return round_name, entry_name


async def build_closing_round(stub: Any, judge: str) -> str:
    """A second contest with one open round and one entry for ``judge``: the test closes it under them."""
    round_name, _ = await open_one_entry_round(stub, CLOSING_CONTEST, judge, title="截止测试大赛")
    return round_name
