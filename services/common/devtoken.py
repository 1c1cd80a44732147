"""Mint a development token with the key ``make run`` generated: for trying the API by hand.

python -m services.common.devtoken --role talent.editor --subject hr-portal
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from services.common.auth import mint_token


def dev_key(data_dir: Path) -> str:
    if os.environ.get("SUITE_ENVIRONMENT") == "prod":
        raise SystemExit("refusing to mint development tokens in production (SUITE_ENVIRONMENT=prod)")
    key = os.environ.get("SUITE_JWT_KEY")
    secrets_file = data_dir / "dev-secrets.env"
    if not key and secrets_file.exists():
        for line in secrets_file.read_text().splitlines():
            name, _, value = line.partition("=")
            if name == "SUITE_JWT_KEY":
                key = value
    if not key:
        raise SystemExit(f"no development key: run `make run` once (it writes {secrets_file})")
    return key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--role", action="append", required=True, help="e.g. talent.editor (repeatable)")
    parser.add_argument("--subject", required=True, help="who the token speaks for (a judge id for judges)")
    parser.add_argument("--ttl-days", type=int, default=30)
    parser.add_argument("--data-dir", type=Path, default=Path(os.environ.get("SUITE_DATA_DIR", ".data")))
    arguments = parser.parse_args()
    print(
        mint_token(
            dev_key(arguments.data_dir), arguments.subject, arguments.role, ttl_seconds=arguments.ttl_days * 86400
        )
    )


if __name__ == "__main__":
    main()
