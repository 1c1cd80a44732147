"""GB 32100-2015 unified social credit codes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.common.errors import Code, DomainError
from services.competition.domain.credit_code import (
    CREDIT_CODE_CHARSET,
    check_character,
    validate_credit_code,
)

# Codes published on the national enterprise credit information system for well-known companies.
PUBLISHED = [
    "91350100M000100Y43",  # the usual worked example of the format
    "914403001922038216",  # Huawei Technologies Co., Ltd.
    "9144030071526726XG",  # Shenzhen Tencent Computer Systems Co., Ltd.
    "91520000214434146R",  # Kweichow Moutai Co., Ltd.
    "91330100716105852F",  # Alibaba (China) Co., Ltd.
]

codes_17 = st.text(alphabet=CREDIT_CODE_CHARSET, min_size=17, max_size=17)


def _violation(code: str, field_path: str = "landing.credit_code") -> str:
    with pytest.raises(DomainError) as caught:
        validate_credit_code(code, field_path)
    error = caught.value
    assert error.code is Code.INVALID_ARGUMENT
    assert error.reason == "INVALID_CREDIT_CODE"
    assert [violation.field for violation in error.violations] == [field_path]
    return error.violations[0].description


@pytest.mark.parametrize("code", PUBLISHED)
def test_published_codes_are_valid(code: str) -> None:
    assert validate_credit_code(code) == code
    assert check_character(code[:17]) == code[17]


def test_computed_code_is_valid() -> None:
    first17 = "91330304MA2ABCDE7"
    code = first17 + check_character(first17)
    assert validate_credit_code(code) == code


def test_lowercase_and_surrounding_spaces_and_full_width_are_normalised() -> None:
    assert validate_credit_code("  9144030071526726xg ") == "9144030071526726XG"
    assert validate_credit_code("９１３５０１００Ｍ０００１００Ｙ４３") == "91350100M000100Y43"


def test_one_character_changed_fails_and_names_the_expected_check() -> None:
    description = _violation("91350100M000100Y44")
    assert "'3' was expected" in description
    assert "'4'" in description


@pytest.mark.parametrize("code", ["", "9135010", "91350100M000100Y433", "91350100M000100Y4"])
def test_wrong_length(code: str) -> None:
    description = _violation(code)
    assert "required" in description or "18 characters" in description


@pytest.mark.parametrize(
    ("code", "position"),
    [
        ("91350100I000100Y43", 9),
        ("91350100O000100Y43", 9),
        ("9135010SM000100Y43", 8),
        ("91350100M000100Z43", 16),
        ("V1350100M000100Y43", 1),
        ("91350100M0001-0Y43", 14),
    ],
)
def test_bad_character_names_the_position(code: str, position: int) -> None:
    description = _violation(code)
    assert f"position {position}" in description
    assert "not allowed" in description


def test_field_path_is_the_callers() -> None:
    _violation("123", field_path="registration.credit_code")


@given(codes_17)
def test_any_17_characters_with_their_check_pass(first17: str) -> None:
    code = first17 + check_character(first17)
    assert validate_credit_code(code) == code


@given(codes_17, st.integers(min_value=0, max_value=17), st.integers(min_value=1, max_value=30))
def test_any_single_substitution_fails(first17: str, position: int, shift: int) -> None:
    code = first17 + check_character(first17)
    replacement = CREDIT_CODE_CHARSET[(CREDIT_CODE_CHARSET.index(code[position]) + shift) % 31]
    tampered = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(DomainError):
        validate_credit_code(tampered)
