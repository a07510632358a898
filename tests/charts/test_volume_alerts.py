"""The volume alerts (monitoring/volumes.py) watch the claims the chart and the
operator really create, through the kube-state-metrics the chart really runs."""

from __future__ import annotations

import re

from monitoring import conventions as c

RELEASE = "kube-prometheus-stack"


def _volume_exprs(stack) -> list[str]:
    return [r.expr for rule in stack.plan.prometheus_rules() for g in rule.groups
            if g.name == c.GROUP_VOLUMES for r in g.rules]


def test_the_grafana_claim_the_alerts_name_is_the_one_the_chart_creates(stack):
    release = stack.plan.settings.release_name
    [claim] = [o for o in stack.of_kind("PersistentVolumeClaim", RELEASE) if "grafana" in o["metadata"]["name"]]
    assert claim["metadata"]["name"] == c.grafana_fullname(release)
    exprs = _volume_exprs(stack)
    assert exprs and all(f'persistentvolumeclaim="{claim["metadata"]["name"]}"' in expr for expr in exprs)


def test_the_prometheus_claims_the_alerts_name_derive_from_the_rendered_prometheus(stack):
    release = stack.plan.settings.release_name
    prometheus = stack.one("Prometheus", RELEASE)
    name = prometheus["metadata"]["name"]
    # The operator: StatefulSet prometheus-<name>, claim template prometheus-<name>-db (none named in the spec).
    assert "metadata" not in prometheus["spec"]["storage"]["volumeClaimTemplate"]
    regex = c.prometheus_volume_claim_regex(release)
    for ordinal in range(prometheus["spec"]["replicas"]):
        assert re.fullmatch(regex, f"prometheus-{name}-db-prometheus-{name}-{ordinal}")


def test_kube_state_metrics_runs_and_is_scraped(stack):
    deployments = {o["metadata"]["name"] for o in stack.of_kind("Deployment", RELEASE)}
    monitors = {o["metadata"]["name"] for o in stack.of_kind("ServiceMonitor", RELEASE)}
    assert any("kube-state-metrics" in d for d in deployments)
    assert any("kube-state-metrics" in m for m in monitors)
