"""Spreadsheet headers and cell values in Chinese or English.

A header matches a column when, once normalised (case, spaces, underscores, dashes, a trailing
``*`` and any parenthesised hint such as ``出生年份(YYYY)`` removed), it equals one of the column's
aliases. Enum cells accept the English value (``LIFE_HEALTH``), its lower-case or spaced form, or
the Chinese label (``生命健康``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    key: str
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    required: bool = False


def normalise_header(text: str) -> str:
    text = re.sub(r"[（(][^)）]*[)）]", "", text)
    return re.sub(r"[\s_\-*：:]+", "", text).lower()


CANDIDATE_FIELDS: tuple[Field, ...] = (
    Field("kind", "类型", "kind", ("类别", "type", "个人/团队")),
    Field("name", "姓名", "name", ("名称", "姓名/团队名称", "团队名称", "display_name", "displayname"), required=True),
    Field("domain", "领域", "domain", ("产业领域", "所属领域"), required=True),
    Field("origin", "来源", "origin", ("人才来源", "类型来源"), required=True),
    Field("tier", "梯队", "tier", ("层次", "等级")),
    Field("employer", "单位", "employer", ("工作单位", "所在单位")),
    Field("birth_year", "出生年份", "birth_year", ("出生年", "birthyear")),
    Field("email", "邮箱", "email", ("电子邮箱", "e-mail", "mail")),
    Field("phone", "手机", "phone", ("手机号", "手机号码", "电话", "联系电话", "mobile")),
    Field("identity_document", "证件号", "identity_document", ("证件号码", "身份证号", "身份证号码", "document")),
    Field("leader", "负责人", "leader", ("团队负责人", "带头人")),
    Field("members", "成员", "members", ("团队成员",)),
)

ENTRY_FIELDS: tuple[Field, ...] = (
    Field("id", "编号", "id", ("项目编号", "entry_id", "entry")),
    Field("title", "项目名称", "title", ("名称", "项目", "project"), required=True),
    Field("leader", "负责人", "leader", ("项目负责人", "团队负责人")),
    Field("members", "成员", "members", ("团队成员",)),
    Field("organisations", "单位", "organisations", ("所在单位", "依托单位", "organizations", "organisation")),
    Field("domain", "领域", "domain", ("产业领域", "所属领域"), required=True),
    Field("origin_country", "国别", "origin_country", ("国家", "来源国", "country")),
    Field("summary", "简介", "summary", ("项目简介", "description")),
)

JUDGE_FIELDS: tuple[Field, ...] = (
    Field("id", "编号", "id", ("评委编号", "judge_id", "judge")),
    Field("name", "姓名", "name", ("评委", "评委姓名", "display_name"), required=True),
    Field("domains", "领域", "domains", ("专业领域", "domain", "擅长领域")),
    Field("affiliations", "单位", "affiliations", ("工作单位", "所在单位", "affiliation")),
)


@dataclass(frozen=True)
class HeaderMap:
    columns: dict[int, str]  # column index → field key
    unknown: list[str]
    missing: list[Field]


def map_headers(cells: Sequence[str], fields: Sequence[Field]) -> HeaderMap:
    lookup: dict[str, str] = {}
    for f in fields:
        for alias in (f.key, f.zh, f.en, *f.aliases):
            lookup.setdefault(normalise_header(alias), f.key)
    columns: dict[int, str] = {}
    unknown: list[str] = []
    for index, cell in enumerate(cells):
        if not cell.strip():
            continue
        key = lookup.get(normalise_header(cell))
        if key is None or key in columns.values():
            unknown.append(cell)
        else:
            columns[index] = key
    missing = [f for f in fields if f.required and f.key not in columns.values()]
    return HeaderMap(columns, unknown, missing)


def label(f: Field) -> str:
    return f"{f.zh}/{f.en}"


# --- enum values -------------------------------------------------------------------------------

DOMAIN_ZH = {
    "LIFE_HEALTH": "生命健康",
    "NEW_ENERGY_MATERIALS": "新能源新材料",
    "DIGITAL_ECONOMY": "数字经济",
    "OTHER": "其他",
}
DOMAIN_ALIASES = {
    **{zh: en for en, zh in DOMAIN_ZH.items()},
    "生物医药": "LIFE_HEALTH",
    "大健康": "LIFE_HEALTH",
    "新能源": "NEW_ENERGY_MATERIALS",
    "新材料": "NEW_ENERGY_MATERIALS",
    "其它": "OTHER",
    "LIFE&HEALTH": "LIFE_HEALTH",
}
ORIGIN_ZH = {"OVERSEAS": "海外", "DOMESTIC": "本土"}
ORIGIN_ALIASES = {
    **{zh: en for en, zh in ORIGIN_ZH.items()},
    "海外高端人才": "OVERSEAS",
    "海外人才": "OVERSEAS",
    "本土人才": "DOMESTIC",
    "国内": "DOMESTIC",
}
KIND_ZH = {"INDIVIDUAL": "个人", "TEAM": "团队"}
KIND_ALIASES = {zh: en for en, zh in KIND_ZH.items()}
STAGE_ZH = {
    "SCOUTED": "摸排",
    "RESERVED": "储备",
    "CULTIVATING": "培育",
    "APPLIED": "申报",
    "UNDER_REVIEW": "评审",
    "SELECTED": "入选",
    "NOT_SELECTED": "未入选",
    "WITHDRAWN": "退出",
}
STAGE_ALIASES = {zh: en for en, zh in STAGE_ZH.items()}
LANDING_STAGE_ZH = {
    "INTENT": "意向",
    "SIGNED": "签约",
    "REGISTERED": "注册",
    "OPERATING": "实质运营",
    "DROPPED": "退出",
}
LANDING_STAGE_ALIASES = {**{zh: en for en, zh in LANDING_STAGE_ZH.items()}, "运营": "OPERATING"}
STATUS_ZH = {"MET": "已达成", "ON_TRACK": "进展正常", "AT_RISK": "有风险", "MISSED": "未达成"}


def enum_cell(value: str, choices: Sequence[str], aliases: dict[str, str]) -> str | None:
    """The English enum value for a cell, or None when it matches nothing."""
    text = value.strip()
    if text in aliases:
        return aliases[text]
    key = re.sub(r"[\s\-&]+", "_", text).upper()
    return key if key in choices else None


def zh(value: str, table: dict[str, str], lang: str) -> str:
    return table.get(value, value) if lang == "zh" else value
