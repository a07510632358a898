"""Fixtures of the instrumentation library tests: a fresh registry per test."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from mcp_mesh_metrics import MeshMetrics, names
from mcp_mesh_metrics import tracking


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def metrics(registry: CollectorRegistry) -> MeshMetrics:
    return MeshMetrics(registry)


class ManualClock:
    """A stand-in for time.perf_counter that only moves when told to."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ManualClock:
    """Drives the clock the decorator reads, so durations are exact."""
    manual = ManualClock()
    monkeypatch.setattr(tracking, "perf_counter", manual)
    return manual


class Samples:
    """Reads the current value of the library's series from one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def requests(self, agent: str, method: str, status: str) -> float | None:
        return self.registry.get_sample_value(
            names.REQUESTS_TOTAL,
            {names.LABEL_AGENT: agent, names.LABEL_METHOD: method, names.LABEL_STATUS: status},
        )

    def duration(self, suffix: str, agent: str, method: str, **extra: str) -> float | None:
        return self.registry.get_sample_value(
            names.REQUEST_DURATION + suffix,
            {names.LABEL_AGENT: agent, names.LABEL_METHOD: method, **extra},
        )

    def in_flight(self, agent: str, connection_type: str = names.CONNECTION_TYPE_CLIENT) -> float | None:
        return self.registry.get_sample_value(
            names.CONNECTIONS_ACTIVE, {names.LABEL_AGENT: agent, names.LABEL_TYPE: connection_type}
        )

    def label_values(self, family_name: str, label: str) -> set[str]:
        """Every value ``label`` takes across the samples of one family."""
        return {
            sample.labels[label]
            for family in self.registry.collect()
            if family.name == family_name
            for sample in family.samples
            if label in sample.labels
        }


@pytest.fixture
def samples(registry: CollectorRegistry) -> Samples:
    return Samples(registry)
