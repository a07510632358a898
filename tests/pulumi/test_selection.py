"""Every custom resource the program registers is picked up by its stack's Prometheus.

The selector contract (monitoring/conventions.py): the Helm values give the
Prometheus explicit label and namespace selectors per kind; each CR must match
both, or the operator silently ignores it. This evaluates those selectors,
as Kubernetes does, against what the program registers under mocks.
"""

import pytest

from monitoring import conventions as c
from monitoring.stacks import stack_names
from tests.pulumi.harness import run_program, stack_config

CR_PREFIX = "kubernetes:monitoring.coreos.com/"


def matches(selector: dict, labels: dict) -> bool:
    """A Kubernetes LabelSelector (matchLabels and matchExpressions) against labels."""
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr["key"], expr["operator"], expr.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def test_the_matcher_rejects_what_kubernetes_rejects():
    selector = {"matchLabels": {"release": "prometheus"}}
    assert matches(selector, {"release": "prometheus", "x": "y"})
    assert not matches(selector, {"release": "other"})
    assert not matches(selector, {})
    assert not matches({"matchExpressions": [{"key": "a", "operator": "In", "values": ["b"]}]}, {"a": "c"})


@pytest.fixture(scope="module", params=stack_names())
def run(request):
    stack = request.param
    secrets = {} if stack == "dev" else {c.SECRET_SLACK_WEBHOOK: "https://hooks.slack.example/select"}
    run = run_program(stack, stack_config(stack), secrets)
    assert run.registrations, "the program registered nothing"
    return run


def test_every_custom_resource_is_selected_by_the_stacks_prometheus(run):
    release = next(r for r in run.by_type("kubernetes:helm.sh/v3:Release") if r.inputs["chart"] == c.KUBE_PROMETHEUS_STACK_CHART)
    spec = release.inputs["values"]["prometheus"]["prometheusSpec"]
    namespace = run.one("kubernetes:core/v1:Namespace").inputs["metadata"]
    # Kubernetes labels every namespace with its own name.
    namespace_labels = {**namespace.get("labels", {}), c.NAMESPACE_NAME_LABEL: namespace["name"]}
    crds = next(r for r in run.by_type("kubernetes:helm.sh/v3:Release") if r.inputs["name"] == c.CRDS_RELEASE_NAME)
    crs = [r for r in run.registrations if r.type.startswith(CR_PREFIX)]
    assert {r.inputs["kind"] for r in crs} >= {"ServiceMonitor", "PodMonitor", "PrometheusRule"}
    for cr in crs:
        kind, meta = cr.inputs["kind"], cr.inputs["metadata"]
        key = c.CUSTOM_RESOURCE_KINDS[kind]
        assert cr.type == f"{CR_PREFIX}{cr.inputs['apiVersion'].split('/')[1]}:{kind}"
        assert spec[f"{key}SelectorNilUsesHelmValues"] is False
        assert matches(spec[f"{key}Selector"], meta.get("labels", {})), (kind, meta)
        assert meta["namespace"] == namespace["name"], (kind, meta)
        assert matches(spec[f"{key}NamespaceSelector"], namespace_labels), kind
        assert crds.urn in cr.dependencies, (kind, meta["name"])
