"""Every dashboard panel shows data, on real servers fed by instrumented agents under load.

    agent processes (mcp_mesh_metrics with business metrics, under load)
      -> two regional Prometheus servers (the rendered monitors and probe, the
         rule files, a self-scrape as the chart's own ServiceMonitor does it,
         remote write into VictoriaMetrics)
           -> the global Prometheus via /federate (the rendered federation job)

Each panel's queries are taken from the dashboard JSON the stack deploys,
expanded the way Grafana expands them (``$__rate_interval``, the ``agent``
variable with the values its own query returns) and run against the server
the dashboard reads: the regional dashboards against each region, the global
stack's against the global server. A query that returns nothing is a panel
that would say "No data" on a working mesh.

Time is compressed as in :mod:`tests.e2e.test_multi_region` (1 s scrapes and
evaluations, 15 s rate windows); the SLO windows (1h to 30d) then simply
cover all the data there is.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
import yaml

from monitoring import conventions as c
from monitoring import dashboards, scrape
from monitoring.federation import SOURCE_CLUSTER_LABEL
from monitoring.plan import build_plan
from monitoring.settings import StackSettings, load_settings
from monitoring.stacks import load_stack, read_stack_config
from tests.e2e.emulation import FakePod, FakePort, scrape_configs, write_discovery
from tests.e2e.test_multi_region import (
    FAST, Region, fast_rule_files, global_federation, remote_write_config, start_agent,
)
from tests.grafana import expand, panel_queries, variable_queries
from tests.servers import PrometheusServer, Response, ServerPool, write_yaml

pytestmark = pytest.mark.e2e

RATE_INTERVAL = "15s"  # Grafana's $__rate_interval for 1 s scrapes (4 intervals, at least the rules' window)
REGIONS = (
    Region("prod-us-east-1", "weather", rate=10, error_every=5, replicas=1),
    Region("prod-us-west-2", "calculator", rate=4, error_every=0, replicas=1),
)
GLOBAL = "prod"
QUERY_TIMEOUT = 30.0


@dataclass
class Fleet:
    servers: dict[str, PrometheusServer] = field(default_factory=dict)  # stack -> Prometheus
    settings: dict[str, StackSettings] = field(default_factory=dict)
    agents: list[Any] = field(default_factory=list)


def _self_scrape(server: PrometheusServer, settings: StackSettings) -> None:
    """Add the job the chart's Prometheus ServiceMonitor gives a Prometheus scraping itself, and reload."""
    config = yaml.safe_load(server.config_path.read_text())
    pod = f"prometheus-{c.prometheus_service_name(settings.release_name)}-0"
    config["scrape_configs"].append({
        "job_name": c.prometheus_service_name(settings.release_name),
        "scrape_interval": FAST,
        "static_configs": [{"targets": [server.address], "labels": {
            c.LABEL_NAMESPACE: settings.namespace, c.LABEL_POD: pod, "container": c.PROMETHEUS_CONTAINER}}],
    })
    write_yaml(server.config_path, config)
    server.reload()


def _regional_settings(region: Region) -> StackSettings:
    plain, _ = read_stack_config(region.stack)
    # A remote-write target, so the pipeline dashboard has its remote-write panels.
    return load_settings(region.stack, {
        **plain, "remoteWrite": [{"name": "long-term", "url": "https://long-term-store.example.com/api/v1/write"}]})


@pytest.fixture(scope="module")
def fleet(module_servers: ServerPool, tmp_path_factory) -> Fleet:
    pool = module_servers
    work = tmp_path_factory.mktemp("dashboards")
    victoria = pool.victoria_metrics()
    blackbox = pool.blackbox_exporter(scrape.blackbox_exporter_values()["config"])
    fleet = Fleet()
    try:
        endpoints = {}
        for region in REGIONS:
            settings = _regional_settings(region)
            fleet.settings[region.stack] = settings
            plan = build_plan(settings)
            agent, agent_address = start_agent(region, "--business")
            fleet.agents.append(agent)
            registry = pool.stub({c.MESH_REGISTRY_HEALTH_PATH: Response.json({"status": "healthy"})})
            in_cluster = {
                c.blackbox_exporter_address(settings.namespace): blackbox.address,
                f"{c.MESH_REGISTRY_SERVICE}.{settings.mesh.namespace}.svc:{c.MESH_REGISTRY_PORT}": registry.address,
            }

            def resolve(address: str, in_cluster=in_cluster) -> str:
                for name, local in in_cluster.items():
                    address = address.replace(name, local)
                return address

            pod = FakePod(
                name=f"{region.agent}-agent-7d9c8b6f5-abcde", namespace=settings.mesh.namespace,
                labels={**c.MESH_AGENT_SELECTOR, c.MESH_AGENT_NAME_LABEL: region.agent},
                # The upstream chart's one declared port, and the podAnnotations naming the library's.
                ports=(FakePort(c.MESH_HTTP_PORT_NAME, 8080, agent_address),),
                annotations={scrape.ANNOTATION_SCRAPE: "true", scrape.ANNOTATION_PORT: agent_address.rsplit(":", 1)[1]})
            files = write_discovery(work / region.stack / "sd", [pod], [])
            jobs = scrape_configs(plan.custom_resources, files, resolve)
            for job in jobs:
                job["scrape_interval"] = FAST
            remote_write = [remote_write_config(spec, victoria.remote_write_url)
                            for spec in plan.stack_release.values["prometheus"]["prometheusSpec"]["remoteWrite"]]
            server = pool.prometheus({
                "global": {"scrape_interval": FAST, "evaluation_interval": FAST, "scrape_timeout": FAST,
                           "external_labels": dict(settings.external_labels)},
                "scrape_configs": jobs,
                "remote_write": remote_write,
            }, rule_files=fast_rule_files(plan, work / region.stack / "rules"), name=region.stack)
            _self_scrape(server, settings)
            fleet.servers[region.stack] = server
            endpoints[region.stack] = server.address

        assert len(endpoints) == len(REGIONS)
        global_settings, plan, _, federate = global_federation(GLOBAL, endpoints)
        server = pool.prometheus({
            "global": {"scrape_interval": FAST, "evaluation_interval": FAST,
                       "external_labels": dict(global_settings.external_labels)},
            "scrape_configs": [federate],
        }, rule_files=fast_rule_files(plan, work / GLOBAL / "rules"), name=GLOBAL)
        _self_scrape(server, global_settings)
        fleet.servers[GLOBAL] = server
        fleet.settings[GLOBAL] = global_settings
        for region in REGIONS:
            server.wait_for(f'{c.RECORD_REGISTRY_HEALTH_SCORE}{{{SOURCE_CLUSTER_LABEL}="{region.stack}"}}',
                            timeout=QUERY_TIMEOUT)
        yield fleet
    finally:
        for agent in fleet.agents:
            agent.terminate()
            agent.wait(10)


def _cases():
    for stack in (*(r.stack for r in REGIONS), GLOBAL):
        settings = _regional_settings(next(r for r in REGIONS if r.stack == stack)) \
            if stack != GLOBAL else load_stack(GLOBAL)
        for board in dashboards.dashboards(settings):
            yield pytest.param(stack, board.uid, id=f"{stack}/{board.uid}")


def _agent_regex(server: PrometheusServer, board: dict) -> str:
    """The ``agent`` variable as Grafana fills it: the values its query returns, all selected."""
    values = set()
    for name, selector in variable_queries(board):
        assert name == c.AGENT_VARIABLE
        series = server.wait_for(selector, timeout=QUERY_TIMEOUT)
        values |= {s["metric"][c.LABEL_AGENT] for s in series}
    return "(" + "|".join(sorted(re.escape(v) for v in values)) + ")" if values else ".*"


@pytest.mark.parametrize("stack, uid", list(_cases()))
def test_every_panel_query_returns_data(fleet, stack, uid):
    [board] = [b.to_json() for b in dashboards.dashboards(fleet.settings[stack]) if b.uid == uid]
    server = fleet.servers[stack]
    agent = _agent_regex(server, board)
    empty = []
    checked = 0
    for title, expr in panel_queries(board):
        query = expand(expr, rate_interval=RATE_INTERVAL, agent=agent)
        try:
            server.wait_for(query, timeout=QUERY_TIMEOUT)
            checked += 1
        except TimeoutError:
            empty.append(f"{title}: {query}")
    assert not empty, f"{stack}/{uid}: panels without data:\n" + "\n".join(empty)
    assert checked >= 5


def test_the_agent_variable_lists_each_regions_agent(fleet):
    [board] = [b.to_json() for b in dashboards.dashboards(fleet.settings[REGIONS[0].stack])
               if b.uid == c.DASHBOARD_AGENT_DETAIL]
    for region in REGIONS:
        assert _agent_regex(fleet.servers[region.stack], board) == f"({region.agent})"


def test_the_global_dashboard_shows_each_region_side_by_side(fleet):
    [board] = [b.to_json() for b in dashboards.dashboards(fleet.settings[GLOBAL]) if b.uid == c.DASHBOARD_GLOBAL]
    [(_, expr)] = [(t, e) for t, e in panel_queries(board) if t == "Request rate by region"]
    expected = {fleet.settings[r.stack].region: r.rate for r in REGIONS}

    def by_region(result) -> dict[str, float]:
        return {s["metric"][c.LABEL_REGION]: float(s["value"][1]) for s in result}

    def settled(result) -> bool:
        # Once a full rate window of load is behind each region.
        values = by_region(result)
        return values.keys() == expected.keys() and all(
            rate * 0.7 <= values[region] <= rate * 1.3 for region, rate in expected.items())
    try:
        fleet.servers[GLOBAL].wait_for(expand(expr), timeout=60, predicate=settled)
    except TimeoutError:
        pytest.fail(f"regions' request rates {by_region(fleet.servers[GLOBAL].query(expand(expr)))}, "
                    f"expected about {expected}")
