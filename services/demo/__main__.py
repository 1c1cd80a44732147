"""``python -m services.demo`` (``make demo``): load the demo into the running suite, then print the
ports, a development token per role and three commands to try. Idempotent."""

from __future__ import annotations

import asyncio
import os
import sys

import grpc

from services.cli.client import CliError
from services.cli.tokens import dev_key
from services.demo import CONTEST_ID, load_demo
from services.demo.guide import print_guide


def address(service: str, default_port: int) -> str:
    explicit = os.environ.get(f"SUITE_{service.upper()}_ADDR")
    if explicit:
        return explicit
    return f"127.0.0.1:{os.environ.get(f'{service.upper()}_GRPC_PORT', default_port)}"


def main() -> int:
    try:
        key = dev_key()
    except CliError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return error.exit_code
    talent, competition = address("talent", 50051), address("competition", 50052)
    print(f"loading the demo into talent {talent} and competition {competition} …", flush=True)
    try:
        summary = asyncio.run(load_demo(talent, competition, key, log=lambda line: print(line, flush=True)))
    except grpc.RpcError as error:
        code = error.code() if hasattr(error, "code") else None
        details = error.details() if hasattr(error, "details") else str(error)
        print(f"error: the demo could not be loaded: {code}: {details}", file=sys.stderr)
        return 1
    landed = summary.landings.get("REGISTERED", 0) + summary.landings.get("OPERATING", 0)
    print(
        f"demo ready: {summary.candidates} candidates, {summary.applications} applications; "
        f"{summary.entries} entries, {summary.judges} judges, {summary.sheets_submitted} new sheets, "
        f"{summary.rounds_finalized} rounds finalized, {summary.awards} awards, {landed} landed"
    )
    if "--no-guide" not in sys.argv[1:]:
        print(f"\nservices: talent gRPC {talent}, competition gRPC {competition}")
        print_guide(key, CONTEST_ID)
    return 0


if __name__ == "__main__":
    sys.exit(main())
