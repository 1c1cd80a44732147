"""Gate (a): both overlays (and prod with the migration Job) build, with the expected objects."""

from __future__ import annotations

from collections import Counter

from .conftest import Built


def test_every_object_lives_in_the_overlay_namespace(build: Built) -> None:
    assert build.documents, f"{build.name} built nothing"
    for document in build.documents:
        where = f"{build.name}: {document['kind']}/{document['metadata']['name']}"
        if document["kind"] == "Namespace":
            assert document["metadata"]["name"] == build.namespace, where
        else:
            assert document["metadata"].get("namespace") == build.namespace, where


def test_no_secret_is_rendered(build: Built) -> None:
    # Secrets are created out of band (deploy/README.md): the repository holds no secret value.
    assert not build.of_kind("Secret")


def test_expected_objects(build: Built) -> None:
    kinds = Counter(d["kind"] for d in build.documents)
    for kind in (
        "Deployment", "Service", "ServiceAccount", "PodDisruptionBudget",
        "HorizontalPodAutoscaler", "ServiceMonitor",
    ):  # fmt: skip
        assert {build.get(kind, name)["kind"] for name in ("talent", "competition")} == {kind}
    assert kinds["PrometheusRule"] == 1
    assert kinds["Namespace"] == 1
    assert build.get("NetworkPolicy", "default-deny-all")["spec"] == {
        "podSelector": {},
        "policyTypes": ["Ingress", "Egress"],
    }
    if build.name == "dev":
        assert kinds["StatefulSet"] == 1 and kinds["Cluster"] == 0
    else:
        assert kinds["Cluster"] == 1 and kinds["StatefulSet"] == 0 and kinds["PodMonitor"] == 1
    assert kinds["Job"] == (2 if build.name == "prod-migration-job" else 0)


def test_replicas(build: Built) -> None:
    for name in ("talent", "competition"):
        replicas = build.get("Deployment", name)["spec"]["replicas"]
        hpa = build.get("HorizontalPodAutoscaler", name)["spec"]
        assert hpa["minReplicas"] <= replicas <= hpa["maxReplicas"]
        if build.name == "dev":
            assert replicas == 1
        else:
            assert replicas >= 2 and hpa["minReplicas"] >= 2
        assert hpa["metrics"][0]["resource"]["name"] == "cpu"


def test_prod_postgres_cluster(builds: dict[str, Built]) -> None:
    cluster = builds["prod"].get("Cluster", "suite-db")["spec"]
    assert cluster["instances"] == 3
    assert {role["name"] for role in cluster["managed"]["roles"]} == {"talent", "competition"}
    store = cluster["backup"]["barmanObjectStore"]
    assert store["destinationPath"].startswith("s3://REPLACE-ME")
    # Each service's DATABASE_URL reaches this cluster's primary through "suite-db-rw".
    assert cluster["inheritedMetadata"]["labels"]["app.kubernetes.io/component"] == "database"
