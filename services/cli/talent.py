"""``suite talent …``: programmes, candidates (incl. spreadsheet import/export), applications,
stage moves, history and target progress."""

from __future__ import annotations

import argparse
import uuid
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import field_mask_pb2

from protos.talent.v1 import talent_pb2 as pb
from services.cli import headers as h
from services.cli import sheets
from services.cli.client import (
    EXIT_CONFLICT,
    EXIT_OK,
    CliError,
    application_name,
    candidate_name,
    cli_error,
    decode_error,
    derived_request_id,
    enum_label,
    enum_value,
    programme_name,
    short,
)
from services.cli.context import Context, when
from services.cli.output import Column, Row, export, fixed, status_style
from services.common import contact

# --- enum helpers -------------------------------------------------------------------------------


def domain(value: str) -> int:
    return enum_value(pb.Domain, "DOMAIN_", value, h.DOMAIN_ALIASES)


def origin(value: str) -> int:
    return enum_value(pb.Origin, "ORIGIN_", value, h.ORIGIN_ALIASES)


def tier(value: str) -> int:
    return enum_value(pb.Tier, "TIER_", value)


def kind(value: str) -> int:
    return enum_value(pb.CandidateKind, "CANDIDATE_KIND_", value, h.KIND_ALIASES)


def stage(value: str) -> int:
    return enum_value(pb.Stage, "STAGE_", value, h.STAGE_ALIASES)


def stage_label(number: int) -> str:
    return enum_label(pb.Stage, "STAGE_", number)


# --- candidates ---------------------------------------------------------------------------------

CANDIDATE_COLUMNS = (
    Column("id", "id", "编号"),
    Column("kind", "kind", "类型", zh_values=h.KIND_ZH),
    Column("name", "name", "姓名"),
    Column("domain", "domain", "领域", zh_values=h.DOMAIN_ZH),
    Column("origin", "origin", "来源", zh_values=h.ORIGIN_ZH),
    Column("tier", "tier", "梯队"),
    Column("employer", "employer", "单位"),
    Column("birth_year", "birth year", "出生年份", justify="right"),
    Column("email", "email", "邮箱"),
    Column("phone", "phone", "手机"),
    Column("document_last4", "document (last 4)", "证件号后四位"),
    Column("leader", "leader", "负责人"),
    Column("members", "members", "成员"),
)
# What `candidates export` writes and `candidates import` reads back (no server-made fields).
EXPORT_KEYS = ("kind", "name", "domain", "origin", "tier", "employer", "birth_year", "email", "phone", "leader")
IMPORT_COLUMNS = tuple(
    Column(f.key, f.en, f.zh, zh_values=_zh)
    for f, _zh in (
        (h.CANDIDATE_FIELDS[0], h.KIND_ZH),
        (h.CANDIDATE_FIELDS[1], None),
        (h.CANDIDATE_FIELDS[2], h.DOMAIN_ZH),
        (h.CANDIDATE_FIELDS[3], h.ORIGIN_ZH),
        (h.CANDIDATE_FIELDS[4], None),
        (h.CANDIDATE_FIELDS[5], None),
        (h.CANDIDATE_FIELDS[6], None),
        (h.CANDIDATE_FIELDS[7], None),
        (h.CANDIDATE_FIELDS[8], None),
        (h.CANDIDATE_FIELDS[10], None),
        (h.CANDIDATE_FIELDS[11], None),
    )
)


def candidate_row(candidate: pb.Candidate) -> Row:
    return {
        "id": short(candidate.name),
        "kind": enum_label(pb.CandidateKind, "CANDIDATE_KIND_", candidate.kind),
        "name": candidate.display_name,
        "domain": enum_label(pb.Domain, "DOMAIN_", candidate.domain),
        "origin": enum_label(pb.Origin, "ORIGIN_", candidate.origin),
        "tier": enum_label(pb.Tier, "TIER_", candidate.tier),
        "employer": candidate.employer,
        "birth_year": candidate.birth_year or None,
        "email": candidate.contact.email,
        "phone": candidate.contact.phone,
        "document_last4": candidate.identity_document_last4,
        "leader": sheets.format_person(candidate.leader.display_name, candidate.leader.role)
        if candidate.HasField("leader")
        else "",
        "members": "; ".join(sheets.format_person(m.display_name, m.role) for m in candidate.members),
    }


def show_candidate(ctx: Context, candidate: pb.Candidate) -> None:
    row = candidate_row(candidate)
    keys = {"name": "display_name", "document_last4": "identity_document_last4"}
    pairs = [("name", candidate.name), *((keys.get(c.key, c.key), row[c.key]) for c in CANDIDATE_COLUMNS[1:])]
    pairs += [
        ("created", when(candidate.create_time)),
        ("updated", when(candidate.update_time)),
        ("deleted", when(candidate.delete_time)),
        ("anonymized", candidate.anonymized),
        ("etag", candidate.etag),
    ]
    ctx.printer.record(pairs, title=candidate.display_name)


def list_request(args: argparse.Namespace, order_by: str = "") -> pb.ListCandidatesRequest:
    request = pb.ListCandidatesRequest(page_size=200, order_by=order_by or args.order_by or "")
    if args.domain:
        request.domain = domain(args.domain)  # type: ignore[assignment]
    if args.origin:
        request.origin = origin(args.origin)  # type: ignore[assignment]
    if args.tier:
        request.tier = tier(args.tier)  # type: ignore[assignment]
    if args.kind:
        request.kind = kind(args.kind)  # type: ignore[assignment]
    if args.programme:
        request.programme = programme_name(args.programme)
    if args.stage:
        request.stage = stage(args.stage)  # type: ignore[assignment]
    if args.year:
        request.year = args.year
    if args.name_contains:
        request.name_contains = args.name_contains
    return request


def candidates_list(ctx: Context) -> int:
    args = ctx.args
    found = list(ctx.talent.paged("ListCandidates", list_request(args), "candidates", limit=args.limit))
    rows = [candidate_row(c) for c in found]
    columns = [c for c in CANDIDATE_COLUMNS if c.key not in ("document_last4", "members")]
    ctx.printer.rows(columns, rows, title=f"Candidates ({len(rows)})")
    return EXIT_OK


def candidates_show(ctx: Context) -> int:
    candidate = ctx.talent.call("GetCandidate", pb.GetCandidateRequest(name=candidate_name(ctx.args.candidate)))
    show_candidate(ctx, candidate)
    return EXIT_OK


def _members(values: list[str] | None) -> list[pb.TeamMember]:
    people = [sheets.parse_person(v) for v in values or []]
    return [pb.TeamMember(display_name=n, role=r) for n, r in people]


def _apply_flags(args: argparse.Namespace, candidate: pb.Candidate) -> list[str]:
    """Copy the candidate flags given on the command line; returns the update_mask paths."""
    paths: list[str] = []
    if args.display_name is not None:
        candidate.display_name = args.display_name
        paths.append("display_name")
    for flag, path, parse in (("domain", "domain", domain), ("origin", "origin", origin), ("tier", "tier", tier)):
        value = getattr(args, flag)
        if value is not None:
            setattr(candidate, path, parse(value))
            paths.append(path)
    if args.employer is not None:
        candidate.employer = args.employer
        paths.append("employer")
    if args.birth_year is not None:
        candidate.birth_year = args.birth_year
        paths.append("birth_year")
    if args.email is not None:
        candidate.contact.email = args.email
        paths.append("contact.email")
    if args.phone is not None:
        candidate.contact.phone = args.phone
        paths.append("contact.phone")
    if args.document is not None:
        candidate.identity_document = args.document
        paths.append("identity_document")
    if args.leader is not None:
        name, role = sheets.parse_person(args.leader)
        candidate.leader.CopyFrom(pb.TeamMember(display_name=name, role=role))
        paths.append("leader")
    if args.member is not None:
        del candidate.members[:]
        candidate.members.extend(_members(args.member))
        paths.append("members")
    return paths


def candidates_create(ctx: Context) -> int:
    args = ctx.args
    candidate = pb.Candidate(kind=kind(args.kind))  # type: ignore[arg-type]
    _apply_flags(args, candidate)
    request = pb.CreateCandidateRequest(candidate=candidate)
    # A fresh id per run, not one derived from the content: the server keeps request ids, so a
    # content-derived id would replay a candidate created (and perhaps deleted) earlier. Pass
    # --request-id to make a retried create idempotent.
    request.request_id = args.request_id or f"cli-candidate-{uuid.uuid4()}"
    created = ctx.talent.call("CreateCandidate", request)
    show_candidate(ctx, created)
    return EXIT_OK


def candidates_update(ctx: Context) -> int:
    args = ctx.args
    name = candidate_name(args.candidate)
    current = ctx.talent.call("GetCandidate", pb.GetCandidateRequest(name=name))
    candidate = pb.Candidate(name=name, etag=args.etag or current.etag)
    paths = _apply_flags(args, candidate)
    if not paths:
        raise CliError("nothing to update: give at least one field option (see --help)", 2)
    updated = ctx.talent.call(
        "UpdateCandidate",
        pb.UpdateCandidateRequest(candidate=candidate, update_mask=field_mask_pb2.FieldMask(paths=paths)),
    )
    show_candidate(ctx, updated)
    return EXIT_OK


# --- candidate import / export ------------------------------------------------------------------

VIOLATION_COLUMNS = {
    "candidate.display_name": "name",
    "candidate.kind": "kind",
    "candidate.domain": "domain",
    "candidate.origin": "origin",
    "candidate.tier": "tier",
    "candidate.employer": "employer",
    "candidate.birth_year": "birth_year",
    "candidate.contact.email": "email",
    "candidate.contact.phone": "phone",
    "candidate.identity_document": "identity_document",
    "candidate.leader": "leader",
    "candidate.members": "members",
}


def violation_column(path: str) -> str:
    for prefix, column in sorted(VIOLATION_COLUMNS.items(), key=lambda item: -len(item[0])):
        if path == prefix or path.startswith(prefix + ".") or path.startswith(prefix + "["):
            return column
    return path


def parse_candidate(number: int, record: dict[str, str]) -> tuple[pb.Candidate, list[sheets.RowError]]:
    errors: list[sheets.RowError] = []
    candidate = pb.Candidate(display_name=record.get("name", ""), employer=record.get("employer", ""))

    def enum_field(key: str, choices: tuple[str, ...], aliases: dict[str, str], proto: Any, prefix: str) -> None:
        text = record.get(key, "")
        if not text:
            return
        value = h.enum_cell(text, choices, aliases)
        if value is None:
            errors.append(sheets.RowError(number, key, f"unknown value {text!r}; use one of {', '.join(choices)}"))
        else:
            setattr(candidate, key, proto.Value(prefix + value))

    leader, members = record.get("leader", ""), record.get("members", "")
    kind_text = record.get("kind", "") or ("TEAM" if leader or members else "INDIVIDUAL")
    kind_value = h.enum_cell(kind_text, ("INDIVIDUAL", "TEAM"), h.KIND_ALIASES)
    if kind_value is None:
        errors.append(sheets.RowError(number, "kind", f"unknown value {kind_text!r}; use INDIVIDUAL/个人 or TEAM/团队"))
    else:
        candidate.kind = pb.CandidateKind.Value("CANDIDATE_KIND_" + kind_value)  # type: ignore[assignment]
    enum_field("domain", tuple(h.DOMAIN_ZH), h.DOMAIN_ALIASES, pb.Domain, "DOMAIN_")
    enum_field("origin", tuple(h.ORIGIN_ZH), h.ORIGIN_ALIASES, pb.Origin, "ORIGIN_")
    enum_field("tier", ("A", "B", "C", "D", "E"), {}, pb.Tier, "TIER_")
    year = record.get("birth_year", "")
    if year:
        if year.isdigit():
            candidate.birth_year = int(year)
        else:
            errors.append(sheets.RowError(number, "birth_year", f"{year!r} is not a year"))
    if record.get("email"):
        candidate.contact.email = record["email"]
    if record.get("phone"):
        candidate.contact.phone = record["phone"]
    if record.get("identity_document"):
        candidate.identity_document = record["identity_document"]
    if leader:
        name, role = sheets.parse_person(leader)
        candidate.leader.CopyFrom(pb.TeamMember(display_name=name, role=role))
    candidate.members.extend(_members(sheets.split_list(members)))
    return candidate, errors


def validate_candidate(ctx: Context, path: Path, number: int, candidate: pb.Candidate) -> list[sheets.RowError]:
    """The service's own checks of the row (AIP-163 validate_only: nothing is written), so that a
    whole file is checked before anything is. A row that would clash with an existing candidate is
    not an error here: the import resolves it (the same person, or a conflict to report)."""
    request = pb.CreateCandidateRequest(candidate=candidate, validate_only=True)
    try:
        ctx.talent.raw("CreateCandidate", request)
    except grpc.RpcError as error:
        decoded = decode_error(error)
        if decoded.code is grpc.StatusCode.ALREADY_EXISTS:
            return []
        if decoded.code is grpc.StatusCode.INVALID_ARGUMENT and decoded.violations:
            return [sheets.RowError(number, violation_column(field), text) for field, text in decoded.violations]
        failure = cli_error(error, f"{path}: row {number}")
        failure.lines.append(sheets.written_rows([], number))
        raise failure from None
    return []


def duplicate_keys(candidate: pb.Candidate) -> list[tuple[str, str]]:
    """What makes two rows the same candidate, compared as the service compares them."""
    keys = []
    if candidate.contact.email:
        keys.append(("email", contact.normalise_email(candidate.contact.email)))
    if candidate.contact.phone:
        keys.append(("phone", contact.normalise_phone(candidate.contact.phone)))
    if candidate.identity_document:
        keys.append(("identity_document", contact.normalise_document(candidate.identity_document)))
    return keys


def import_request_id(request: pb.CreateCandidateRequest) -> str:
    """Derived from the row, so that importing a file again is idempotent; but not from the identity
    document, which must not be recoverable from anything the server stores (a request id is
    stored in clear). Its last 4 characters, which the service shows anyway, tell rows apart."""
    row = pb.CreateCandidateRequest()
    row.CopyFrom(request)
    document = contact.normalise_document(row.candidate.identity_document)
    row.candidate.identity_document = document[-4:]
    return derived_request_id("import-candidate", row.SerializeToString(deterministic=True).hex())


def candidates_import(ctx: Context) -> int:
    args = ctx.args
    path = Path(args.file)
    sheet = sheets.read_sheet(path, args.encoding, args.sheet)
    rows, warnings = sheets.records(sheet, h.CANDIDATE_FIELDS, path)
    for warning in warnings:
        ctx.printer.warn(warning)
    errors: list[sheets.RowError] = []
    parsed: list[tuple[int, pb.Candidate]] = []
    seen: dict[tuple[str, str], int] = {}
    for number, record in rows:
        candidate, row_errors = parse_candidate(number, record)
        if not row_errors:
            row_errors = validate_candidate(ctx, path, number, candidate)
        for key in duplicate_keys(candidate):
            if key in seen:
                row_errors.append(sheets.RowError(number, key[0], f"same {key[0]} as row {seen[key]}"))
            else:
                seen[key] = number
        errors += row_errors
        parsed.append((number, candidate))
    if errors:
        raise sheets.row_errors(errors, path, len(rows))
    encoding = f" ({sheet.encoding})" if sheet.encoding else ""
    if args.dry_run:
        ctx.printer.message(f"{path}{encoding}: {len(rows)} row(s) valid; dry run, nothing written")
        return EXIT_OK
    results: list[Row] = []
    conflicts: list[sheets.RowError] = []
    with ctx.progress(len(parsed)) as progress:
        task = progress.add_task("importing candidates", total=len(parsed))
        for number, candidate in parsed:
            request = pb.CreateCandidateRequest(candidate=candidate)
            request.request_id = import_request_id(request)
            try:
                created = _create_imported(ctx, request)
                results.append({"row": number, "status": "created", "candidate": created.name})
            except grpc.RpcError as error:
                decoded = decode_error(error)
                existing = decoded.metadata.get("existing_candidate", "")
                if decoded.code is not grpc.StatusCode.ALREADY_EXISTS or not existing:
                    done = [int(r["row"]) for r in results if r["status"] in ("created", "exists")]
                    failure = cli_error(error, f"{path}: row {number}")
                    failure.lines += [c.line() for c in conflicts]
                    failure.lines.append(sheets.written_rows(done, number))
                    raise failure from None
                clash = _clash(ctx, number, candidate, existing)
                if clash is None:  # the same person, imported earlier (e.g. by another administrator)
                    results.append({"row": number, "status": "exists", "candidate": existing})
                else:
                    conflicts.append(clash)
                    results.append({"row": number, "status": "conflict", "candidate": existing})
            progress.advance(task)
    columns = [
        Column("row", "row", "行", justify="right"),
        Column("status", "status", "状态"),
        Column("candidate", "candidate", "候选人"),
    ]
    created_count = sum(1 for r in results if r["status"] == "created")
    present = sum(1 for r in results if r["status"] == "exists")
    title = f"{path}{encoding}: {created_count} created, {present} already present"
    ctx.printer.rows(columns, results, title=title + (f", {len(conflicts)} conflict(s)" if conflicts else ""))
    if conflicts:
        raise CliError(
            f"{path}: {len(conflicts)} row(s) clash with a different existing candidate and were not imported; "
            f"the other {len(results) - len(conflicts)} row(s) are in (re-running after fixing those rows is safe)",
            EXIT_CONFLICT,
            [c.line() for c in conflicts],
        )
    return EXIT_OK


def _create_imported(ctx: Context, request: pb.CreateCandidateRequest) -> pb.Candidate:
    try:
        created: pb.Candidate = ctx.talent.raw("CreateCandidate", request)
    except grpc.RpcError as error:
        if decode_error(error).reason != "REQUEST_ID_REUSED":
            raise
        # The same row was imported before with another identity document ending in the same 4
        # characters: a create of its own (the duplicate check still applies).
        request.request_id = f"cli-candidate-{uuid.uuid4()}"
        created = ctx.talent.raw("CreateCandidate", request)
    return created


def _clash(ctx: Context, number: int, candidate: pb.Candidate, existing: str) -> sheets.RowError | None:
    """None when ``existing`` is the row's own candidate (same name and kind); else the row error
    naming the field(s) that already belong to someone else."""
    try:
        found = ctx.talent.raw("GetCandidate", pb.GetCandidateRequest(name=existing))
    except grpc.RpcError:
        found = None
    if found is not None and (found.display_name.strip(), found.kind) == (
        candidate.display_name.strip(),
        candidate.kind,
    ):
        return None
    columns: list[str] = []
    if found is not None:
        if candidate.contact.email and contact.normalise_email(candidate.contact.email) == found.contact.email:
            columns.append("email")
        if candidate.contact.phone and contact.normalise_phone(candidate.contact.phone) == found.contact.phone:
            columns.append("phone")
        if candidate.identity_document and not columns:  # never returned in clear: the one left
            columns.append("identity_document")
    if not columns:
        columns = [c for c, _ in duplicate_keys(candidate)]
    what = "/".join("identity document" if c == "identity_document" else c for c in columns)
    return sheets.RowError(number, "", f"{what} already belongs to {existing} (a different candidate)")


def export_rows(candidates: list[pb.Candidate]) -> list[Row]:
    rows = [candidate_row(c) for c in candidates]
    return sorted(rows, key=lambda r: tuple(str(r.get(k) or "") for k in ("name", *EXPORT_KEYS, "members")))


def candidates_export(ctx: Context) -> int:
    args = ctx.args
    found = list(ctx.talent.paged("ListCandidates", list_request(args, "display_name"), "candidates"))
    rows = export_rows(found)
    export(Path(args.file), IMPORT_COLUMNS, rows, ctx.lang, "candidates")
    ctx.printer.message(f"wrote {len(rows)} candidate(s) to {args.file}")
    return EXIT_OK


# --- programmes and applications ----------------------------------------------------------------


def programmes(ctx: Context) -> int:
    found = list(ctx.talent.paged("ListProgrammes", pb.ListProgrammesRequest(page_size=100), "programmes"))
    rows = [
        {
            "id": short(p.name),
            "level": enum_label(pb.ProgrammeLevel, "PROGRAMME_LEVEL_", p.level),
            "kind": enum_label(pb.CandidateKind, "CANDIDATE_KIND_", p.kind),
            "title": p.title_zh if ctx.lang == "zh" else p.title_en,
            "years": ", ".join(str(y) for y in p.active_years),
        }
        for p in found
    ]
    columns = [
        Column("id", "id", "编号"),
        Column("level", "level", "级别"),
        Column("kind", "kind", "类型"),
        Column("title", "title", "名称"),
        Column("years", "active years", "年度"),
    ]
    ctx.printer.rows(columns, rows, title="Programmes")
    return EXIT_OK


APPLICATION_COLUMNS = (
    Column("id", "application", "申报编号"),
    Column("candidate", "candidate", "候选人"),
    Column("programme", "programme", "计划"),
    Column("year", "year", "年度", justify="right"),
    Column("stage", "stage", "阶段", zh_values=h.STAGE_ZH),
    Column("updated", "updated", "更新时间"),
)


def application_row(application: pb.Application) -> Row:
    return {
        "id": short(application.name),
        "candidate": short(application.candidate),
        "programme": short(application.programme),
        "year": application.year,
        "stage": stage_label(application.stage),
        "updated": when(application.update_time),
    }


def applications_create(ctx: Context) -> int:
    args = ctx.args
    application = pb.Application(
        candidate=candidate_name(args.candidate), programme=programme_name(args.programme), year=args.year
    )
    if args.stage:
        application.stage = stage(args.stage)  # type: ignore[assignment]
    request = pb.CreateApplicationRequest(application=application)
    request.request_id = args.request_id or derived_request_id("application", request.SerializeToString().hex())
    created = ctx.talent.call("CreateApplication", request)
    ctx.printer.rows(APPLICATION_COLUMNS, [application_row(created)], title=created.name)
    return EXIT_OK


def applications_list(ctx: Context) -> int:
    args = ctx.args
    request = pb.ListApplicationsRequest(page_size=200)
    if args.candidate:
        request.candidate = candidate_name(args.candidate)
    if args.programme:
        request.programme = programme_name(args.programme)
    if args.year:
        request.year = args.year
    if args.stage:
        request.stage = stage(args.stage)  # type: ignore[assignment]
    found = list(ctx.talent.paged("ListApplications", request, "applications", limit=args.limit))
    ctx.printer.rows(APPLICATION_COLUMNS, [application_row(a) for a in found], title=f"Applications ({len(found)})")
    return EXIT_OK


def advance(ctx: Context) -> int:
    args = ctx.args
    name = application_name(args.application)
    target = stage(args.to)
    current = ctx.talent.call("GetApplication", pb.GetApplicationRequest(name=name))
    request = pb.TransitionApplicationRequest(
        name=name,
        expected_stage=current.stage,
        target_stage=target,  # type: ignore[arg-type]
        note=args.note or "",
    )
    request.request_id = derived_request_id("advance", name, current.etag, target, request.note)
    moved = ctx.talent.call("TransitionApplication", request)
    ctx.printer.message(f"{name}: {stage_label(current.stage)} → {stage_label(moved.stage)}", style="green")
    if ctx.printer.fmt != "table":
        ctx.printer.rows(APPLICATION_COLUMNS, [application_row(moved)])
    return EXIT_OK


def history(ctx: Context) -> int:
    name = application_name(ctx.args.application)
    response = ctx.talent.call("GetApplicationHistory", pb.GetApplicationHistoryRequest(name=name))
    rows = [
        {
            "time": when(e.time),
            "from": stage_label(e.from_stage),
            "to": stage_label(e.to_stage),
            "actor": e.actor,
            "note": e.note,
        }
        for e in response.events
    ]
    columns = [
        Column("time", "time (UTC)", "时间"),
        Column("from", "from", "原阶段", zh_values=h.STAGE_ZH),
        Column("to", "to", "新阶段", zh_values=h.STAGE_ZH),
        Column("actor", "actor", "操作人"),
        Column("note", "note", "备注"),
    ]
    ctx.printer.rows(columns, rows, title=f"History of {name}")
    return EXIT_OK


# --- targets ------------------------------------------------------------------------------------

OPEN_STAGES = ("SCOUTED", "RESERVED", "CULTIVATING", "APPLIED", "UNDER_REVIEW")
TARGET_COLUMNS = (
    Column("target", "target", "目标"),
    Column("title", "title", "名称"),
    Column("required", "required (selections)", "目标数", justify="right"),
    Column("selected", "selected", "已入选", justify="right"),
    *(Column(s.lower(), s.lower().replace("_", " "), h.STAGE_ZH[s], justify="right") for s in OPEN_STAGES),
    Column("forecast", "forecast (selections)", "预计入选", justify="right", fmt=fixed(1)),
    Column("status", "status", "状态", style=status_style, zh_values=h.STATUS_ZH),
)


def target_rows(progress: pb.TargetProgress, lang: str) -> list[Row]:
    rows = []
    for item in progress.targets:
        counts = {stage_label(c.stage).lower(): c.count for c in item.open_stage_counts}
        rows.append(
            {
                "target": item.slug,
                "title": item.title_zh if lang == "zh" else item.title_en,
                "required": item.required,
                "selected": item.selected,
                **{s.lower(): counts.get(s.lower(), 0) for s in OPEN_STAGES},
                "forecast": round(item.forecast, 2),
                "status": enum_label(pb.TargetStatus, "TARGET_STATUS_", item.status),
            }
        )
    return rows


def targets(ctx: Context) -> int:
    year = ctx.args.year
    progress = ctx.talent.call("GetTargetProgress", pb.GetTargetProgressRequest(year=year))
    rows = target_rows(progress, ctx.lang)
    if ctx.export_path:
        export(ctx.export_path, TARGET_COLUMNS, rows, ctx.lang, f"targets {year}")
        ctx.printer.message(f"wrote {len(rows)} target(s) to {ctx.export_path}")
        return EXIT_OK
    probabilities = ", ".join(f"{k} {v:.0%}" for k, v in sorted(progress.stage_probabilities.items()))
    caption = (
        "forecast = selected + Σ open applications × their stage's selection probability"
        + (f" ({probabilities})" if probabilities else "")
        + "; MET: selected ≥ required, ON_TRACK: forecast ≥ required, AT_RISK: below"
    )
    ctx.printer.rows(
        TARGET_COLUMNS,
        rows,
        title=f"Talent target progress {year}",
        caption=caption,
        extra={"year": year, "stage_probabilities": dict(progress.stage_probabilities)},
    )
    return EXIT_OK
