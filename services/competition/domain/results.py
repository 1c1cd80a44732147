"""A round's results: the leaderboard lines, the cut, awards and the frozen snapshot. Pure and
thread-safe (the servicer runs :func:`compute_leaderboard` in a worker thread).

Snapshot rows are flat mappings whose keys are the ``LeaderboardRow`` fields (``entry_id`` for the
entry), floats unrounded: :func:`~.ranking.leaderboard_digest` of the rows a client reads back equals
the digest stored at finalization.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from services.competition.domain.models import Advancement, AwardTier, Outcome
from services.competition.domain.ranking import (
    DEFAULT_SEED,
    AdvancementRule,
    JsonScalar,
    advancing,
    method_sensitivity,
    rank,
    robustness,
)
from services.competition.domain.scoring import AggregationMethod, Criterion, Sheet, aggregate


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
    """The tier of a (competition) rank: tiers cover rank positions in order (FIRST 1, SECOND 2 →
    positions 1, 2-3). Entries sharing a rank share its position's tier, so a tie is never split
    across tiers: a tie straddling a boundary all take the better tier, and a tie at the last awarded
    position is awarded in full (as :func:`~.ranking.advancing` admits the whole tie at the cut)."""
    position = 0
    for tier in award_tiers:
        position += tier.count
        if rank_value <= position:
            return tier.tier
    return None


@dataclass(frozen=True)
class LeaderboardLine:
    rank: int
    entry_id: str
    score: float
    display_score: Decimal
    sheet_count: int
    spread: float
    robustness: float
    method_sensitive: bool
    within_cut: bool


def sheets_fingerprint(sheets: Iterable[Sheet]) -> str:
    """Identifies a round's sheets as aggregated: the same fingerprint gives the same leaderboard, so
    a computed one can be reused across pages and calls until a sheet changes."""
    digest = hashlib.sha256()
    for sheet in sorted(sheets, key=lambda s: (s.entry_id, s.judge_id)):
        values = ",".join(f"{k}={v!r}" for k, v in sorted(sheet.criterion_scores.items()))
        digest.update(f"{sheet.entry_id}|{sheet.judge_id}|{sheet.score!r}|{values}\n".encode())
    return digest.hexdigest()


def compute_leaderboard(
    sheets: Sequence[Sheet],
    criteria: Sequence[Criterion],
    method: AggregationMethod,
    rule: AdvancementRule,
    resamples: int,
    seed: int = DEFAULT_SEED,
) -> list[LeaderboardLine]:
    """Ranked lines of the entries with at least one sheet (an entry nobody scored has no score to
    rank; it cannot advance). CPU-heavy: the bootstrap runs ``resamples`` re-rankings."""
    if not sheets:
        return []
    ranked = rank(aggregate(sheets, method), criteria)
    within = advancing(ranked, rule)
    stays = robustness(sheets, criteria, method, rule, resamples=resamples, seed=seed)
    sensitive = method_sensitivity(sheets, criteria, rule)
    return [
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
    """One result per entry of the round. Within the cut → ADVANCED (in the final round: awarded →
    ADVANCED). Entries without any sheet come last, ELIMINATED, ranked after every scored entry."""
    results: list[RoundResult] = []
    for line in lines:
        tier = award_for_rank(line.rank, award_tiers) if award_tiers else None
        advanced = tier is not None if award_tiers else line.within_cut
        results.append(
            RoundResult(
                entry_id=line.entry_id,
                rank=line.rank,
                score=line.score,
                outcome=Outcome.ADVANCED if advanced else Outcome.ELIMINATED,
                award_tier=tier,
            )
        )
    scored = {line.entry_id for line in lines}
    unscored_rank = len(lines) + 1
    for entry_id in sorted(set(entry_ids) - scored):
        results.append(RoundResult(entry_id, unscored_rank, 0.0, Outcome.ELIMINATED, None))
    return results


def snapshot_rows(
    lines: Sequence[LeaderboardLine], titles: Mapping[str, str], results: Sequence[RoundResult]
) -> list[dict[str, JsonScalar]]:
    """The frozen leaderboard, in leaderboard order, as flat rows (see the module docstring)."""
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
                "display_score": line.display_score,
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
    thawed["display_score"] = Decimal(str(row["display_score"]))
    return thawed
