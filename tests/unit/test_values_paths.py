"""Every Helm values path the program sets exists in the chart's own values.yaml.

Helm ignores a misspelt key silently, so a typo in a values path would deploy
defaults without a word. Each path is walked through the chart's reference
values.yaml; where the chart's default is an empty map or list (a free-form
field such as a label selector or a PVC template), the path must be one this
test lists by name, with the reason it is free-form.
"""

import tarfile
from typing import Any

import pytest
import yaml

from monitoring import conventions as c
from monitoring.plan import build_plan
from monitoring.settings import load_settings
from monitoring.stacks import load_stack, stack_names

REFERENCE_VALUES = {
    c.KUBE_PROMETHEUS_STACK_CHART: "kube-prometheus-stack/values.yaml",
    c.PROMETHEUS_OPERATOR_CRDS_CHART: "prometheus-operator-crds-chart/values.yaml",
    "prometheus-blackbox-exporter": "prometheus-blackbox-exporter/values.yaml",
}

# Subcharts whose own values.yaml (inside the pinned chart archive) holds keys
# the parent's values.yaml does not repeat: chart -> (archive, subchart).
SUBCHARTS = {
    c.KUBE_PROMETHEUS_STACK_CHART: ("charts/kube-prometheus-stack-88.5.3.tgz", "grafana"),
}

SPEC = "prometheus.prometheusSpec"
# Paths whose content the chart passes through without a schema of its own.
FREE_FORM = {
    f"{SPEC}.externalLabels": "map of label names to values",
    f"{SPEC}.resources": "Kubernetes ResourceRequirements",
    f"{SPEC}.storageSpec": "Prometheus StorageSpec (PVC template)",
    **{f"{SPEC}.{kind}{suffix}": "Kubernetes LabelSelector"
       for kind in c.SELECTED_KINDS for suffix in ("Selector", "NamespaceSelector")},
    "alertmanager.config": "alertmanager.yml (checked by amtool in test_alertmanager_config)",
    # grafana is a subchart: its values.yaml documents persistence only in a comment.
    "grafana.persistence": "grafana subchart's persistence block",
}


def _merge(base: Any, extra: Any) -> Any:
    """``base`` with the keys of ``extra`` it lacks (the parent chart's values win)."""
    if not isinstance(base, dict) or not isinstance(extra, dict):
        return base
    merged = dict(extra)
    for key, value in base.items():
        merged[key] = _merge(value, extra.get(key)) if key in extra else value
    return merged


def reference_values(reference_dir, chart: str) -> dict[str, Any]:
    """The chart's values.yaml, with its subcharts' own values under their keys."""
    values = yaml.safe_load((reference_dir / REFERENCE_VALUES[chart]).read_text())
    if chart in SUBCHARTS:
        archive, subchart = SUBCHARTS[chart]
        with tarfile.open(reference_dir / archive) as tar:
            member = tar.extractfile(f"{chart}/charts/{subchart}/values.yaml")
            values[subchart] = _merge(values.get(subchart, {}), yaml.safe_load(member.read()))
    return values


def unknown_paths(ours: Any, reference: Any, prefix: str = "") -> list[str]:
    """Paths set in ``ours`` that the reference values do not have."""
    problems = []
    for key, value in ours.items():
        path = f"{prefix}.{key}" if prefix else key
        if path in FREE_FORM:
            continue
        if not isinstance(reference, dict) or key not in reference:
            problems.append(path)
            continue
        ref = reference[key]
        if isinstance(value, dict):
            if isinstance(ref, dict) and ref:
                problems += unknown_paths(value, ref, path)
            else:
                problems.append(f"{path} (free-form in the chart: list it in FREE_FORM with a reason)")
    return problems


def _variants():
    for stack in stack_names():
        yield stack, build_plan(load_stack(stack))
    full = load_settings("full", {
        "cluster": "c1", "region": "r1",
        "remoteWrite": [{"name": "mimir", "url": "https://mimir.example.com/api/v1/push",
                         "tenant": "mesh", "basicAuth": True}],
    })
    yield "remote-write", build_plan(full)


@pytest.mark.parametrize("label, plan", list(_variants()), ids=lambda v: v if isinstance(v, str) else "")
def test_every_values_path_exists_in_the_charts_values(label, plan, reference_dir):
    for release in plan.releases:
        reference = reference_values(reference_dir, release.chart)
        assert unknown_paths(dict(release.values), reference) == [], f"{label}: {release.chart}"


def test_the_checker_catches_a_misspelt_key(reference_dir):
    reference = yaml.safe_load((reference_dir / REFERENCE_VALUES[c.KUBE_PROMETHEUS_STACK_CHART]).read_text())
    typo = {"prometheus": {"prometheusSpec": {"retension": "30d", "retention": "30d"}}, "grafanna": {}}
    assert unknown_paths(typo, reference) == ["prometheus.prometheusSpec.retension", "grafanna"]
    free_form = {"prometheus": {"prometheusSpec": {"podMetadata": {"labels": {"a": "b"}}}}}
    assert unknown_paths(free_form, reference) == [
        "prometheus.prometheusSpec.podMetadata (free-form in the chart: list it in FREE_FORM with a reason)"]


def test_grafana_subchart_keys_are_checked_too(reference_dir):
    reference = reference_values(reference_dir, c.KUBE_PROMETHEUS_STACK_CHART)
    sidecar = {"grafana": {"sidecar": {"dashboards": {"folderAnnotation": "x", "folderAnotation": "x"}}}}
    assert unknown_paths(sidecar, reference) == ["grafana.sidecar.dashboards.folderAnotation"]
