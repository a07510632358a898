"""Inhibition as a real Alertmanager applies it, with the configuration a stack deploys."""

from __future__ import annotations

import json
import time

from monitoring import conventions as c
from tests.alerting.routing import rendered_config, stack_settings
from tests.servers import http_post, wait_until


def _alert(name: str, severity: str, **labels: str) -> dict:
    return {"labels": {"alertname": name, "severity": severity, "cluster": "prod-us-east-1", **labels},
            "annotations": {"summary": name},
            "startsAt": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))}


def _states(am, alerts: list[dict], key: tuple[str, ...]) -> dict:
    """Post ``alerts`` to Alertmanager and return each one's state, keyed by the labels in ``key``.

    Inhibition is evaluated when the alerts are listed, so the listing waits until all are held.
    """
    status, body = http_post(f"{am.url}/api/v2/alerts", json.dumps(alerts).encode())
    assert status == 200, body

    def states():
        got = am.alerts()
        if len(got) < len(alerts):
            return None
        return {tuple(a["labels"][k] for k in key): a["status"]["state"] for a in got}

    return wait_until(states, timeout=10, what="Alertmanager to hold the alerts")


def _silent_alertmanager(servers, settings):
    """A real Alertmanager with the stack's configuration; no notification leaves the machine."""
    config = rendered_config(settings)
    config["receivers"] = [{"name": r["name"]} for r in config["receivers"]]
    return servers.alertmanager(config)


def test_a_page_inhibits_the_ticket_of_the_same_alert_and_agent_but_not_of_another_agent(servers):
    am = _silent_alertmanager(servers, stack_settings("prod-us-east-1"))
    name = "MCPMeshAgentHighErrorRate"
    alerts = [
        _alert(name, "critical", agent="weather", namespace="mcp-mesh"),
        _alert(name, "warning", agent="weather", namespace="mcp-mesh"),
        _alert(name, "warning", agent="calendar", namespace="mcp-mesh"),
        _alert("MCPMeshAgentHighLatency", "warning", agent="weather", namespace="mcp-mesh"),
    ]
    result = _states(am, alerts, ("alertname", "severity", "agent"))
    assert result == {
        (name, "critical", "weather"): "active",
        (name, "warning", "weather"): "suppressed",
        (name, "warning", "calendar"): "active",
        ("MCPMeshAgentHighLatency", "warning", "weather"): "active",
    }
    inhibited = next(a for a in am.alerts() if a["labels"]["severity"] == "warning"
                     and a["labels"]["agent"] == "weather" and a["labels"]["alertname"] == name)
    assert inhibited["status"]["inhibitedBy"], inhibited
    assert c.ALERTMANAGER_PAGE_RECEIVER in {r["name"] for a in am.alerts() for r in a["receivers"]}


def test_a_burn_rate_page_inhibits_the_tickets_of_the_same_slo_and_agent_only(servers):
    """The alerts as the stack builds them: one name, severity and window labels from the burn-rate table."""
    from monitoring.plan import build_plan
    from monitoring.resources import AlertingRule

    settings = stack_settings("prod-us-east-1")
    burns = [r for cr in build_plan(settings).prometheus_rules() for g in cr.groups for r in g.rules
             if isinstance(r, AlertingRule) and r.alert == c.ALERT_SLO_BUDGET_BURN]
    page = next(r for r in burns if r.labels[c.LABEL_SEVERITY] == c.SEVERITY_CRITICAL
                and r.labels[c.LABEL_SLO] == "availability")
    tickets = [r for r in burns if r.labels[c.LABEL_SEVERITY] == c.SEVERITY_WARNING]
    am = _silent_alertmanager(servers, settings)

    def fired(rule, agent="weather"):
        labels = {k: v for k, v in rule.labels.items() if k != c.LABEL_SEVERITY}
        return _alert(rule.alert, rule.labels[c.LABEL_SEVERITY], **labels, agent=agent, namespace="mcp-mesh")

    alerts = [fired(page), *map(fired, tickets)]
    alerts += [fired(t, "calendar") for t in tickets if t.labels[c.LABEL_SLO] == "availability"]
    result = _states(am, alerts, (c.LABEL_SLO, c.LABEL_BURN_WINDOW, "agent"))
    assert result == {
        ("availability", "1h", "weather"): "active",  # the page
        # its tickets, whatever their window, are held back
        ("availability", "1d", "weather"): "suppressed",
        ("availability", "3d", "weather"): "suppressed",
        # another SLO's, another agent's are not
        ("latency", "1d", "weather"): "active",
        ("latency", "3d", "weather"): "active",
        ("availability", "1d", "calendar"): "active",
        ("availability", "3d", "calendar"): "active",
    }
