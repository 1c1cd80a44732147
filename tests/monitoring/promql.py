"""Find the metric names a PromQL expression reads, without a full PromQL parser.

Used to check that every dashboard query and every rule expression only reads metrics the services export.
The expression is reduced step by step: string literals, label matchers, grouping label lists, range and
subquery selectors, offsets, Grafana variables and numbers/durations go; what remains are identifiers, of
which function and aggregation names (followed by "(") and keywords are dropped. Recording-rule names
(containing ":") resolve to the metric names of their own expressions when the rules are given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

# Binary-operator and modifier keywords, and the literals PromQL accepts in place of numbers.
KEYWORDS = frozenset(
    {
        "and",
        "or",
        "unless",
        "by",
        "without",
        "on",
        "ignoring",
        "group_left",
        "group_right",
        "bool",
        "offset",
        "atan2",
        "inf",
        "nan",
    }
)

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`', re.DOTALL)
_LABEL_MATCHERS = re.compile(r"\{[^{}]*\}")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE)
_RANGE = re.compile(r"\[[^\[\]]*\]")
_AT = re.compile(r"@\s*[\d.eE+-]+")
_GRAFANA_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+|\[\[\w+\]\]")
_COMMENT = re.compile(r"#[^\n]*")
# An identifier not glued to a preceding word character, dot or colon (so "5m", "1e3", "0x1f" do not count).
_IDENTIFIER = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?")


class PromQLError(ValueError):
    """The expression cannot be reduced (unbalanced braces or a recording-rule cycle)."""


def _placeholder_strings(expr: str) -> tuple[str, list[str]]:
    strings: list[str] = []

    def keep(match: re.Match[str]) -> str:
        strings.append(match.group(0))
        return f'"\x00{len(strings) - 1}\x00"'

    return _STRING.sub(keep, expr), strings


def _exact_names(expr_without_strings: str, strings: list[str]) -> set[str]:
    """Names selected as {__name__="x"} (an exact match only; a regex is not a name)."""
    names: set[str] = set()
    for match in re.finditer(r'__name__\s*=\s*"\x00(\d+)\x00"', expr_without_strings):
        literal = strings[int(match.group(1))]
        names.add(literal[1:-1])
    return names


def _strip(expr: str) -> tuple[str, set[str]]:
    text, strings = _placeholder_strings(expr)
    text = _COMMENT.sub(" ", text)
    exact = _exact_names(text, strings)
    text = _GRAFANA_VARIABLE.sub(" ", text)
    previous = None
    while previous != text:  # label matchers cannot nest, but be safe with repeated passes
        previous = text
        text = _LABEL_MATCHERS.sub(" ", text)
    if "{" in text or "}" in text:
        raise PromQLError(f"unbalanced braces in {expr!r}")
    text = _GROUPING.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _AT.sub(" ", text)
    text = re.sub(r'"\x00\d+\x00"', " ", text)
    return text, exact


def _direct_names(expr: str) -> set[str]:
    text, names = _strip(expr)
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in KEYWORDS:
            continue
        names.add(name)
    return names


def metric_names_in_promql(expr: str, recording_rules: Mapping[str, str] | None = None) -> set[str]:
    """The metric names `expr` reads.

    `recording_rules` maps recording-rule names to their expressions; a name found there is replaced by
    the metric names its expression reads (recursively). Without it, recording-rule names are returned as is.
    """
    rules = recording_rules or {}
    return _resolve(expr, rules, ())


def _resolve(expr: str, rules: Mapping[str, str], stack: tuple[str, ...]) -> set[str]:
    names: set[str] = set()
    for name in _direct_names(expr):
        if name in rules:
            if name in stack:
                raise PromQLError(f"recording rule cycle: {' -> '.join((*stack, name))}")
            names |= _resolve(rules[name], rules, (*stack, name))
        else:
            names.add(name)
    return names


def recording_rules_of(groups: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """{record name: expr} of the rule groups of a Prometheus rules file."""
    return {
        str(rule["record"]): str(rule["expr"])
        for group in groups
        for rule in group.get("rules", [])
        if "record" in rule
    }


__all__ = ["KEYWORDS", "PromQLError", "metric_names_in_promql", "recording_rules_of"]
