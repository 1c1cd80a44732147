"""Conflicts of interest from shared affiliations.

Organisation names arrive typed by hand in two scripts ("Wenzhou Medical University",
"ACME Co., Ltd.", "温州某某科技有限公司"), so they are compared by a normalised key. The match is
exact on that key, not a substring test: "Zhejiang University" must not conflict with
"Zhejiang University of Technology", and a declared conflict covers the cases a key cannot see.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from typing import Final

# Only legal forms are dropped; words that name a different institution ("University", "Institute",
# "Group", "集团") are kept, or unrelated bodies would collapse onto the same key.
_LATIN_SUFFIXES: Final = (
    ("co", "ltd"),
    ("co", "limited"),
    ("pty", "ltd"),
    ("pte", "ltd"),
    ("ltd",),
    ("limited",),
    ("inc",),
    ("incorporated",),
    ("corp",),
    ("corporation",),
    ("co",),
    ("company",),
    ("llc",),
    ("llp",),
    ("lp",),
    ("plc",),
    ("gmbh",),
    ("ag",),
    ("sa",),
    ("sas",),
    ("srl",),
    ("bv",),
    ("nv",),
    ("kk",),
)
_CJK_SUFFIXES: Final = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "股份公司",
    "公司",
)


def _is_separator(char: str) -> bool:
    # Punctuation (P*), symbols (S*), separators (Z*) and controls (C*) carry no identity.
    return unicodedata.category(char)[0] in "PSZC"


def _strip_suffixes(tokens: list[str]) -> list[str]:
    stripped = True
    while stripped:
        stripped = False
        for suffix in _LATIN_SUFFIXES:
            if tuple(tokens[-len(suffix) :]) == suffix:
                del tokens[-len(suffix) :]
                stripped = True
                break
    return tokens


# Memoised (a pure function of the text): every score sheet compares its judge's affiliations with
# its entry's organisations, and the same few names come back sheet after sheet.
@functools.lru_cache(maxsize=65536)
def normalise_organisation(name: str) -> str:
    """A comparison key: NFKC, case-folded, punctuation and spaces removed, legal forms dropped.

    A name that is nothing but a legal form ("Inc.") keeps it rather than becoming empty; an empty
    key never matches anything.
    """
    folded = unicodedata.normalize("NFKC", name).casefold()
    tokens = "".join(" " if _is_separator(char) else char for char in folded).split()
    whole = "".join(tokens)
    key = "".join(_strip_suffixes(tokens))
    changed = True
    while changed:
        changed = False
        for suffix in _CJK_SUFFIXES:
            if key.endswith(suffix):
                key = key[: -len(suffix)]
                changed = True
                break
    return key or whole


def affiliation_conflicts(judge_affiliations: Iterable[str], entry_organisations: Iterable[str]) -> list[str]:
    """The entry's organisations (as written on the entry, in its order) that a judge is affiliated
    with, so the conflict can be shown with its reason. Empty when there is no conflict."""
    keys = {key for key in map(normalise_organisation, judge_affiliations) if key}
    matched: list[str] = []
    seen: set[str] = set()
    for organisation in entry_organisations:
        key = normalise_organisation(organisation)
        if key and key in keys and key not in seen:
            seen.add(key)
            matched.append(organisation)
    return matched
