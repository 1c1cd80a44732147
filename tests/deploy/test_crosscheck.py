"""Gate (g): the Dockerfile, the manifests and the code agree.

Settings come from the settings classes themselves (``model_fields``, ``env_prefix``): renaming a
setting, changing a default port or adding a required setting breaks this test, not the deployment.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path
from typing import Any

import pytest

from services.common.server import LIVENESS
from services.common.settings import ServiceSettings
from services.competition.settings import CompetitionSettings
from services.portal.settings import PortalSettings
from services.talent.settings import TalentSettings

from .conftest import Built
from .dockerfile import parse

SETTINGS: dict[str, type[ServiceSettings]] = {"talent": TalentSettings, "competition": CompetitionSettings}
GRPC_SERVICE = {"talent": "talent.v1.TalentService", "competition": "competition.v1.CompetitionService"}
SECRET_PLACEHOLDER = "x" * 32


def prefix_of(cls: type[ServiceSettings]) -> str:
    prefix = cls.model_config.get("env_prefix")
    assert isinstance(prefix, str) and prefix, f"{cls.__name__} has no env_prefix"
    return prefix


def workloads(build: Built, service: str) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """(workload, pod spec) of every Deployment and Job running the service's image."""
    found = []
    for document in build.of_kind("Deployment") + build.of_kind("Job"):
        if document["spec"]["template"]["metadata"]["labels"].get("app.kubernetes.io/name") == service:
            found.append((document, document["spec"]["template"]["spec"]))
    assert found
    return found


def container_env(build: Built, container: dict[str, Any]) -> dict[str, str | None]:
    """Variable -> literal value, or None when it comes from a Secret."""
    env: dict[str, str | None] = {}
    for source in container.get("envFrom", []):
        assert "secretRef" not in source, "use secretKeyRef per variable so that names can be checked"
        config_map = build.get("ConfigMap", source["configMapRef"]["name"])
        env.update({k: str(v) for k, v in config_map["data"].items()})
    for variable in container.get("env", []):
        if "value" in variable:
            env[variable["name"]] = str(variable["value"])
        else:
            assert set(variable["valueFrom"]) == {"secretKeyRef"}, variable
            env[variable["name"]] = None
    return env


def settings_from(
    cls: type[ServiceSettings], env: dict[str, str | None], monkeypatch: pytest.MonkeyPatch
) -> ServiceSettings:
    prefix = prefix_of(cls)
    for field in cls.model_fields:
        monkeypatch.delenv((prefix + field).upper(), raising=False)
    for name, value in env.items():
        if value is None:
            value = "postgresql://user@db:5432/suite" if name.endswith("DATABASE_URL") else SECRET_PLACEHOLDER
        monkeypatch.setenv(name, value)
    return cls()


@pytest.mark.parametrize("service", list(SETTINGS))
def test_env_vars_are_real_settings_and_required_ones_are_set(
    build: Built, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = SETTINGS[service]
    prefix = prefix_of(cls)
    fields = cls.model_fields
    required = {name for name, info in fields.items() if info.is_required()}
    secret_fields = {"database_url", "jwt_key", "jwt_local_key", "page_token_secret", "pii_hash_key"} & set(fields)
    for workload, pod in workloads(build, service):
        where = f"{build.name} {workload['kind']}/{workload['metadata']['name']}"
        (container,) = pod["containers"]
        env = container_env(build, container)
        for name in env:
            assert name.startswith(prefix), f"{where}: {name} lacks the prefix {prefix}"
            assert name[len(prefix) :].lower() in fields, f"{where}: {name} is not a setting of {cls.__name__}"
        provided = {name[len(prefix) :].lower() for name in env}
        assert required <= provided, f"{where}: required settings not set: {required - provided}"
        # A real cluster never uses the embedded database.
        assert "database_url" in provided, f"{where}: {prefix}DATABASE_URL is not set"
        for name in secret_fields & provided:
            assert env[(prefix + name).upper()] is None, f"{where}: {name} must come from a Secret"
        settings = settings_from(cls, env, monkeypatch)  # the values are valid for the model
        assert settings.environment == ("dev" if build.name == "dev" else "prod")


@pytest.mark.parametrize("service", list(SETTINGS))
def test_ports_probes_and_grace_agree_with_settings(
    build: Built, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cls = SETTINGS[service]
    deployment = build.get("Deployment", service)
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    settings = settings_from(cls, container_env(build, container), monkeypatch)
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"grpc": settings.grpc_port, "metrics": settings.metrics_port}
    # Overriding a port in the ConfigMap is allowed, but the defaults are what the image EXPOSEs.
    defaults = {cls.model_fields["grpc_port"].default, cls.model_fields["metrics_port"].default}
    assert parse().exposed(service) == defaults
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["grpc"]["port"] == settings.grpc_port, probe
    readiness = container["readinessProbe"]["grpc"]["service"]
    assert readiness == GRPC_SERVICE[service]
    pb2 = importlib.import_module(f"protos.{service}.v1.{service}_pb2")
    assert readiness in {s.full_name for s in pb2.DESCRIPTOR.services_by_name.values()}
    # The health entry the server keeps SERVING through database outages (services.common.server).
    assert container["livenessProbe"]["grpc"]["service"] == LIVENESS
    grace = pod["terminationGracePeriodSeconds"]
    assert grace >= 30 and grace >= settings.shutdown_drain_seconds + settings.shutdown_grace_seconds + 10

    service_object = build.get("Service", service)
    assert {p["name"]: (p["port"], p["targetPort"]) for p in service_object["spec"]["ports"]} == {
        "grpc": (settings.grpc_port, "grpc"),
        "metrics": (settings.metrics_port, "metrics"),
    }
    assert service_object["spec"]["selector"].items() <= pod_labels(deployment).items()
    monitor = build.get("ServiceMonitor", service)["spec"]
    assert [e["port"] for e in monitor["endpoints"]] == ["metrics"]
    assert all(e.get("path", "/metrics") == "/metrics" for e in monitor["endpoints"])
    # Prometheus' job label is the value of the Service label named by jobLabel: "talent" / "competition".
    assert service_object["metadata"]["labels"][monitor["jobLabel"]] == service
    assert monitor["selector"]["matchLabels"].items() <= service_object["metadata"]["labels"].items()

    ingress = build.get("NetworkPolicy", f"{service}-ingress")["spec"]["ingress"]
    assert {p["port"] for rule in ingress for p in rule["ports"]} == {"grpc", "metrics"}


def pod_labels(workload: dict[str, Any]) -> dict[str, str]:
    labels: dict[str, str] = workload["spec"]["template"]["metadata"]["labels"]
    return labels


def test_cross_service_call_uses_the_talent_port(build: Built) -> None:
    egress = build.get("NetworkPolicy", "competition-egress")["spec"]["egress"]
    to_talent = [
        rule for rule in egress
        if any(peer.get("podSelector", {}).get("matchLabels", {}).get("app.kubernetes.io/name") == "talent"
               for peer in rule["to"])
    ]  # fmt: skip
    assert [p["port"] for rule in to_talent for p in rule["ports"]] == [
        TalentSettings.model_fields["grpc_port"].default
    ]


@pytest.mark.parametrize("service", list(SETTINGS))
def test_image_user_module_and_security_context(build: Built, service: str) -> None:
    dockerfile = parse()
    uid, gid = (int(x) for x in dockerfile.user(service).partition(":")[::2])
    module = dockerfile.entrypoint(service)[-1]
    assert module == f"services.{service}"
    assert importlib.util.find_spec(f"{module}.__main__") is not None, f"python -m {module} cannot run"
    for workload, pod in workloads(build, service):
        where = f"{build.name} {workload['kind']}/{workload['metadata']['name']}"
        assert pod["automountServiceAccountToken"] is False, where
        assert pod["serviceAccountName"] == service, where
        assert pod["securityContext"]["runAsUser"] == uid and pod["securityContext"]["runAsGroup"] == gid, where
        volumes = {v["name"]: v for v in pod["volumes"]}
        (container,) = pod["containers"]
        assert container["image"].rsplit(":", 1)[0].endswith(f"talent-suite/{service}"), where
        assert container["imagePullPolicy"] == "Always", where
        context = container["securityContext"]
        assert context["runAsUser"] == uid and context["runAsGroup"] == gid and context["runAsNonRoot"], where
        assert context["readOnlyRootFilesystem"] and context["allowPrivilegeEscalation"] is False, where
        assert context["capabilities"] == {"drop": ["ALL"]}, where
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        assert "emptyDir" in volumes[mounts["/tmp"]], where
        resources = container["resources"]
        assert {"cpu", "memory"} <= resources["requests"].keys() and {"cpu", "memory"} <= resources["limits"].keys()
        if workload["kind"] == "Job":
            assert container["args"] == ["migrate"], where
        else:
            assert "args" not in container and "command" not in container, where
            strategy = workload["spec"]["strategy"]
            assert strategy["rollingUpdate"]["maxUnavailable"] == 0, where
            spread = {c["topologyKey"] for c in pod["topologySpreadConstraints"]}
            assert "kubernetes.io/hostname" in spread, where


def test_dockerfile_uid_is_high() -> None:
    uid = int(parse().user("talent").partition(":")[0])
    assert uid >= 10000
    assert Path(__file__).resolve().parents[2].joinpath("services").is_dir()


def test_portal_env_ports_probes_and_security(build: Built, monkeypatch: pytest.MonkeyPatch) -> None:
    """The judges' portal: its variables are PortalSettings fields (secrets from the Secret), its ports
    are the settings' and the image's, HTTP probes hit the portal's health routes, and it may reach
    nothing but the competition service's gRPC port, which admits it by label."""
    deployment = build.get("Deployment", "portal")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    env = container_env(build, container)
    fields = PortalSettings.model_fields
    for name in env:
        assert name.startswith("PORTAL_") and name[len("PORTAL_") :].lower() in fields, name
    required = {name for name, info in fields.items() if info.is_required()}
    assert required <= {name[len("PORTAL_") :].lower() for name in env}
    assert env["PORTAL_SESSION_KEY"] is None and env["PORTAL_SERVICE_TOKEN"] is None
    for name in fields:
        monkeypatch.delenv(f"PORTAL_{name}".upper(), raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value if value is not None else SECRET_PLACEHOLDER)
    settings = PortalSettings()
    assert settings.environment == ("dev" if build.name == "dev" else "prod")
    assert settings.cookies_secure
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": settings.http_port, "metrics": settings.metrics_port}
    assert parse().exposed("portal") == {fields["http_port"].default, fields["metrics_port"].default}
    assert parse().entrypoint("portal") == ["python", "-m", "services.portal"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    competition_port = CompetitionSettings.model_fields["grpc_port"].default
    assert settings.competition_address == f"competition:{competition_port}"
    egress = build.get("NetworkPolicy", "portal-egress")["spec"]["egress"]
    assert [p["port"] for rule in egress for p in rule["ports"]] == [competition_port]
    label = pod_labels(deployment)["talent-suite.io/client"]
    admitted = build.get("NetworkPolicy", "competition-ingress")["spec"]["ingress"][0]["from"]
    assert any(
        label in e["values"] for peer in admitted for e in peer.get("podSelector", {}).get("matchExpressions", [])
    )
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] and context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]} and context["runAsNonRoot"]
    assert pod["automountServiceAccountToken"] is False and pod["serviceAccountName"] == "portal"
    service = build.get("Service", "portal")
    assert {p["name"]: p["port"] for p in service["spec"]["ports"]} == {
        "http": settings.http_port,
        "metrics": settings.metrics_port,
    }
    ingress = build.get("Ingress", "portal")["spec"]
    assert ingress["tls"] and ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]["port"]["name"] == "http"
    assert build.get("PodDisruptionBudget", "portal")["spec"]["maxUnavailable"] == 1
