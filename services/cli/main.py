"""``suite``: the command-line tool over the talent and competition gRPC APIs."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from services.cli import competition, talent, tokens
from services.cli.client import (
    EXIT_CODES_HELP,
    EXIT_OK,
    EXIT_OTHER,
    EXIT_USAGE,
    CliError,
    Connection,
    competition_api,
    talent_api,
)
from services.cli.context import Context
from services.cli.output import Printer

Handler = Callable[[Context], int]

EPILOG = f"""environment:
  SUITE_TALENT_ADDR       talent service address (default 127.0.0.1:50051)
  SUITE_COMPETITION_ADDR  competition service address (default 127.0.0.1:50052)
  SUITE_TOKEN             bearer token (see `suite token mint`)
  SUITE_JWT_KEY           development key for `suite token mint` (else .data/dev-secrets.env)

{EXIT_CODES_HELP}

examples:
  export SUITE_TOKEN=$(suite token mint --role talent.admin --role competition.admin --subject me)
  suite talent targets --year 2024
  suite competition leaderboard gec-2024/final
  suite competition landing status gec-2024
"""


class Parser(argparse.ArgumentParser):
    """Usage errors exit 2 with the message (argparse's default), listed in the epilog."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _formatter(prog: str) -> argparse.HelpFormatter:
    return argparse.RawDescriptionHelpFormatter(prog, max_help_position=32)


def _sub(parent: argparse._SubParsersAction[Parser], name: str, help_text: str) -> Parser:
    return parent.add_parser(name, help=help_text, description=help_text, formatter_class=_formatter)


def _group(parser: Parser, dest: str) -> argparse._SubParsersAction[Parser]:
    group = parser.add_subparsers(dest=dest, metavar="COMMAND", parser_class=Parser)
    group.required = True
    return group


def _export_options(parser: Parser) -> None:
    parser.add_argument("--export", metavar="FILE", help="write the result to FILE (.xlsx or .csv) instead")
    parser.add_argument("--lang", choices=["en", "zh"], default="en", help="column titles and values (default en)")


def _import_options(parser: Parser) -> None:
    parser.add_argument("file", metavar="FILE", help=".xlsx or .csv; headers in Chinese or English")
    parser.add_argument("--encoding", help="CSV encoding (default: UTF-8 with or without BOM, else GB18030)")
    parser.add_argument("--sheet", help="the .xlsx sheet to read (default: the first)")
    parser.add_argument("--dry-run", action="store_true", help="validate and show what would happen; write nothing")


def _candidate_fields(parser: Parser, create: bool) -> None:
    parser.add_argument("--name", dest="display_name", required=create, help="person's or team's name")
    if create:
        parser.add_argument("--kind", default="INDIVIDUAL", help="INDIVIDUAL (default) or TEAM")
    parser.add_argument("--domain", required=create, help="LIFE_HEALTH, NEW_ENERGY_MATERIALS, DIGITAL_ECONOMY, OTHER")
    parser.add_argument("--origin", required=create, help="OVERSEAS or DOMESTIC")
    parser.add_argument("--tier", help="A … E")
    parser.add_argument("--employer")
    parser.add_argument("--birth-year", type=int)
    parser.add_argument("--email")
    parser.add_argument("--phone")
    parser.add_argument("--document", help="identity document (stored only as a keyed hash and its last 4)")
    parser.add_argument("--leader", help="team leader, e.g. '李娜(首席科学家)'")
    parser.add_argument("--member", action="append", help="team member (repeat), e.g. '王强(工程师)'")


def _candidate_filters(parser: Parser) -> None:
    parser.add_argument("--domain")
    parser.add_argument("--origin")
    parser.add_argument("--tier")
    parser.add_argument("--kind")
    parser.add_argument("--programme", help="with an application in this programme")
    parser.add_argument("--stage", help="with an application at this stage")
    parser.add_argument("--year", type=int, help="with an application in this year")
    parser.add_argument("--name-contains")
    parser.add_argument("--order-by", default="", help="create_time (default), display_name, … desc")


def build_parser() -> Parser:
    parser = Parser(
        prog="suite",
        description="Talent & competition suite: command-line client of the gRPC services.",
        epilog=EPILOG,
        formatter_class=_formatter,
    )
    env = os.environ.get
    parser.add_argument("--talent", default=env("SUITE_TALENT_ADDR", "127.0.0.1:50051"), metavar="ADDR")
    parser.add_argument("--competition", default=env("SUITE_COMPETITION_ADDR", "127.0.0.1:50052"), metavar="ADDR")
    parser.add_argument("--token", default=env("SUITE_TOKEN"), help="bearer token (default: $SUITE_TOKEN)")
    parser.add_argument("--tls", action="store_true", help="use TLS (system roots unless --ca-file)")
    parser.add_argument("--ca-file", type=Path, help="PEM bundle of trusted CAs (implies --tls)")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds per call (default 60)")
    parser.add_argument("--output", "-o", choices=["table", "json", "csv"], default="table")
    services = _group(parser, "service")

    # --- talent ---
    t = _group(_sub(services, "talent", "talent recruitment: candidates, applications, targets"), "command")
    cands = _group(_sub(t, "candidates", "list, show, create, update, import and export candidates"), "action")
    p = _sub(cands, "list", "list candidates")
    _candidate_filters(p)
    p.add_argument("--limit", type=int, help="stop after this many")
    p.set_defaults(handler=talent.candidates_list)
    p = _sub(cands, "show", "show one candidate")
    p.add_argument("candidate", metavar="CANDIDATE", help="candidates/ID or ID")
    p.set_defaults(handler=talent.candidates_show)
    p = _sub(cands, "create", "create a candidate")
    _candidate_fields(p, create=True)
    p.add_argument("--request-id", help="idempotency key for a retry (default: a fresh one per run)")
    p.set_defaults(handler=talent.candidates_create)
    p = _sub(cands, "update", "update the given fields of a candidate")
    p.add_argument("candidate", metavar="CANDIDATE")
    _candidate_fields(p, create=False)
    p.add_argument("--etag", help="expected etag (default: the current one)")
    p.set_defaults(handler=talent.candidates_update)
    p = _sub(cands, "import", "import candidates from a spreadsheet (whole file validated first)")
    _import_options(p)
    p.set_defaults(handler=talent.candidates_import)
    p = _sub(cands, "export", "export candidates to a spreadsheet that `import` reads back")
    p.add_argument("file", metavar="FILE", help=".xlsx or .csv")
    p.add_argument("--lang", choices=["en", "zh"], default="en")
    _candidate_filters(p)
    p.set_defaults(handler=talent.candidates_export)

    apps = _group(_sub(t, "applications", "create and list applications"), "action")
    p = _sub(apps, "create", "put a candidate in a programme for a year")
    p.add_argument("--candidate", required=True)
    p.add_argument("--programme", required=True, help="e.g. ouyue, national-leading, city-team")
    p.add_argument("--year", type=int, required=True)
    p.add_argument("--stage", help="initial stage (default SCOUTED)")
    p.add_argument("--request-id")
    p.set_defaults(handler=talent.applications_create)
    p = _sub(apps, "list", "list applications")
    p.add_argument("--candidate")
    p.add_argument("--programme")
    p.add_argument("--year", type=int)
    p.add_argument("--stage")
    p.add_argument("--limit", type=int)
    p.set_defaults(handler=talent.applications_list)

    p = _sub(t, "advance", "move an application to another stage (checks the current stage)")
    p.add_argument("application", metavar="APPLICATION")
    p.add_argument("--to", required=True, metavar="STAGE", help="e.g. RESERVED, SELECTED, 入选")
    p.add_argument("--note")
    p.set_defaults(handler=talent.advance)
    p = _sub(t, "history", "stage history of an application")
    p.add_argument("application", metavar="APPLICATION")
    p.set_defaults(handler=talent.history)
    p = _sub(t, "targets", "progress against the yearly talent targets")
    p.add_argument("--year", type=int, default=2024)
    _export_options(p)
    p.set_defaults(handler=talent.targets)
    p = _sub(t, "programmes", "list the talent programmes")
    p.add_argument("--lang", choices=["en", "zh"], default="en")
    p.set_defaults(handler=talent.programmes)

    # --- competition ---
    c = _group(_sub(services, "competition", "the innovation competition: rounds, judging, landing"), "command")
    p = _sub(c, "setup", "create a contest, its rounds, criteria and judges from YAML (idempotent)")
    p.add_argument("file", metavar="FILE.yaml")
    p.add_argument("--dry-run", action="store_true")
    p.set_defaults(handler=competition.setup)
    p = _sub(c, "contests", "list contests")
    p.set_defaults(handler=competition.contests)
    p = _sub(c, "rounds", "list the rounds of a contest")
    p.add_argument("contest", metavar="CONTEST")
    p.set_defaults(handler=competition.rounds)

    ents = _group(_sub(c, "entries", "import, list and export entries"), "action")
    p = _sub(ents, "import", "import entries (one all-or-nothing batch)")
    p.add_argument("--contest", required=True)
    _import_options(p)
    p.set_defaults(handler=competition.entries_import)
    p = _sub(ents, "list", "list entries")
    p.add_argument("contest", metavar="CONTEST")
    p.add_argument("--round", help="only entries taking part in this round")
    p.add_argument("--limit", type=int)
    p.set_defaults(handler=competition.entries_list)
    p = _sub(ents, "export", "export entries to a spreadsheet that `import` reads back")
    p.add_argument("contest", metavar="CONTEST")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--lang", choices=["en", "zh"], default="en")
    p.set_defaults(handler=competition.entries_export)

    judges = _group(_sub(c, "judges", "import and list judges"), "action")
    p = _sub(judges, "import", "import judges (whole file validated first; existing ids skipped)")
    _import_options(p)
    p.set_defaults(handler=competition.judges_import)
    p = _sub(judges, "list", "list judges")
    p.set_defaults(handler=competition.judges_list)
    p = _sub(judges, "invite", "one personal sign-in link to the judges' portal per judge of the round's panel")
    p.add_argument("round", metavar="ROUND", help="contests/C/rounds/R or C/R")
    p.add_argument("--ttl", default="14d", help="how long new links stay valid: 1h … 90d (default 14d)")
    p.add_argument("--portal", default=env("SUITE_PORTAL_URL", "http://127.0.0.1:8080"), metavar="URL")
    p.set_defaults(handler=competition.judges_invite)
    p = _sub(judges, "invitations", "the round's invitations and their links again")
    p.add_argument("round", metavar="ROUND")
    p.add_argument("--all", action="store_true", help="also expired and revoked ones")
    p.add_argument("--portal", default=env("SUITE_PORTAL_URL", "http://127.0.0.1:8080"), metavar="URL")
    p.set_defaults(handler=competition.judges_invitations)
    p = _sub(judges, "revoke", "revoke an invitation (its link stops working; portal sessions end soon after)")
    p.add_argument("invitation", metavar="INVITATION", help="contests/C/rounds/R/invitations/ID")
    p.set_defaults(handler=competition.judges_revoke)

    p = _sub(c, "assign", "auto-assign judges to the entries of a round; prints shortfalls")
    p.add_argument("round", metavar="ROUND", help="contests/C/rounds/R or C/R")
    p.set_defaults(handler=competition.assign)
    my = _group(_sub(c, "my", "a judge's own view"), "action")
    p = _sub(my, "assignments", "the caller's assignments in a round")
    p.add_argument("round", metavar="ROUND")
    p.set_defaults(handler=competition.my_assignments)
    p = _sub(c, "submit", "submit a score sheet (prompts per criterion unless --score/--file)")
    p.add_argument("round", metavar="ROUND")
    p.add_argument("entry", metavar="ENTRY", help="entry id, C/E or contests/C/entries/E")
    p.add_argument("--score", action="append", metavar="KEY=VALUE", help="a criterion's score (repeat)")
    p.add_argument("--file", metavar="SHEET.yaml", help="YAML: scores: {key: value}, comment: …")
    p.add_argument("--comment")
    p.set_defaults(handler=competition.submit)
    p = _sub(c, "progress", "judging progress of a round (per judge and per entry)")
    p.add_argument("round", metavar="ROUND")
    p.add_argument("--by", choices=["judge", "entry"], default="judge")
    _export_options(p)
    p.set_defaults(handler=competition.progress)
    p = _sub(c, "leaderboard", "ranked entries with robustness and method-sensitivity flags")
    p.add_argument("round", metavar="ROUND")
    p.add_argument("--method", help="MEAN, TRIMMED_MEAN or ZSCORE (default: the round's)")
    p.add_argument("--limit", type=int)
    _export_options(p)
    p.set_defaults(handler=competition.leaderboard)
    for verb, text in (("open", "open a round for judging (criteria freeze)"), ("finalize", "finalize a round")):
        p = _sub(c, verb, text)
        p.add_argument("round", metavar="ROUND")
        p.set_defaults(handler=getattr(competition, f"{verb}_round"))
    p = _sub(c, "close", "close a round (refused while sheets are missing unless --force --reason)")
    p.add_argument("round", metavar="ROUND")
    p.add_argument("--force", action="store_true")
    p.add_argument("--reason")
    p.set_defaults(handler=competition.close_round)
    p = _sub(c, "awards", "the awards of a contest")
    p.add_argument("contest", metavar="CONTEST")
    p.set_defaults(handler=competition.awards)

    land = _group(_sub(c, "landing", "landing (落地) of awarded projects"), "action")
    p = _sub(land, "advance", "move an entry's landing to a stage (checks the current stage)")
    p.add_argument("entry", metavar="ENTRY", help="C/E or contests/C/entries/E")
    p.add_argument("--to", required=True, metavar="STAGE", help="INTENT, SIGNED, REGISTERED, OPERATING, DROPPED")
    p.add_argument("--note")
    p.add_argument("--agreement-date", help="SIGNED: ISO date")
    p.add_argument("--company", help="REGISTERED: company name")
    p.add_argument("--credit-code", help="REGISTERED: 统一社会信用代码 (18 characters)")
    p.add_argument("--registration-date", help="REGISTERED: ISO date")
    p.add_argument("--capital", type=float, help="REGISTERED: registered capital in 万元 CNY")
    p.add_argument("--drop-reason", help="DROPPED: why")
    p.set_defaults(handler=competition.landing_advance)
    p = _sub(land, "status", "landing rate and landed projects against the contest's targets")
    p.add_argument("contest", metavar="CONTEST")
    _export_options(p)
    p.set_defaults(handler=competition.landing_status)
    p = _sub(land, "list", "landing records of a contest")
    p.add_argument("contest", metavar="CONTEST")
    p.add_argument("--stage")
    _export_options(p)
    p.set_defaults(handler=competition.landing_list)

    # --- tokens ---
    tok = _group(_sub(services, "token", "development tokens"), "command")
    p = _sub(tok, "mint", "mint a development token with the local dev key (refused in production)")
    p.add_argument("--role", action="append", required=True, help=f"repeatable: {', '.join(tokens.KNOWN_ROLES)}")
    p.add_argument("--subject", required=True, help="the caller id (a judge's id for competition.judge)")
    p.add_argument("--ttl", default="1d", help="lifetime: seconds or 90m, 12h, 7d (default 1d)")
    p.set_defaults(handler=mint)
    return parser


def mint(ctx: Context) -> int:
    token = tokens.mint(ctx.args.role, ctx.args.subject, tokens.parse_ttl(ctx.args.ttl))
    if ctx.printer.fmt == "json":
        ctx.printer.json({"token": token, "subject": ctx.args.subject, "roles": ctx.args.role})
    else:
        print(token)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    printer = Printer(args.output, getattr(args, "lang", "en") or "en")
    tls = args.tls or args.ca_file is not None
    ctx = Context(
        args=args,
        printer=printer,
        talent=talent_api(Connection(args.talent, args.token, tls, args.ca_file, args.timeout)),
        competition=competition_api(Connection(args.competition, args.token, tls, args.ca_file, args.timeout)),
    )
    handler: Handler = args.handler
    try:
        return handler(ctx)
    except CliError as error:
        printer.err.print(f"error: {error.message}", style="bold red", markup=False, highlight=False)
        for line in error.lines:
            printer.err.print(line, markup=False, highlight=False)
        return error.exit_code
    except KeyboardInterrupt:
        printer.err.print("interrupted", style="red")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except OSError as error:
        printer.err.print(f"error: {error}", style="bold red", markup=False)
        return EXIT_OTHER
    except Exception as error:  # never a traceback for the user: say what failed
        printer.err.print(f"error: unexpected {type(error).__name__}: {error}", style="bold red", markup=False)
        return EXIT_OTHER
    finally:
        ctx.talent.close()
        ctx.competition.close()


if __name__ == "__main__":
    sys.exit(main())
