"""A real Prometheus server for end-to-end tests of the alert rules.

    with PrometheusServer([RULES], {"competition": ["127.0.0.1:9465"]}) as prometheus:
        prometheus.wait_for_targets_up()
        prometheus.wait_for_alert("LandingRatioBelowTarget", "pending", {"contest": "gec-2024"})
        ...  # land projects
        prometheus.wait_until_resolved("LandingRatioBelowTarget", {"contest": "gec-2024"})

It writes a configuration into a temporary directory, starts the `prometheus` binary (Debian package
`prometheus`) on a free loopback port with its storage in that directory, waits until it is ready, and
stops it (and removes the directory) on exit. Only the standard library is used to talk to its HTTP API.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal, Self, TypeVar

import yaml

AlertState = Literal["pending", "firing"]
T = TypeVar("T")


class PrometheusError(RuntimeError):
    """Prometheus did not start, answered with an error, or a wait timed out."""


def free_port() -> int:
    """A TCP port that is free on the loopback interface right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _seconds(duration: str) -> float:
    units = {"ms": 0.001, "s": 1, "m": 60, "h": 3600}
    for suffix in ("ms", "s", "m", "h"):
        if duration.endswith(suffix) and duration[: -len(suffix)].isdigit():
            return int(duration[: -len(suffix)]) * units[suffix]
    raise ValueError(f"unsupported duration {duration!r} (use e.g. 500ms, 1s, 1m)")


class PrometheusServer:
    """A `prometheus` process scraping `scrape_targets` ({job: ["host:port", ...]}) and evaluating
    `rule_files`, for use as a context manager."""

    def __init__(
        self,
        rule_files: Sequence[str | Path],
        scrape_targets: Mapping[str, Sequence[str]],
        scrape_interval: str = "1s",
        evaluation_interval: str = "1s",
        *,
        binary: str = "prometheus",
        start_timeout: float = 30.0,
        metrics_path: str = "/metrics",
    ) -> None:
        self.rule_files = [Path(path).resolve() for path in rule_files]
        self.scrape_targets = {job: list(targets) for job, targets in scrape_targets.items()}
        self.scrape_interval = scrape_interval
        self.evaluation_interval = evaluation_interval
        self.metrics_path = metrics_path
        self.start_timeout = start_timeout
        found = shutil.which(binary)
        if found is None:
            raise PrometheusError(f"{binary!r} not found: install it with `apt-get install prometheus`")
        self.binary = found
        self.port = 0
        self._dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    # -- life cycle ----------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def directory(self) -> Path:
        if self._dir is None:
            raise PrometheusError("the server is not started")
        return self._dir

    def config(self) -> dict[str, Any]:
        """The prometheus.yml content."""
        interval = _seconds(self.scrape_interval)
        timeout = self.scrape_interval if interval < 10 else "10s"
        return {
            "global": {
                "scrape_interval": self.scrape_interval,
                "scrape_timeout": timeout,
                "evaluation_interval": self.evaluation_interval,
            },
            "rule_files": [str(path) for path in self.rule_files],
            "scrape_configs": [
                {
                    "job_name": job,
                    "metrics_path": self.metrics_path,
                    "static_configs": [{"targets": targets}],
                }
                for job, targets in self.scrape_targets.items()
            ],
        }

    def start(self) -> None:
        for path in self.rule_files:
            if not path.is_file():
                raise PrometheusError(f"rule file {path} does not exist")
        self._dir = Path(tempfile.mkdtemp(prefix="prometheus-"))
        config = self._dir / "prometheus.yml"
        config.write_text(yaml.safe_dump(self.config(), sort_keys=False), encoding="utf-8")
        try:
            # A free port can be taken between the probe and the bind: retry a few times.
            for _attempt in range(3):
                self.port = free_port()
                self._spawn(config)
                if self._wait_ready():
                    return
                self._terminate()
            raise PrometheusError(f"prometheus did not start:\n{self.log()}")
        except BaseException:
            self.stop()
            raise

    def _spawn(self, config: Path) -> None:
        directory = self.directory
        with (directory / "prometheus.log").open("ab") as log:
            self._process = subprocess.Popen(
                [
                    self.binary,
                    f"--config.file={config}",
                    f"--web.listen-address=127.0.0.1:{self.port}",
                    f"--storage.tsdb.path={directory / 'data'}",
                    "--web.enable-lifecycle",
                    "--log.level=warn",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=directory,
            )

    def _wait_ready(self) -> bool:
        deadline = time.monotonic() + self.start_timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                return False
            try:
                with urllib.request.urlopen(f"{self.url}/-/ready", timeout=2) as response:
                    if response.status == 200:
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.1)
        raise PrometheusError(f"prometheus not ready after {self.start_timeout}s:\n{self.log()}")

    def log(self) -> str:
        """The server's log (its last 4000 characters)."""
        if self._dir is None or not (self._dir / "prometheus.log").exists():
            return ""
        return (self._dir / "prometheus.log").read_text(encoding="utf-8", errors="replace")[-4000:]

    def _terminate(self) -> None:
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=10)
        self._process = None

    def stop(self) -> None:
        self._terminate()
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def reload(self) -> None:
        """Re-read the configuration and the rule files (POST /-/reload)."""
        self._request("/-/reload", method="POST")

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- HTTP API ------------------------------------------------------------------------------------

    def _request(self, path: str, params: Mapping[str, str] | None = None, method: str = "GET") -> Any:
        url = f"{self.url}{path}"
        if params:
            url += "?" + urllib.parse.urlencode(params)
        request = urllib.request.Request(url, method=method)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            raise PrometheusError(f"{method} {path}: HTTP {error.code}: {error.read()[:500]!r}") from error
        if not path.startswith("/api/"):
            return body
        payload = json.loads(body)
        if payload.get("status") != "success":
            raise PrometheusError(f"{method} {path}: {payload}")
        return payload["data"]

    def alerts(self) -> list[dict[str, Any]]:
        """The active (pending or firing) alerts: dicts with labels, annotations, state, activeAt, value."""
        alerts: list[dict[str, Any]] = self._request("/api/v1/alerts")["alerts"]
        return alerts

    def query(self, expr: str) -> list[dict[str, Any]]:
        """The result of an instant query: for a vector, dicts with `metric` (labels) and `value`
        ([timestamp, "value"])."""
        data = self._request("/api/v1/query", {"query": expr})
        result = data["result"]
        if data["resultType"] in {"scalar", "string"}:
            return [{"metric": {}, "value": result}]
        values: list[dict[str, Any]] = result
        return values

    def targets(self) -> list[dict[str, Any]]:
        """The active scrape targets (with `labels`, `health`, `lastError`)."""
        targets: list[dict[str, Any]] = self._request("/api/v1/targets", {"state": "active"})["activeTargets"]
        return targets

    def rule_groups(self) -> list[dict[str, Any]]:
        """The loaded rule groups (GET /api/v1/rules)."""
        groups: list[dict[str, Any]] = self._request("/api/v1/rules")["groups"]
        return groups

    # -- waiting -------------------------------------------------------------------------------------

    def _wait(self, condition: Callable[[], T | None], timeout: float, what: Callable[[], str]) -> T:
        """Poll `condition` until it returns something other than None, and return that."""
        deadline = time.monotonic() + timeout
        while True:
            value = condition()
            if value is not None:
                return value
            if time.monotonic() >= deadline:
                raise PrometheusError(f"timed out after {timeout}s waiting for {what()}")
            time.sleep(0.2)

    @staticmethod
    def _matches(alert: Mapping[str, Any], name: str, labels: Mapping[str, str] | None) -> bool:
        alert_labels: Mapping[str, str] = alert.get("labels", {})
        if alert_labels.get("alertname") != name:
            return False
        return all(alert_labels.get(key) == value for key, value in (labels or {}).items())

    def wait_for_targets_up(self, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait until every configured target has been scraped successfully."""
        expected = sum(len(targets) for targets in self.scrape_targets.values())

        def all_up() -> list[dict[str, Any]] | None:
            targets = self.targets()
            healthy = [target for target in targets if target.get("health") == "up"]
            return healthy if len(healthy) >= expected else None

        return self._wait(all_up, timeout, lambda: f"{expected} healthy targets; targets: {self.targets()}")

    def wait_for_alert(
        self,
        name: str,
        state: AlertState = "firing",
        labels: Mapping[str, str] | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        """Wait until alert `name` whose labels include `labels` is in `state` and return it.

        "pending" is satisfied by a firing alert too (every alert passes through pending, and an alert with
        `for: 0s` goes straight to firing); "firing" needs firing.
        """
        accepted = {"pending", "firing"} if state == "pending" else {"firing"}

        def found() -> dict[str, Any] | None:
            for alert in self.alerts():
                if self._matches(alert, name, labels) and alert.get("state") in accepted:
                    return alert
            return None

        return self._wait(found, timeout, lambda: f"{name} {labels or {}} {state}; active alerts: {self.alerts()}")

    def wait_until_resolved(self, name: str, labels: Mapping[str, str] | None = None, timeout: float = 30.0) -> None:
        """Wait until no alert `name` (whose labels include `labels`) is pending or firing."""

        def resolved() -> bool | None:
            return None if any(self._matches(alert, name, labels) for alert in self.alerts()) else True

        self._wait(resolved, timeout, lambda: f"{name} {labels or {}} to resolve; active: {self.alerts()}")

    def wait_for_query(
        self,
        expr: str,
        predicate: Callable[[list[dict[str, Any]]], bool] = bool,
        timeout: float = 30.0,
    ) -> list[dict[str, Any]]:
        """Wait until `predicate(query(expr))` holds (by default: the result is not empty)."""

        def holds() -> list[dict[str, Any]] | None:
            result = self.query(expr)
            return result if predicate(result) else None

        return self._wait(holds, timeout, lambda: f"{expr!r}; last result: {self.query(expr)}")
