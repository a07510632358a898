"""The cardinality guard: label values stay bounded."""

from __future__ import annotations

import logging
import threading

import pytest

from mcp_mesh_metrics import BusinessMetrics, LabelGuard, MeshMetrics, names

GUARD_LOGGER = "mcp_mesh_metrics.labels"


def guard_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == GUARD_LOGGER and r.levelno == logging.WARNING]


def test_methods_past_the_limit_share_the_other_series_with_a_single_warning(registry, samples, caplog):
    metrics = MeshMetrics(registry, guard=LabelGuard(limit=3))

    with caplog.at_level(logging.WARNING, logger=GUARD_LOGGER):
        for i in range(7):
            metrics.track_request("weather-agent", f"tool_{i}")(lambda: None)()

    assert samples.label_values(names.REQUESTS, names.LABEL_METHOD) == {
        "tool_0",
        "tool_1",
        "tool_2",
        names.OTHER_LABEL_VALUE,
    }
    assert samples.requests("weather-agent", names.OTHER_LABEL_VALUE, names.STATUS_SUCCESS) == 4
    [warning] = guard_warnings(caplog)
    assert "'method'" in warning.getMessage()


def test_values_outside_an_allowed_set_fold_into_other_with_one_warning_per_label(caplog):
    guard = LabelGuard(allowed={"currency": {"USD", "EUR"}, "cache_type": {"redis"}})

    with caplog.at_level(logging.WARNING, logger=GUARD_LOGGER):
        folded = [
            guard.fold("currency", "USD"),
            guard.fold("currency", "XTS"),
            guard.fold("currency", "JPY"),
            guard.fold("cache_type", "memcached"),
            guard.fold("cache_type", "redis"),
        ]

    assert folded == ["USD", "other", "other", "other", "redis"]
    assert len(guard_warnings(caplog)) == 2


def test_values_admitted_before_the_limit_keep_their_own_series():
    guard = LabelGuard(limit=2)

    first = [guard.fold("product", value) for value in ("a", "b", "c")]
    again = [guard.fold("product", value) for value in ("a", "b", "c")]

    assert first == again == ["a", "b", "other"]


def test_other_itself_passes_and_uses_none_of_the_budget():
    guard = LabelGuard(limit=1)

    folded = [guard.fold("endpoint", value) for value in ("other", "validate", "charge")]

    assert folded == ["other", "validate", "other"]


def test_each_label_has_its_own_budget():
    guard = LabelGuard(limit=1)

    assert [guard.fold("product", "plan"), guard.fold("currency", "USD")] == ["plan", "USD"]


def test_business_labels_from_request_data_never_exceed_the_limit(registry, caplog):
    business = BusinessMetrics(registry, guard=LabelGuard(limit=5))

    with caplog.at_level(logging.WARNING, logger=GUARD_LOGGER):
        for order in range(200):
            business.record_revenue("analytics", 1, currency="USD", product=f"sku-{order}")

    products = {
        sample.labels["product"]
        for family in registry.collect()
        if family.name == names.BUSINESS_REVENUE
        for sample in family.samples
    }
    assert len(products) == 6 and names.OTHER_LABEL_VALUE in products
    labels = {"agent": "analytics", "currency": "USD", "product": names.OTHER_LABEL_VALUE}
    assert registry.get_sample_value(names.BUSINESS_REVENUE_TOTAL, labels) == 195
    assert len(guard_warnings(caplog)) == 1


def test_the_limit_holds_when_threads_race_for_the_last_slots():
    guard = LabelGuard(limit=10)
    start = threading.Barrier(8)
    admitted: set[str] = set()
    lock = threading.Lock()

    def fold_many(worker: int) -> None:
        start.wait(timeout=10)
        for i in range(50):
            value = guard.fold("endpoint", f"/w{worker}/{i}")
            with lock:
                admitted.add(value)

    threads = [threading.Thread(target=fold_many, args=(w,)) for w in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)

    assert len(admitted - {names.OTHER_LABEL_VALUE}) == 10


def test_a_limit_below_one_is_rejected():
    with pytest.raises(ValueError, match="limit"):
        LabelGuard(limit=0)
