"""The embedded PostgreSQL for development and tests: the server binaries of the ``pgserver``
package, run by us on a loopback TCP port so that it can be stopped and started at will.

As root, PostgreSQL refuses to run; like pgserver we run it as an unprivileged system user.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import pwd
import shutil
import socket
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path

SYSTEM_USER = "pgserver"


def _bin() -> Path:
    """The server binaries; imported late because pgserver warns about XDG dirs at import time."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver._commands import POSTGRES_BIN_PATH
    return Path(POSTGRES_BIN_PATH)


def _as_postgres_user() -> str | None:
    """The unprivileged user PostgreSQL runs as when we are root (it refuses to run as root)."""
    if os.geteuid() != 0:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.utils import ensure_user_exists
    ensure_user_exists(SYSTEM_USER)
    return SYSTEM_USER


def _open_path_to(path: Path) -> None:
    """Let the PostgreSQL user traverse every parent of ``path``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.utils import ensure_prefix_permissions
    ensure_prefix_permissions(path)


SUPERUSER = "postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedPostgres:
    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.root = data_dir.resolve()
        self.pgdata = self.root / "postgres"
        self.port = port or free_port()

    @property
    def url(self) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/postgres"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(_bin() / tool), *args]
        user = _as_postgres_user()
        switch = shutil.which("setpriv")
        if user is not None and switch is not None:
            # setpriv changes the user after exec: subprocess(user=...) would have to fork() this
            # process, which, with grpc's threads running (tests stop and start PostgreSQL under
            # a live server), can crash the child before exec.
            command = [switch, "--reuid", user, "--regid", user, "--init-groups", *command]
            user = None
        result = subprocess.run(command, capture_output=True, text=True, user=user, timeout=90, check=False)
        if result.returncode != 0:
            log = self.pgdata / "log"
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise RuntimeError(f"{tool} {' '.join(args)} failed: {result.stdout}{result.stderr}{tail}")

    @contextlib.contextmanager
    def _lock(self) -> Iterator[None]:
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / ".postgres.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            yield

    def _prepare(self) -> None:
        user = _as_postgres_user()
        if user is not None:
            self.pgdata.mkdir(parents=True, exist_ok=True)
            _open_path_to(self.pgdata)
            _open_path_to(_bin())
            entry = pwd.getpwnam(user)
            os.chown(self.pgdata, entry.pw_uid, entry.pw_gid)
        if not (self.pgdata / "PG_VERSION").exists():
            self._run("initdb", "-D", str(self.pgdata), "--auth=trust", "--encoding=UTF8", "-U", SUPERUSER)

    def running_port(self) -> int | None:
        """The port of a server already running on this data directory, if any."""
        pid_file = self.pgdata / "postmaster.pid"
        if not pid_file.exists():
            return None
        lines = pid_file.read_text().splitlines()
        try:
            os.kill(int(lines[0]), 0)
            return int(lines[3])
        except (ProcessLookupError, ValueError, IndexError):
            return None

    def start(self) -> None:
        """Start the server, or adopt one already running on this data directory."""
        with self._lock():
            self._prepare()
            running = self.running_port()
            if running is not None:
                self.port = running
                return
            options = f"-h 127.0.0.1 -p {self.port} -k '' -c max_connections=300 -c fsync=on"
            self._run(
                "pg_ctl",
                "-D",
                str(self.pgdata),
                "-o",
                options,
                "-l",
                str(self.pgdata / "log"),
                "-w",
                "-t",
                "60",
                "start",
            )

    def stop(self, mode: str = "fast") -> None:
        with self._lock():
            if _as_postgres_user() is not None:
                # Parents may have been tightened since start (pytest does so to its temp dirs).
                _open_path_to(self.pgdata)
            if self.running_port() is not None:
                self._run("pg_ctl", "-D", str(self.pgdata), "-m", mode, "-w", "stop")
