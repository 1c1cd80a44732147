"""A list method's filter decided once and looked up (``FilterDecisions``) decides every request as
deciding it afresh would: the same query for an accepted filter, the same violations for a refused
one, whatever requests came before."""

from __future__ import annotations

from typing import Any

import pytest
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st

from protos.competition.v1 import competition_pb2 as cpb
from protos.talent.v1 import talent_pb2 as pb
from services.common import pagination
from services.common.errors import DomainError, invalid_field
from services.common.pagination import FilterDecisions
from services.competition.api.judging import _round_filter
from services.talent.api.servicer import _candidate_query

# Small domains, so that a list of requests repeats filters and differs from one another in one
# field at a time: a field missing from the key would hand one request another's decision.
names = st.sampled_from(["", "programmes/p1", "programmes/p2", "programmes/", "other/p1"])
candidate_requests = st.builds(
    pb.ListCandidatesRequest,
    domain=st.integers(min_value=0, max_value=2),
    origin=st.integers(min_value=0, max_value=2),
    tier=st.integers(min_value=0, max_value=2),
    kind=st.integers(min_value=0, max_value=2),
    stage=st.integers(min_value=0, max_value=2),
    programme=names,
    year=st.sampled_from([0, 1999, 2024, 2025]),
    name_contains=st.sampled_from(["", "li", " li ", "a\x00b"]),
    order_by=st.sampled_from(["", "create_time", "display_name", " display_name ", "nonsense"]),
    show_deleted=st.booleans(),
    page_size=st.integers(min_value=0, max_value=3),
    page_token=st.sampled_from(["", "t1", "t2"]),
)
refs = st.sampled_from(["", "contests/c1/rounds/r1", "contests/c2/rounds/r1", "contests/c1/entries/e1", "judges/j1"])
assignment_requests = st.builds(
    cpb.ListAssignmentsRequest,
    round=refs,
    judge=st.sampled_from(["", "judges/j1", "judges/j2", "j1"]),
    entry=st.sampled_from(["", "contests/c1/entries/e1", "contests/c2/entries/e1", "entries/e1"]),
    page_size=st.integers(min_value=0, max_value=3),
    page_token=st.sampled_from(["", "t1"]),
)


def outcome(decide: Any, request: Message) -> Any:
    try:
        return ("decided", decide(request))
    except DomainError as error:
        return ("refused", error.code, error.reason, tuple(error.violations))


@given(st.lists(candidate_requests, max_size=30))
def test_kept_candidate_queries_are_those_decided_afresh(requests: list[pb.ListCandidatesRequest]) -> None:
    decisions = FilterDecisions(pb.ListCandidatesRequest, _candidate_query)
    for request in requests:
        assert outcome(decisions, request) == outcome(_candidate_query, request)


@given(st.lists(assignment_requests, max_size=30))
def test_kept_assignment_filters_are_those_decided_afresh(requests: list[cpb.ListAssignmentsRequest]) -> None:
    decisions = FilterDecisions(cpb.ListAssignmentsRequest, _round_filter)
    for request in requests:
        assert outcome(decisions, request) == outcome(_round_filter, request)


class Counting:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, request: pb.ListCandidatesRequest) -> int:
        self.calls += 1
        if request.year == 1:
            raise invalid_field("year", "is refused by this test")
        return request.year


def test_a_filter_is_decided_once_whatever_its_paging_fields() -> None:
    decide = Counting()
    decisions = FilterDecisions(pb.ListCandidatesRequest, decide)
    pages = [pb.ListCandidatesRequest(year=2024, page_size=n, page_token=token) for n in (0, 10) for token in "ab"]
    assert [decisions(page) for page in pages] == [2024] * 4
    assert decisions(pb.ListCandidatesRequest(year=2025)) == 2025
    assert decide.calls == 2


def test_a_refused_filter_is_checked_and_refused_every_time() -> None:
    decide = Counting()
    decisions = FilterDecisions(pb.ListCandidatesRequest, decide)
    for _ in range(3):
        with pytest.raises(DomainError):
            decisions(pb.ListCandidatesRequest(year=1))
    assert decide.calls == 3


def test_past_the_bound_the_kept_decisions_are_forgotten(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pagination, "FINGERPRINTS_KEPT", 8)
    decide = Counting()
    decisions = FilterDecisions(pb.ListCandidatesRequest, decide)
    for year in list(range(2000, 2020)) * 2:
        assert decisions(pb.ListCandidatesRequest(year=year)) == year
        assert len(decisions._kept) <= 8
    assert decide.calls == 40  # 20 filters round-robin through 8 places: none is found again


def test_a_request_type_with_a_message_field_is_decided_every_time() -> None:
    calls: list[Message] = []
    decisions = FilterDecisions(pb.CreateCandidateRequest, calls.append)
    request = pb.CreateCandidateRequest()
    decisions(request)
    decisions(request)
    assert len(calls) == 2
