"""A realistic demo, loaded through the gRPC APIs only (like any client), idempotently.

Talent: ~40 candidates (individuals and teams) with 2024 applications at every stage, so that the
three seeded 2024 targets read MET (Ouyue plan), AT_RISK (leading talents) and ON_TRACK/AT_RISK
(city teams).

Competition: the 2024 Global Elite Innovation & Entrepreneurship Competition ``gec-2024`` with three
rounds (preliminary 60 entries → semifinal 30 → final 12), 15 judges, every sheet submitted, every
round finalized, 12 awards, and landing records for the awarded projects: 6 landed (target ≥ 5:
met), landing rate 6/12 = 50 % (target ≥ 60 %: not met) and a projection just under the target, so
the landing alerts and dashboards have something to show.

Running it twice writes nothing new: candidates, applications, sheets and moves carry request ids
derived from their content, ids are fixed, and every step first reads the current state.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import grpc
from google.protobuf import field_mask_pb2
from google.protobuf.timestamp_pb2 import Timestamp
from grpc import aio

from protos.competition.v1 import competition_pb2 as cpb
from protos.competition.v1 import competition_pb2_grpc
from protos.talent.v1 import talent_pb2 as tpb
from protos.talent.v1 import talent_pb2_grpc
from services.common.auth import mint_token
from services.common.credit_code import check_character

CONTEST_ID = "gec-2024"
CONTEST = f"contests/{CONTEST_ID}"
# A second contest whose first round is OPEN, for the judges' portal: six panel judges, 12 entries,
# three judges per entry, the sheets of judges 04–06 submitted and those of judges 01–03 still to do.
OPEN_CONTEST_ID = "gec-2025-open"
OPEN_CONTEST = f"contests/{OPEN_CONTEST_ID}"
OPEN_ROUND = f"{OPEN_CONTEST}/rounds/preliminary"
OPEN_PANEL = [f"judge-{n:02d}" for n in range(1, 7)]
OPEN_DONE = {"judge-04", "judge-05", "judge-06"}
LOADER = "demo-loader"
YEAR = 2024
T = TypeVar("T")


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from ``parts``."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


# --- talent data --------------------------------------------------------------------------------

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "艳", "勇", "军", "杰", "涛", "明", "超", "霞", "平", "刚", "桂英"]
EMPLOYERS = [
    "温州医科大学",
    "温州大学",
    "瓯江实验室",
    "浙江工贸职业技术学院",
    "瓯海经济开发区企业",
    "中国科学院温州研究院",
]
DOMAINS = (tpb.DOMAIN_LIFE_HEALTH, tpb.DOMAIN_NEW_ENERGY_MATERIALS, tpb.DOMAIN_DIGITAL_ECONOMY)
S = tpb.Stage
PATH = (S.STAGE_SCOUTED, S.STAGE_RESERVED, S.STAGE_CULTIVATING, S.STAGE_APPLIED, S.STAGE_UNDER_REVIEW)

# 16 leading-talent applications: 3 selected and a thin pipeline → forecast 4.7 < 5: AT_RISK.
LEADING = (
    [S.STAGE_SELECTED] * 3
    + [S.STAGE_UNDER_REVIEW, S.STAGE_APPLIED, S.STAGE_CULTIVATING]
    + [
        S.STAGE_RESERVED,
        S.STAGE_RESERVED,
        S.STAGE_SCOUTED,
        S.STAGE_SCOUTED,
        S.STAGE_SCOUTED,
        S.STAGE_NOT_SELECTED,
        S.STAGE_NOT_SELECTED,
        S.STAGE_WITHDRAWN,
        S.STAGE_WITHDRAWN,
        S.STAGE_WITHDRAWN,
    ]
)
# 20 Ouyue applications with 6 selected: MET. 4 team applications → forecast 1.4 ≥ 1: ON_TRACK.
OUYUE = (
    [S.STAGE_SELECTED] * 6
    + [S.STAGE_UNDER_REVIEW] * 3
    + [S.STAGE_APPLIED] * 3
    + [S.STAGE_CULTIVATING] * 3
    + [
        S.STAGE_RESERVED,
        S.STAGE_RESERVED,
        S.STAGE_SCOUTED,
        S.STAGE_NOT_SELECTED,
        S.STAGE_WITHDRAWN,
    ]
)
TEAMS = [S.STAGE_UNDER_REVIEW, S.STAGE_APPLIED, S.STAGE_CULTIVATING, S.STAGE_SCOUTED]
TEAM_NAMES = ["钙钛矿光伏团队", "智能眼健康团队", "工业互联网安全团队", "固态电池材料团队"]


@dataclass(frozen=True)
class DemoCandidate:
    index: int
    candidate: tpb.Candidate
    programme: str
    stage: Any


def demo_candidates() -> list[DemoCandidate]:
    out: list[DemoCandidate] = []
    plan = [("national-leading" if i % 2 == 0 else "provincial-leading", s) for i, s in enumerate(LEADING)]
    plan += [("ouyue", s) for s in OUYUE]
    for i, (programme, stage) in enumerate(plan):
        name = SURNAMES[i % len(SURNAMES)] + GIVEN[(i * 7) % len(GIVEN)] + ("" if i < 18 else GIVEN[i % len(GIVEN)])
        overseas = programme != "ouyue" or i % 3 == 0
        candidate = tpb.Candidate(
            kind=tpb.CANDIDATE_KIND_INDIVIDUAL,
            display_name=name,
            domain=DOMAINS[i % 3],
            origin=tpb.ORIGIN_OVERSEAS if overseas else tpb.ORIGIN_DOMESTIC,
            tier=(tpb.TIER_A, tpb.TIER_B, tpb.TIER_C)[i % 3],
            employer=EMPLOYERS[i % len(EMPLOYERS)],
            birth_year=1972 + i % 20,
            contact=tpb.Contact(email=f"demo.talent{i:02d}@example.com", phone=f"1390577{i:04d}"),
        )
        out.append(DemoCandidate(i, candidate, programme, stage))
    for j, (title, stage) in enumerate(zip(TEAM_NAMES, TEAMS, strict=True)):
        i = len(plan) + j
        candidate = tpb.Candidate(
            kind=tpb.CANDIDATE_KIND_TEAM,
            display_name=title,
            domain=DOMAINS[j % 3],
            origin=tpb.ORIGIN_DOMESTIC,
            employer=EMPLOYERS[j],
            contact=tpb.Contact(email=f"demo.team{j:02d}@example.com"),
            leader=tpb.TeamMember(display_name=SURNAMES[j] + "首席", role="首席科学家"),
            members=[tpb.TeamMember(display_name=SURNAMES[j + 5] + GIVEN[j], role="工程师")],
        )
        out.append(DemoCandidate(i, candidate, "city-team", stage))
    return out


def stage_path(target: Any) -> list[Any]:
    """The moves from SCOUTED to ``target`` (excluding SCOUTED)."""
    if target in PATH:
        return list(PATH[1 : PATH.index(target) + 1])
    if target == S.STAGE_WITHDRAWN:
        return [S.STAGE_RESERVED, S.STAGE_WITHDRAWN]
    return [*PATH[1:], target]


# --- competition data ---------------------------------------------------------------------------

CRITERIA = [
    cpb.Criterion(key="technology", display_name="技术创新", weight=30, min_value=0, max_value=10, step=0.5),
    cpb.Criterion(key="industrialisation", display_name="产业化前景", weight=30, min_value=0, max_value=10, step=0.5),
    cpb.Criterion(key="team", display_name="团队", weight=20, min_value=0, max_value=10, step=0.5),
    cpb.Criterion(key="landing", display_name="落地意向", weight=20, min_value=0, max_value=10, step=0.5),
]
ROUNDS: list[tuple[str, cpb.Round]] = [
    (
        "preliminary",
        cpb.Round(
            display_name="初赛",
            kind=cpb.ROUND_KIND_PRELIMINARY,
            sequence=1,
            criteria=CRITERIA,
            judges_per_entry=3,
            aggregation=cpb.AGGREGATION_METHOD_ZSCORE,
            advancement=cpb.Advancement(top_n=30),
        ),
    ),
    (
        "semifinal",
        cpb.Round(
            display_name="复赛",
            kind=cpb.ROUND_KIND_SEMIFINAL,
            sequence=2,
            criteria=CRITERIA,
            judges_per_entry=5,
            aggregation=cpb.AGGREGATION_METHOD_TRIMMED_MEAN,
            advancement=cpb.Advancement(top_n=12),
        ),
    ),
    (
        "final",
        cpb.Round(
            display_name="决赛",
            kind=cpb.ROUND_KIND_FINAL,
            sequence=3,
            criteria=CRITERIA,
            judges_per_entry=5,
            aggregation=cpb.AGGREGATION_METHOD_TRIMMED_MEAN,
            advancement=cpb.Advancement(top_n=12),
            award_tiers=[
                cpb.AwardTier(tier="FIRST", display_name="一等奖", count=1),
                cpb.AwardTier(tier="SECOND", display_name="二等奖", count=2),
                cpb.AwardTier(tier="THIRD", display_name="三等奖", count=3),
                cpb.AwardTier(tier="EXCELLENCE", display_name="优胜奖", count=6),
            ],
        ),
    ),
]
TOPICS = {
    cpb.DOMAIN_LIFE_HEALTH: [
        "mRNA 疫苗递送平台",
        "眼科人工晶体",
        "AI 病理诊断",
        "可穿戴血糖监测",
        "细胞治疗工艺",
        "口腔数字化种植",
        "合成生物原料药",
        "康复外骨骼机器人",
    ],
    cpb.DOMAIN_NEW_ENERGY_MATERIALS: [
        "钙钛矿叠层电池",
        "固态锂电池电解质",
        "氢燃料电池膜电极",
        "碳化硅功率器件",
        "高性能鞋材发泡",
        "光伏组件回收",
        "储能液流电池",
        "石墨烯导热膜",
    ],
    cpb.DOMAIN_DIGITAL_ECONOMY: [
        "工业视觉质检",
        "电气设备数字孪生",
        "低代码工业互联网",
        "隐私计算平台",
        "智能仓储调度",
        "跨境电商 SaaS",
        "边缘 AI 芯片",
        "鞋服柔性供应链",
    ],
}
ORGANISATIONS = [
    "慕尼黑工业大学",
    "新加坡国立大学",
    "浙江大学",
    "清华大学",
    "斯坦福大学",
    "温州医科大学",
    "帝国理工学院",
    "中国科学院",
    "苏黎世联邦理工学院",
    "香港科技大学",
]
COUNTRIES = ["CN", "CN", "DE", "SG", "US", "GB", "CH", "CN", "IL", "CN"]
JUDGES = [
    ("judge-01", "陈立新", [1], ["浙江大学"]),
    ("judge-02", "王慧敏", [1, 3], ["温州医科大学"]),
    ("judge-03", "李建国", [2], ["中国科学院"]),
    ("judge-04", "张晓峰", [2, 3], ["瓯江实验室"]),
    ("judge-05", "刘芳", [3], ["温州大学"]),
    ("judge-06", "Dr. Anna Weber", [2], ["Fraunhofer ISE"]),
    ("judge-07", "赵明", [1], ["温州市投资集团"]),
    ("judge-08", "孙雅琴", [3], ["阿里云"]),
    ("judge-09", "周强", [2], ["宁德时代"]),
    ("judge-10", "吴婷", [1, 2], ["瓯海区科技局专家库"]),
    ("judge-11", "徐浩", [3], ["清华大学"]),
    ("judge-12", "Prof. Tan Wei", [1], ["新加坡国立大学"]),
    ("judge-13", "郑雪", [2, 3], ["浙江省科技评估中心"]),
    ("judge-14", "黄磊", [1, 3], ["温州创投"]),
    ("judge-15", "林婉", [3], ["网易"]),
]


def demo_entries() -> list[tuple[str, cpb.Entry]]:
    out = []
    domains = list(TOPICS)
    for i in range(60):
        domain = domains[i % 3]
        topic = TOPICS[domain][(i // 3) % 8]
        org = ORGANISATIONS[i % len(ORGANISATIONS)]
        entry = cpb.Entry(
            title=f"{topic}项目 {i + 1:02d}",
            team=cpb.Team(
                leader=cpb.TeamMember(
                    display_name=SURNAMES[(i * 5) % len(SURNAMES)] + GIVEN[i % len(GIVEN)], role="负责人"
                ),
                members=[
                    cpb.TeamMember(
                        display_name=SURNAMES[(i * 3 + 1) % len(SURNAMES)] + GIVEN[(i + 4) % 18], role="技术负责人"
                    )
                ],
                organisations=[org],
            ),
            domain=domain,
            origin_country=COUNTRIES[i % len(COUNTRIES)],
            summary=f"{topic}方向的创业项目，拟在瓯海区设立公司。",
        )
        out.append((f"entry-{i + 1:02d}", entry))
    return out


def sheet_scores(round_id: str, judge: str, entry: str) -> list[cpb.CriterionScore]:
    """Entry quality + judge leniency + noise, on the 0–10 scale in steps of 0.5."""
    quality = 4.0 + 5.0 * unit("quality", entry)
    leniency = (unit("leniency", judge) - 0.5) * 2.0
    scores = []
    for criterion in CRITERIA:
        noise = (unit("noise", round_id, judge, entry, criterion.key) - 0.5) * 2.0
        value = min(10.0, max(0.0, quality + leniency + noise))
        scores.append(cpb.CriterionScore(criterion=criterion.key, value=round(value * 2) / 2))
    return scores


# Awarded entries by award rank → their landing path (6 landed, 1 signed, 2 intent, 2 dropped, 1 none).
LANDING_PLAN = [
    "OPERATING",
    "OPERATING",
    "OPERATING",
    "REGISTERED",
    "REGISTERED",
    "REGISTERED",
    "SIGNED",
    "INTENT",
    "INTENT",
    "DROPPED",
    "DROPPED",
    None,
]
LANDING_ORDER = ["INTENT", "SIGNED", "REGISTERED", "OPERATING"]


def credit_code(n: int) -> str:
    first17 = f"91330304MA{n:07d}"
    return first17 + check_character(first17)


# --- loading ------------------------------------------------------------------------------------


@dataclass
class Summary:
    candidates: int = 0
    applications: int = 0
    entries: int = 0
    judges: int = 0
    sheets_submitted: int = 0
    rounds_finalized: int = 0
    awards: int = 0
    landings: dict[str, int] = field(default_factory=dict)


class Loader:
    def __init__(self, talent: Any, competition: Any, key: str, log: Callable[[str], None]) -> None:
        self.talent = talent
        self.competition = competition
        self.key = key
        self.log = log
        self.admin = (("authorization", f"Bearer {mint_token(key, LOADER, ['talent.admin', 'competition.admin'])}"),)
        self.summary = Summary()

    def judge_auth(self, judge: str) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {mint_token(self.key, judge, ['competition.judge'])}"),)

    async def get_or_none(self, call: Awaitable[T]) -> T | None:
        try:
            return await call
        except aio.AioRpcError as error:
            if error.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise

    async def gather(self, jobs: Sequence[Callable[[], Awaitable[None]]], limit: int = 16) -> None:
        semaphore = asyncio.Semaphore(limit)

        async def run(job: Callable[[], Awaitable[None]]) -> None:
            async with semaphore:
                await job()

        await asyncio.gather(*(run(j) for j in jobs))

    # --- talent ---

    async def talent_demo(self) -> None:
        people = demo_candidates()
        self.log(f"talent: {len(people)} candidates with {YEAR} applications")
        await self.gather([lambda p=p: self.one_candidate(p) for p in people], limit=8)  # type: ignore[misc]

    async def one_candidate(self, person: DemoCandidate) -> None:
        request = tpb.CreateCandidateRequest(candidate=person.candidate, request_id=f"demo-candidate-{person.index}")
        try:
            candidate = await self.talent.CreateCandidate(request, metadata=self.admin)
            name = candidate.name
        except aio.AioRpcError as error:
            existing = _error_metadata(error).get("existing_candidate")
            if error.code() != grpc.StatusCode.ALREADY_EXISTS or not existing:
                raise
            name = existing
        self.summary.candidates += 1
        applications = await self.talent.ListApplications(
            tpb.ListApplicationsRequest(candidate=name, programme=f"programmes/{person.programme}", year=YEAR),
            metadata=self.admin,
        )
        if applications.applications:
            application = applications.applications[0]
        else:
            application = await self.talent.CreateApplication(
                tpb.CreateApplicationRequest(
                    application=tpb.Application(candidate=name, programme=f"programmes/{person.programme}", year=YEAR),
                    request_id=f"demo-application-{person.index}",
                ),
                metadata=self.admin,
            )
        self.summary.applications += 1
        current = application.stage
        for step in stage_path(person.stage):
            if current in (S.STAGE_SELECTED, S.STAGE_NOT_SELECTED, S.STAGE_WITHDRAWN):
                break
            ordered: list[Any] = [*PATH, S.STAGE_SELECTED, S.STAGE_NOT_SELECTED, S.STAGE_WITHDRAWN]
            if ordered.index(step) <= ordered.index(current) and step != S.STAGE_WITHDRAWN:
                continue
            moved = await self.talent.TransitionApplication(
                tpb.TransitionApplicationRequest(
                    name=application.name,
                    expected_stage=current,
                    target_stage=step,
                    note="演示数据",
                    request_id=f"demo-move-{person.index}-{step}",
                ),
                metadata=self.admin,
            )
            current = moved.stage

    # --- competition ---

    async def competition_demo(self) -> None:
        c = self.competition
        # Judges first: they form the contest's panel, so that other contests' judges stay out of it.
        for judge_id, display, domains, affiliations in JUDGES:
            name = f"judges/{judge_id}"
            if await self.get_or_none(c.GetJudge(cpb.GetJudgeRequest(name=name), metadata=self.admin)) is None:
                judge = cpb.Judge(display_name=display, domains=domains, affiliations=affiliations)  # type: ignore[arg-type]
                await c.CreateJudge(
                    cpb.CreateJudgeRequest(judge=judge, judge_id=judge_id, request_id=f"demo-judge-{judge_id}"),
                    metadata=self.admin,
                )
        self.summary.judges = len(JUDGES)
        panel = [f"judges/{judge_id}" for judge_id, *_ in JUDGES]
        found = await self.get_or_none(c.GetContest(cpb.GetContestRequest(name=CONTEST), metadata=self.admin))
        if found is None:
            contest = cpb.Contest(
                display_name="2024 全球精英创新创业大赛",
                year=YEAR,
                min_landed_entries=5,
                min_landing_ratio=0.6,
                landing_deadline="2027-06-30",
                landing_pool=cpb.LANDING_POOL_AWARDED,
                judges=panel,
            )
            await c.CreateContest(
                cpb.CreateContestRequest(contest=contest, contest_id=CONTEST_ID, request_id="demo-contest"),
                metadata=self.admin,
            )
        elif lacking := [n for n in panel if n not in found.judges]:
            # A demo loaded before contests had judge panels.
            await c.UpdateContest(
                cpb.UpdateContestRequest(
                    contest=cpb.Contest(name=CONTEST, judges=[*found.judges, *lacking], etag=found.etag),
                    update_mask=field_mask_pb2.FieldMask(paths=["judges"]),
                ),
                metadata=self.admin,
            )
        for round_id, message in ROUNDS:
            name = f"{CONTEST}/rounds/{round_id}"
            if await self.get_or_none(c.GetRound(cpb.GetRoundRequest(name=name), metadata=self.admin)) is None:
                await c.CreateRound(
                    cpb.CreateRoundRequest(
                        parent=CONTEST, round=message, round_id=round_id, request_id=f"demo-round-{round_id}"
                    ),
                    metadata=self.admin,
                )
        existing = await self.all_entry_ids()
        missing = [(i, e) for i, e in demo_entries() if i not in existing]
        if missing:
            await c.BatchCreateEntries(
                cpb.BatchCreateEntriesRequest(
                    parent=CONTEST,
                    requests=[cpb.CreateEntryRequest(parent=CONTEST, entry=e, entry_id=i) for i, e in missing],
                    request_id="demo-entries-"
                    + hashlib.sha256(",".join(i for i, _ in missing).encode()).hexdigest()[:16],
                ),
                metadata=self.admin,
            )
        self.summary.entries = len(demo_entries())
        self.log(f"competition: {CONTEST} with {self.summary.entries} entries and {len(JUDGES)} judges")
        for round_id, _ in ROUNDS:
            await self.run_round(f"{CONTEST}/rounds/{round_id}")
        awards = await c.ListAwards(cpb.ListAwardsRequest(parent=CONTEST), metadata=self.admin)
        self.summary.awards = len(awards.awards)
        ranked = sorted(awards.awards, key=lambda a: (a.rank, a.entry))
        for n, (award, plan) in enumerate(zip(ranked, LANDING_PLAN, strict=False)):
            if plan is not None:
                await self.land(award.entry, plan, n)
        status = await c.GetLandingStatus(cpb.GetLandingStatusRequest(contest=CONTEST), metadata=self.admin)
        self.summary.landings = {
            cpb.LandingStage.Name(s.stage).removeprefix("LANDING_STAGE_"): s.count for s in status.stage_counts
        }

    async def open_round_demo(self) -> None:
        """The open round judges score in the portal (after competition_demo: the judges exist)."""
        c = self.competition
        if await self.get_or_none(c.GetContest(cpb.GetContestRequest(name=OPEN_CONTEST), metadata=self.admin)) is None:
            await c.CreateContest(
                cpb.CreateContestRequest(
                    contest=cpb.Contest(
                        display_name="2025 全球精英创新创业大赛（评审中）",
                        year=2025,
                        min_landed_entries=5,
                        min_landing_ratio=0.6,
                        landing_pool=cpb.LANDING_POOL_AWARDED,
                        judges=[f"judges/{j}" for j in OPEN_PANEL],
                    ),
                    contest_id=OPEN_CONTEST_ID,
                    request_id="demo-open-contest",
                ),
                metadata=self.admin,
            )
        if await self.get_or_none(c.GetRound(cpb.GetRoundRequest(name=OPEN_ROUND), metadata=self.admin)) is None:
            deadline = Timestamp()
            # Two weeks after the demo is loaded, at 18:00 Beijing time (10:00 UTC).
            deadline.FromDatetime(
                (datetime.now(UTC) + timedelta(days=14)).replace(hour=10, minute=0, second=0, microsecond=0)
            )
            await c.CreateRound(
                cpb.CreateRoundRequest(
                    parent=OPEN_CONTEST,
                    round_id="preliminary",
                    round=cpb.Round(
                        display_name="初赛",
                        kind=cpb.ROUND_KIND_PRELIMINARY,
                        sequence=1,
                        criteria=CRITERIA,
                        judges_per_entry=3,
                        aggregation=cpb.AGGREGATION_METHOD_TRIMMED_MEAN,
                        advancement=cpb.Advancement(top_n=6),
                        judging_deadline=deadline,
                    ),
                    request_id="demo-open-round",
                ),
                metadata=self.admin,
            )
        existing = await c.ListEntries(cpb.ListEntriesRequest(parent=OPEN_CONTEST, page_size=500), metadata=self.admin)
        if not existing.entries:
            await c.BatchCreateEntries(
                cpb.BatchCreateEntriesRequest(
                    parent=OPEN_CONTEST,
                    requests=[
                        cpb.CreateEntryRequest(parent=OPEN_CONTEST, entry=e, entry_id=i) for i, e in demo_entries()[:12]
                    ],
                    request_id="demo-open-entries",
                ),
                metadata=self.admin,
            )
        round_ = await c.GetRound(cpb.GetRoundRequest(name=OPEN_ROUND), metadata=self.admin)
        if round_.state == cpb.ROUND_STATE_DRAFT:
            await c.AutoAssign(
                cpb.AutoAssignRequest(round=OPEN_ROUND, request_id="demo-open-assign"), metadata=self.admin
            )
            round_ = await c.OpenRound(
                cpb.OpenRoundRequest(name=OPEN_ROUND, request_id="demo-open-open"), metadata=self.admin
            )
        if round_.state != cpb.ROUND_STATE_OPEN:
            return
        page = await c.ListAssignments(cpb.ListAssignmentsRequest(round=OPEN_ROUND, page_size=500), metadata=self.admin)
        todo = [a for a in page.assignments if not a.submitted and a.judge.rsplit("/", 1)[-1] in OPEN_DONE]
        for a in todo:
            judge, entry = a.judge.rsplit("/", 1)[-1], a.entry.rsplit("/", 1)[-1]
            await c.SubmitScoreSheet(
                cpb.SubmitScoreSheetRequest(
                    round=OPEN_ROUND,
                    entry=a.entry,
                    scores=sheet_scores("open", judge, entry),
                    comment="演示评分",
                    request_id=f"demo-open-sheet-{judge}-{entry}",
                ),
                metadata=self.judge_auth(judge),
            )
        # One sign-in link per panel judge (the runner prints them; re-running keeps the same links).
        await c.CreateJudgeInvitations(
            cpb.CreateJudgeInvitationsRequest(round=OPEN_ROUND, request_id="demo-open-invitations"),
            metadata=self.admin,
        )
        self.log(f"competition: {OPEN_ROUND} is OPEN for the judges' portal ({len(page.assignments)} assignments)")

    async def all_entry_ids(self) -> set[str]:
        ids: set[str] = set()
        request = cpb.ListEntriesRequest(parent=CONTEST, page_size=500)
        while True:
            page = await self.competition.ListEntries(request, metadata=self.admin)
            ids.update(e.name.rsplit("/", 1)[-1] for e in page.entries)
            if not page.next_page_token:
                return ids
            request.page_token = page.next_page_token

    async def run_round(self, name: str) -> None:
        c = self.competition
        round_ = await c.GetRound(cpb.GetRoundRequest(name=name), metadata=self.admin)
        if round_.state == cpb.ROUND_STATE_FINALIZED:
            self.summary.rounds_finalized += 1
            return
        if round_.state == cpb.ROUND_STATE_DRAFT:
            round_ = await c.OpenRound(
                cpb.OpenRoundRequest(name=name, request_id=f"demo-open-{name}"), metadata=self.admin
            )
        if round_.state == cpb.ROUND_STATE_OPEN:
            await c.AutoAssign(cpb.AutoAssignRequest(round=name, request_id=f"demo-assign-{name}"), metadata=self.admin)
            assignments = []
            request = cpb.ListAssignmentsRequest(round=name, page_size=500)
            while True:
                page = await c.ListAssignments(request, metadata=self.admin)
                assignments += list(page.assignments)
                if not page.next_page_token:
                    break
                request.page_token = page.next_page_token
            todo = [a for a in assignments if not a.submitted]
            self.log(f"  {name}: {len(assignments)} assignments, submitting {len(todo)} sheets")
            round_id = name.rsplit("/", 1)[-1]

            async def submit(a: Any) -> None:
                judge = a.judge.rsplit("/", 1)[-1]
                entry = a.entry.rsplit("/", 1)[-1]
                await c.SubmitScoreSheet(
                    cpb.SubmitScoreSheetRequest(
                        round=name,
                        entry=a.entry,
                        scores=sheet_scores(round_id, judge, entry),
                        comment="演示评分",
                        request_id=f"demo-sheet-{round_id}-{judge}-{entry}",
                    ),
                    metadata=self.judge_auth(judge),
                )
                self.summary.sheets_submitted += 1

            await self.gather([lambda a=a: submit(a) for a in todo])  # type: ignore[misc]
            round_ = await c.CloseRound(
                cpb.CloseRoundRequest(name=name, request_id=f"demo-close-{name}"), metadata=self.admin
            )
        if round_.state == cpb.ROUND_STATE_CLOSED:
            await c.FinalizeRound(
                cpb.FinalizeRoundRequest(name=name, request_id=f"demo-finalize-{name}"), metadata=self.admin
            )
        self.summary.rounds_finalized += 1

    async def land(self, entry: str, plan: str, n: int) -> None:
        c = self.competition
        landing = await self.get_or_none(c.GetLanding(cpb.GetLandingRequest(entry=entry), metadata=self.admin))
        current = cpb.LandingStage.Name(landing.stage).removeprefix("LANDING_STAGE_") if landing else "NONE"
        if current == "UNSPECIFIED":
            current = "NONE"
        steps = ["INTENT", "DROPPED"] if plan == "DROPPED" else LANDING_ORDER[: LANDING_ORDER.index(plan) + 1]
        for step in steps:
            if current in ("DROPPED", "OPERATING"):
                return
            if current != "NONE" and step != "DROPPED" and LANDING_ORDER.index(step) <= LANDING_ORDER.index(current):
                continue
            if step == "DROPPED" and current == "DROPPED":
                return
            request = cpb.TransitionLandingRequest(
                entry=entry,
                expected_stage=cpb.LandingStage.Value("LANDING_STAGE_" + current) if current != "NONE" else 0,  # type: ignore[arg-type]
                target_stage=cpb.LandingStage.Value("LANDING_STAGE_" + step),  # type: ignore[arg-type]
                note="演示数据",
                request_id=f"demo-landing-{entry.rsplit('/', 1)[-1]}-{step}",
            )
            if step == "SIGNED":
                request.agreement_date = f"2025-0{1 + n % 9}-15"
            elif step == "REGISTERED":
                request.company.CopyFrom(
                    cpb.Company(
                        display_name=f"温州瓯海{n + 1:02d}科技有限公司",
                        credit_code=credit_code(n + 1),
                        registration_date=f"2025-{10 + n % 3}-0{1 + n % 9}",
                        registered_capital_wan_cny=500 + 100 * n,
                    )
                )
            elif step == "DROPPED":
                request.drop_reason = "团队选择在其他城市落地"
            moved = await c.TransitionLanding(request, metadata=self.admin)
            current = cpb.LandingStage.Name(moved.stage).removeprefix("LANDING_STAGE_")


def _error_metadata(error: aio.AioRpcError) -> dict[str, str]:
    from google.rpc import error_details_pb2, status_pb2

    raw = dict(error.trailing_metadata() or ()).get("grpc-status-details-bin")
    if not raw:
        return {}
    status = status_pb2.Status.FromString(raw if isinstance(raw, bytes) else raw.encode())
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return dict(info.metadata)
    return {}


async def load_demo(
    talent_target: str, competition_target: str, key: str, log: Callable[[str], None] = print
) -> Summary:
    """Load (or complete) the demo through the two gRPC APIs; safe to run any number of times."""
    async with aio.insecure_channel(talent_target) as talent, aio.insecure_channel(competition_target) as competition:
        loader = Loader(
            talent_pb2_grpc.TalentServiceStub(talent),
            competition_pb2_grpc.CompetitionServiceStub(competition),
            key,
            log,
        )
        await loader.talent_demo()
        await loader.competition_demo()
        await loader.open_round_demo()
        return loader.summary


def load_demo_sync(talent_target: str, competition_target: str, key: str) -> Summary:
    return asyncio.run(load_demo(talent_target, competition_target, key))
