"""What the settings say is what the chart renders: the Prometheus object's
storage, retention, resources, replicas, intervals and external labels, and
the StorageClass its volume claims use. Helm coalesces the program's values
with the chart's defaults and the templates rename some of them
(``storageSpec`` becomes ``storage``), so these are read from the rendered
objects, not from the values."""

from __future__ import annotations

from monitoring.stacks import plan_stack
from tests.charts.conftest import render_stack


def test_prometheus_keeps_what_the_settings_say(stack):
    settings = stack.plan.settings
    p = settings.prometheus
    spec = stack.one("Prometheus", "kube-prometheus-stack")["spec"]
    assert (spec["retention"], spec["retentionSize"]) == (p.retention, p.retention_size)
    assert spec["replicas"] == p.replicas
    assert (spec["scrapeInterval"], spec["evaluationInterval"]) == (p.scrape_interval, p.evaluation_interval)
    assert spec["enableFeatures"] == [f.value for f in p.enable_features]
    assert spec["resources"] == {
        "requests": {"cpu": p.resources.cpu_request, "memory": p.resources.memory_request},
        "limits": {"cpu": p.resources.cpu_limit, "memory": p.resources.memory_limit},
    }


def test_prometheus_external_labels_name_the_cluster_and_region(stack):
    settings = stack.plan.settings
    labels = stack.one("Prometheus", "kube-prometheus-stack")["spec"]["externalLabels"]
    assert labels == dict(settings.external_labels)
    assert labels["cluster"] == settings.cluster
    assert labels["region"] == (settings.region or "local")


def test_prometheus_volume_claims_the_configured_size_class_and_modes(stack):
    storage = stack.plan.settings.storage
    claim = stack.one("Prometheus", "kube-prometheus-stack")["spec"]["storage"]["volumeClaimTemplate"]["spec"]
    assert claim["resources"]["requests"]["storage"] == storage.size
    assert claim["accessModes"] == [m.value for m in storage.access_modes]
    assert claim.get("storageClassName", "") == storage.class_name


def test_a_named_storage_class_is_created_by_the_stack_when_it_says_so(stack):
    storage = stack.plan.settings.storage
    classes = {o["metadata"]["name"]: o for o in stack.of_kind("StorageClass")}
    if storage.create_class:
        assert storage.class_name in classes
        created = classes[storage.class_name]
        assert created["reclaimPolicy"] == storage.reclaim_policy.value
        assert created["allowVolumeExpansion"] is storage.allow_volume_expansion
    else:
        assert classes == {}


def test_the_stack_files_figures_arrive_as_the_readme_states():
    # The README's table: dev 5Gi / 2d on the cluster's default class; prod 100Gi / 30d (50GB) on fast-ssd.
    dev = render_stack("dev", plan_stack("dev")).one("Prometheus", "kube-prometheus-stack")["spec"]
    assert (dev["retention"], dev["storage"]["volumeClaimTemplate"]["spec"]["resources"]["requests"]["storage"]) \
        == ("2d", "5Gi")
    assert "storageClassName" not in dev["storage"]["volumeClaimTemplate"]["spec"]
    prod = render_stack("prod-eu-west-1", plan_stack("prod-eu-west-1")).one("Prometheus", "kube-prometheus-stack")
    claim = prod["spec"]["storage"]["volumeClaimTemplate"]["spec"]
    assert (prod["spec"]["retention"], prod["spec"]["retentionSize"]) == ("30d", "50GB")
    assert (claim["storageClassName"], claim["resources"]["requests"]["storage"]) == ("fast-ssd", "100Gi")
    assert prod["spec"]["externalLabels"] == {"cluster": "prod-eu-west-1", "region": "eu-west-1"}
