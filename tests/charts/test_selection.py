"""The selector contract, on what Helm really renders: the Prometheus object the
chart creates from the program's values selects every custom resource the
program creates, by labels and by namespace, and so does its rule selector for
the chart's own default rules."""

from __future__ import annotations

from monitoring import conventions as c
from tests.pulumi.test_selection import matches

# Prometheus spec field prefix of each selected kind.
SELECTOR_FIELD = {"ServiceMonitor": "serviceMonitor", "PodMonitor": "podMonitor", "Probe": "probe",
                  "PrometheusRule": "rule", "ScrapeConfig": "scrapeConfig"}


def namespace_labels(stack) -> dict[str, str]:
    namespace = stack.one("Namespace")["metadata"]
    # Kubernetes labels every namespace with its own name.
    return {**namespace.get("labels", {}), c.NAMESPACE_NAME_LABEL: namespace["name"]}


def selected(prometheus: dict, cr: dict, ns_labels: dict[str, str]) -> bool:
    spec = prometheus["spec"]
    field = SELECTOR_FIELD[cr["kind"]]
    selector = spec.get(f"{field}Selector")
    namespace_selector = spec.get(f"{field}NamespaceSelector")
    # The operator: a nil selector selects nothing; a nil namespace selector
    # means the Prometheus object's own namespace only.
    if selector is None:
        return False
    if namespace_selector is None:
        in_namespace = cr["metadata"].get("namespace") == prometheus["metadata"]["namespace"]
    else:
        in_namespace = matches(namespace_selector, ns_labels)
    return matches(selector, cr["metadata"].get("labels") or {}) and in_namespace


def test_the_chart_renders_one_prometheus_in_the_stacks_namespace(stack):
    prometheus = stack.one("Prometheus", "kube-prometheus-stack")
    assert prometheus["metadata"]["namespace"] == stack.plan.settings.namespace


def test_every_custom_resource_of_the_program_is_selected(stack):
    prometheus = stack.one("Prometheus", "kube-prometheus-stack")
    ns_labels = namespace_labels(stack)
    crs = [cr.to_manifest() for cr in stack.plan.custom_resources]
    assert {cr["kind"] for cr in crs} >= {"ServiceMonitor", "PodMonitor", "PrometheusRule"}
    for cr in crs:
        assert cr["metadata"]["namespace"] == stack.plan.settings.namespace, cr["metadata"]
        assert selected(prometheus, cr, ns_labels), f"{cr['kind']} {cr['metadata']['name']} is not selected"


def test_the_charts_own_monitors_and_rules_are_selected(stack):
    prometheus = stack.one("Prometheus", "kube-prometheus-stack")
    ns_labels = namespace_labels(stack)
    chart_crs = [o for o in stack.releases["kube-prometheus-stack"] if o["kind"] in SELECTOR_FIELD]
    assert any(o["kind"] == "PrometheusRule" for o in chart_crs)
    for cr in chart_crs:
        assert selected(prometheus, cr, ns_labels), f"{cr['kind']} {cr['metadata']['name']} is not selected"


def test_a_resource_without_the_release_label_or_elsewhere_is_not_selected(stack):
    prometheus = stack.one("Prometheus", "kube-prometheus-stack")
    ns_labels = namespace_labels(stack)
    [cr] = [cr.to_manifest() for cr in stack.plan.custom_resources if cr.kind == "PodMonitor"][:1]
    assert selected(prometheus, cr, ns_labels)
    unlabelled = {**cr, "metadata": {**cr["metadata"], "labels": {}}}
    assert not selected(prometheus, unlabelled, ns_labels)
    assert not selected(prometheus, cr, {c.NAMESPACE_NAME_LABEL: "elsewhere"})
