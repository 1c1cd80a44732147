"""Page tokens made the cheap way are the tokens the plain way makes: the kept filter fingerprints,
the directly formatted body, and tokens issued before either (a replica of the previous build during
a rolling deployment) are all accepted."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import pytest
from google.protobuf.message import Message
from hypothesis import given
from hypothesis import strategies as st

from protos.competition.v1 import competition_pb2 as cpb
from protos.talent.v1 import talent_pb2 as pb
from services.common import pagination
from services.common.errors import DomainError
from services.common.pagination import PageTokens, filter_fingerprint

SECRET = b"a page-token secret of the tests"
texts = st.text(max_size=40)
positions = st.lists(st.one_of(texts, st.integers(min_value=-(2**63), max_value=2**63 - 1)), max_size=4)
candidate_filters = st.builds(
    pb.ListCandidatesRequest,
    domain=st.integers(min_value=0, max_value=4),
    programme=texts,
    year=st.integers(min_value=0, max_value=2100),
    name_contains=texts,
    order_by=st.sampled_from(["", "create_time", "display_name"]),
    show_deleted=st.booleans(),
    page_size=st.integers(min_value=0, max_value=500),
    page_token=texts,
)


def fingerprint_as_computed(request: Message) -> str:
    """The fingerprint as it was computed before fingerprints were kept, for every call."""
    copy = type(request)()
    copy.CopyFrom(request)
    for field in ("page_token", "page_size"):
        copy.ClearField(field)
    digest = hashlib.sha256(request.DESCRIPTOR.full_name.encode() + b"\n")
    digest.update(copy.SerializeToString(deterministic=True))
    return digest.hexdigest()[:32]


def token_as_issued_before(position: list[Any], request: Message) -> str:
    """A token as the build before this one issued it (json.JSONEncoder, the computed fingerprint)."""
    body = json.dumps({"p": position, "f": fingerprint_as_computed(request)}, separators=(",", ":")).encode()
    signature = hmac.new(SECRET, body, hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(body + signature).decode().rstrip("=")


@given(candidate_filters)
def test_a_kept_fingerprint_is_the_computed_one(request: pb.ListCandidatesRequest) -> None:
    first, again = filter_fingerprint(request), filter_fingerprint(request)
    assert first == again == fingerprint_as_computed(request)


@given(candidate_filters, candidate_filters)
def test_fingerprints_differ_exactly_when_the_filters_do(one: pb.ListCandidatesRequest, other: Any) -> None:
    same_filter = fingerprint_as_computed(one) == fingerprint_as_computed(other)
    assert (filter_fingerprint(one) == filter_fingerprint(other)) is same_filter


@given(positions, candidate_filters)
def test_tokens_are_byte_for_byte_those_of_the_build_before(position: list[Any], request: Any) -> None:
    tokens = PageTokens(SECRET)
    assert tokens.encode(position, request) == token_as_issued_before(position, request)
    assert tokens.decode(token_as_issued_before(position, request), request) == position


def test_the_same_filter_on_another_collection_has_another_fingerprint() -> None:
    # Both requests are empty but for paging: their serialised filters are the same bytes.
    candidates, programmes = pb.ListCandidatesRequest(page_size=5), pb.ListProgrammesRequest(page_size=5)
    assert filter_fingerprint(candidates) != filter_fingerprint(programmes)
    token = PageTokens(SECRET).encode(["x"], candidates)
    with pytest.raises(DomainError, match="different filters"):
        PageTokens(SECRET).decode(token, programmes)


def test_fields_this_server_does_not_know_change_no_fingerprint() -> None:
    known = cpb.ListAssignmentsRequest(round="contests/c/rounds/r")
    # Field 99 with a string: what a newer client's request carries and this build does not parse.
    with_unknown = cpb.ListAssignmentsRequest.FromString(known.SerializeToString() + b"\x9a\x06\x03new")
    assert with_unknown.SerializeToString() != known.SerializeToString()
    assert filter_fingerprint(with_unknown) == filter_fingerprint(known) == fingerprint_as_computed(known)
    pagination._fingerprints.clear()
    assert filter_fingerprint(with_unknown) == fingerprint_as_computed(known)  # not taken from the kept one


def test_past_the_bound_the_kept_fingerprints_are_forgotten_and_computed_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pagination, "FINGERPRINTS_KEPT", 8)
    pagination._fingerprints.clear()
    requests = [pb.ListCandidatesRequest(year=2000 + n) for n in range(20)]
    for request in requests + requests:
        assert filter_fingerprint(request) == fingerprint_as_computed(request)
        assert len(pagination._fingerprints) <= 8


def test_only_filters_of_scalar_fields_are_kept() -> None:
    # Every list request's filter is kept; a message field (as a create request has) is not.
    assert pagination._filter_values(pb.ListCandidatesRequest) is not None
    assert pagination._filter_values(pb.CreateCandidateRequest) is None
    assert pagination._filter_values(cpb.ListAuditEventsRequest) is not None  # paging fields only


@given(st.binary(min_size=16, max_size=200), st.binary(max_size=300))
def test_the_signature_is_hmac_sha256_of_the_body_for_any_secret(secret: bytes, body: bytes) -> None:
    # Secrets longer than SHA-256's block are hashed first, as RFC 2104 says.
    assert PageTokens(secret)._sign(body) == hmac.new(secret, body, hashlib.sha256).digest()[:16]
