"""A round's results: the leaderboard lines, the cut, awards and the frozen snapshot. Pure and
thread-safe (the servicer runs :func:`compute_leaderboard` in a worker thread).

Snapshot rows are flat mappings whose keys are the ``LeaderboardRow`` fields (``entry_id`` for the
entry), floats unrounded: :func:`~.ranking.leaderboard_digest` of the rows a client reads back equals
the digest stored at finalization.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.competition.domain.models import Advancement, AwardTier, Outcome, ScoreSheet
from services.competition.domain.ranking import (
    DEFAULT_SEED,
    AdvancementRule,
    JsonScalar,
    advancing,
    method_sensitivity,
    rank,
    robustness,
)
from services.competition.domain.scoring import AggregationMethod, Criterion, GridScorer, Sheet, aggregate


def exact_sheets(
    sheets: Iterable[ScoreSheet], criteria: Sequence[Criterion], entry_ids: Iterable[str] | None = None
) -> list[Sheet]:
    """Stored sheets (of ``entry_ids`` only, unless None) as exact domain sheets: every value snapped
    onto its criterion's grid and the sheet scored exactly (the stored ``total`` is only a float
    rendering of that score and is not used)."""
    scorer = GridScorer(criteria)
    members = set(entry_ids) if entry_ids is not None else None
    return [scorer.sheet(s.judge_id, s.entry_id, s.scores) for s in sheets if members is None or s.entry_id in members]


def cut_rule(advancement: Advancement | None, award_tiers: Sequence[AwardTier]) -> AdvancementRule:
    """The round's cut. A round with award tiers cuts at the number of awards (the award cut); else
    its advancement rule; a round with neither has nobody within the cut."""
    if award_tiers:
        return AdvancementRule(top_n=sum(tier.count for tier in award_tiers))
    if advancement is not None and advancement.top_n is not None:
        return AdvancementRule(top_n=advancement.top_n)
    if advancement is not None and advancement.min_score is not None:
        return AdvancementRule(threshold=advancement.min_score)
    return AdvancementRule(top_n=0)


def award_for_rank(rank_value: int, award_tiers: Sequence[AwardTier]) -> str | None:
    """The tier of a shared (competition) rank, decided by the rank alone: tiers cover positions in
    order — with counts c1, c2, … the first tier covers positions 1..c1, the second c1+1..c1+c2, and
    so on — and an entry takes the tier whose range contains its rank.

    So a tie is never split: ranks 1, 2, 2, 4 under FIRST×1, SECOND×1, THIRD×1 give FIRST, SECOND,
    SECOND and nothing (two SECOND, no THIRD: rank 4 is past the last position); a tie straddling a
    boundary takes the tier of the rank it shares; and a tie straddling the last awarded position is
    awarded in full, every tied entry in the last tier (as :func:`~.ranking.advancing` admits the whole
    tie at the cut), so more entries than the counts add up to may be awarded."""
    position = 0
    for tier in award_tiers:
        position += tier.count
        if rank_value <= position:
            return tier.tier
    return None


NO_SHEETS_NOTE = "no score sheet: no score, ranked after every scored entry, cannot advance"


@dataclass(frozen=True)
class LeaderboardLine:
    rank: int
    entry_id: str
    score: float
    display_score: Decimal | None
    """None for an entry without sheets (it has no score)."""
    sheet_count: int
    spread: float
    robustness: float
    method_sensitive: bool
    within_cut: bool

    @property
    def scored(self) -> bool:
        return self.sheet_count > 0


def compute_leaderboard(
    sheets: Sequence[Sheet],
    criteria: Sequence[Criterion],
    method: AggregationMethod,
    rule: AdvancementRule,
    resamples: int,
    seed: int = DEFAULT_SEED,
    entry_ids: Iterable[str] | None = None,
) -> list[LeaderboardLine]:
    """Ranked lines of the round: the entries with sheets by :func:`~.ranking.rank`, then the
    ``entry_ids`` nobody scored (sheets of entries outside ``entry_ids`` are ignored; None: the
    entries of the sheets). CPU-heavy: the bootstrap runs ``resamples`` re-rankings.

    An entry without sheets has no score: it is listed after every scored entry with 0 sheets and no
    display score, all such entries share the rank after the last scored position (competition
    ranking: they are tied on having no score) in entry_id order, and it is never within the cut
    (a top-N cut larger than the scored entries does not admit it)."""
    if entry_ids is not None:
        members = set(entry_ids)
        sheets = [s for s in sheets if s.entry_id in members]
    else:
        members = {s.entry_id for s in sheets}
    lines: list[LeaderboardLine] = []
    if sheets:
        ranked = rank(aggregate(sheets, method), criteria)
        within = advancing(ranked, rule)
        stays = robustness(sheets, criteria, method, rule, resamples=resamples, seed=seed)
        sensitive = method_sensitivity(sheets, criteria, rule, {AggregationMethod(method): within})
        lines = [
            LeaderboardLine(
                rank=r.rank,
                entry_id=r.entry_id,
                score=r.score,
                display_score=r.display_score,
                sheet_count=r.sheet_count,
                spread=r.spread,
                robustness=stays.get(r.entry_id, 0.0),
                method_sensitive=r.entry_id in sensitive,
                within_cut=r.entry_id in within,
            )
            for r in ranked
        ]
    scored = {line.entry_id for line in lines}
    unscored_rank = len(lines) + 1
    lines += [
        LeaderboardLine(unscored_rank, entry_id, 0.0, None, 0, 0.0, 0.0, False, False)
        for entry_id in sorted(members - scored)
    ]
    return lines


@dataclass(frozen=True)
class RoundResult:
    entry_id: str
    rank: int
    score: float
    outcome: Outcome
    award_tier: str | None


def round_results(
    lines: Sequence[LeaderboardLine], entry_ids: Iterable[str], award_tiers: Sequence[AwardTier]
) -> list[RoundResult]:
    """One result per entry of the round. Not final: within the cut → ADVANCED. Final (award tiers):
    awarded → ADVANCED, the tier by :func:`award_for_rank`. An entry without sheets is ELIMINATED and
    never awarded; one of ``entry_ids`` missing from ``lines`` is treated the same, ranked after
    every line."""
    results: list[RoundResult] = []
    for line in lines:
        tier = award_for_rank(line.rank, award_tiers) if award_tiers and line.scored else None
        advanced = tier is not None if award_tiers else line.within_cut and line.scored
        results.append(
            RoundResult(
                entry_id=line.entry_id,
                rank=line.rank,
                score=line.score,
                outcome=Outcome.ADVANCED if advanced else Outcome.ELIMINATED,
                award_tier=tier,
            )
        )
    listed = {line.entry_id for line in lines}
    missing_rank = len(lines) + 1
    for entry_id in sorted(set(entry_ids) - listed):
        results.append(RoundResult(entry_id, missing_rank, 0.0, Outcome.ELIMINATED, None))
    return results


def snapshot_rows(
    lines: Sequence[LeaderboardLine], titles: Mapping[str, str], results: Sequence[RoundResult]
) -> list[dict[str, JsonScalar]]:
    """The leaderboard, in leaderboard order, as flat rows (see the module docstring). An entry
    without sheets has ``display_score`` "" (no score) and ``sheet_count`` 0."""
    by_entry = {result.entry_id: result for result in results}
    rows: list[dict[str, JsonScalar]] = []
    for line in lines:
        result = by_entry.get(line.entry_id)
        rows.append(
            {
                "rank": line.rank,
                "entry_id": line.entry_id,
                "title": titles.get(line.entry_id, ""),
                "score": line.score,
                "display_score": line.display_score if line.display_score is not None else "",
                "sheet_count": line.sheet_count,
                "spread": line.spread,
                "robustness": line.robustness,
                "method_sensitive": line.method_sensitive,
                "within_cut": line.within_cut,
                "outcome": result.outcome.value if result else "",
                "award_tier": (result.award_tier or "") if result else "",
            }
        )
    return rows


FrozenScalar = str | int | bool | None
FLOAT_COLUMNS = ("score", "spread", "robustness")


def freeze_row(row: Mapping[str, JsonScalar]) -> dict[str, FrozenScalar]:
    """A snapshot row for storage: floats as their repr and decimals as text, exactly as the digest
    sees them, so no JSON store can change a value by a bit (jsonb keeps numbers as numeric)."""
    frozen: dict[str, FrozenScalar] = {}
    for key, value in row.items():
        if isinstance(value, float):
            frozen[key] = repr(value)
        elif isinstance(value, Decimal):
            frozen[key] = str(value)
        else:
            frozen[key] = value
    return frozen


def thaw_row(row: Mapping[str, FrozenScalar]) -> dict[str, JsonScalar]:
    thawed: dict[str, JsonScalar] = dict(row)
    for key in FLOAT_COLUMNS:
        thawed[key] = float(str(row[key]))
    shown = str(row["display_score"])
    thawed["display_score"] = Decimal(shown) if shown else ""
    return thawed
