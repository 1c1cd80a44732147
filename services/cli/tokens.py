"""Development tokens, minted with the local dev key that ``make run`` generates.

The key comes from ``SUITE_JWT_KEY`` or from ``.data/dev-secrets.env`` (``SUITE_DATA_DIR`` moves
``.data``). Minting is refused in production settings (``SUITE_ENVIRONMENT``,
``TALENT_ENVIRONMENT`` or ``COMPETITION_ENVIRONMENT`` set to ``prod``): production tokens come from
the identity provider.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from services.cli.client import EXIT_OTHER, EXIT_PERMISSION, EXIT_USAGE, CliError
from services.common.auth import mint_token

KNOWN_ROLES = (
    "talent.admin",
    "talent.editor",
    "talent.viewer",
    "competition.admin",
    "competition.judge",
    "competition.viewer",
    # The judges' portal's service identity: may redeem judge invitations, nothing else.
    "competition.portal",
)
ENVIRONMENT_VARIABLES = ("SUITE_ENVIRONMENT", "TALENT_ENVIRONMENT", "COMPETITION_ENVIRONMENT")
MIN_TTL, MAX_TTL = 60, 90 * 86400


def secrets_file(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("SUITE_DATA_DIR", ".data")) / "dev-secrets.env"


def read_env_file(path: Path) -> dict[str, str]:
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$", line)
        if match and not line.lstrip().startswith("#"):
            values[match.group(1)] = match.group(2).strip("'\"")
    return values


def dev_key(environ: Mapping[str, str] | None = None) -> str:
    environ = os.environ if environ is None else environ
    for variable in ENVIRONMENT_VARIABLES:
        if environ.get(variable, "").strip().lower() in {"prod", "production"}:
            raise CliError(
                f"refusing to mint a development token: {variable}={environ[variable]} (production settings); "
                "production tokens come from the identity provider",
                EXIT_PERMISSION,
            )
    key = environ.get("SUITE_JWT_KEY", "").strip()
    if key:
        return key
    path = secrets_file(environ)
    if path.is_file():
        key = read_env_file(path).get("SUITE_JWT_KEY", "").strip()
        if key:
            return key
    raise CliError(
        f"no development key: set SUITE_JWT_KEY or start the suite once with `make run` (it writes {path})",
        EXIT_OTHER,
    )


def mint(roles: Sequence[str], subject: str, ttl_seconds: int, environ: Mapping[str, str] | None = None) -> str:
    for role in roles:
        if role not in KNOWN_ROLES:
            raise CliError(f"unknown role {role!r}; roles: {', '.join(KNOWN_ROLES)}", EXIT_USAGE)
    if not subject.strip():
        raise CliError("--subject must not be empty", EXIT_USAGE)
    if not MIN_TTL <= ttl_seconds <= MAX_TTL:
        raise CliError(f"--ttl must be between {MIN_TTL} and {MAX_TTL} seconds", EXIT_USAGE)
    return mint_token(dev_key(environ), subject.strip(), list(roles), ttl_seconds=ttl_seconds)


def parse_ttl(text: str) -> int:
    """``3600``, ``90m``, ``12h`` or ``7d`` → seconds."""
    match = re.fullmatch(r"\s*(\d+)\s*([smhd]?)\s*", text)
    if not match:
        raise CliError(f"--ttl {text!r}: give seconds or a number with s, m, h or d (e.g. 12h)", EXIT_USAGE)
    return int(match.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
