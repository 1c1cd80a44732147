"""``suite competition …``: set-up from YAML, entries and judges from spreadsheets, assignment, the
judge's view, progress, leaderboards, close/finalize, awards and landing."""

from __future__ import annotations

import hashlib
import re
import sys
import uuid
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import grpc
import yaml
from google.protobuf.field_mask_pb2 import FieldMask
from google.protobuf.timestamp_pb2 import Timestamp

from protos.competition.v1 import competition_pb2 as pb
from services.cli import headers as h
from services.cli import sheets
from services.cli.client import (
    EXIT_OK,
    EXIT_OTHER,
    EXIT_USAGE,
    Api,
    CliError,
    cli_error,
    contest_name,
    contest_of,
    decode_error,
    derived_request_id,
    entry_name,
    enum_label,
    enum_value,
    judge_name,
    round_name,
    short,
)
from services.cli.context import Context, when
from services.cli.output import Column, Row, export, fixed, percent, status_style

ID_PATTERN = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
COUNTRY = re.compile(r"^[A-Z]{2}$")
COUNTRY_ZH = {
    "中国": "CN",
    "德国": "DE",
    "美国": "US",
    "英国": "GB",
    "日本": "JP",
    "法国": "FR",
    "新加坡": "SG",
    "加拿大": "CA",
    "澳大利亚": "AU",
    "以色列": "IL",
    "韩国": "KR",
    "荷兰": "NL",
    "瑞士": "CH",
}


def domain_value(text: str) -> int:
    return enum_value(pb.Domain, "DOMAIN_", text, h.DOMAIN_ALIASES)


def domain_label(number: int) -> str:
    return enum_label(pb.Domain, "DOMAIN_", number)


def landing_stage(text: str) -> int:
    return enum_value(pb.LandingStage, "LANDING_STAGE_", text, h.LANDING_STAGE_ALIASES)


def landing_label(number: int) -> str:
    return enum_label(pb.LandingStage, "LANDING_STAGE_", number)


def round_state(number: int) -> str:
    return enum_label(pb.RoundState, "ROUND_STATE_", number)


def exists(api: Api, method: str, request: Any) -> Any | None:
    """The resource, or None when the server says NOT_FOUND."""
    try:
        return api.raw(method, request)
    except grpc.RpcError as error:
        if decode_error(error).code is grpc.StatusCode.NOT_FOUND:
            return None
        raise cli_error(error) from None


# --- setup from YAML ----------------------------------------------------------------------------


class SetupError(Exception):
    pass


def _need(mapping: Mapping[str, Any], key: str, path: str, kind: type | tuple[type, ...] = str) -> Any:
    if key not in mapping or mapping[key] is None:
        raise SetupError(f"{path}.{key}: is required")
    value = mapping[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise SetupError(f"{path}.{key}: has the wrong type ({type(value).__name__})")
    return value


def _timestamp(value: Any, path: str) -> Timestamp:
    stamp = Timestamp()
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError:
        raise SetupError(f"{path}: {value!r} is not an ISO 8601 date-time") from None
    stamp.FromDatetime(moment)
    return stamp


def parse_contest(data: Mapping[str, Any]) -> tuple[str, pb.Contest]:
    path = "contest"
    contest_id = _need(data, "id", path)
    if not ID_PATTERN.match(contest_id):
        raise SetupError(f"contest.id: {contest_id!r} must match {ID_PATTERN.pattern}")
    contest = pb.Contest(display_name=_need(data, "display_name", path), year=_need(data, "year", path, int))
    if "min_landed_entries" in data:
        contest.min_landed_entries = int(data["min_landed_entries"])
    if "min_landing_ratio" in data:
        contest.min_landing_ratio = float(data["min_landing_ratio"])
    if data.get("landing_deadline"):
        contest.landing_deadline = str(data["landing_deadline"])
    if data.get("landing_pool"):
        try:
            contest.landing_pool = enum_value(pb.LandingPool, "LANDING_POOL_", str(data["landing_pool"]))  # type: ignore[assignment]
        except CliError as exc:
            raise SetupError(f"contest.landing_pool: {exc.message}") from None
    return contest_id, contest


def parse_panel(data: Mapping[str, Any], judge_defs: list[tuple[str, pb.Judge]]) -> list[str]:
    """The contest's judge panel (judge ids): ``contest.judges`` when given (judges defined elsewhere
    may be named), else the judges the file defines."""
    if "judges" not in data:
        return [judge_id for judge_id, _ in judge_defs]
    listed = data["judges"] or []
    if not isinstance(listed, list):
        raise SetupError("contest.judges: must be a list of judge ids")
    panel: list[str] = []
    for i, item in enumerate(listed):
        judge_id = short(str(item))
        if not ID_PATTERN.match(judge_id):
            raise SetupError(f"contest.judges[{i}]: {item!r} must match {ID_PATTERN.pattern}")
        if judge_id in panel:
            raise SetupError(f"contest.judges[{i}]: {judge_id!r} is listed twice")
        panel.append(judge_id)
    return panel


def parse_round(data: Mapping[str, Any], index: int) -> tuple[str, pb.Round]:
    path = f"rounds[{index}]"
    round_id = _need(data, "id", path)
    if not ID_PATTERN.match(round_id):
        raise SetupError(f"{path}.id: {round_id!r} must match {ID_PATTERN.pattern}")
    message = pb.Round(
        display_name=str(data.get("display_name", round_id)), sequence=int(data.get("sequence", index + 1))
    )
    try:
        message.kind = enum_value(pb.RoundKind, "ROUND_KIND_", str(data.get("kind", "OTHER")))  # type: ignore[assignment]
        if data.get("aggregation"):
            message.aggregation = enum_value(pb.AggregationMethod, "AGGREGATION_METHOD_", str(data["aggregation"]))  # type: ignore[assignment]
    except CliError as exc:
        raise SetupError(f"{path}: {exc.message}") from None
    if "judges_per_entry" in data:
        message.judges_per_entry = int(data["judges_per_entry"])
    advancement = data.get("advancement") or {}
    if "top_n" in advancement:
        message.advancement.top_n = int(advancement["top_n"])
    elif "min_score" in advancement:
        message.advancement.min_score = float(advancement["min_score"])
    for i, item in enumerate(data.get("criteria") or []):
        cpath = f"{path}.criteria[{i}]"
        try:
            message.criteria.append(
                pb.Criterion(
                    key=_need(item, "key", cpath),
                    display_name=str(item.get("display_name", item["key"])),
                    weight=float(_need(item, "weight", cpath, (int, float))),
                    min_value=float(item.get("min", item.get("min_value", 0))),
                    max_value=float(_need(item, "max", cpath, (int, float)))
                    if "max" in item
                    else float(_need(item, "max_value", cpath, (int, float))),
                    step=float(item.get("step", 1)),
                )
            )
        except (TypeError, ValueError) as exc:
            raise SetupError(f"{cpath}: {exc}") from None
    for i, item in enumerate(data.get("award_tiers") or []):
        tpath = f"{path}.award_tiers[{i}]"
        message.award_tiers.append(
            pb.AwardTier(
                tier=_need(item, "tier", tpath),
                display_name=str(item.get("display_name", item["tier"])),
                count=_need(item, "count", tpath, int),
            )
        )
    if data.get("judging_deadline"):
        message.judging_deadline.CopyFrom(_timestamp(data["judging_deadline"], f"{path}.judging_deadline"))
    return round_id, message


def parse_judge(data: Mapping[str, Any], path: str) -> tuple[str, pb.Judge]:
    judge_id = str(_need(data, "id", path))
    if not ID_PATTERN.match(judge_id):
        raise SetupError(f"{path}.id: {judge_id!r} must match {ID_PATTERN.pattern}")
    judge = pb.Judge(display_name=str(_need(data, "name", path)))
    try:
        judge.domains.extend([domain_value(str(d)) for d in data.get("domains") or []])  # type: ignore[misc]
    except CliError as exc:
        raise SetupError(f"{path}.domains: {exc.message}") from None
    judge.affiliations.extend([str(a) for a in data.get("affiliations") or []])
    return judge_id, judge


def setup(ctx: Context) -> int:
    path = Path(ctx.args.file)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CliError(f"{path}: no such file") from None
    except yaml.YAMLError as exc:
        raise CliError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict) or not isinstance(data.get("contest"), dict):
        raise CliError(f"{path}: expected a mapping with a 'contest' section (see `suite competition setup --help`)")
    try:
        contest_id, contest = parse_contest(data["contest"])
        round_defs = [parse_round(r, i) for i, r in enumerate(data.get("rounds") or [])]
        judge_defs = [parse_judge(j, f"judges[{i}]") for i, j in enumerate(data.get("judges") or [])]
        panel = parse_panel(data["contest"], judge_defs)
    except (SetupError, TypeError, ValueError, KeyError, AttributeError) as exc:
        raise CliError(f"{path}: {exc}") from None
    parent = contest_name(contest_id)
    dry = ctx.args.dry_run
    api = ctx.competition
    actions: list[Row] = []

    def act(resource: str, found: Any, create: Any) -> str:
        if found is not None:
            action = "exists"
        elif dry:
            action = "would create"
        else:
            create()
            action = "created"
        actions.append({"resource": resource, "action": action})
        return action

    # Judges first: the contest's panel names them.
    for judge_id, judge in judge_defs:
        name = judge_name(judge_id)
        act(
            name,
            exists(api, "GetJudge", pb.GetJudgeRequest(name=name)),
            lambda j=judge, i=judge_id, n=name: api.call(
                "CreateJudge",
                pb.CreateJudgeRequest(
                    judge=j,
                    judge_id=i,
                    request_id=derived_request_id("judge", i, j.SerializeToString(deterministic=True).hex()),
                ),
                n,
            ),
        )
    contest.judges.extend(judge_name(j) for j in panel)
    found_contest = exists(api, "GetContest", pb.GetContestRequest(name=parent))
    contest_action = act(
        parent,
        found_contest,
        lambda: api.call(
            "CreateContest",
            pb.CreateContestRequest(
                contest=contest,
                contest_id=contest_id,
                request_id=derived_request_id(
                    "contest", contest_id, contest.SerializeToString(deterministic=True).hex()
                ),
            ),
            parent,
        ),
    )
    if found_contest is not None:
        missing = [n for n in contest.judges if n not in found_contest.judges]
        if missing:
            if not dry:
                api.call(
                    "UpdateContest",
                    pb.UpdateContestRequest(
                        contest=pb.Contest(
                            name=parent, judges=[*found_contest.judges, *missing], etag=found_contest.etag
                        ),
                        update_mask=FieldMask(paths=["judges"]),
                    ),
                    parent,
                )
            actions[-1]["action"] = "would update" if dry else "updated"
    for round_id, message in round_defs:
        name = f"{parent}/rounds/{round_id}"
        found = None if dry and contest_action != "exists" else exists(api, "GetRound", pb.GetRoundRequest(name=name))
        act(
            name,
            found,
            lambda r=message, i=round_id, n=name: api.call(
                "CreateRound",
                pb.CreateRoundRequest(
                    parent=parent,
                    round=r,
                    round_id=i,
                    request_id=derived_request_id("round", n, r.SerializeToString(deterministic=True).hex()),
                ),
                n,
            ),
        )
    columns = [Column("resource", "resource", "资源"), Column("action", "action", "操作")]
    ctx.printer.rows(columns, actions, title=f"Set-up from {path}" + (" (dry run)" if dry else ""))
    return EXIT_OK


def contests(ctx: Context) -> int:
    found = list(ctx.competition.paged("ListContests", pb.ListContestsRequest(page_size=100), "contests"))
    rows = [
        {
            "contest": short(c.name),
            "name": c.display_name,
            "year": c.year,
            "min_landed": c.min_landed_entries,
            "min_ratio": c.min_landing_ratio,
            "deadline": c.landing_deadline,
        }
        for c in found
    ]
    columns = [
        Column("contest", "contest", "大赛"),
        Column("name", "name", "名称"),
        Column("year", "year", "年度"),
        Column("min_landed", "min landed (projects)", "落地目标(个)", justify="right"),
        Column("min_ratio", "min landing rate", "落地率目标", justify="right", fmt=percent),
        Column("deadline", "landing deadline", "落地截止"),
    ]
    ctx.printer.rows(columns, rows, title="Contests")
    return EXIT_OK


def rounds(ctx: Context) -> int:
    parent = contest_name(ctx.args.contest)
    found = list(ctx.competition.paged("ListRounds", pb.ListRoundsRequest(parent=parent, page_size=100), "rounds"))
    rows = [
        {
            "round": short(r.name),
            "name": r.display_name,
            "kind": enum_label(pb.RoundKind, "ROUND_KIND_", r.kind),
            "sequence": r.sequence,
            "state": round_state(r.state),
            "judges_per_entry": r.judges_per_entry,
            "aggregation": enum_label(pb.AggregationMethod, "AGGREGATION_METHOD_", r.aggregation),
            "criteria": ", ".join(f"{c.key} {c.weight:g}" for c in r.criteria),
        }
        for r in found
    ]
    columns = [
        Column("round", "round", "轮次"),
        Column("name", "name", "名称"),
        Column("kind", "kind", "类型"),
        Column("sequence", "#", "序号", justify="right"),
        Column("state", "state", "状态"),
        Column("judges_per_entry", "judges/entry", "每项评委数", justify="right"),
        Column("aggregation", "aggregation", "汇总方法"),
        Column("criteria", "criteria (weight)", "评分项(权重)"),
    ]
    ctx.printer.rows(columns, rows, title=f"Rounds of {parent}")
    return EXIT_OK


# --- entries ------------------------------------------------------------------------------------

ENTRY_COLUMNS = tuple(
    Column(f.key, f.en, f.zh, zh_values=h.DOMAIN_ZH if f.key == "domain" else None) for f in h.ENTRY_FIELDS
)
ENTRY_VIOLATION_COLUMNS = {
    "entry_id": "id",
    "entry.title": "title",
    "entry.team.leader": "leader",
    "entry.team.members": "members",
    "entry.team.organisations": "organisations",
    "entry.team": "leader",
    "entry.domain": "domain",
    "entry.origin_country": "origin_country",
    "entry.summary": "summary",
}


def entry_row(entry: pb.Entry) -> Row:
    team = entry.team
    return {
        "id": short(entry.name),
        "title": entry.title,
        "leader": sheets.format_person(team.leader.display_name, team.leader.role) if team.HasField("leader") else "",
        "members": "; ".join(sheets.format_person(m.display_name, m.role) for m in team.members),
        "organisations": "; ".join(team.organisations),
        "domain": domain_label(entry.domain),
        "origin_country": entry.origin_country,
        "summary": entry.summary,
        "last_round": short(entry.last_round) if entry.last_round else "",
        "last_outcome": entry.last_outcome,
    }


def derived_entry_id(title: str, leader: str) -> str:
    digest = hashlib.sha256(f"{title.strip()}\x1f{leader.strip()}".encode()).hexdigest()
    return f"e-{digest[:12]}"


def parse_entry(number: int, record: dict[str, str]) -> tuple[str, pb.Entry, list[sheets.RowError]]:
    errors: list[sheets.RowError] = []
    title = record.get("title", "")
    if not title:
        errors.append(sheets.RowError(number, "title", "is required"))
    entry = pb.Entry(title=title, summary=record.get("summary", ""))
    domain_text = record.get("domain", "")
    domain = h.enum_cell(domain_text, tuple(h.DOMAIN_ZH), h.DOMAIN_ALIASES) if domain_text else None
    if domain is None:
        reason = "is required" if not domain_text else f"unknown value {domain_text!r}"
        errors.append(sheets.RowError(number, "domain", f"{reason}; use one of {', '.join(h.DOMAIN_ZH)} or 中文"))
    else:
        entry.domain = pb.Domain.Value("DOMAIN_" + domain)  # type: ignore[assignment]
    country = record.get("origin_country", "").strip()
    country = COUNTRY_ZH.get(country, country.upper())
    if country and not COUNTRY.match(country):
        errors.append(
            sheets.RowError(number, "origin_country", f"{country!r} is not an ISO 3166 alpha-2 code (CN, DE…)")
        )
    entry.origin_country = country
    leader = record.get("leader", "")
    if leader:
        name, role = sheets.parse_person(leader)
        entry.team.leader.CopyFrom(pb.TeamMember(display_name=name, role=role))
    for member in sheets.split_list(record.get("members", "")):
        name, role = sheets.parse_person(member)
        entry.team.members.append(pb.TeamMember(display_name=name, role=role))
    entry.team.organisations.extend(sheets.split_list(record.get("organisations", "")))
    entry_id = record.get("id", "") or derived_entry_id(title, leader)
    if not ID_PATTERN.match(entry_id):
        errors.append(sheets.RowError(number, "id", f"{entry_id!r} must be lower-case letters, digits and dashes"))
    return entry_id, entry, errors


def _map_batch_violation(field: str, numbers: list[int]) -> sheets.RowError:
    match = re.match(r"^requests\[(\d+)\]\.?(.*)$", field)
    if not match or int(match.group(1)) >= len(numbers):
        return sheets.RowError(0, field, "")
    rest = match.group(2)
    column = next((c for p, c in ENTRY_VIOLATION_COLUMNS.items() if rest == p or rest.startswith(p)), rest)
    return sheets.RowError(numbers[int(match.group(1))], column, "")


def entries_import(ctx: Context) -> int:
    args = ctx.args
    path = Path(args.file)
    parent = contest_name(args.contest)
    sheet = sheets.read_sheet(path, args.encoding, args.sheet)
    rows, warnings = sheets.records(sheet, h.ENTRY_FIELDS, path)
    for warning in warnings:
        ctx.printer.warn(warning)
    errors: list[sheets.RowError] = []
    parsed: list[tuple[int, str, pb.Entry]] = []
    seen: dict[str, int] = {}
    for number, record in rows:
        entry_id, entry, row_errors = parse_entry(number, record)
        if entry_id in seen:
            row_errors.append(sheets.RowError(number, "id", f"same entry as row {seen[entry_id]} ({entry_id})"))
        seen.setdefault(entry_id, number)
        errors += row_errors
        parsed.append((number, entry_id, entry))
    if errors:
        raise sheets.row_errors(errors, path, len(rows))
    existing = {
        short(e.name)
        for e in ctx.competition.paged("ListEntries", pb.ListEntriesRequest(parent=parent, page_size=500), "entries")
    }
    new = [(n, i, e) for n, i, e in parsed if i not in existing]
    results: list[Row] = [
        {"row": n, "entry": f"{parent}/entries/{i}", "status": "exists"} for n, i, _ in parsed if i in existing
    ]
    if args.dry_run:
        results += [{"row": n, "entry": f"{parent}/entries/{i}", "status": "would create"} for n, i, _ in new]
    elif new:
        requests = [pb.CreateEntryRequest(parent=parent, entry=e, entry_id=i) for _, i, e in new]
        batch = pb.BatchCreateEntriesRequest(parent=parent, requests=requests)
        batch.request_id = derived_request_id("entries", parent, batch.SerializeToString(deterministic=True).hex())
        try:
            ctx.competition.raw("BatchCreateEntries", batch)
        except grpc.RpcError as error:
            decoded = decode_error(error)
            if decoded.violations:
                numbers = [n for n, _, _ in new]
                mapped = []
                for field, description in decoded.violations:
                    base = _map_batch_violation(field, numbers)
                    mapped.append(sheets.RowError(base.row, base.column, description))
                raise sheets.row_errors(mapped, path, len(rows)) from None
            raise cli_error(error, str(path)) from None
        results += [{"row": n, "entry": f"{parent}/entries/{i}", "status": "created"} for n, i, _ in new]
    results.sort(key=lambda r: int(r["row"]))
    columns = [
        Column("row", "row", "行", justify="right"),
        Column("entry", "entry", "项目"),
        Column("status", "status", "状态"),
    ]
    created = sum(1 for r in results if r["status"] == "created")
    note = " (dry run, nothing written)" if args.dry_run else ""
    ctx.printer.rows(
        columns, results, title=f"{path}: {created} created, {len(existing & set(seen))} already present{note}"
    )
    return EXIT_OK


def list_entries(api: Api, contest: str, round_: str | None = None, limit: int | None = None) -> list[pb.Entry]:
    request = pb.ListEntriesRequest(parent=contest_name(contest), page_size=500)
    if round_:
        request.round = round_name(round_)
    return list(api.paged("ListEntries", request, "entries", limit=limit))


def entries_list(ctx: Context) -> int:
    found = list_entries(ctx.competition, ctx.args.contest, ctx.args.round, ctx.args.limit)
    columns = [
        *(c for c in ENTRY_COLUMNS if c.key != "summary"),
        Column("last_round", "last round", "最近轮次"),
        Column("last_outcome", "outcome", "结果"),
    ]
    ctx.printer.rows(columns, [entry_row(e) for e in found], title=f"Entries ({len(found)})")
    return EXIT_OK


def entries_export(ctx: Context) -> int:
    found = list_entries(ctx.competition, ctx.args.contest)
    rows = sorted((entry_row(e) for e in found), key=lambda r: str(r["id"]))
    export(Path(ctx.args.file), ENTRY_COLUMNS, rows, ctx.lang, "entries")
    ctx.printer.message(f"wrote {len(rows)} entr{'y' if len(rows) == 1 else 'ies'} to {ctx.args.file}")
    return EXIT_OK


# --- judges -------------------------------------------------------------------------------------


def derived_judge_id(name: str) -> str:
    return f"j-{hashlib.sha256(name.strip().encode()).hexdigest()[:10]}"


JUDGE_VIOLATION_COLUMNS = {
    "judge_id": "id",
    "judge.display_name": "name",
    "judge.domains": "domains",
    "judge.affiliations": "affiliations",
}


def validate_judge(ctx: Context, number: int, judge_id: str, judge: pb.Judge) -> list[sheets.RowError]:
    """The service's own rules for a judge (name length, affiliations, repeated domains…), asked of
    the service itself with CreateJudge ``validate_only`` (AIP-163: nothing is written), so that the
    whole file is checked before anything is written. A judge that exists already is not an error
    here: the import reports it as present."""
    request = pb.CreateJudgeRequest(judge=judge, judge_id=judge_id, validate_only=True)
    try:
        ctx.competition.raw("CreateJudge", request)
    except grpc.RpcError as error:
        decoded = decode_error(error)
        if decoded.code is grpc.StatusCode.ALREADY_EXISTS:
            return []
        if decoded.code is not grpc.StatusCode.INVALID_ARGUMENT or not decoded.violations:
            raise cli_error(error, f"row {number}") from None
        errors = []
        for path, description in decoded.violations:
            column = next(
                (c for p, c in JUDGE_VIOLATION_COLUMNS.items() if path == p or path.startswith(p)),
                path,
            )
            errors.append(sheets.RowError(number, column, description))
        return errors
    return []


def judges_import(ctx: Context) -> int:
    args = ctx.args
    path = Path(args.file)
    sheet = sheets.read_sheet(path, args.encoding, args.sheet)
    rows, warnings = sheets.records(sheet, h.JUDGE_FIELDS, path)
    for warning in warnings:
        ctx.printer.warn(warning)
    errors: list[sheets.RowError] = []
    parsed: list[tuple[int, str, pb.Judge]] = []
    seen: dict[str, int] = {}
    for number, record in rows:
        name = record.get("name", "")
        if not name:
            errors.append(sheets.RowError(number, "name", "is required"))
        judge_id = record.get("id", "") or derived_judge_id(name)
        if not ID_PATTERN.match(judge_id):
            errors.append(sheets.RowError(number, "id", f"{judge_id!r} must be lower-case letters, digits and dashes"))
        if judge_id in seen:
            errors.append(sheets.RowError(number, "id", f"same judge id as row {seen[judge_id]}"))
        seen.setdefault(judge_id, number)
        judge = pb.Judge(display_name=name)
        for text in sheets.split_list(record.get("domains", "")):
            value = h.enum_cell(text, tuple(h.DOMAIN_ZH), h.DOMAIN_ALIASES)
            if value is None:
                errors.append(sheets.RowError(number, "domains", f"unknown domain {text!r}"))
            else:
                judge.domains.append(pb.Domain.Value("DOMAIN_" + value))  # type: ignore[arg-type]
        judge.affiliations.extend(sheets.split_list(record.get("affiliations", "")))
        if name and ID_PATTERN.match(judge_id):
            errors += validate_judge(ctx, number, judge_id, judge)
        parsed.append((number, judge_id, judge))
    if errors:
        raise sheets.row_errors(errors, path, len(rows))
    existing = {
        short(j.name) for j in ctx.competition.paged("ListJudges", pb.ListJudgesRequest(page_size=500), "judges")
    }
    results: list[Row] = []
    todo = [(n, i, j) for n, i, j in parsed if i not in existing]
    results += [{"row": n, "judge": judge_name(i), "status": "exists"} for n, i, _ in parsed if i in existing]
    if args.dry_run:
        results += [{"row": n, "judge": judge_name(i), "status": "would create"} for n, i, _ in todo]
    else:
        with ctx.progress(len(todo)) as progress:
            task = progress.add_task("importing judges", total=len(todo))
            for number, judge_id, judge in todo:
                request = pb.CreateJudgeRequest(judge=judge, judge_id=judge_id)
                request.request_id = derived_request_id(
                    "judge", judge_id, judge.SerializeToString(deterministic=True).hex()
                )
                try:
                    ctx.competition.raw("CreateJudge", request)
                except grpc.RpcError as error:
                    failure = cli_error(error, f"{path}: row {number}")
                    done = [int(r["row"]) for r in results if r["status"] == "created"]
                    failure.lines.append(sheets.written_rows(done, number))
                    raise failure from None
                results.append({"row": number, "judge": judge_name(judge_id), "status": "created"})
                progress.advance(task)
    results.sort(key=lambda r: int(r["row"]))
    columns = [
        Column("row", "row", "行", justify="right"),
        Column("judge", "judge", "评委"),
        Column("status", "status", "状态"),
    ]
    created = sum(1 for r in results if r["status"] == "created")
    note = " (dry run, nothing written)" if args.dry_run else ""
    ctx.printer.rows(
        columns, results, title=f"{path}: {created} created, {len(parsed) - len(todo)} already present{note}"
    )
    return EXIT_OK


def judges_list(ctx: Context) -> int:
    found = list(ctx.competition.paged("ListJudges", pb.ListJudgesRequest(page_size=500), "judges"))
    rows = [
        {
            "id": short(j.name),
            "name": j.display_name,
            "domains": "; ".join(domain_label(d) for d in j.domains),
            "affiliations": "; ".join(j.affiliations),
        }
        for j in found
    ]
    columns = [Column(f.key, f.en, f.zh) for f in h.JUDGE_FIELDS]
    ctx.printer.rows(columns, rows, title=f"Judges ({len(rows)})")
    return EXIT_OK


# --- invitations to the judges' portal -----------------------------------------------------------


def portal_link(portal: str, code: str) -> str:
    """The code travels in the fragment: browsers never send it to a server, a log or a Referer."""
    return f"{portal.rstrip('/')}/signin#t={code}" if code else ""


def _invitation_rows(invitations: Any, portal: str) -> list[Row]:
    return [
        {
            "judge": short(i.judge),
            "name": i.judge_display_name,
            "state": enum_label(pb.JudgeInvitationState, "JUDGE_INVITATION_STATE_", i.state),
            "expires": when(i.expire_time),
            "invitation": i.name,
            "link": portal_link(portal, i.code),
        }
        for i in invitations
    ]


INVITATION_COLUMNS = [
    Column("judge", "judge", "评委"),
    Column("name", "name", "姓名"),
    Column("state", "state", "状态"),
    Column("expires", "expires", "有效期至"),
    Column("link", "sign-in link", "登录链接"),
]


def judges_invite(ctx: Context) -> int:
    from google.protobuf.duration_pb2 import Duration

    from services.cli.tokens import parse_ttl

    name = round_name(ctx.args.round)
    ttl = Duration(seconds=parse_ttl(ctx.args.ttl))
    response = ctx.competition.call(
        "CreateJudgeInvitations",
        pb.CreateJudgeInvitationsRequest(round=name, ttl=ttl, request_id=f"cli-{uuid.uuid4()}"),
    )
    rows = _invitation_rows(response.invitations, ctx.args.portal)
    title = f"Invitations for {name}: {response.created} new, {len(rows) - response.created} already active"
    ctx.printer.rows(INVITATION_COLUMNS, rows, title=title)
    return EXIT_OK


def judges_invitations(ctx: Context) -> int:
    name = round_name(ctx.args.round)
    request = pb.ListJudgeInvitationsRequest(round=name, show_inactive=ctx.args.all, page_size=500)
    found = list(ctx.competition.paged("ListJudgeInvitations", request, "invitations"))
    columns = [*INVITATION_COLUMNS, Column("invitation", "invitation", "邀请")]
    ctx.printer.rows(columns, _invitation_rows(found, ctx.args.portal), title=f"Invitations for {name}")
    return EXIT_OK


def judges_revoke(ctx: Context) -> int:
    found = ctx.competition.call(
        "RevokeJudgeInvitation",
        pb.RevokeJudgeInvitationRequest(name=ctx.args.invitation.strip(), request_id=f"cli-{uuid.uuid4()}"),
    )
    ctx.printer.record([("invitation", found.name), ("judge", found.judge), ("revoked", when(found.revoke_time))])
    return EXIT_OK


# --- assignment and the judge's view ------------------------------------------------------------


def assign(ctx: Context) -> int:
    name = round_name(ctx.args.round)
    response = ctx.competition.call("AutoAssign", pb.AutoAssignRequest(round=name, request_id=f"cli-{uuid.uuid4()}"))
    summary = [
        ("round", name),
        ("assignments added", response.assignments_added),
        ("assignments total", response.assignments_total),
        ("load ceiling (entries per judge)", response.load_ceiling),
        ("ceiling raised", response.ceiling_raised),
        ("withdrawn (conflicts)", response.assignments_withdrawn),
        ("entries short of judges", len(response.shortfalls)),
    ]
    if ctx.printer.fmt == "json":
        ctx.printer.json(
            {
                **{k.split(" (")[0].replace(" ", "_"): v for k, v in summary},
                "shortfalls": [
                    {"entry": s.entry, "assigned": s.assigned, "required": s.required, "reason": s.reason}
                    for s in response.shortfalls
                ],
            }
        )
        return EXIT_OK
    ctx.printer.record(summary, title="Auto-assignment")
    if response.shortfalls:
        rows = [
            {"entry": short(s.entry), "assigned": s.assigned, "required": s.required, "reason": s.reason}
            for s in response.shortfalls
        ]
        columns = [
            Column("entry", "entry", "项目"),
            Column("assigned", "assigned", "已分配", justify="right"),
            Column("required", "required", "需要", justify="right"),
            Column("reason", "why", "原因"),
        ]
        ctx.printer.rows(columns, rows, title="Shortfalls: entries without enough judges")
    return EXIT_OK


def titles(api: Api, round_: str) -> dict[str, str]:
    """Entry titles of a round, best effort (a caller that may not list entries gets ids only)."""
    try:
        request = pb.ListEntriesRequest(parent=contest_of(round_), round=round_, page_size=500)
        return {e.name: e.title for e in api.paged("ListEntries", request, "entries")}
    except CliError:
        return {}


def my_assignments(ctx: Context) -> int:
    name = round_name(ctx.args.round)
    found = list(
        ctx.competition.paged("ListAssignments", pb.ListAssignmentsRequest(round=name, page_size=500), "assignments")
    )
    names = titles(ctx.competition, name)
    rows = [
        {"judge": short(a.judge), "entry": short(a.entry), "title": names.get(a.entry, ""), "submitted": a.submitted}
        for a in found
    ]
    columns = [
        Column("judge", "judge", "评委"),
        Column("entry", "entry", "项目"),
        Column("title", "title", "名称"),
        Column("submitted", "submitted", "已提交", fmt=lambda v: "✓" if v else "—"),
    ]
    done = sum(1 for r in rows if r["submitted"])
    ctx.printer.rows(columns, rows, title=f"My assignments in {name}: {done} of {len(rows)} sheets submitted")
    return EXIT_OK


def _value(text: str, criterion: pb.Criterion) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    low, high = criterion.min_value, criterion.max_value
    if not low <= value <= high:
        raise ValueError(f"must be between {low:g} and {high:g}")
    if criterion.step > 0:
        steps = (value - low) / criterion.step
        if abs(steps - round(steps)) > 1e-9:
            raise ValueError(f"must be in steps of {criterion.step:g} from {low:g}")
    return value


def submit(ctx: Context) -> int:
    args = ctx.args
    name = round_name(args.round)
    entry = entry_name(args.entry, contest_of(name).removeprefix("contests/"))
    round_ = ctx.competition.call("GetRound", pb.GetRoundRequest(name=name))
    criteria = {c.key: c for c in round_.criteria}
    given: dict[str, Any] = {}
    comment = args.comment or ""
    if args.file and args.score:
        raise CliError("give either --file or --score, not both", EXIT_USAGE)
    if args.file:
        try:
            data = yaml.safe_load(Path(args.file).read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise CliError(f"{args.file}: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("scores", {}), dict):
            raise CliError(f"{args.file}: expected 'scores: {{criterion: value}}' and optionally 'comment:'")
        given = {str(k): v for k, v in (data.get("scores") or {}).items()}
        comment = comment or str(data.get("comment") or "")
    elif args.score:
        for item in args.score:
            key, eq, value = item.partition("=")
            if not eq:
                raise CliError(f"--score {item!r}: use KEY=VALUE", EXIT_USAGE)
            given[key.strip()] = value.strip()
    errors: list[str] = []
    scores: list[pb.CriterionScore] = []
    unknown = sorted(set(given) - set(criteria))
    errors += [f"  {k}: not a criterion of this round (criteria: {', '.join(criteria)})" for k in unknown]
    interactive = not given
    if interactive and not sys.stdin.isatty():
        ctx.printer.err.print("reading scores from standard input, one per criterion", style="dim")
    for key, criterion in criteria.items():
        if interactive:
            value = _prompt(ctx, criterion)
        elif key not in given:
            errors.append(
                f"  {key}: missing ({criterion.display_name}, {criterion.min_value:g}–{criterion.max_value:g})"
            )
            continue
        else:
            try:
                value = _value(str(given[key]), criterion)
            except ValueError as exc:
                errors.append(f"  {key}: {exc}")
                continue
        scores.append(pb.CriterionScore(criterion=key, value=value))
    if interactive and not comment:
        comment = _read_line("comment (optional): ").strip()
    if errors:
        raise CliError("the score sheet is not valid; nothing was submitted", EXIT_OTHER, errors)
    request = pb.SubmitScoreSheetRequest(round=name, entry=entry, scores=scores, comment=comment)
    request.request_id = derived_request_id(
        "sheet", request.SerializeToString(deterministic=True).hex(), _sheet_state(ctx.competition, name, entry)
    )
    sheet = ctx.competition.call("SubmitScoreSheet", request)
    pairs = [
        ("round", sheet.round),
        ("entry", sheet.entry),
        ("judge", sheet.judge),
        *((f"score {s.criterion}", f"{s.value:g}") for s in sheet.scores),
        ("total (0–100)", f"{sheet.total:.2f}"),
        ("version", sheet.version),
        ("submitted", when(sheet.submit_time)),
    ]
    ctx.printer.record(pairs, title="Score sheet committed")
    return EXIT_OK


def _sheet_state(api: Api, round_: str, entry: str) -> str:
    """The sheet(s) the submission replaces, as ``judge@version`` ("" when there is none yet).

    Part of the derived request id: the server keeps request ids per judge, so an id derived from
    the content alone would replay an earlier result when a judge goes back to an earlier score
    (8 → 9 → 8 would leave 9 stored). With the current version in the id, a retry against the
    same state stays idempotent, and anything after a successful write gets a fresh id. A judge
    sees only their own sheet; an administrator who also judges sees every judge's, which only
    makes the id change more often."""
    request = pb.ListScoreSheetsRequest(round=round_, entry=entry, page_size=500)
    found = api.paged("ListScoreSheets", request, "score_sheets")
    return ",".join(sorted(f"{s.judge}@{s.version}" for s in found))


def _read_line(prompt: str) -> str:
    print(prompt, end="", flush=True, file=sys.stderr)
    line = sys.stdin.readline()
    if not line:
        raise CliError("no input: give the scores with --score KEY=VALUE or --file", EXIT_USAGE)
    return line


def _prompt(ctx: Context, criterion: pb.Criterion) -> float:
    text = (
        f"{criterion.key} {criterion.display_name} ({criterion.min_value:g}–{criterion.max_value:g}, "
        f"step {criterion.step:g}, weight {criterion.weight:g}): "
    )
    for _ in range(3):
        try:
            return _value(_read_line(text).strip(), criterion)
        except ValueError as exc:
            ctx.printer.err.print(f"  {exc}; try again", style="yellow", markup=False)
    raise CliError(f"{criterion.key}: no valid score after 3 tries", EXIT_OTHER)


# --- progress and leaderboards ------------------------------------------------------------------


def progress(ctx: Context) -> int:
    name = round_name(ctx.args.round)
    request = pb.GetJudgingProgressRequest(round=name, page_size=1000)
    response = ctx.competition.call("GetJudgingProgress", request)
    # The judge and entry lists come a page at a time; the totals are the round's on every page.
    page = response
    while page.next_page_token:
        request.page_token = page.next_page_token
        page = ctx.competition.call("GetJudgingProgress", request)
        response.judges.extend(page.judges)
        response.entries.extend(page.entries)
    by_judge = ctx.args.by == "judge"
    if by_judge:
        rows = [
            {
                "who": short(j.judge),
                "expected": j.expected,
                "submitted": j.submitted,
                "missing": j.missing,
                "ratio": (j.submitted / j.expected) if j.expected else 1.0,
            }
            for j in response.judges
        ]
    else:
        rows = [
            {
                "who": short(e.entry),
                "expected": e.expected,
                "submitted": e.submitted,
                "missing": e.missing,
                "ratio": (e.submitted / e.expected) if e.expected else 1.0,
                "shortfall": e.coverage_shortfall,
            }
            for e in response.entries
        ]
    columns = [
        Column("who", "judge" if by_judge else "entry", "评委" if by_judge else "项目"),
        Column("expected", "expected (sheets)", "应交(份)", justify="right"),
        Column("submitted", "submitted", "已交", justify="right"),
        Column("missing", "missing", "未交", justify="right", style=lambda v: "red" if v else None),
        Column("ratio", "done", "完成率", justify="right", fmt=percent),
    ]
    if not by_judge:
        columns.append(
            Column("shortfall", "judges short", "缺评委", justify="right", style=lambda v: "bold red" if v else None)
        )
    if ctx.export_path:
        export(ctx.export_path, columns, rows, ctx.lang, "progress")
        ctx.printer.message(f"wrote {len(rows)} row(s) to {ctx.export_path}")
        return EXIT_OK
    title = (
        f"Judging progress of {name}: {response.submitted} of {response.expected} sheets ({response.ratio * 100:.1f} %)"
    )
    ctx.printer.rows(
        columns,
        rows,
        title=title,
        extra={"round": name, "expected": response.expected, "submitted": response.submitted, "ratio": response.ratio},
    )
    return EXIT_OK


LEADERBOARD_COLUMNS = (
    Column("rank", "rank", "排名", justify="right"),
    Column("entry", "entry", "项目编号"),
    Column("title", "title", "项目名称"),
    Column("score", "score (0–100)", "得分(0–100)", justify="right"),
    Column("sheets", "sheets", "评分表(份)", justify="right"),
    Column("spread", "spread (pts, sd)", "离散度(分)", justify="right", fmt=fixed(2)),
    Column(
        "robustness",
        "robustness",
        "排名稳健性",
        justify="right",
        fmt=percent,
        style=lambda v: "red" if v < 0.8 else ("yellow" if v < 0.95 else "green"),
    ),
    Column(
        "method_sensitive",
        "method-sensitive",
        "方法敏感",
        fmt=lambda v: "⚠ yes" if v else "",
        style=lambda v: "bold yellow" if v else None,
    ),
    Column("within_cut", "within cut", "入围", fmt=lambda v: "✓" if v else ""),
    Column("outcome", "outcome", "结果", zh_values={"ADVANCED": "晋级", "ELIMINATED": "淘汰"}),
    Column("award", "award", "奖项"),
)


def leaderboard(ctx: Context) -> int:
    args = ctx.args
    name = round_name(args.round)
    request = pb.GetLeaderboardRequest(round=name, page_size=500)
    if args.method:
        request.method = enum_value(pb.AggregationMethod, "AGGREGATION_METHOD_", args.method)  # type: ignore[assignment]
    rows: list[Row] = []
    board: pb.Leaderboard | None = None
    while True:
        board = ctx.competition.call("GetLeaderboard", request)
        assert board is not None
        for r in board.rows:
            rows.append(
                {
                    "rank": r.rank,
                    "entry": short(r.entry),
                    "title": r.title,
                    "score": r.display_score,
                    "sheets": r.sheet_count,
                    "spread": round(r.spread, 4),
                    "robustness": round(r.robustness, 4),
                    "method_sensitive": r.method_sensitive,
                    "within_cut": r.within_cut,
                    "outcome": enum_label(pb.Outcome, "OUTCOME_", r.outcome),
                    "award": r.award_tier,
                }
            )
        if not board.next_page_token or (args.limit and len(rows) >= args.limit):
            break
        request.page_token = board.next_page_token
    if args.limit:
        rows = rows[: args.limit]
    method = enum_label(pb.AggregationMethod, "AGGREGATION_METHOD_", board.method)
    if ctx.export_path:
        export(ctx.export_path, LEADERBOARD_COLUMNS, rows, ctx.lang, "leaderboard")
        ctx.printer.message(f"wrote {len(rows)} row(s) to {ctx.export_path}")
        return EXIT_OK
    state = f"frozen, SHA-256 {board.digest[:16]}…" if board.frozen else "live (not finalized)"
    caption = (
        f"score: aggregated {method} on 0–100; spread: sd of the sheet totals; robustness: share of "
        f"{board.bootstrap_resamples} bootstrap resamples of the sheets keeping the entry on the same side of "
        "the cut; ⚠ method-sensitive: MEAN, TRIMMED_MEAN and ZSCORE disagree on advancing"
    )
    ctx.printer.rows(
        LEADERBOARD_COLUMNS,
        rows,
        title=f"Leaderboard of {name} ({method}, {state}; {board.total_entries} entries)",
        caption=caption,
        extra={
            "round": board.round,
            "method": method,
            "frozen": board.frozen,
            "digest": board.digest,
            "bootstrap_resamples": board.bootstrap_resamples,
            "total_entries": board.total_entries,
        },
    )
    return EXIT_OK


def _round_result(ctx: Context, round_: pb.Round, verb: str) -> int:
    ctx.printer.record(
        [
            ("round", round_.name),
            ("state", round_state(round_.state)),
            ("digest", round_.leaderboard_digest or None),
            ("force-close reason", round_.force_close_reason or None),
        ],
        title=f"Round {verb}",
    )
    return EXIT_OK


def _current_etag(ctx: Context, name: str) -> str:
    """The round's etag: part of the derived request id, so that a retry of the same command on
    the same round state is idempotent while a later command gets the server's real answer."""
    return str(ctx.competition.call("GetRound", pb.GetRoundRequest(name=name)).etag)


def open_round(ctx: Context) -> int:
    name = round_name(ctx.args.round)
    request = pb.OpenRoundRequest(name=name, request_id=derived_request_id("open", name, _current_etag(ctx, name)))
    return _round_result(ctx, ctx.competition.call("OpenRound", request), "opened")


def close_round(ctx: Context) -> int:
    args = ctx.args
    name = round_name(args.round)
    if args.force and not (args.reason or "").strip():
        raise CliError("--force needs --reason (it is recorded)", EXIT_USAGE)
    if args.reason and not args.force:
        raise CliError("--reason is only for --force", EXIT_USAGE)
    request = pb.CloseRoundRequest(name=name, force=args.force, reason=args.reason or "")
    request.request_id = derived_request_id("close", name, args.force, request.reason, _current_etag(ctx, name))
    return _round_result(ctx, ctx.competition.call("CloseRound", request), "closed")


def finalize_round(ctx: Context) -> int:
    name = round_name(ctx.args.round)
    request = pb.FinalizeRoundRequest(
        name=name, request_id=derived_request_id("finalize", name, _current_etag(ctx, name))
    )
    return _round_result(ctx, ctx.competition.call("FinalizeRound", request), "finalized")


def awards(ctx: Context) -> int:
    parent = contest_name(ctx.args.contest)
    response = ctx.competition.call("ListAwards", pb.ListAwardsRequest(parent=parent))
    rows = [{"rank": a.rank, "tier": a.tier, "entry": short(a.entry), "title": a.title} for a in response.awards]
    columns = [
        Column("rank", "rank", "排名", justify="right"),
        Column("tier", "award", "奖项"),
        Column("entry", "entry", "项目编号"),
        Column("title", "title", "项目名称"),
    ]
    ctx.printer.rows(columns, rows, title=f"Awards of {parent} ({len(rows)})")
    return EXIT_OK


# --- landing ------------------------------------------------------------------------------------


def landing_advance(ctx: Context) -> int:
    args = ctx.args
    entry = entry_name(args.entry)
    target = landing_stage(args.to)
    current = exists(ctx.competition, "GetLanding", pb.GetLandingRequest(entry=entry))
    request = pb.TransitionLandingRequest(
        entry=entry,
        expected_stage=current.stage if current is not None else 0,  # type: ignore[arg-type]
        target_stage=target,  # type: ignore[arg-type]
        note=args.note or "",
        agreement_date=args.agreement_date or "",
        drop_reason=args.drop_reason or "",
    )
    if args.company or args.credit_code or args.registration_date or args.capital is not None:
        request.company.CopyFrom(
            pb.Company(
                display_name=args.company or "",
                credit_code=args.credit_code or "",
                registration_date=args.registration_date or "",
                registered_capital_wan_cny=args.capital or 0,
            )
        )
    request.request_id = derived_request_id(
        "landing",
        request.SerializeToString(deterministic=True).hex(),
        current.update_time.ToJsonString() if current is not None else "",
    )
    landing = ctx.competition.call("TransitionLanding", request)
    before = landing_label(current.stage) if current is not None else "(none)"
    ctx.printer.message(f"{entry}: landing {before} → {landing_label(landing.stage)}", style="green")
    if ctx.printer.fmt != "table":
        ctx.printer.rows(LANDING_COLUMNS, [landing_row(landing)])
    return EXIT_OK


LANDING_COLUMNS = (
    Column("entry", "entry", "项目编号"),
    Column("stage", "stage", "阶段", zh_values={**h.LANDING_STAGE_ZH, "NONE": "未登记"}),
    Column("agreement_date", "agreement date", "签约日期"),
    Column("company", "company", "企业名称"),
    Column("credit_code", "credit code", "统一社会信用代码"),
    Column("capital", "registered capital (万元 CNY)", "注册资本(万元)", justify="right"),
    Column("drop_reason", "drop reason", "退出原因"),
    Column("updated", "updated", "更新时间"),
)


def landing_row(landing: pb.Landing) -> Row:
    company = landing.company
    return {
        "entry": short(landing.entry),
        "stage": landing_label(landing.stage) or "NONE",
        "agreement_date": landing.agreement_date,
        "company": company.display_name,
        "credit_code": company.credit_code,
        "capital": company.registered_capital_wan_cny if company.registered_capital_wan_cny else None,
        "drop_reason": landing.drop_reason,
        "updated": when(landing.update_time),
    }


def landing_list(ctx: Context) -> int:
    request = pb.ListLandingsRequest(parent=contest_name(ctx.args.contest), page_size=500)
    if ctx.args.stage:
        request.stage = landing_stage(ctx.args.stage)  # type: ignore[assignment]
    rows = [landing_row(x) for x in ctx.competition.paged("ListLandings", request, "landings")]
    if ctx.export_path:
        export(ctx.export_path, LANDING_COLUMNS, rows, ctx.lang, "landings")
        ctx.printer.message(f"wrote {len(rows)} row(s) to {ctx.export_path}")
        return EXIT_OK
    ctx.printer.rows(LANDING_COLUMNS, rows, title=f"Landing records of {request.parent} ({len(rows)})")
    return EXIT_OK


STATUS_COLUMNS = (
    Column("indicator", "indicator", "指标"),
    Column("value", "value", "数值", justify="right"),
    Column("target", "target", "目标", justify="right"),
    Column(
        "met",
        "met",
        "达成",
        style=lambda v: "green" if v == "yes" else ("red" if v == "no" else None),
        zh_values={"yes": "是", "no": "否"},
    ),
)

INDICATOR_ZH = {
    "pool size (entries)": "落地池项目数(个)",
    "landed (projects)": "已落地项目(个)",
    "landing rate": "落地率",
    "projected landed (projects)": "预计落地(个)",
    "unrecorded (entries)": "未登记项目(个)",
    "landing deadline": "落地截止日期",
    "days left": "剩余天数",
    "status": "状态",
}


def status_rows(status: pb.LandingStatus) -> list[Row]:
    ratio = status.landing_ratio if status.HasField("landing_ratio") else None
    rows: list[Row] = [
        {"indicator": "pool size (entries)", "value": status.pool_size},
        {
            "indicator": "landed (projects)",
            "value": status.landed,
            "target": f"≥ {status.min_landed_entries}",
            "met": "yes" if status.landed_target_met else "no",
        },
        {
            "indicator": "landing rate",
            "value": percent(ratio),
            "target": f"≥ {status.min_landing_ratio * 100:.0f} %",
            "met": "yes" if status.ratio_target_met else "no",
        },
        {
            "indicator": "projected landed (projects)",
            "value": f"{status.projected_landed:.2f}"
            + (f" ({status.projected_landed / status.pool_size * 100:.1f} % of pool)" if status.pool_size else ""),
            "target": f"≥ {status.min_landed_entries}",
        },
        {"indicator": "unrecorded (entries)", "value": status.unrecorded},
        {"indicator": "landing deadline", "value": status.landing_deadline or "none"},
        {"indicator": "days left", "value": f"{status.days_left} days" if status.HasField("days_left") else "—"},
    ]
    for count in status.stage_counts:
        rows.append({"indicator": f"stage {landing_label(count.stage)} (entries)", "value": count.count})
    rows.append(
        {"indicator": "status", "value": enum_label(pb.LandingTargetStatus, "LANDING_TARGET_STATUS_", status.status)}
    )
    return rows


def landing_status(ctx: Context) -> int:
    contest = contest_name(ctx.args.contest)
    status = ctx.competition.call("GetLandingStatus", pb.GetLandingStatusRequest(contest=contest))
    rows = status_rows(status)
    if ctx.lang == "zh":
        for row in rows:
            label = str(row["indicator"])
            row["indicator"] = INDICATOR_ZH.get(label, label)
            if label == "status":
                row["value"] = h.STATUS_ZH.get(str(row["value"]), row["value"])
    if ctx.export_path:
        export(ctx.export_path, STATUS_COLUMNS, rows, ctx.lang, "landing status")
        ctx.printer.message(f"wrote landing status to {ctx.export_path}")
        return EXIT_OK
    if ctx.printer.fmt == "json":
        from google.protobuf.json_format import MessageToDict

        ctx.printer.json(
            MessageToDict(status, preserving_proto_field_name=True, always_print_fields_with_no_presence=True)
        )
        return EXIT_OK
    label = enum_label(pb.LandingTargetStatus, "LANDING_TARGET_STATUS_", status.status)
    table_rows = [{**r, "value": r.get("value")} for r in rows]
    ctx.printer.rows(
        STATUS_COLUMNS,
        table_rows,
        title=f"Landing status of {contest}: {label}",
        caption="landed = REGISTERED or OPERATING; rate = landed ÷ pool; projected = landed + Σ "
        "probability of the others by stage; MET / ON_TRACK (projection reaches the targets) / "
        "AT_RISK / MISSED (deadline passed)",
    )
    style = status_style(label)
    if style and ctx.printer.fmt == "table":
        ctx.printer.out.print(f"status: {label}", style=style)
    return EXIT_OK
