"""Routing by severity, proven with `amtool check-config` and `amtool config routes test`."""

from __future__ import annotations

import json

import pytest
import yaml

from monitoring import conventions as c
from monitoring.settings import SettingsError
from monitoring.values import pagerduty_routing_key_path, slack_webhook_path
from tests.alerting.routing import amtool, rendered_config, route_of, stack_settings

PROD = "prod-us-east-1"


@pytest.fixture
def write_config(tmp_path):
    def write(settings):
        config = rendered_config(settings)
        path = tmp_path / "alertmanager.yml"
        path.write_text(yaml.safe_dump(config))
        check = amtool("check-config", str(path))
        assert check.returncode == 0 and "SUCCESS" in check.stdout, check.stdout + check.stderr
        return path, config
    return write


@pytest.mark.parametrize("stack", ["dev", PROD, "prod"])
def test_critical_alerts_page_warnings_become_tickets_and_the_rest_goes_to_the_default(stack, write_config):
    path, _ = write_config(stack_settings(stack))
    assert route_of(path, alertname="MCPMeshErrorBudgetBurn", severity="critical") == c.ALERTMANAGER_PAGE_RECEIVER
    assert route_of(path, alertname="MCPMeshAgentHighErrorRate", severity="warning") == c.ALERTMANAGER_TICKET_RECEIVER
    assert route_of(path, alertname="KubeSomething", severity="info") == c.ALERTMANAGER_DEFAULT_RECEIVER
    assert route_of(path, alertname="Unlabelled") == c.ALERTMANAGER_DEFAULT_RECEIVER
    # the chart's dead man's switch notifies nobody, whatever its severity
    assert route_of(path, alertname="Watchdog", severity="none") == c.ALERTMANAGER_NULL_RECEIVER
    assert route_of(path, alertname="Watchdog", severity="critical") == c.ALERTMANAGER_NULL_RECEIVER


def test_pages_and_tickets_post_to_their_own_slack_channels(write_config):
    settings = stack_settings(PROD, pageSlackChannel="#mesh-pages", ticketSlackChannel="#mesh-tickets")
    _, config = write_config(settings)
    channels = {r["name"]: [s["channel"] for s in r.get("slack_configs", [])] for r in config["receivers"]}
    assert channels == {
        c.ALERTMANAGER_DEFAULT_RECEIVER: ["#alerts"],
        c.ALERTMANAGER_PAGE_RECEIVER: ["#mesh-pages"],
        c.ALERTMANAGER_TICKET_RECEIVER: ["#mesh-tickets"],
        c.ALERTMANAGER_NULL_RECEIVER: [],
    }
    for receiver in config["receivers"]:
        for slack in receiver.get("slack_configs", []):
            assert slack["api_url_file"] == slack_webhook_path(settings) and "api_url" not in slack


def test_channels_left_empty_fall_back_to_the_default_channel(write_config):
    _, config = write_config(stack_settings(PROD))
    pages = next(r for r in config["receivers"] if r["name"] == c.ALERTMANAGER_PAGE_RECEIVER)
    assert [s["channel"] for s in pages["slack_configs"]] == ["#alerts"]


def test_pages_go_to_pagerduty_with_the_routing_key_read_from_a_mounted_secret(write_config):
    settings = stack_settings(PROD, frozenset({c.SECRET_PAGERDUTY_ROUTING_KEY}), pagerdutyPages=True)
    path, config = write_config(settings)
    pages = next(r for r in config["receivers"] if r["name"] == c.ALERTMANAGER_PAGE_RECEIVER)
    assert "slack_configs" not in pages
    (pagerduty,) = pages["pagerduty_configs"]
    assert pagerduty == {"routing_key_file": pagerduty_routing_key_path(settings), "send_resolved": True}
    assert pagerduty["routing_key_file"] == (
        f"{c.ALERTMANAGER_SECRETS_DIR}/{c.pagerduty_secret_name('prometheus')}/{c.PAGERDUTY_ROUTING_KEY_KEY}")
    assert route_of(path, alertname="X", severity="critical") == c.ALERTMANAGER_PAGE_RECEIVER
    from monitoring.plan import build_plan
    plan = build_plan(settings)
    mounted = plan.stack_release.values["alertmanager"]["alertmanagerSpec"]["secrets"]
    assert mounted == [c.slack_secret_name("prometheus"), c.pagerduty_secret_name("prometheus")]
    (secret,) = [s for s in plan.secrets if s.name == c.pagerduty_secret_name("prometheus")]
    assert secret.data[c.PAGERDUTY_ROUTING_KEY_KEY].ref == c.SECRET_PAGERDUTY_ROUTING_KEY
    assert "routing_key\"" not in json.dumps(plan.stack_release.values)  # never the key itself


def test_pagerduty_pages_need_their_routing_key_secret():
    with pytest.raises(SettingsError) as err:
        stack_settings(PROD, pagerdutyPages=True)
    assert str(err.value).startswith(f"{c.SECRET_PAGERDUTY_ROUTING_KEY}: required secret is not set")


def test_a_page_channel_without_slack_is_refused():
    with pytest.raises(SettingsError) as err:
        stack_settings("dev", pageSlackChannel="#pages")
    assert str(err.value) == ("pageSlackChannel: needs slackChannel (the Slack webhook's receiver), "
                              "got '#pages' with slackChannel ''")


def test_a_malformed_ticket_channel_is_refused():
    with pytest.raises(SettingsError) as err:
        stack_settings(PROD, ticketSlackChannel="tickets")
    assert str(err.value) == "ticketSlackChannel: expected a channel like #alerts, got 'tickets'"


def test_critical_inhibits_warning_of_the_same_alert_and_agent_only(write_config):
    _, config = write_config(stack_settings(PROD))
    ours = config["inhibit_rules"][0]
    assert ours == {"source_matchers": ['severity = "critical"'], "target_matchers": ['severity = "warning"'],
                    "equal": ["alertname", "cluster", "namespace", "agent", "slo"]}
    # the chart's rule inhibiting by namespace and name alone (any agent) is gone
    assert not any(r.get("equal") == ["namespace", "alertname"] and "warning" in str(r.get("target_matchers"))
                   for r in config["inhibit_rules"])


def _built_alerts(settings):
    from monitoring.plan import build_plan
    from monitoring.resources import AlertingRule

    return [rule for cr in build_plan(settings).prometheus_rules() for group in cr.groups for rule in group.rules
            if isinstance(rule, AlertingRule)]


@pytest.mark.parametrize("stack", [PROD, "prod"])
def test_every_alert_the_stack_builds_pages_or_opens_a_ticket_by_its_severity(stack, write_config):
    settings = stack_settings(stack)
    path, _ = write_config(settings)
    receivers = {c.SEVERITY_CRITICAL: c.ALERTMANAGER_PAGE_RECEIVER, c.SEVERITY_WARNING: c.ALERTMANAGER_TICKET_RECEIVER}
    routed = set()
    for rule in _built_alerts(settings):
        # the labels the alert carries: its rule's, plus those of the series it fires on
        labels = {"alertname": rule.alert, **rule.labels, "cluster": settings.cluster, "namespace": "mcp-mesh",
                  "agent": "weather"}
        assert route_of(path, **labels) == receivers[rule.labels[c.LABEL_SEVERITY]], labels
        routed.add((rule.alert, rule.labels[c.LABEL_SEVERITY]))
    if stack == PROD:
        assert {(c.ALERT_SLO_BUDGET_BURN, c.SEVERITY_CRITICAL), (c.ALERT_SLO_BUDGET_BURN, c.SEVERITY_WARNING),
                (c.ALERT_AGENT_HIGH_ERROR_RATE, c.SEVERITY_WARNING)} <= routed


def test_an_alert_whose_severity_is_overridden_routes_by_its_new_severity(write_config):
    settings = stack_settings(PROD, ruleOverrides={c.ALERT_AGENT_TRAFFIC_STOPPED: {"severity": "critical"}})
    path, _ = write_config(settings)
    [rule] = [r for r in _built_alerts(settings) if r.alert == c.ALERT_AGENT_TRAFFIC_STOPPED]
    assert route_of(path, alertname=rule.alert, **rule.labels, agent="weather") == c.ALERTMANAGER_PAGE_RECEIVER
