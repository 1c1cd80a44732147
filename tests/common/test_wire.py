"""Assembling messages from encoded parts gives exactly what protobuf itself would encode."""

from __future__ import annotations

import pytest
from google.protobuf import wrappers_pb2
from hypothesis import given
from hypothesis import strategies as st

from protos.talent.v1 import talent_pb2 as pb
from services.common.wire import length_delimited, passing_encoded, repeated_messages, unframed, varint

names = st.text(max_size=300)


@given(st.integers(min_value=1, max_value=2**64 - 1))
def test_varint_is_protobufs(value: int) -> None:
    # A set uint64 field (number 1) is its tag byte followed by the value's varint.
    assert b"\x08" + varint(value) == wrappers_pb2.UInt64Value(value=value).SerializeToString()
    assert varint(0) == b"\x00"


@given(st.lists(names, max_size=20), names)
def test_a_page_assembled_from_encoded_items_parses_as_the_built_page(titles: list[str], token: str) -> None:
    items = [pb.Candidate(name=f"candidates/{i}", display_name=t) for i, t in enumerate(titles)]
    built = pb.ListCandidatesResponse(candidates=items, next_page_token=token)
    assembled = repeated_messages(1, [c.SerializeToString() for c in items])
    if token:
        assembled += length_delimited(2, token.encode())
    assert assembled == built.SerializeToString()
    assert pb.ListCandidatesResponse.FromString(assembled) == built


@given(st.binary(max_size=70_000), st.integers(min_value=1, max_value=2**29 - 1))
def test_unframed_undoes_length_delimited(payload: bytes, field_number: int) -> None:
    assert unframed(length_delimited(field_number, payload)) == payload


def test_unframed_refuses_what_is_not_one_record() -> None:
    record = length_delimited(1, b"abc")
    for damaged in (record + b"x", record[:-1]):
        with pytest.raises(ValueError):
            unframed(damaged)


def test_encoded_responses_pass_through_and_messages_are_serialised() -> None:
    serialize = passing_encoded(pb.Candidate.SerializeToString)
    assert serialize is not None
    message = pb.Candidate(name="candidates/x")
    assert serialize(b"\x0a\x01y") == b"\x0a\x01y"
    assert serialize(message) == message.SerializeToString()
    assert passing_encoded(None) is None
