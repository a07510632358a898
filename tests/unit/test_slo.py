"""SLOs from the `slos` setting, symptom alerts and rule overrides: what is built, and what is refused."""

import pytest

from monitoring import conventions as c
from monitoring import rules, slo
from monitoring.plan import build_plan
from monitoring.promql import metric_names
from monitoring.resources import AlertingRule, RecordingRule
from monitoring.settings import SettingsError, load_settings

REGIONAL = {"cluster": "prod-us-east-1", "region": "us-east-1"}
AVAILABILITY = {"name": "availability", "sli": "availability", "objective": 99.9}
LATENCY = {"name": "latency", "sli": "latency", "objective": 99}
BUCKETS = "5ms, 10ms, 25ms, 50ms, 100ms, 250ms, 500ms, 1s, 2500ms, 5s"


def regional(**overrides):
    return load_settings("test", {**REGIONAL, **overrides})


def deployed_rules(settings):
    return [rule for cr in build_plan(settings).prometheus_rules() for group in cr.groups for rule in group.rules]


def burn_alerts(settings, name=None):
    return [r for r in deployed_rules(settings) if isinstance(r, AlertingRule) and r.alert == c.ALERT_SLO_BUDGET_BURN
            and (name is None or r.labels[c.LABEL_SLO] == name)]


# --------------------------------------------------------------------------
# The burn-rate window table
# --------------------------------------------------------------------------

def test_the_burn_rate_windows_and_factors_are_the_sre_workbooks_for_a_30_day_slo():
    # The Site Reliability Workbook, "Alerting on SLOs", recommended parameters:
    # page 14.4x over 1h and 5m, page 6x over 6h and 30m, ticket 3x over 1d and
    # 2h, ticket 1x over 3d and 6h.
    table = [(row.severity, row.long, row.short, row.factor("30d")) for row in slo.BURN_WINDOWS]
    assert table == [("critical", "1h", "5m", 14.4), ("critical", "6h", "30m", 6),
                     ("warning", "1d", "2h", 3), ("warning", "3d", "6h", 1)]


def test_every_window_of_the_table_gets_an_error_ratio_record_and_no_other():
    records = {r.record for r in deployed_rules(regional()) if isinstance(r, RecordingRule)}
    windows = {"5m", "30m", "1h", "2h", "6h", "1d", "3d"}
    assert {c.slo_error_ratio(w) for w in windows} <= records
    # and the SLO's own window, for its budget
    assert c.slo_error_ratio("30d") in records
    ratio_prefix = c.slo_error_ratio("")
    assert {r.removeprefix(ratio_prefix) for r in records if r.startswith(ratio_prefix)} == windows | {"30d"}


def test_thresholds_are_the_factor_times_the_budget_of_each_objective():
    settings = regional(slos=[{**AVAILABILITY, "objective": 99.5}, {**LATENCY, "window": "28d"}])
    # 99.5% over 30d: budget 0.005; 14.4x -> 0.072, 6x -> 0.03, 3x -> 0.015, 1x -> 0.005
    assert [a.expr.split("\n")[0].rpartition(" > ")[2] for a in burn_alerts(settings, "availability")] == [
        "0.072", "0.03", "0.015", "0.005"]
    # 99% over 28d: 2% of 28d in 1h is 0.02 * 672 = 13.44x -> 0.1344; 5% in 6h: 5.6x; 10% in 1d: 2.8x;
    # 10% in 3d: 0.9333...x
    latency = [a.expr.split("\n")[0].rpartition(" > ")[2] for a in burn_alerts(settings, "latency")]
    assert latency[:3] == ["0.1344", "0.056", "0.028"]
    assert float(latency[3]) == pytest.approx(0.1 * 28 / 3 * 0.01)


def test_a_burn_alert_needs_both_of_its_windows_and_carries_its_severity_window_and_slo():
    alerts = burn_alerts(regional(), "availability")
    assert [(a.labels[c.LABEL_SEVERITY], a.labels[c.LABEL_BURN_WINDOW], a.for_) for a in alerts] == [
        ("critical", "1h", "2m"), ("critical", "6h", "15m"), ("warning", "1d", "15m"), ("warning", "3d", "15m")]
    assert alerts[0].expr == (
        'slo_agent_namespace:mcp_mesh_slo_errors:ratio_rate1h{slo="availability"} > 0.0144\nand\n'
        'slo_agent_namespace:mcp_mesh_slo_errors:ratio_rate5m{slo="availability"} > 0.0144')


# --------------------------------------------------------------------------
# What SLOs count
# --------------------------------------------------------------------------

def _events(settings, name):
    return [r for r in deployed_rules(settings) if isinstance(r, RecordingRule)
            and r.labels.get(c.LABEL_SLO) == name and r.record.startswith(c.SLO_LEVEL)]


def test_the_default_slos_are_mesh_wide_availability_999_and_latency_1s_at_99():
    settings = regional()
    assert [(s.name, s.sli, s.objective, s.window, s.agents) for s in settings.rules.slos] == [
        ("availability", "availability", 99.9, "30d", ()), ("latency", "latency", 99.0, "30d", ())]
    # the latency SLO has no threshold of its own: sloLatencyThreshold's 1s, as the Python client writes it
    requests, errors = _events(settings, "latency")
    assert requests.expr == ("sum by (agent, namespace) "
                             '(agent_namespace_le:mcp_mesh_request_duration_seconds_bucket:rate5m{le="+Inf"})')
    assert 'le=~"1|1\\\\.0"' in errors.expr


def test_per_agent_slos_take_their_agents_out_of_the_mesh_wide_one_of_their_sli():
    settings = regional(slos=[AVAILABILITY, LATENCY,
                              {"name": "weather-availability", "sli": "availability", "objective": 99.5,
                               "agents": ["weather", "weather.v2"]},
                              {"name": "search-latency", "sli": "latency", "objective": 95, "threshold": "2500ms",
                               "agents": ["search"]}])
    assert 'agent!~"weather|weather\\\\.v2"' in _events(settings, "availability")[0].expr
    assert 'agent=~"weather|weather\\\\.v2"' in _events(settings, "weather-availability")[0].expr
    assert 'agent!~"search"' in _events(settings, "latency")[0].expr
    assert 'le=~"2\\\\.5"' in _events(settings, "search-latency")[1].expr


def test_slo_records_read_only_the_rate_tables_and_each_others_records():
    raw = {c.REQUESTS_TOTAL, c.REQUEST_DURATION_BUCKET}
    for rule in deployed_rules(regional()):
        if isinstance(rule, RecordingRule) and rule.record.startswith((c.SLO_LEVEL, "mcp_mesh:slo:")):
            assert not metric_names(rule.expr) & raw, rule.record


def test_no_alert_reads_a_raw_series_of_the_mesh_or_evaluates_a_quantile():
    for rule in deployed_rules(regional()):
        if isinstance(rule, AlertingRule) and rule.alert != c.ALERT_AGENT_EMPTY_SCRAPE:
            assert "histogram_quantile" not in rule.expr, rule.alert
            assert not any(n.startswith(c.METRIC_PREFIX) for n in metric_names(rule.expr)), rule.alert


def test_only_the_objective_and_the_budget_left_of_the_slos_leave_the_region():
    shipped = rules.recording_rule_names(regional())
    assert [n for n in shipped if "slo" in n] == [
        c.RECORD_SLO_AVAILABILITY, c.RECORD_SLO_LATENCY, c.RECORD_SLO_OBJECTIVE, c.RECORD_SLO_BUDGET_REMAINING]


def test_a_stack_without_slos_has_no_slo_groups():
    names = {g.name for g in rules.rule_groups(regional(slos=[]))}
    assert c.GROUP_MESH_SLO_RATIOS not in names and c.GROUP_MESH_SLO_WINDOWS not in names
    assert c.GROUP_MESH_SLO in names  # the guide's records stay


# --------------------------------------------------------------------------
# Bad SLOs
# --------------------------------------------------------------------------

BAD_SLOS = [
    ([AVAILABILITY, {**LATENCY, "threshold": "2s"}],
     f"slos[1].threshold: expected a bucket boundary of mcp_mesh_request_duration_seconds ({BUCKETS}): the buckets "
     "count requests at or under a boundary only, got '2s'"),
    ([{**AVAILABILITY, "threshold": "1s"}], "slos[0].threshold: only a latency SLO has a threshold, got '1s'"),
    ([{**AVAILABILITY, "objective": 100}],
     "slos[0].objective: expected an objective in percent above 0 and at most 99.999 (100 leaves no error budget), "
     "got 100"),
    ([{**AVAILABILITY, "objective": 90}],
     "slos[0].objective: expected an objective above 93.06 (a 14.4x burn over 1h of a 30d budget of 10% is more than "
     "every event failing), got 90"),
    ([{**AVAILABILITY, "objective": "99.9"}],
     "slos[0].objective: expected an objective in percent above 0 and at most 99.999 (100 leaves no error budget), "
     "got '99.9'"),
    ([{**AVAILABILITY, "window": "30 days"}], "slos[0].window: expected a duration like 30d, got '30 days'"),
    ([{**AVAILABILITY, "window": "1d"}],
     "slos[0].window: expected a duration from 7d to 90d (the budget is counted in hours over at least a week), "
     "got '1d'"),
    ([{**AVAILABILITY, "window": "7d30m"}],
     "slos[0].window: expected a whole number of hours like 30d or 28d (the budget is counted hour by hour), "
     "got '7d30m'"),
    ([AVAILABILITY, AVAILABILITY], "slos[1].name: 'availability' appears twice"),
    ([AVAILABILITY, {**AVAILABILITY, "name": "second"}],
     "slos[1].agents: every agent not named elsewhere is already covered by the availability SLO 'availability', "
     "got []"),
    ([{**AVAILABILITY, "name": "w1", "agents": ["weather"]}, {**AVAILABILITY, "name": "w2", "agents": ["weather"]}],
     "slos[1].agents: agent 'weather' is already covered by the availability SLO 'w1', got ['weather']"),
    ([{**AVAILABILITY, "sli": "throughput"}], "slos[0].sli: expected one of availability, latency, got 'throughput'"),
    ([{"name": "x", "sli": "availability"}], "slos[0].objective: is required"),
    ([{**AVAILABILITY, "target": 99}], "slos[0].target: unknown setting (did you mean 'slos[0].agents'?)"),
    ([{**AVAILABILITY, "agents": ["bad name"]}],
     "slos[0].agents: expected an agent's mesh name (letters, digits and _.-, at most 63), got 'bad name'"),
    ({"availability": 99.9}, "slos: expected a list of mappings, got {'availability': 99.9}"),
]


@pytest.mark.parametrize("value, message", BAD_SLOS, ids=[m.split(",")[0][:60] for _, m in BAD_SLOS])
def test_a_bad_slo_is_refused_naming_its_key_and_value(value, message):
    with pytest.raises(SettingsError) as err:
        regional(slos=value)
    assert str(err.value) == message


def test_a_latency_threshold_that_a_latency_slo_inherits_must_be_a_bucket_boundary():
    with pytest.raises(SettingsError) as err:
        regional(sloLatencyThreshold="2s")
    assert str(err.value) == (
        "sloLatencyThreshold: the latency SLO 'latency' sets no threshold and reads this one: expected a bucket "
        f"boundary of mcp_mesh_request_duration_seconds ({BUCKETS}): the buckets count requests at or under a "
        "boundary only, got '2s'")
    # a latency SLO with its own threshold leaves sloLatencyThreshold free (the guide's p95 record reads it)
    settings = regional(sloLatencyThreshold="2s", slos=[AVAILABILITY, {**LATENCY, "threshold": "2500ms"}])
    assert settings.rules.slo_latency_seconds == 2 and settings.rules.slos[1].threshold == 2.5


def test_slos_arrive_as_json_from_the_engine_like_typed_yaml():
    import json

    assert regional(slos=json.dumps([AVAILABILITY])) == regional(slos=[AVAILABILITY])


# --------------------------------------------------------------------------
# Symptom alerts and overrides
# --------------------------------------------------------------------------

def _alert(settings, name):
    return next(r for r in deployed_rules(settings) if isinstance(r, AlertingRule) and r.alert == name)


def test_every_per_agent_symptom_alert_has_a_minimum_traffic_guard():
    settings = regional()
    for name in (c.ALERT_AGENT_HIGH_ERROR_RATE, c.ALERT_AGENT_HIGH_LATENCY):
        assert _alert(settings, name).expr.endswith(
            f"\nand on (agent, namespace)\n{c.RECORD_REQUEST_RATE} >= {rules.MIN_REQUEST_RATE:g}")
    assert "max_over_time(mcp_mesh:request_rate[1h]) >= 0.1" in _alert(settings, c.ALERT_AGENT_TRAFFIC_STOPPED).expr


def test_overrides_change_for_severity_and_threshold_and_disable_alerts():
    settings = regional(ruleOverrides={
        c.ALERT_AGENT_HIGH_ERROR_RATE: {"threshold": 0.05, "for": "15m", "severity": "critical"},
        c.ALERT_AGENT_HIGH_LATENCY: {"threshold": 2.5},
        c.ALERT_FEWER_AGENTS_REPORTING: {"disabled": True},
        c.ALERT_SLO_BUDGET_BURN: {"for": "5m"},
    })
    errors = _alert(settings, c.ALERT_AGENT_HIGH_ERROR_RATE)
    assert errors.expr.startswith("mcp_mesh:error_rate > 0.05\n") and errors.for_ == "15m"
    assert errors.labels[c.LABEL_SEVERITY] == "critical"
    assert "above 5%" in errors.annotations[c.ANNOTATION_DESCRIPTION]
    assert _alert(settings, c.ALERT_AGENT_HIGH_LATENCY).expr.startswith("mcp_mesh:request_duration:p95 > 2.5\n")
    names = {r.alert for r in deployed_rules(settings) if isinstance(r, AlertingRule)}
    assert c.ALERT_FEWER_AGENTS_REPORTING not in names
    # every rule of the name, whatever its window; severities stay the table's
    burns = burn_alerts(settings)
    assert {a.for_ for a in burns} == {"5m"} and len(burns) == 8
    assert {a.labels[c.LABEL_SEVERITY] for a in burns} == {"critical", "warning"}


def test_a_global_stack_may_override_its_federation_alerts():
    from monitoring.stacks import read_stack_config

    plain, secrets = read_stack_config("prod")
    settings = load_settings("prod", {**plain, "ruleOverrides": {c.ALERT_REGION_NOT_FEDERATING: {"for": "10m"}}},
                             secrets)
    assert _alert(settings, c.ALERT_REGION_NOT_FEDERATING).for_ == "10m"


BAD_OVERRIDES = [
    ({"NoSuchAlert": {"disabled": True}},
     "ruleOverrides.NoSuchAlert: expected an alert of this regional stack (MCPMeshAgentEmptyScrape, "
     "MCPMeshAgentHighErrorRate, MCPMeshAgentHighLatency, MCPMeshAgentTrafficStopped, MCPMeshAgentsNoData, "
     "MCPMeshFewerAgentsReporting, MCPMeshRegistryDown, MCPMeshRegistryHealthLow, MCPMeshRegistryNoData, "
     "MCPMeshSLOErrorBudgetBurn, MonitoringVolumeClassMismatch, MonitoringVolumeSizeMismatch, PrometheusHighMemoryUsage, PrometheusRemoteWriteBehind, "
     "PrometheusRemoteWriteFailing, PrometheusRuleEvaluationFailures, PrometheusTargetDown), got 'NoSuchAlert'"),
    ({c.ALERT_SLO_BUDGET_BURN: {"threshold": 0.5}},
     "ruleOverrides.MCPMeshSLOErrorBudgetBurn.threshold: alert 'MCPMeshSLOErrorBudgetBurn' has no threshold of its "
     "own (those that have: MCPMeshAgentHighErrorRate, MCPMeshAgentHighLatency, MCPMeshAgentTrafficStopped, "
     "MCPMeshFewerAgentsReporting, MCPMeshRegistryHealthLow), got 0.5"),
    ({c.ALERT_AGENT_HIGH_ERROR_RATE: {"threshold": 5}},
     "ruleOverrides.MCPMeshAgentHighErrorRate.threshold: expected a share of requests failing (0.01: 1%), "
     "from 0.0001 to 1, got 5"),
    ({c.ALERT_AGENT_HIGH_ERROR_RATE: {"threshold": "1%"}},
     "ruleOverrides.MCPMeshAgentHighErrorRate.threshold: expected a number, got '1%'"),
    ({c.ALERT_AGENT_HIGH_ERROR_RATE: {"severity": "page"}},
     "ruleOverrides.MCPMeshAgentHighErrorRate.severity: expected one of critical, warning, got 'page'"),
    ({c.ALERT_AGENT_HIGH_ERROR_RATE: {"for": "5 minutes"}},
     "ruleOverrides.MCPMeshAgentHighErrorRate.for: expected a duration like 30d, got '5 minutes'"),
    ({c.ALERT_AGENT_HIGH_ERROR_RATE: {"disabled": "yes"}},
     "ruleOverrides.MCPMeshAgentHighErrorRate.disabled: expected true or false, got 'yes'"),
    ({c.ALERT_AGENT_HIGH_ERROR_RATE: {"silence": True}},
     "ruleOverrides.MCPMeshAgentHighErrorRate.silence: unknown setting "
     "(did you mean 'ruleOverrides.MCPMeshAgentHighErrorRate.severity'?)"),
    (["MCPMeshAgentHighErrorRate"],
     "ruleOverrides: expected a mapping of alert names to {for?, severity?, threshold?, disabled?}, "
     "got ['MCPMeshAgentHighErrorRate']"),
]


@pytest.mark.parametrize("value, message", BAD_OVERRIDES, ids=[m.split(":")[0] + str(i)
                                                               for i, (_, m) in enumerate(BAD_OVERRIDES)])
def test_a_bad_override_is_refused_naming_its_key_and_value(value, message):
    with pytest.raises(SettingsError) as err:
        regional(ruleOverrides=value)
    assert str(err.value) == message


def test_a_regional_stack_cannot_override_an_alert_only_a_global_stack_builds():
    with pytest.raises(SettingsError, match=r"^ruleOverrides\.MCPMeshRegionNotFederating: expected an alert of this "
                                            r"regional stack \("):
        regional(ruleOverrides={c.ALERT_REGION_NOT_FEDERATING: {"disabled": True}})
