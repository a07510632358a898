"""No alert for what cannot be scraped, on every cluster flavour.

Every alert of the chart's default rules that names a ``job`` must have a
scrape job of that name among the monitors the stack renders; and on a managed
cluster (EKS, GKE, AKS) nothing may be scraped that the provider hides. What
the providers hide is stated here from their documentation, apart from the
program's own table, so the two are checked against each other.
"""

from __future__ import annotations

import re

import pytest

from monitoring.plan import build_plan
from monitoring.settings import ClusterFlavour, load_settings
from monitoring.stacks import load_stack, read_stack_config, stack_names
from tests.charts.conftest import render_stack
from tests.pulumi.test_selection import matches

# Services the cluster itself provides, which the chart's monitors select:
# Kubernetes' own `kubernetes` Service, and the kubelet Service the operator
# maintains (--kubelet-service=kube-system/<release>-kubelet, labelled k8s-app=kubelet).
CLUSTER_SERVICES = (
    {"metadata": {"name": "kubernetes", "namespace": "default",
                  "labels": {"component": "apiserver", "provider": "kubernetes"}}},
    {"metadata": {"name": "kubelet", "namespace": "kube-system",
                  "labels": {"app.kubernetes.io/name": "kubelet", "k8s-app": "kubelet"}}},
)
# Pods a managed control plane does not run in the cluster, or whose metrics
# listen on the node's loopback (kube-proxy), as the chart's Services select them.
HIDDEN_ON_MANAGED = (
    {"component": "kube-controller-manager"},
    {"component": "kube-scheduler"},
    {"component": "etcd"},
    {"k8s-app": "kube-proxy"},
)
MANAGED = (ClusterFlavour.EKS, ClusterFlavour.GKE, ClusterFlavour.AKS)
JOB_MATCHER = re.compile(r'\bjob\s*(=~|=)\s*"([^"]*)"')


def scrape_jobs(objects: list[dict]) -> set[str]:
    """The ``job`` label of every target the rendered ServiceMonitors find (Services
    matched by selector and namespace; job from ``jobLabel``, else the Service name)."""
    services = [o for o in objects if o["kind"] == "Service"] + list(CLUSTER_SERVICES)
    jobs = set()
    for monitor in (o for o in objects if o["kind"] == "ServiceMonitor"):
        spec = monitor["spec"]
        namespaces = (spec.get("namespaceSelector") or {}).get("matchNames") or [monitor["metadata"]["namespace"]]
        for service in services:
            meta = service["metadata"]
            if meta.get("namespace") in namespaces and matches(spec["selector"], meta.get("labels") or {}):
                jobs.add((meta.get("labels") or {}).get(spec.get("jobLabel", ""), meta["name"]))
    return jobs


def alert_jobs(objects: list[dict]) -> dict[str, list[tuple[str, str]]]:
    """Alert name -> the positive job matchers of its expression."""
    out = {}
    for rule_cr in (o for o in objects if o["kind"] == "PrometheusRule"):
        for group in rule_cr["spec"]["groups"]:
            for rule in group["rules"]:
                if "alert" in rule:
                    out.setdefault(rule["alert"], []).extend(JOB_MATCHER.findall(rule["expr"]))
    return out


def unscraped_alerts(objects: list[dict]) -> list[str]:
    jobs = scrape_jobs(objects)
    out = []
    for alert, matchers in alert_jobs(objects).items():
        for op, value in matchers:
            found = value in jobs if op == "=" else any(re.fullmatch(value, j) for j in jobs)
            if not found:
                out.append(f"{alert} reads job{op}{value!r}, which nothing scrapes")
    return out


def hidden_services(objects: list[dict]) -> list[str]:
    return [o["metadata"]["name"] for o in objects if o["kind"] == "Service"
            and any(o["spec"].get("selector") and matches({"matchLabels": o["spec"]["selector"]}, hidden)
                    for hidden in HIDDEN_ON_MANAGED)]


def flavour_stack(flavour: ClusterFlavour):
    plain, _ = read_stack_config("prod-us-east-1")
    settings = load_settings("prod-us-east-1", {**plain, "clusterFlavour": flavour.value})
    return render_stack(f"prod-us-east-1/{flavour}", build_plan(settings))


def test_every_alert_of_the_chart_reads_a_job_the_stack_scrapes(stack):
    objects = stack.releases["kube-prometheus-stack"]
    assert alert_jobs(objects), "the chart rendered no alerts"
    assert unscraped_alerts(objects) == []


@pytest.mark.parametrize("flavour", MANAGED, ids=str)
def test_a_managed_cluster_scrapes_nothing_the_provider_hides(flavour):
    objects = flavour_stack(flavour).releases["kube-prometheus-stack"]
    assert hidden_services(objects) == []
    alerts = alert_jobs(objects)
    assert not {"KubeControllerManagerDown", "KubeSchedulerDown", "KubeProxyDown"} & set(alerts)
    assert not [a for a in alerts if a.startswith("etcd")]
    assert unscraped_alerts(objects) == []
    # The API server and kubelets stay monitored: managed planes expose both.
    assert {"apiserver", "kubelet"} <= scrape_jobs(objects)
    assert {"KubeAPIDown", "KubeletDown"} <= set(alerts)


def test_a_self_managed_cluster_keeps_every_control_plane_monitor():
    objects = flavour_stack(ClusterFlavour.SELF_MANAGED).releases["kube-prometheus-stack"]
    assert {"kube-controller-manager", "kube-scheduler", "kube-etcd", "kube-proxy"} <= scrape_jobs(objects)
    assert {"KubeControllerManagerDown", "KubeSchedulerDown", "KubeProxyDown"} <= set(alert_jobs(objects))


def test_gke_scrapes_kube_dns_and_the_others_coredns():
    assert "kube-dns" in scrape_jobs(flavour_stack(ClusterFlavour.GKE).releases["kube-prometheus-stack"])
    assert "coredns" in scrape_jobs(flavour_stack(ClusterFlavour.EKS).releases["kube-prometheus-stack"])


def test_the_check_finds_an_alert_left_for_a_component_switched_off():
    objects = flavour_stack(ClusterFlavour.EKS).releases["kube-prometheus-stack"]
    rule = {"kind": "PrometheusRule", "spec": {"groups": [{"rules": [
        {"alert": "KubeSchedulerDown", "expr": 'absent(up{job="kube-scheduler"} == 1)'}]}]}}
    assert unscraped_alerts([*objects, rule]) == ["KubeSchedulerDown reads job='kube-scheduler', which nothing scrapes"]


def test_every_production_stack_names_its_managed_flavour():
    for name in stack_names():
        settings = load_stack(name)
        if settings.protect:
            assert settings.cluster_flavour in MANAGED, name
