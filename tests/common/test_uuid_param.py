"""An id's statement parameter: the canonical text as it is, other spellings parsed, anything else
None, so that every spelling Python's uuid accepts reads the same row as before."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.sql import uuid_param


@given(st.uuids())
def test_canonical_text_goes_as_it_is(value: uuid.UUID) -> None:
    assert uuid_param(str(value)) == str(value)


SPELLINGS = [str.upper, lambda t: t.replace("-", ""), lambda t: "{" + t + "}", "urn:uuid:{}".format]


@given(st.uuids(), st.sampled_from(SPELLINGS))
def test_other_spellings_are_parsed_to_the_same_uuid(value: uuid.UUID, spell: Callable[[str], str]) -> None:
    assert uuid_param(spell(str(value))) == value


@pytest.mark.parametrize("text", ["", "x", "not-a-uuid", "00000000-0000-0000-0000-00000000000", "0" * 33, "é" * 36])
def test_what_is_no_uuid_is_none(text: str) -> None:
    assert uuid_param(text) is None


def test_the_canonical_form_is_matched_whole() -> None:
    # A regex's "$" would let a trailing newline through, and asyncpg would then refuse the text.
    text = str(uuid.uuid4())
    for extended in (text + "\n", text + "0", " " + text):
        assert uuid_param(extended) is None
