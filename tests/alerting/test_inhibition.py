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


def test_a_page_inhibits_the_ticket_of_the_same_alert_and_agent_but_not_of_another_agent(servers):
    config = rendered_config(stack_settings("prod-us-east-1"))
    # no notification leaves the machine: every receiver without integrations
    config["receivers"] = [{"name": r["name"]} for r in config["receivers"]]
    am = servers.alertmanager(config)
    name = "MCPMeshAgentHighErrorRate"
    alerts = [
        _alert(name, "critical", agent="weather", namespace="mcp-mesh"),
        _alert(name, "warning", agent="weather", namespace="mcp-mesh"),
        _alert(name, "warning", agent="calendar", namespace="mcp-mesh"),
        _alert("MCPMeshAgentHighLatency", "warning", agent="weather", namespace="mcp-mesh"),
    ]
    status, body = http_post(f"{am.url}/api/v2/alerts", json.dumps(alerts).encode())
    assert status == 200, body

    def states():
        got = am.alerts()
        if len(got) < len(alerts):
            return None
        return {(a["labels"]["alertname"], a["labels"]["severity"], a["labels"]["agent"]): a["status"]["state"]
                for a in got}

    # inhibition is evaluated when the alerts are listed; give Alertmanager the alerts first
    result = wait_until(states, timeout=10, what="Alertmanager to hold the alerts")
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
