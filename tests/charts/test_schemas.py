"""Every object a stack sends to the cluster is one the API server accepts:
built-in kinds against the schemas of every supported Kubernetes version,
custom resources against the CRDs the stack's own CRD release installs (CEL
rules included)."""

from __future__ import annotations

import copy

import pytest

from monitoring import conventions as c
from tests.charts.kube import CrdValidator, NoSchema, schema_errors


@pytest.fixture(scope="module")
def crds(stack) -> CrdValidator:
    validator = CrdValidator(stack.releases["crds"])
    assert len(validator.schemas) >= 10, sorted(validator.schemas)
    return validator


def builtin_and_custom(stack, crds):
    builtin, custom = [], []
    for obj in stack.objects():
        (custom if crds.knows(obj) else builtin).append(obj)
    return builtin, custom


@pytest.mark.parametrize("version", c.KUBERNETES_VERSIONS)
def test_every_built_in_object_is_valid_for_the_kubernetes_version(stack, crds, version):
    builtin, _ = builtin_and_custom(stack, crds)
    assert len(builtin) > 50
    errors = []
    for obj in builtin:
        try:
            errors += schema_errors(obj, version)
        except NoSchema as missing:
            errors.append(f"neither Kubernetes {version} nor the CRDs define {missing}")
    assert errors == []


def test_every_custom_resource_is_valid_against_its_crd(stack, crds):
    _, custom = builtin_and_custom(stack, crds)
    kinds = {o["kind"] for o in custom}
    assert kinds >= {"Prometheus", "Alertmanager", "PrometheusRule", "ServiceMonitor", "PodMonitor"}
    errors = [f"{o['kind']} {o['metadata']['name']}: {e}" for o in custom for e in crds.errors(o)]
    assert errors == []


def test_the_validators_reject_what_the_api_server_rejects(stack, crds):
    deployment = copy.deepcopy(next(o for o in stack.objects() if o["kind"] == "Deployment"))
    deployment["spec"]["replicass"] = 2
    assert schema_errors(deployment, c.KUBERNETES_VERSIONS[0])

    prometheus = copy.deepcopy(stack.one("Prometheus", "kube-prometheus-stack"))
    prometheus["spec"]["retentionn"] = "1d"
    assert any("retentionn" in e for e in crds.errors(prometheus))

    # A CEL rule: a rollingUpdate block needs the RollingUpdate strategy type.
    prometheus = copy.deepcopy(stack.one("Prometheus", "kube-prometheus-stack"))
    prometheus["spec"]["updateStrategy"] = {"type": "OnDelete", "rollingUpdate": {"maxUnavailable": 1}}
    assert crds.errors(prometheus) == ["spec.updateStrategy: rollingUpdate requires type to be RollingUpdate"]
