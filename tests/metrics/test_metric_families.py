"""The guide's metric tests, and what the library registers where."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from mcp_mesh_metrics import BusinessMetrics, MeshMetrics, names, track_request

REPO_ROOT = Path(__file__).resolve().parents[2]


def exercise(metrics: MeshMetrics) -> None:
    """Give every core family at least one sample."""
    metrics.set_agent_info("weather-agent", version="1.0.0", capabilities=["weather_forecast"])
    metrics.set_registry_agents({"healthy": 3})
    metrics.track_request("weather-agent")(lambda: None)()


def test_all_core_metrics_are_registered_with_their_types(registry, metrics):
    exercise(metrics)
    types = {family.name: family.type for family in registry.collect()}
    assert types == {
        "mcp_mesh_agent": "info",
        "mcp_mesh_requests": "counter",
        "mcp_mesh_request_duration_seconds": "histogram",
        "mcp_mesh_connections_active": "gauge",
        "mcp_mesh_registry_agents_total": "gauge",
    }


def test_core_metrics_carry_the_guides_label_keys(registry, metrics):
    exercise(metrics)
    label_keys = {
        sample.name: set(sample.labels) - {"le"}
        for family in registry.collect()
        for sample in family.samples
        if not sample.name.endswith("_created")
    }
    assert label_keys[names.REQUESTS_TOTAL] == {"agent", "method", "status"}
    assert label_keys[names.REQUEST_DURATION_BUCKET] == {"agent", "method"}
    assert label_keys[names.CONNECTIONS_ACTIVE] == {"agent", "type"}
    assert label_keys[names.REGISTRY_AGENTS] == {"status"}
    assert label_keys[names.AGENT_INFO_SERIES] == {"agent", "version", "capabilities"}


def test_request_histogram_has_the_guides_buckets(registry, metrics):
    exercise(metrics)
    bounds = [
        sample.labels["le"]
        for family in registry.collect()
        for sample in family.samples
        if sample.name == names.REQUEST_DURATION_BUCKET
    ]
    assert bounds == ["0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1.0", "2.5", "5.0", "+Inf"]


def test_exposition_parses_and_every_family_is_a_documented_mcp_mesh_family(registry, metrics):
    exercise(metrics)
    business = BusinessMetrics(registry)
    business.record_revenue("analytics", 12.5, currency="EUR", product="plan")
    business.record_api_call("analytics", api_provider="payment-gateway", endpoint="validate")
    business.set_cache_hit_ratio("analytics", cache_type="redis", ratio=0.75)

    families = list(text_string_to_metric_families(generate_latest(registry).decode()))

    assert len(families) >= 8
    for family in families:
        assert family.name.startswith(names.METRIC_PREFIX)
        assert family.documentation
        assert family.type in ("counter", "gauge", "histogram", "summary")


def test_agent_info_is_exposed_as_an_info_series_with_its_labels(registry, metrics):
    metrics.set_agent_info(
        "weather-agent", version="2.1.0", capabilities=["weather_forecast", "weather_current"]
    )

    families = {f.name: f for f in text_string_to_metric_families(generate_latest(registry).decode())}

    [sample] = families[names.AGENT_INFO_SERIES].samples
    assert sample.name == names.AGENT_INFO_SERIES
    assert sample.value == 1
    assert sample.labels == {
        "agent": "weather-agent",
        "version": "2.1.0",
        "capabilities": "weather_current,weather_forecast",
    }


def test_setting_agent_info_again_replaces_the_previous_labels(registry, metrics):
    metrics.set_agent_info("weather-agent", version="1.0.0", capabilities="weather_forecast")
    metrics.set_agent_info("weather-agent", version="1.1.0", capabilities="weather_forecast")

    [family] = [f for f in registry.collect() if f.name == names.AGENT_INFO]
    assert [s.labels["version"] for s in family.samples] == ["1.1.0"]


def test_registry_agent_counts_are_set_per_status_and_missing_statuses_drop_to_zero(registry, metrics):
    metrics.set_registry_agents({"healthy": 4, "unhealthy": 1})
    metrics.set_registry_agents({"healthy": 5})

    def agents(status):
        return registry.get_sample_value(names.REGISTRY_AGENTS, {"status": status})

    assert (agents("healthy"), agents("unhealthy")) == (5, 0)


def test_the_cache_hit_ratio_is_published_as_a_percentage_and_checked(registry):
    business = BusinessMetrics(registry)
    business.set_cache_hit_ratio("analytics", cache_type="redis", ratio=0.25)

    labels = {"agent": "analytics", "cache_type": "redis"}
    assert registry.get_sample_value(names.CACHE_HIT_RATE, labels) == 25
    with pytest.raises(ValueError, match="ratio"):
        business.set_cache_hit_ratio("analytics", cache_type="redis", ratio=25)


def test_revenue_accumulates_amounts(registry):
    business = BusinessMetrics(registry)
    for amount in (10, 2.5, 0.25):
        business.record_revenue("analytics", amount, currency="USD", product="plan")

    labels = {"agent": "analytics", "currency": "USD", "product": "plan"}
    assert registry.get_sample_value(names.BUSINESS_REVENUE_TOTAL, labels) == 12.75


def test_metric_sets_are_shared_per_registry_and_kept_apart_between_registries(registry, metrics):
    other = CollectorRegistry()

    assert MeshMetrics.for_registry(registry) is metrics
    assert MeshMetrics.for_registry(other) is not metrics
    assert BusinessMetrics.for_registry(registry) is BusinessMetrics.for_registry(registry)


def test_decorators_aimed_at_one_registry_share_its_families(registry, samples):
    track_request("weather-agent", registry=registry)(lambda: None)()
    track_request("weather-agent", "other_method", registry=registry)(lambda: None)()

    assert samples.requests("weather-agent", "<lambda>", "success") == 1
    assert samples.requests("weather-agent", "other_method", "success") == 1


def test_a_second_metric_set_on_the_same_registry_is_refused(registry, metrics):
    with pytest.raises(ValueError, match="Duplicated"):
        MeshMetrics(registry)


def test_importing_the_library_registers_nothing_and_creates_no_registry():
    script = textwrap.dedent(
        """
        import prometheus_client
        import mcp_mesh_metrics
        from mcp_mesh_metrics import exposition, labels, metrics, names, tracking

        global_families = [f.name for f in prometheus_client.REGISTRY.collect()]
        assert not [n for n in global_families if n.startswith(names.METRIC_PREFIX)], global_families
        assert metrics._default_registry is None
        assert not list(metrics._metric_sets)

        mcp_mesh_metrics.track_request("weather-agent")(lambda: None)()
        default_families = [f.name for f in mcp_mesh_metrics.default_registry().collect()]
        assert names.REQUESTS in default_families, default_families
        global_families = [f.name for f in prometheus_client.REGISTRY.collect()]
        assert not [n for n in global_families if n.startswith(names.METRIC_PREFIX)], global_families
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
