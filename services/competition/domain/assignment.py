"""Automatic judge assignment as a min-cost flow.

source ─(k − already assigned)→ entry ─(1, cost 0 if domains match else 1)→ judge ─(ceiling − load)→ sink

Unconflicted (entry, judge) pairs are the only middle arcs, so a conflicted pair can never be
chosen. A maximum flow fills every entry that can be filled; minimum cost then prefers judges of
the entry's domain; the judge→sink capacity is the load ceiling, ceil(entries·k / judges). When
conflicts make that ceiling too tight, it is raised to the smallest value at which the flow is as
large as it would be with unlimited capacity, and the plan says so. Entries that still lack judges
are listed with the reason: the only way an entry falls short is having too few judges without a
conflict of interest.

Inputs are sorted by id and the flow is explored in that order, so the same contest always gets
the same plan, whatever order the store returned the rows in.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Collection, Sequence
from typing import Final

from pydantic import BaseModel, ConfigDict, Field

from services.common.errors import invalid_field

Pair = tuple[str, str]
"""(judge_id, entry_id)"""

_INF: Final = 1 << 60


class EntryInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    entry_id: str
    domain: str | None = None


class JudgeInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    judge_id: str
    domains: frozenset[str] = frozenset()


class Shortfall(BaseModel):
    model_config = ConfigDict(frozen=True)

    entry_id: str
    assigned: int
    required: int
    reason: str


class AssignmentPlan(BaseModel):
    model_config = ConfigDict(frozen=True)

    # New pairs to add, sorted; existing ones are not repeated here.
    assignments: list[Pair]
    # Existing (unconflicted) plus new pairs: the round's assignments once the plan is applied.
    all_assignments: list[Pair]
    shortfalls: list[Shortfall]
    load_ceiling: int
    base_load_ceiling: int
    ceiling_raised: bool
    ceiling_note: str | None = None
    # Total load per judge after the plan, existing assignments included; every judge is listed.
    loads: dict[str, int] = Field(default_factory=dict)
    # New pairs whose judge does not share the entry's domain (the fewest possible).
    cross_domain: int = 0
    # Existing pairs that are now conflicted: not counted, and the caller should withdraw them.
    conflicted_existing: list[Pair] = Field(default_factory=list)


class _Network:
    """A residual graph in flat lists; arc e and e ^ 1 are each other's reverse."""

    def __init__(self, nodes: int) -> None:
        self.nodes = nodes
        self.adj: list[list[int]] = [[] for _ in range(nodes)]
        self.head: list[int] = []
        self.cap: list[int] = []
        self.cost: list[int] = []

    def add(self, tail: int, head: int, capacity: int, cost: int) -> int:
        arc = len(self.head)
        self.head += (head, tail)
        self.cap += (capacity, 0)
        self.cost += (cost, -cost)
        self.adj[tail].append(arc)
        self.adj[head].append(arc + 1)
        return arc

    def max_flow(self, source: int, sink: int) -> int:
        return self._dinic(source, sink, None)

    def min_cost_max_flow(self, source: int, sink: int) -> int:
        """Primal-dual: Dijkstra on reduced costs sets the potentials, then Dinic pushes a maximum
        flow through the zero-reduced-cost arcs. Costs are 0/1, so there are few phases, and each
        phase moves many units at once instead of one shortest path per unit."""
        potential = [0] * self.nodes
        total = 0
        while True:
            dist = self._dijkstra(source, potential)
            reach = dist[sink]
            if reach >= _INF:
                return total
            for node in range(self.nodes):
                # Capping at the sink's distance keeps every reduced cost non-negative, also on arcs
                # out of nodes that were not reached this time.
                potential[node] += min(dist[node], reach)
            pushed = self._dinic(source, sink, potential)
            if pushed == 0:
                return total
            total += pushed

    def _dijkstra(self, source: int, potential: list[int]) -> list[int]:
        head, cap, cost, adj = self.head, self.cap, self.cost, self.adj
        dist = [_INF] * self.nodes
        dist[source] = 0
        queue = [(0, source)]
        while queue:
            d, node = heapq.heappop(queue)
            if d > dist[node]:
                continue
            base = d + potential[node]
            for arc in adj[node]:
                if cap[arc] > 0:
                    other = head[arc]
                    nd = base + cost[arc] - potential[other]
                    if nd < dist[other]:
                        dist[other] = nd
                        heapq.heappush(queue, (nd, other))
        return dist

    def _dinic(self, source: int, sink: int, potential: list[int] | None) -> int:
        head, cap, cost, adj = self.head, self.cap, self.cost, self.adj
        if potential is None:
            usable = [True] * len(head)
        else:
            usable = [cost[arc] + potential[head[arc ^ 1]] - potential[head[arc]] == 0 for arc in range(len(head))]
        total = 0
        while True:
            level = [-1] * self.nodes
            level[source] = 0
            frontier = [source]
            while frontier and level[sink] < 0:
                following: list[int] = []
                for node in frontier:
                    for arc in adj[node]:
                        other = head[arc]
                        if cap[arc] > 0 and level[other] < 0 and usable[arc]:
                            level[other] = level[node] + 1
                            following.append(other)
                frontier = following
            if level[sink] < 0:
                return total
            cursor = [0] * self.nodes
            # Iterative DFS: alternating paths can be longer than Python's recursion limit.
            while True:
                path: list[int] = []
                node = source
                while node != sink:
                    arcs = adj[node]
                    i = cursor[node]
                    while i < len(arcs):
                        arc = arcs[i]
                        if cap[arc] > 0 and usable[arc] and level[head[arc]] == level[node] + 1:
                            break
                        i += 1
                    cursor[node] = i
                    if i == len(arcs):
                        if not path:
                            break
                        node = head[path.pop() ^ 1]
                        cursor[node] += 1
                        continue
                    path.append(arcs[i])
                    node = head[arcs[i]]
                if node != sink:
                    break
                pushed = min(cap[arc] for arc in path)
                for arc in path:
                    cap[arc] -= pushed
                    cap[arc ^ 1] += pushed
                total += pushed


class _Problem:
    def __init__(
        self,
        entries: list[EntryInfo],
        judges: list[JudgeInfo],
        need: list[int],
        candidates: list[list[int]],
        existing_load: list[int],
    ) -> None:
        self.entries = entries
        self.judges = judges
        self.need = need
        self.candidates = candidates
        self.existing_load = existing_load

    def network(self, ceiling: int) -> tuple[_Network, list[tuple[int, int, int]]]:
        """The flow network at a load ceiling, and the middle arcs as (arc, entry, judge)."""
        n_entries, n_judges = len(self.entries), len(self.judges)
        source, sink = 0, n_entries + n_judges + 1
        net = _Network(n_entries + n_judges + 2)
        middle: list[tuple[int, int, int]] = []
        for e, entry in enumerate(self.entries):
            if self.need[e] and self.candidates[e]:
                net.add(source, 1 + e, self.need[e], 0)
                for j in self.candidates[e]:
                    match = entry.domain is not None and entry.domain in self.judges[j].domains
                    middle.append((net.add(1 + e, 1 + n_entries + j, 1, 0 if match else 1), e, j))
        for j in range(n_judges):
            room = max(0, ceiling - self.existing_load[j])
            if room:
                net.add(1 + n_entries + j, sink, room, 0)
        return net, middle

    def max_flow(self, ceiling: int) -> int:
        net, _ = self.network(ceiling)
        return net.max_flow(0, net.nodes - 1)


def _sorted_unique_entries(entries: Sequence[EntryInfo]) -> list[EntryInfo]:
    ordered = sorted(entries, key=lambda entry: entry.entry_id)
    for first, second in itertools.pairwise(ordered):
        if first.entry_id == second.entry_id:
            raise ValueError(f"entry {first.entry_id} is listed twice")
    return ordered


def _sorted_unique_judges(judges: Sequence[JudgeInfo]) -> list[JudgeInfo]:
    ordered = sorted(judges, key=lambda judge: judge.judge_id)
    for first, second in itertools.pairwise(ordered):
        if first.judge_id == second.judge_id:
            raise ValueError(f"judge {first.judge_id} is listed twice")
    return ordered


def _shortfall_reason(available: int, n_judges: int, required: int) -> str:
    if n_judges == 0:
        return "the round has no judges"
    conflicted = n_judges - available
    if conflicted:
        return (
            f"only {available} judges without a conflict of interest "
            f"({conflicted} of {n_judges} judges are conflicted); {required} required"
        )
    return f"the round has only {n_judges} judges; {required} required"


def auto_assign(
    entries: Sequence[EntryInfo],
    judges: Sequence[JudgeInfo],
    k: int,
    conflicts: Collection[Pair],
    existing: Collection[Pair] = frozenset(),
) -> AssignmentPlan:
    """Plan the judges of a round: k per entry, no conflicted pair, domain matches preferred, loads
    within the ceiling.

    ``conflicts`` and ``existing`` are (judge_id, entry_id) pairs. Existing pairs count toward the
    entry's k and the judge's load; pairs naming a judge or entry outside the inputs are ignored.
    """
    if k < 1:
        raise invalid_field("judges_per_entry", f"must be at least 1, got {k}")
    ordered_entries = _sorted_unique_entries(entries)
    ordered_judges = _sorted_unique_judges(judges)
    entry_index = {entry.entry_id: e for e, entry in enumerate(ordered_entries)}
    judge_index = {judge.judge_id: j for j, judge in enumerate(ordered_judges)}
    conflict_set = set(conflicts)
    n_entries, n_judges = len(ordered_entries), len(ordered_judges)

    kept: set[Pair] = set()
    conflicted_existing: list[Pair] = []
    for pair in existing:
        judge_id, entry_id = pair
        if judge_id not in judge_index or entry_id not in entry_index:
            continue
        if pair in conflict_set:
            conflicted_existing.append(pair)
        else:
            kept.add(pair)

    have = [0] * n_entries
    existing_load = [0] * n_judges
    for judge_id, entry_id in kept:
        have[entry_index[entry_id]] += 1
        existing_load[judge_index[judge_id]] += 1

    need = [max(0, k - count) for count in have]
    candidates: list[list[int]] = []
    available: list[int] = []
    for e, entry in enumerate(ordered_entries):
        free = [
            j
            for j, judge in enumerate(ordered_judges)
            if (judge.judge_id, entry.entry_id) not in conflict_set and (judge.judge_id, entry.entry_id) not in kept
        ]
        candidates.append(free)
        available.append(have[e] + len(free))
    # With unlimited judge capacity every entry takes min(need, free judges): the flow to reach.
    attainable = sum(min(need[e], len(candidates[e])) for e in range(n_entries))

    problem = _Problem(ordered_entries, ordered_judges, need, candidates, existing_load)
    base = -(-n_entries * k // n_judges) if n_judges else 0
    ceiling = base
    net, middle = problem.network(ceiling)
    flow = net.min_cost_max_flow(0, net.nodes - 1)
    if flow < attainable:
        # Flow grows monotonically with the ceiling and reaches `attainable` once every judge could
        # take every entry, so a binary search finds the smallest sufficient ceiling.
        low, high = base, max(existing_load, default=0) + n_entries
        while high - low > 1:
            middle_ceiling = (low + high) // 2
            if problem.max_flow(middle_ceiling) >= attainable:
                high = middle_ceiling
            else:
                low = middle_ceiling
        ceiling = high
        net, middle = problem.network(ceiling)
        net.min_cost_max_flow(0, net.nodes - 1)

    new_pairs: list[Pair] = []
    cross_domain = 0
    loads = list(existing_load)
    got = list(have)
    for arc, e, j in middle:
        if net.cap[arc] == 0:
            new_pairs.append((ordered_judges[j].judge_id, ordered_entries[e].entry_id))
            cross_domain += net.cost[arc]
            loads[j] += 1
            got[e] += 1

    shortfalls = [
        Shortfall(
            entry_id=entry.entry_id,
            assigned=got[e],
            required=k,
            reason=_shortfall_reason(available[e], n_judges, k),
        )
        for e, entry in enumerate(ordered_entries)
        if got[e] < k
    ]
    raised = ceiling > base
    note = (
        f"load ceiling raised from {base} to {ceiling}: conflicts of interest or existing "
        "assignments leave too few eligible judges to stay within it"
        if raised
        else None
    )
    return AssignmentPlan(
        assignments=sorted(new_pairs),
        all_assignments=sorted(kept.union(new_pairs)),
        shortfalls=shortfalls,
        load_ceiling=ceiling,
        base_load_ceiling=base,
        ceiling_raised=raised,
        ceiling_note=note,
        loads={judge.judge_id: loads[j] for j, judge in enumerate(ordered_judges)},
        cross_domain=cross_domain,
        conflicted_existing=sorted(conflicted_existing),
    )
