"""Dashboards: built by Grafana's SDK, faithful to its model, and reading only series that exist."""

from __future__ import annotations

import json
import inspect

import promql_parser
import pytest
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.cog.plugins import register_default_plugins
from grafana_foundation_sdk.models import dashboard as gm
from grafana_foundation_sdk.models import prometheus as pm

from mcp_mesh_metrics import names as metric_names_module
from monitoring import conventions as c
from monitoring import dashboards, federation, queries, rules
from monitoring.plan import build_plan
from monitoring.resources import AlertingRule, RecordingRule
from monitoring.roles import profile
from monitoring.settings import Role, load_settings
from monitoring.stacks import load_stack, stack_names
from tests.grafana import expand, functions, metric_names, panel_queries, variable_queries

register_default_plugins()

# Series neither the program's rules nor the instrumentation library define,
# and why a dashboard may read them.
SELF_METRICS = {
    c.UP: "Prometheus writes it for every target it scrapes",
    c.ALERTS_SERIES: "Prometheus writes it for every pending or firing alert",
    c.SCRAPE_DURATION: "Prometheus writes it for every scrape",
    c.SCRAPE_SAMPLES_SCRAPED: "Prometheus writes it for every scrape",
    c.PROBE_SUCCESS: "the blackbox exporter's result of each probe",
    c.PROBE_DURATION: "the blackbox exporter's duration of each probe",
    c.PROCESS_RSS: "Prometheus' own /metrics, which the chart's Prometheus scrapes (job <fullname>-prometheus)",
    c.TSDB_HEAD_SERIES: "Prometheus' own /metrics",
    c.TSDB_SAMPLES_APPENDED: "Prometheus' own /metrics",
    c.RULE_GROUP_LAST_DURATION: "Prometheus' own /metrics",
    c.RULE_EVALUATION_FAILURES: "Prometheus' own /metrics",
    c.REMOTE_WRITE_FAILED: "Prometheus' own /metrics, per remote-write queue",
    c.REMOTE_WRITE_SENT: "Prometheus' own /metrics, per remote-write queue",
    c.REMOTE_WRITE_HIGHEST_TS: "Prometheus' own /metrics",
    c.REMOTE_WRITE_SENT_TS: "Prometheus' own /metrics, per remote-write queue",
    c.HTTP_REQUESTS: "Prometheus' own /metrics, per HTTP handler",
}
LIBRARY_METRICS = {v for k, v in vars(metric_names_module).items()
                   if k.isupper() and isinstance(v, str) and v.startswith(metric_names_module.METRIC_PREFIX)}


def _variants():
    for stack in stack_names():
        yield stack, load_stack(stack)
    yield "remote-write", load_settings("remote-write", {
        "cluster": "c1", "region": "r1",
        "remoteWrite": [{"name": "mimir", "url": "https://mimir.example.com/api/v1/push"}]})
    yield "registry-metrics", load_settings("registry-metrics", {
        "cluster": "c1", "region": "r1", "registryServesMetrics": True})


VARIANTS = list(_variants())
BOARDS = [(label, board) for label, settings in VARIANTS for board in dashboards.dashboards(settings)]
IDS = [f"{label}/{board.uid}" for label, board in BOARDS]


def _recorded(settings) -> set[str]:
    """Recorded series a stack's Prometheus holds: its own records, or on the global stack the federated ones."""
    if settings.role is Role.GLOBAL:
        return set(federation.federated_records(settings))
    return {r.record for g in rules.rule_groups(settings) for r in g.rules if isinstance(r, RecordingRule)}


def _settings(label):
    return dict(VARIANTS)[label]


@pytest.mark.parametrize("label, board", BOARDS, ids=IDS)
def test_the_json_round_trips_through_the_sdk_model(label, board):
    data = board.to_json()
    model = gm.Dashboard.from_json(data)
    assert json.loads(json.dumps(model, cls=JSONEncoder)) == data
    targets = [t for p in model.panels for t in p.targets]
    assert targets and all(isinstance(t, pm.Dataquery) for t in targets)


@pytest.mark.parametrize("label, board", BOARDS, ids=IDS)
def test_every_query_parses_and_reads_only_series_that_exist(label, board):
    settings = _settings(label)
    known = _recorded(settings) | LIBRARY_METRICS | set(SELF_METRICS)
    data = board.to_json()
    expressions = [(f"panel {title!r}", e) for title, e in panel_queries(data)]
    expressions += [(f"variable {name!r}", e) for name, e in variable_queries(data)]
    assert expressions
    for owner, expr in expressions:
        expanded = expand(expr, agent=".*")
        promql_parser.parse(expanded)
        names = metric_names(expanded)
        assert names <= known, f"{board.uid} {owner}: unknown series {sorted(names - known)}"
        # Percentiles come from the recorded p95 (which leaves idle agents out), never computed in a panel.
        assert "histogram_quantile" not in functions(expanded), f"{board.uid} {owner}"


def test_every_record_the_global_stack_federates_is_read_by_its_dashboards_or_alerts():
    settings = load_stack("prod")
    read = set()
    for board in dashboards.dashboards(settings):
        data = board.to_json()
        for _, expr in [*panel_queries(data), *variable_queries(data)]:
            read |= metric_names(expand(expr, agent=".*"))
    for group in federation.federation_rules(settings).groups:
        read |= {name for rule in group.rules for name in metric_names(rule.expr)}
    federated = set(federation.federated_records(settings))
    # Nothing fetched for nothing (per agent, every record costs each fetch).
    assert federated and federated <= read, sorted(federated - read)


def _role_variants():
    """Every stack file, and a stack of every role with every registry variant."""
    yield from VARIANTS
    federated = {"federationTargets": [{"cluster": "a", "region": "r", "endpoint": "a.example.com:9090"}]}
    for role in Role:
        for extra in ({}, {"registryServesMetrics": True}, {"blackboxExporterEnabled": False}):
            yield f"{role}-{'-'.join(extra) or 'defaults'}", load_settings(f"{role}", {
                "cluster": "c1", "region": "r1", "role": str(role), **extra,
                **(federated if profile(role).federates else {})})


ALERT_VARIANTS = list(_role_variants())


def test_every_role_is_among_the_stacks_whose_alerts_are_checked():
    assert {s.role for _, s in ALERT_VARIANTS} == set(Role)


@pytest.mark.parametrize("label, settings", ALERT_VARIANTS, ids=[label for label, _ in ALERT_VARIANTS])
def test_no_alert_the_program_generates_evaluates_a_raw_histogram_quantile(label, settings):
    custom = {r.alert for r in settings.rules.custom if isinstance(r, AlertingRule)}
    generated = [rule for cr in build_plan(settings).prometheus_rules() for group in cr.groups
                 for rule in group.rules if isinstance(rule, AlertingRule) and rule.alert not in custom]
    assert generated
    for rule in generated:
        # Alerts read the recorded p95; a quantile over raw buckets would be
        # the most expensive query of every evaluation.
        assert "histogram_quantile" not in functions(rule.expr), f"{label}: {rule.alert}"


@pytest.mark.parametrize("label, board", BOARDS, ids=IDS)
def test_every_panel_has_a_description_unit_thresholds_and_the_datasource_variable(label, board):
    data = board.to_json()
    assert data["editable"] is False
    [datasource] = [v for v in data["templating"]["list"] if v["type"] == "datasource"]
    assert (datasource["name"], datasource["query"]) == (c.DATASOURCE_VARIABLE, "prometheus")
    ref = {"type": "prometheus", "uid": f"${{{c.DATASOURCE_VARIABLE}}}"}
    titles = [p["title"] for p in data["panels"]]
    assert len(titles) == len(set(titles)), "panel titles identify panels in render --diff"
    for panel in data["panels"]:
        where = f"{board.uid} {panel['title']!r}"
        assert panel["description"], where
        defaults = panel["fieldConfig"]["defaults"]
        assert defaults["unit"], where
        assert defaults["thresholds"]["steps"][0]["value"] is None, where
        assert panel["datasource"] == ref, where
        assert [t["refId"] for t in panel["targets"]] == list("ABCDEFGH"[:len(panel["targets"])]), where
    for variable in data["templating"]["list"]:
        if variable["type"] == "query":
            assert variable["datasource"] == ref
    # No data-source uid anywhere but the variable's reference.
    assert _datasource_uids(data) == {ref["uid"]}


def _datasource_uids(value) -> set[str]:
    if isinstance(value, dict):
        found = {value["datasource"]["uid"]} if isinstance(value.get("datasource"), dict) else set()
        return found.union(*(_datasource_uids(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_datasource_uids(v) for v in value))
    return set()


def test_a_regional_stack_gets_the_mesh_dashboards_and_the_global_stack_the_global_one():
    regional = {b.uid: b.folder for b in dashboards.dashboards(load_stack("prod-us-east-1"))}
    assert regional == {
        c.DASHBOARD_MESH_OVERVIEW: c.DASHBOARD_FOLDER_MESH, c.DASHBOARD_AGENT_DETAIL: c.DASHBOARD_FOLDER_MESH,
        c.DASHBOARD_REGISTRY: c.DASHBOARD_FOLDER_MESH, c.DASHBOARD_SLOS: c.DASHBOARD_FOLDER_MESH,
        c.DASHBOARD_PIPELINE: c.DASHBOARD_FOLDER_MONITORING,
    }
    everywhere = {s: {b.uid for b in dashboards.dashboards(load_stack(s))} for s in stack_names()}
    assert [s for s, uids in everywhere.items() if c.DASHBOARD_GLOBAL in uids] == ["prod"]
    assert everywhere["prod"] == {c.DASHBOARD_GLOBAL, c.DASHBOARD_PIPELINE}


def test_panels_follow_the_settings():
    def titles(settings, uid):
        [board] = [b for b in dashboards.dashboards(settings) if b.uid == uid]
        return {p["title"] for p in board.to_json()["panels"]}
    plain = dict(VARIANTS)["dev"]
    assert "Remote write lag" not in titles(plain, c.DASHBOARD_PIPELINE)
    assert "Remote write lag" in titles(dict(VARIANTS)["remote-write"], c.DASHBOARD_PIPELINE)
    assert "Federation up" in titles(load_stack("prod"), c.DASHBOARD_PIPELINE)
    assert "Probe latency" in titles(plain, c.DASHBOARD_REGISTRY)
    assert "Registered agents" in titles(dict(VARIANTS)["registry-metrics"], c.DASHBOARD_REGISTRY)
    unobserved = load_settings("x", {"cluster": "c", "region": "r", "blackboxExporterEnabled": False})
    assert c.DASHBOARD_REGISTRY not in {b.uid for b in dashboards.dashboards(unobserved)}
    assert "Registry health" not in titles(unobserved, c.DASHBOARD_MESH_OVERVIEW)
    assert dashboards.dashboards(load_settings("x", {"cluster": "c", "region": "r", "grafanaEnabled": False})) == ()


def test_thresholds_come_from_the_settings():
    # (a bucket boundary: the default latency SLO reads the threshold too)
    settings = load_settings("x", {"cluster": "c", "region": "r", "sloLatencyThreshold": "5s"})
    [board] = [b for b in dashboards.dashboards(settings) if b.uid == c.DASHBOARD_MESH_OVERVIEW]
    [p95] = [p for p in board.to_json()["panels"] if p["title"] == "p95 latency per agent"]
    assert [s["value"] for s in p95["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 2.5, 5]


def test_every_library_query_parses():
    settings = load_stack("prod-us-east-1")
    checked = 0
    for name, function in inspect.getmembers(queries, inspect.isfunction):
        if name.startswith("_") or function.__module__ != queries.__name__:
            continue
        params = inspect.signature(function).parameters
        sample = {"settings": settings, "record": c.RECORD_SLO_AVAILABILITY, "objective": 0.999, "window": "1h",
                  "slo": "availability"}
        args = {k: v for k, v in sample.items() if k in params and params[k].default is inspect.Parameter.empty}
        expr = function(**args)
        assert expr is not None, name
        promql_parser.parse(expand(expr))
        checked += 1
    assert checked >= 30


def test_the_guides_example_queries_read_the_recording_rules():
    assert metric_names(queries.top_agents_by_request_rate()) == {c.RECORD_REQUEST_RATE}
    assert metric_names(queries.agents_with_error_ratio_above(0.01)) == {c.RECORD_ERROR_RATE}
    assert metric_names(queries.request_rate_week_over_week()) == {c.RECORD_REQUEST_RATE}
    assert metric_names(queries.connections_forecast()) == {c.RECORD_CONNECTIONS}
    # The heatmap reads the recorded bucket rates, not the raw histogram.
    assert metric_names(queries.latency_heatmap()) == {c.RECORD_REQUEST_DURATION_RATE_TABLE}
    assert queries.error_budget_remaining(c.RECORD_SLO_AVAILABILITY, 0.999, "30d") == (
        "1 - (1 - avg_over_time(mcp_mesh:slo:availability[30d])) / 0.001")


def test_dashboard_config_maps_are_labelled_for_the_sidecar_in_the_monitoring_namespace():
    settings = load_stack("prod-us-east-1")
    plan = build_plan(settings)
    maps = [m for m in plan.manifests() if m["kind"] == "ConfigMap"]
    assert {m["metadata"]["name"] for m in maps} == {
        c.dashboard_config_map_name(b.uid) for b in dashboards.dashboards(settings)}
    for manifest in maps:
        assert manifest["metadata"]["namespace"] == settings.namespace
        assert manifest["metadata"]["labels"][c.DASHBOARD_SIDECAR_LABEL] == c.DASHBOARD_SIDECAR_LABEL_VALUE
        [(file_name, text)] = manifest["data"].items()
        board = json.loads(text)
        assert file_name == f"{board['uid']}.json"
        assert manifest["metadata"]["annotations"][c.DASHBOARD_FOLDER_ANNOTATION] in (
            c.DASHBOARD_FOLDER_MESH, c.DASHBOARD_FOLDER_MONITORING)
