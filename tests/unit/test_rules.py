"""The PrometheusRules a stack deploys: names, decoration, selection, settings."""

import re
from pathlib import Path

import pytest

from monitoring import conventions as c
from monitoring import rules, values
from monitoring.plan import build_plan
from monitoring.promql import metric_names
from monitoring.resources import AlertingRule, RecordingRule
from monitoring.settings import SettingsError, duration_seconds, load_settings
from monitoring.stacks import PROJECT_ROOT, load_stack, read_stack_config, stack_names

RUNBOOKS = PROJECT_ROOT / "docs" / "runbooks.md"
REGIONAL = {"cluster": "prod-us-east-1", "region": "us-east-1"}


def regional(**overrides):
    return load_settings("test", {**REGIONAL, **overrides})


def all_rules(settings):
    return [rule for group in rules.rule_groups(settings) for rule in group.rules]


def alerts(settings):
    """Every alert of every PrometheusRule the stack's plan deploys, as deployed."""
    return [rule for cr in build_plan(settings).prometheus_rules() for group in cr.groups
            for rule in group.rules if isinstance(rule, AlertingRule)]


def group_names(settings):
    return [g.name for g in rules.rule_groups(settings)]


CUSTOM_ALERT = {"alert": "WeatherSlow", "expr": 'mcp_mesh:request_duration:p95{agent="weather"} > 2',
                "annotations": {"summary": "Weather agent slow", "description": "p95 is {{ $value }}s"}}


# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------

@pytest.mark.parametrize("stack", stack_names())
def test_rules_are_unique_within_every_stack_by_name_and_labels(stack):
    # Per-SLO rules share a record or alert name and differ in their `slo` label.
    keys = [(r.name, tuple(sorted(r.labels.items()))) for r in all_rules(load_stack(stack))]
    assert len(keys) == len(set(keys)), keys


def test_a_regional_stack_defines_every_rule_named_in_conventions():
    names = {r.name for r in all_rules(regional())}
    # besides the SLOs' regional working set, named by the functions of conventions
    working_set = {n for n in names if c.is_rate_table(n) and n.startswith(c.SLO_LEVEL + ":")}
    assert names - working_set == set(c.RECORDING_RULES) | set(c.ALERTS)


def test_recording_rules_carry_the_aggregation_level_prefix():
    for rule in all_rules(regional()):
        if isinstance(rule, RecordingRule) and not c.is_rate_table(rule.record):
            assert rule.record.startswith(c.RECORDING_PREFIX) and rule.record.count(":") >= 1


def test_the_rate_tables_are_named_level_metric_operation_after_the_labels_they_keep():
    requests, buckets = rules.rate_table_rules()
    assert requests.record == "agent_namespace_status:mcp_mesh_requests:rate5m"
    assert requests.expr.startswith("sum by (agent, namespace, status) (")
    assert buckets.record == "agent_namespace_le:mcp_mesh_request_duration_seconds_bucket:rate5m"
    assert buckets.expr.startswith("sum by (agent, namespace, le) (")
    assert not any(re.fullmatch(c.AGGREGATED_SERIES_REGEX, r.record) for r in (requests, buckets))


def test_only_the_rate_tables_read_the_raw_request_counter_and_histogram():
    raw = {c.REQUESTS_TOTAL, c.REQUEST_DURATION_BUCKET}
    settings = regional(registryServesMetrics=True)
    readers = {r.name: metric_names(r.expr) & raw for g in rules.rule_groups(settings) for r in g.rules
               if metric_names(r.expr) & raw}
    assert readers == {c.RECORD_REQUESTS_RATE_TABLE: {c.REQUESTS_TOTAL},
                       c.RECORD_REQUEST_DURATION_RATE_TABLE: {c.REQUEST_DURATION_BUCKET}}


def test_every_record_a_rule_reads_is_recorded_before_it_in_its_group_or_in_a_group_evaluated_as_often():
    # A group reading another's records must not be evaluated more often than
    # that group: it would repeat old values as if they were new.
    settings = regional()
    groups = rules.rule_groups(settings)
    where = {}
    for g in groups:
        for i, r in enumerate(g.rules):
            if isinstance(r, RecordingRule):
                where.setdefault(r.record, (g, i))
    for group in groups:
        for position, rule in enumerate(group.rules):
            for name in metric_names(rule.expr) & set(where):
                source, at = where[name]
                if source is group:
                    assert at < position, f"{rule.name} reads {name}, recorded after it in {group.name}"
                else:
                    assert duration_seconds(source.interval) <= duration_seconds(group.interval), (rule.name, name)


def test_longer_rate_windows_are_built_from_the_5m_tables_at_non_overlapping_steps():
    requests, buckets = rules.rate_table_rules("1h")
    assert requests.record == "agent_namespace_status:mcp_mesh_requests:rate1h"
    assert requests.expr == ("sum_over_time(agent_namespace_status:mcp_mesh_requests:rate5m[1h:5m])\n"
                             "/ scalar(count_over_time(vector(1)[1h:5m]))")
    assert buckets.expr.startswith("sum_over_time(agent_namespace_le:mcp_mesh_request_duration_seconds_bucket:rate5m"
                                   "[1h:5m])\n")
    assert metric_names(rules.rate_table_rules("3d")[0].expr) == {c.RECORD_REQUESTS_RATE_TABLE}


@pytest.mark.parametrize("window", ["7m", "5m30s", "1m"])
def test_a_rate_window_that_the_5m_table_cannot_tile_is_refused(window):
    with pytest.raises(ValueError, match=f"rate window '{window}': expected a multiple of 5m longer than it"):
        rules.rate_table_rules(window)


def test_each_group_becomes_one_prometheus_rule_named_after_it():
    crs = rules.prometheus_rules(regional())
    assert [(cr.name, [g.name for g in cr.groups]) for cr in crs] == [
        ("mcp-mesh-rules", [c.GROUP_MESH_RULES]),
        ("mcp-mesh-slo", [c.GROUP_MESH_SLO]),
        ("mcp-mesh-slo-ratios", [c.GROUP_MESH_SLO_RATIOS]),
        ("mcp-mesh-slo-windows", [c.GROUP_MESH_SLO_WINDOWS]),
        ("mcp-mesh-symptoms", [c.GROUP_MESH_SYMPTOMS]),
        ("mcp-mesh-health", [c.GROUP_MESH_HEALTH]),
        ("prometheus-health", [c.GROUP_PROMETHEUS_HEALTH]),
        ("monitoring-volumes", [c.GROUP_VOLUMES]),
    ]


def test_groups_are_evaluated_at_the_stacks_evaluation_interval_but_the_long_slo_windows():
    for interval in ("30s", "1m"):
        groups = {g.name: g.interval for g in rules.rule_groups(regional(evaluationInterval=interval))}
        # half the 5m look-back, whatever the evaluation interval
        assert groups.pop(c.GROUP_MESH_SLO_WINDOWS) == "4m"
        assert set(groups.values()) == {interval}


# --------------------------------------------------------------------------
# Alerts: severity, annotations, runbooks
# --------------------------------------------------------------------------

@pytest.mark.parametrize("stack", stack_names())
def test_every_alert_has_a_severity_a_summary_a_description_and_a_runbook_url(stack):
    settings = load_stack(stack)
    assert alerts(settings)
    for alert in alerts(settings):
        assert alert.labels[c.LABEL_SEVERITY] in (c.SEVERITY_CRITICAL, c.SEVERITY_WARNING), alert.alert
        assert alert.annotations[c.ANNOTATION_SUMMARY].strip(), alert.alert
        assert alert.annotations[c.ANNOTATION_DESCRIPTION].strip(), alert.alert
        assert alert.annotations[c.ANNOTATION_RUNBOOK_URL] == (
            f"{settings.rules.runbook_base_url}#{alert.alert.lower()}")


def test_no_annotation_carries_jinja_markup():
    settings = regional(customRules=[CUSTOM_ALERT])
    for alert in alerts(settings):
        for key, text in alert.annotations.items():
            assert "{%" not in text and "%}" not in text, (alert.alert, key)


def test_runbook_urls_follow_the_configured_base_url():
    settings = regional(runbookBaseUrl="https://wiki.example.com/mesh/runbooks")
    urls = {a.alert: a.annotations[c.ANNOTATION_RUNBOOK_URL] for a in alerts(settings)}
    assert urls[c.ALERT_TARGET_DOWN] == "https://wiki.example.com/mesh/runbooks#prometheustargetdown"
    assert all(u.startswith("https://wiki.example.com/mesh/runbooks#") for u in urls.values())


def test_a_custom_alert_links_to_the_custom_section_unless_it_brings_its_own_runbook():
    own = {**CUSTOM_ALERT, "alert": "WeatherDown", "expr": 'up{job="weather"} == 0',
           "annotations": {**CUSTOM_ALERT["annotations"], "runbook_url": "https://runbooks.example/weather"}}
    settings = regional(customRules=[CUSTOM_ALERT, own])
    urls = {a.alert: a.annotations[c.ANNOTATION_RUNBOOK_URL] for a in alerts(settings)}
    assert urls["WeatherSlow"] == f"{settings.rules.runbook_base_url}#{c.RUNBOOK_CUSTOM_ANCHOR}"
    assert urls["WeatherDown"] == "https://runbooks.example/weather"


def _markdown_anchors(text: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces to '-'."""
    anchors = set()
    for heading in re.findall(r"^#+ +(.+?) *$", text, flags=re.MULTILINE):
        anchors.add(re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-"))
    return anchors


@pytest.mark.parametrize("stack", stack_names())
def test_every_runbook_anchor_an_alert_links_to_exists_in_docs_runbooks(stack):
    anchors = _markdown_anchors(RUNBOOKS.read_text())
    plain, secrets = read_stack_config(stack)
    settings = load_settings(stack, {**plain, "customRules": [CUSTOM_ALERT]}, secrets)
    for alert in alerts(settings):
        anchor = alert.annotations[c.ANNOTATION_RUNBOOK_URL].rpartition("#")[2]
        assert anchor in anchors, f"{alert.alert}: docs/runbooks.md has no section #{anchor}"


def test_every_runbook_section_says_what_it_means_what_to_check_and_how_to_fix():
    text = RUNBOOKS.read_text()
    deployed = {a.alert for stack in stack_names() for a in alerts(load_stack(stack))}
    for alert in sorted(deployed):
        assert f"## {alert}\n" in text, f"docs/runbooks.md has no section on {alert}"
        section = text.split(f"## {alert}\n", 1)[1].split("\n## ", 1)[0]
        for part in ("**Meaning**", "**First checks**", "**Fix**"):
            assert part in section, f"runbook of {alert} lacks {part}"


# --------------------------------------------------------------------------
# Selection: the stack's Prometheus loads every PrometheusRule
# --------------------------------------------------------------------------

@pytest.mark.parametrize("stack", stack_names())
def test_every_prometheus_rule_of_the_plan_is_selected_by_the_stacks_prometheus(stack):
    settings = load_stack(stack)
    plan = build_plan(settings)
    selected = values.selectors(settings)
    wanted_labels = selected["ruleSelector"]["matchLabels"]
    wanted_namespace = selected["ruleNamespaceSelector"]["matchLabels"][c.NAMESPACE_NAME_LABEL]
    prometheus_rules = plan.prometheus_rules()
    assert {c.rule_cr_name(g) for g in group_names(settings)} <= {cr.name for cr in prometheus_rules}
    for cr in prometheus_rules:
        manifest = cr.to_manifest()
        assert manifest["metadata"]["namespace"] == wanted_namespace
        assert wanted_labels.items() <= manifest["metadata"]["labels"].items(), cr.name


def test_a_global_stack_deploys_only_the_rules_about_its_own_prometheus():
    plain, secrets = read_stack_config("prod")
    settings = load_settings("prod", plain, secrets)
    assert group_names(settings) == [c.GROUP_PROMETHEUS_HEALTH, c.GROUP_VOLUMES]


def test_the_render_writes_one_rule_file_per_group():
    from monitoring.render import render_files

    files = render_files(build_plan(regional()))
    rule_files = sorted(p for p in files if p.startswith("rules/"))
    assert rule_files == sorted(f"rules/{c.rule_cr_name(g)}.yaml" for g in group_names(regional()))


# --------------------------------------------------------------------------
# Settings that shape the rules
# --------------------------------------------------------------------------

def _rule(settings, name):
    return next(r for r in all_rules(settings) if r.name == name)


def test_the_latency_thresholds_come_from_settings_in_seconds():
    settings = regional(sloLatencyThreshold="250ms", registryLatencyThreshold="2s")
    assert _rule(settings, c.RECORD_SLO_LATENCY).expr.endswith("< bool 0.25")
    assert "< bool 2 or on () vector(1)" in _rule(settings, c.RECORD_REGISTRY_HEALTH_SCORE).expr


def test_the_default_latency_objective_is_the_guides_one_second():
    assert _rule(regional(), c.RECORD_SLO_LATENCY).expr.endswith("< bool 1")


def test_the_memory_alert_compares_with_the_configured_memory_limit():
    expr = _rule(regional(prometheusMemoryLimit="6Gi", prometheusMemoryAlertPercent=90),
                 c.ALERT_PROMETHEUS_HIGH_MEMORY).expr
    assert expr.endswith(f"/ {6 * 2**30} > 0.9")


def test_the_memory_alert_watches_the_prometheus_container_of_this_release():
    expr = _rule(regional(releaseName="kps"), c.ALERT_PROMETHEUS_HIGH_MEMORY).expr
    assert f'job="{c.prometheus_service_name("kps")}"' in expr and 'container="prometheus"' in expr


def test_a_registry_serving_metrics_is_scored_and_watched_by_its_up_series():
    settings = regional(registryServesMetrics=True)
    assert 'avg(up{job="mcp-mesh-registry"})' in _rule(settings, c.RECORD_REGISTRY_HEALTH_SCORE).expr
    assert _rule(settings, c.ALERT_REGISTRY_NO_DATA).expr == 'absent(up{job="mcp-mesh-registry"})'
    # its failures are PrometheusTargetDown's (job mcp-mesh-registry matches mcp-mesh.*)
    assert c.ALERT_REGISTRY_DOWN not in {r.name for r in all_rules(settings)}


def test_a_registry_nothing_observes_gets_no_health_score_and_no_registry_alerts():
    names = {r.name for r in all_rules(regional(blackboxExporterEnabled=False))}
    assert not names & {c.RECORD_REGISTRY_HEALTH_SCORE, c.ALERT_REGISTRY_DOWN, c.ALERT_REGISTRY_NO_DATA}


def test_recording_rule_names_are_what_a_mesh_cluster_records_whatever_the_role():
    plain, secrets = read_stack_config("prod")
    global_settings = load_settings("prod", plain, secrets)
    recorded = list(dict.fromkeys(
        r.record for g in rules.mesh_groups(regional()) for r in g.rules
        if isinstance(r, RecordingRule) and r.record not in c.RATE_TABLES
        and not r.record.startswith(c.SLO_LEVEL + ":")))
    assert rules.recording_rule_names(regional()) == recorded
    assert rules.recording_rule_names(global_settings) == recorded
    assert all(re.fullmatch(c.AGGREGATED_SERIES_REGEX, name) for name in recorded)


def test_recording_rule_names_include_the_stacks_custom_recording_rules():
    custom = {"record": "mcp_mesh:requests:increase1h",
              "expr": "sum by (agent) (increase(mcp_mesh_requests_total[1h]))"}
    names = rules.recording_rule_names(regional(customRules=[custom, CUSTOM_ALERT]))
    assert names[-1] == "mcp_mesh:requests:increase1h" and "WeatherSlow" not in names


def test_custom_rules_form_their_own_group_with_a_default_severity():
    settings = regional(customRules=[CUSTOM_ALERT])
    group = rules.rule_groups(settings)[-1]
    assert group.name == c.GROUP_CUSTOM
    assert [r.name for r in group.rules] == ["WeatherSlow"]
    assert group.rules[0].labels == {c.LABEL_SEVERITY: c.SEVERITY_WARNING}


def test_custom_rules_arrive_as_json_from_the_engine_like_typed_yaml():
    import json

    assert regional(customRules=json.dumps([CUSTOM_ALERT])) == regional(customRules=[CUSTOM_ALERT])


# --------------------------------------------------------------------------
# Bad custom rules fail before anything is deployed, naming the rule
# --------------------------------------------------------------------------

@pytest.mark.parametrize("rule, message", [
    ({"record": "mcp_mesh:broken", "expr": "sum(rate(mcp_mesh_requests_total[5m])"},
     "customRules[0]: recording rule 'mcp_mesh:broken': invalid PromQL: unclosed left parenthesis"),
    ({**CUSTOM_ALERT, "expr": "up == == 0"},
     "customRules[0]: alert 'WeatherSlow': invalid PromQL: "),
    ({"record": c.RECORD_REQUEST_RATE, "expr": "vector(1)"},
     "customRules[0].record: rule 'mcp_mesh:request_rate' is already defined"),
    ({"record": "mcp mesh", "expr": "vector(1)"},
     "customRules[0].record: expected a metric name like mcp_mesh:my_ratio, got 'mcp mesh'"),
    ({"record": "mcp_mesh:x", "alert": "X", "expr": "vector(1)"},
     "customRules[0]: needs exactly one of 'record' and 'alert'"),
    ({"record": "mcp_mesh:x", "expr": "vector(1)", "for": "5m"},
     "customRules[0]: recording rule 'mcp_mesh:x' takes no 'for' or 'annotations'"),
    ({**CUSTOM_ALERT, "annotations": {"summary": "s"}},
     "customRules[0].annotations: alert 'WeatherSlow' needs a 'description' annotation"),
    ({**CUSTOM_ALERT, "annotations": {"summary": "s", "description": "{% raw %}{{ $labels.pod }}{% endraw %}"}},
     "customRules[0].annotations.description: alert 'WeatherSlow': Jinja markup"),
    ({**CUSTOM_ALERT, "labels": {"severity": "page"}},
     "customRules[0].labels.severity: expected critical or warning, got 'page'"),
    ({**CUSTOM_ALERT, "for": "5 minutes"},
     "customRules[0].for: expected a duration like 30d, got '5 minutes'"),
    ({**CUSTOM_ALERT, "expresion": "x"},
     "customRules[0].expresion: unknown setting (did you mean 'customRules[0].expr'?)"),
])
def test_a_bad_custom_rule_fails_at_settings_time_with_its_name_and_the_reason(rule, message):
    with pytest.raises(SettingsError) as err:
        regional(customRules=[rule])
    assert str(err.value).startswith(message)


def test_the_second_of_two_custom_rules_with_one_name_is_rejected():
    with pytest.raises(SettingsError) as err:
        regional(customRules=[CUSTOM_ALERT, CUSTOM_ALERT])
    assert str(err.value) == "customRules[1].alert: rule 'WeatherSlow' is already defined"


@pytest.mark.parametrize("overrides, message", [
    ({"runbookBaseUrl": "https://wiki.example.com/runbooks#top"},
     "runbookBaseUrl: expected an http:// or https:// URL without a #fragment"),
    ({"sloLatencyThreshold": "1 second"}, "sloLatencyThreshold: expected a duration like 30d, got '1 second'"),
    ({"remoteWriteMaxLag": "0s"}, "remoteWriteMaxLag: expected a duration like 30d, got '0s'"),
    ({"prometheusMemoryAlertPercent": 120}, "prometheusMemoryAlertPercent: expected a percentage from 1 to 100"),
    ({"customRules": {"record": "x"}}, "customRules: expected a list of rules"),
])
def test_a_bad_rule_setting_fails_with_its_key(overrides, message):
    with pytest.raises(SettingsError) as err:
        regional(**overrides)
    assert str(err.value).startswith(message)


# --------------------------------------------------------------------------
# The stack's own volumes
# --------------------------------------------------------------------------

def _volume_alerts(settings):
    return {r.alert: r.expr for g in rules.rule_groups(settings) if g.name == c.GROUP_VOLUMES for r in g.rules}


def test_volume_alerts_compare_each_claim_with_its_own_setting():
    exprs = _volume_alerts(regional(storageSize="200Gi", grafanaPersistenceSize="20Gi",
                                    grafanaStorageClassName="gp3-grafana"))
    size, klass = exprs[c.ALERT_VOLUME_SIZE_MISMATCH], exprs[c.ALERT_VOLUME_CLASS_MISMATCH]
    # 200Gi = 200 * 2^30, 20Gi = 20 * 2^30 bytes
    assert "!= 214748364800" in size and "!= 21474836480" in size
    assert 'storageclass!="fast-ssd"' in klass and 'storageclass!="gp3-grafana"' in klass


def test_a_volume_on_the_clusters_default_class_has_no_class_to_compare():
    dev = load_stack("dev")
    assert dev.storage.class_name == "" and dev.grafana.storage_class == ""
    assert set(_volume_alerts(dev)) == {c.ALERT_VOLUME_SIZE_MISMATCH}


def test_without_grafana_only_prometheus_claims_are_watched():
    exprs = _volume_alerts(regional(grafanaEnabled=False))
    assert all("grafana" not in expr for expr in exprs.values())
    assert all(c.prometheus_volume_claim_regex("prometheus") in expr for expr in exprs.values())


# --------------------------------------------------------------------------
# The README's table of alerts
# --------------------------------------------------------------------------

def test_the_readme_lists_every_alert_every_stack_deploys_with_severity_for_and_runbook():
    from monitoring.settings.generate import alerts_table

    readme = (PROJECT_ROOT / "README.md").read_text()
    assert alerts_table() in readme, "README.md's alerts table is stale: python -m monitoring.settings --write"
    rows = [line.split(" | ") for line in alerts_table().splitlines() if line.startswith("| `")]
    listed = {(row[0].strip("| `"), row[3], row[4]) for row in rows}
    deployed = {(a.alert, a.labels[c.LABEL_SEVERITY], a.for_) for stack in stack_names()
                for a in alerts(load_stack(stack))}
    assert listed == deployed
    anchors = _markdown_anchors(RUNBOOKS.read_text())
    assert all(row[6].rpartition("#")[2].rstrip(") |") in anchors for row in rows)
