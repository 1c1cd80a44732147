"""gRPC channels, the bearer token, resource-name shorthands, and server errors → exit codes.

The CLI talks only to the gRPC API. Every failure ends as a :class:`CliError` carrying the exit
code and the lines to print, so that ``main`` can print them and never a traceback.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message

from protos.competition.v1 import competition_pb2_grpc
from protos.talent.v1 import talent_pb2_grpc
from services.common.grpc_errors import ErrorDetails, error_details

# Exit codes (documented in ``suite --help`` and the README).
EXIT_OK = 0
EXIT_OTHER = 1
EXIT_USAGE = 2
EXIT_NOT_FOUND = 3
EXIT_PERMISSION = 4
EXIT_CONFLICT = 5

CODE_EXIT: dict[grpc.StatusCode, int] = {
    grpc.StatusCode.NOT_FOUND: EXIT_NOT_FOUND,
    grpc.StatusCode.PERMISSION_DENIED: EXIT_PERMISSION,
    grpc.StatusCode.UNAUTHENTICATED: EXIT_PERMISSION,
    grpc.StatusCode.ALREADY_EXISTS: EXIT_CONFLICT,
    grpc.StatusCode.FAILED_PRECONDITION: EXIT_CONFLICT,
    grpc.StatusCode.ABORTED: EXIT_CONFLICT,
}

EXIT_CODES_HELP = """exit codes:
  0  success
  1  other errors: invalid input (server INVALID_ARGUMENT, bad spreadsheet rows), server unreachable
  2  usage: unknown command or option, missing or conflicting arguments
  3  not found (NOT_FOUND)
  4  permission: missing/invalid token (UNAUTHENTICATED), role not allowed (PERMISSION_DENIED),
     dev tokens refused in production settings
  5  conflict or precondition: ALREADY_EXISTS, FAILED_PRECONDITION (e.g. a stage move not allowed,
     sheets missing at close), ABORTED (stale etag / stage changed meanwhile)"""


@dataclass
class CliError(Exception):
    """A failure to report: a message, extra lines (e.g. one per field violation), an exit code."""

    message: str
    exit_code: int = EXIT_OTHER
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.message)


@dataclass(frozen=True)
class ServerError:
    code: grpc.StatusCode
    message: str
    reason: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    violations: list[tuple[str, str]] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        return CODE_EXIT.get(self.code, EXIT_OTHER)


def decode_error(error: grpc.RpcError) -> ServerError:
    """The code, message, ErrorInfo and field violations of a failed call."""
    code: grpc.StatusCode = error.code() if hasattr(error, "code") else grpc.StatusCode.UNKNOWN
    message: str = (error.details() if hasattr(error, "details") else "") or ""
    trailing = error.trailing_metadata() if hasattr(error, "trailing_metadata") else None
    details = error_details(trailing) or ErrorDetails()
    return ServerError(code, message, details.reason, details.metadata, details.violations)


def cli_error(error: grpc.RpcError, context: str = "") -> CliError:
    decoded = decode_error(error)
    if decoded.code is grpc.StatusCode.UNAVAILABLE:
        message = f"the service is unreachable ({decoded.message}); is it running? (make run)"
    elif decoded.code is grpc.StatusCode.DEADLINE_EXCEEDED:
        message = "the service did not answer in time (try --timeout)"
    else:
        message = decoded.message or decoded.code.name
    prefix = f"{context}: " if context else ""
    head = f"{prefix}{decoded.code.name}"
    if decoded.reason and decoded.reason != decoded.code.name:
        head += f" ({decoded.reason})"
    lines = [f"  {name}: {description}" for name, description in decoded.violations]
    lines += [f"  {key} = {value}" for key, value in sorted(decoded.metadata.items()) if key != "required_roles"]
    return CliError(f"{head}: {message}", decoded.exit_code, lines)


@dataclass(frozen=True)
class Connection:
    address: str
    token: str | None
    tls: bool = False
    ca_file: Path | None = None
    timeout: float = 30.0

    def channel(self) -> grpc.Channel:
        if not self.tls:
            return grpc.insecure_channel(self.address)
        root = self.ca_file.read_bytes() if self.ca_file else None
        return grpc.secure_channel(self.address, grpc.ssl_channel_credentials(root_certificates=root))

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),) if self.token else ()


ResponseT = TypeVar("ResponseT", bound=Message)


class Api:
    """A stub whose calls carry the token and the timeout and raise :class:`CliError`."""

    def __init__(self, connection: Connection, stub_factory: Callable[[grpc.Channel], Any]) -> None:
        self.connection = connection
        self._stub_factory = stub_factory
        self._channel: grpc.Channel | None = None
        self._stub: Any = None

    @property
    def stub(self) -> Any:
        if self._stub is None:
            self._channel = self.connection.channel()
            self._stub = self._stub_factory(self._channel)
        return self._stub

    def raw(self, method: str, request: Message) -> Any:
        """Call ``method``; a failure propagates as ``grpc.RpcError`` (for callers that inspect it)."""
        return getattr(self.stub, method)(request, metadata=self.connection.metadata, timeout=self.connection.timeout)

    def call(self, method: str, request: Message, context: str = "") -> Any:
        try:
            return self.raw(method, request)
        except grpc.RpcError as error:
            raise cli_error(error, context) from None

    def paged(self, method: str, request: Message, items: str, limit: int | None = None) -> Iterator[Any]:
        """Every item of a paginated List method (``items`` is the repeated field's name)."""
        seen = 0
        while True:
            response = self.call(method, request)
            for item in getattr(response, items):
                yield item
                seen += 1
                if limit is not None and seen >= limit:
                    return
            if not response.next_page_token:
                return
            request.page_token = response.next_page_token  # type: ignore[attr-defined]

    def close(self) -> None:
        if self._channel is not None:
            self._channel.close()


def talent_api(connection: Connection) -> Api:
    return Api(connection, talent_pb2_grpc.TalentServiceStub)


def competition_api(connection: Connection) -> Api:
    return Api(connection, competition_pb2_grpc.CompetitionServiceStub)


def derived_request_id(kind: str, *parts: object) -> str:
    """A request id derived from the content, so that re-running the same command is idempotent."""
    payload = json.dumps([kind, *parts], ensure_ascii=False, sort_keys=True, default=str)
    return f"cli-{kind}-{hashlib.sha256(payload.encode()).hexdigest()[:40]}"


# --- resource-name shorthands -------------------------------------------------------------------


def _qualified(value: str, collection: str) -> str:
    value = value.strip()
    return value if value.startswith(f"{collection}/") else f"{collection}/{value}"


def candidate_name(value: str) -> str:
    return _qualified(value, "candidates")


def application_name(value: str) -> str:
    return _qualified(value, "applications")


def programme_name(value: str) -> str:
    return _qualified(value, "programmes")


def contest_name(value: str) -> str:
    return _qualified(value, "contests")


def judge_name(value: str) -> str:
    return _qualified(value, "judges")


def round_name(value: str) -> str:
    """``contests/C/rounds/R`` as is; ``C/R`` → ``contests/C/rounds/R``."""
    value = value.strip()
    if value.startswith("contests/"):
        return value
    contest, slash, round_id = value.partition("/")
    if not slash or not contest or not round_id or "/" in round_id:
        raise CliError(f"round {value!r}: give contests/C/rounds/R or C/R (e.g. gec-2024/final)", EXIT_USAGE)
    return f"contests/{contest}/rounds/{round_id}"


def contest_of(name: str) -> str:
    """``contests/C/...`` → ``contests/C``."""
    parts = name.split("/")
    return "/".join(parts[:2])


def entry_name(value: str, contest: str | None = None) -> str:
    """``contests/C/entries/E`` as is; ``C/E`` → ``contests/C/entries/E``; ``E`` within ``contest``."""
    value = value.strip()
    if value.startswith("contests/"):
        return value
    first, slash, rest = value.partition("/")
    if slash and first and rest and "/" not in rest:
        return f"contests/{first}/entries/{rest}"
    if not slash and value and contest:
        return f"{contest_name(contest)}/entries/{value}"
    raise CliError(f"entry {value!r}: give contests/C/entries/E or C/E", EXIT_USAGE)


def short(name: str) -> str:
    """The last segment of a resource name, for tables."""
    return name.rsplit("/", 1)[-1]


def enum_value(proto_enum: Any, prefix: str, value: str, aliases: dict[str, str] | None = None) -> int:
    """``selected`` / ``STAGE_SELECTED`` / an alias such as ``入选`` → the enum number."""
    text = value.strip()
    if aliases and text in aliases:
        text = aliases[text]
    key = text.upper().replace("-", "_").replace(" ", "_")
    if not key.startswith(prefix):
        key = prefix + key
    names: Sequence[str] = [str(n) for n in proto_enum.keys() if not n.endswith("_UNSPECIFIED")]  # noqa: SIM118
    if key not in names:
        choices = ", ".join(n.removeprefix(prefix) for n in names)
        raise CliError(f"unknown value {value!r}; choose one of: {choices}", EXIT_USAGE)
    return int(proto_enum.Value(key))


def enum_label(proto_enum: Any, prefix: str, number: int) -> str:
    if number == 0:
        return ""
    try:
        return str(proto_enum.Name(number)).removeprefix(prefix)
    except ValueError:
        return str(number)
