"""Agents and a registry deployed with the upstream MCP Mesh charts, monitored with the defaults.

The upstream ``mcp-mesh-agent`` and ``mcp-mesh-registry`` charts (3.6.0, the
archives in ``reference/charts/``) are rendered with Helm as a library: the
agents with exactly the ``values.yaml`` lines the README gives (one agent
without them, as an agent that does not use the library), the registry with
none, as the README says. What kubernetes_sd would discover from the rendered
pod templates and Services (:func:`~tests.e2e.emulation.chart_pods`,
:func:`~tests.e2e.emulation.chart_services`) is run through the stack's
rendered jobs on a real Prometheus, whose scrapes reach real exporters through
an emulated pod network: the instrumentation library's metrics servers, each
labelled with its agent's mesh name, which is not its release's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator

import pytest
import yaml
from prometheus_client import CollectorRegistry

from mcp_mesh_metrics import names, start_metrics_server, track_request
from monitoring import conventions as c
from monitoring import scrape
from monitoring.plan import StackPlan, build_plan
from monitoring.settings import StackSettings, load_settings
from tests.charts.helm import chart_archive, render_chart
from tests.docs import README, the_block
from tests.e2e.emulation import FakePod, PodNetwork, chart_pods, chart_services, scrape_configs, write_discovery
from tests.e2e.test_multi_region import FAST
from tests.servers import LOOPBACK, PrometheusServer, Response, ServerPool

pytestmark = pytest.mark.e2e

CHART_VERSION = "3.6.0"


@dataclass(frozen=True)
class Deployed:
    release: str
    mesh_name: str
    readme_values: bool  # given the README's values (the agent uses the library)
    calls: int = 0
    errors: int = 0


AGENTS = (
    Deployed("calc", "calculator", readme_values=True, calls=5, errors=2),
    Deployed("weather", "weather-agent", readme_values=True, calls=3),
    Deployed("legacy-tools", "legacy-tools-agent", readme_values=False),
)


@dataclass
class Cluster:
    settings: StackSettings
    plan: StackPlan
    prometheus: PrometheusServer
    pods: dict[str, FakePod]  # release (the registry's: the core release) -> pod
    agent_objects: dict[str, list[dict]]  # release -> rendered objects
    registry_objects: list[dict]
    network: PodNetwork


def readme_values() -> dict:
    return yaml.safe_load(the_block(README, "yaml", "podAnnotations:"))


def render_agent(agent: Deployed, namespace: str) -> list[dict]:
    return render_chart(chart_archive(c.MESH_AGENT_CHART, CHART_VERSION), agent.release, namespace,
                        readme_values() if agent.readme_values else {})


def render_registry(namespace: str) -> list[dict]:
    # The registry of the mesh's core release, with the chart's own values.
    return render_chart(chart_archive(c.MESH_REGISTRY_CHART, CHART_VERSION), c.MESH_CORE_RELEASE, namespace, {})


def library_exporter(agent: Deployed):
    """The instrumentation library's metrics server for ``agent``, after its calls."""
    registry = CollectorRegistry()

    @track_request(agent.mesh_name, "get_forecast", registry=registry)
    def tool(fail: bool) -> str:
        if fail:
            raise RuntimeError("upstream unavailable")
        return "ok"

    for i in range(agent.calls):
        try:
            tool(i < agent.errors)
        except RuntimeError:
            pass
    server, _ = start_metrics_server(0, addr=LOOPBACK, registry=registry)
    return server


def the_registry_service(objects: list[dict]) -> dict:
    """The registry chart's Service that is not headless."""
    [service] = [o for o in objects if o["kind"] == "Service" and o["spec"].get("clusterIP") != "None"]
    return service


@pytest.fixture(scope="module")
def cluster(module_servers: ServerPool, tmp_path_factory) -> Iterator[Cluster]:
    work = tmp_path_factory.mktemp("upstream-charts")
    settings = load_settings("e2e", {"role": "dev", "kubernetesSdJobs": True})
    plan = build_plan(settings)
    namespace = settings.mesh.namespace

    agent_objects = {a.release: render_agent(a, namespace) for a in AGENTS}
    registry_objects = render_registry(namespace)
    everything = [o for objs in agent_objects.values() for o in objs] + registry_objects
    ips = [f"10.42.0.{i}" for i in range(10, 20)]
    pods = chart_pods(everything, namespace, ips)
    services = chart_services(everything, namespace, pods)
    by_release = {p.labels[c.MESH_AGENT_NAME_LABEL]: p for p in pods}

    routes, exporters = {}, []
    for agent in AGENTS:
        if agent.readme_values:
            server = library_exporter(agent)
            exporters.append(server)
            # In the pod, the library listens on its default port.
            routes[f"{by_release[agent.release].ip}:{names.METRICS_PORT}"] = f"{LOOPBACK}:{server.server_port}"
    # The agents' own port answers /metrics with 404 (mcp-mesh 3.8) and the
    # registry's with 404 too; the registry's /health answers.
    agent_http = module_servers.stub({})
    registry = module_servers.stub({c.MESH_REGISTRY_HEALTH_PATH: Response.json({"status": "healthy"})})
    for pod in pods:
        for port in pod.ports:
            routes[port.address] = (registry if pod.labels[c.MESH_AGENT_NAME_LABEL] == c.MESH_CORE_RELEASE
                                    else agent_http).address
    network = PodNetwork(routes)

    # The Probe reaches the registry by its Service's DNS name, as the chart renders the Service.
    service = the_registry_service(registry_objects)
    [service_port] = service["spec"]["ports"]
    blackbox = module_servers.blackbox_exporter(scrape.blackbox_exporter_values()["config"])
    in_cluster = {
        c.blackbox_exporter_address(settings.namespace): blackbox.address,
        f"{service['metadata']['name']}.{namespace}.svc:{service_port['port']}": registry.address,
    }

    def resolve(address: str) -> str:
        for name, local in in_cluster.items():
            address = address.replace(name, local)
        return address

    files = write_discovery(work / "discovery", pods, services)
    jobs = scrape_configs(plan.custom_resources, files, resolve)
    for job in jobs:
        job["scrape_interval"] = FAST
    network.carry(jobs)
    try:
        prometheus = module_servers.prometheus(
            {"global": {"scrape_interval": FAST, "scrape_timeout": FAST, "evaluation_interval": FAST},
             "scrape_configs": jobs})
        prometheus.wait_for_scrapes(c.JOB_AGENT_METRICS, sum(a.readme_values for a in AGENTS), timeout=15)
        prometheus.wait_for(f'up{{job="{c.JOB_AGENTS}"}}', predicate=lambda r: len(r) == len(AGENTS))
        prometheus.wait_for(f'up{{job="{c.JOB_REGISTRY_ENDPOINTS}"}}')
        prometheus.wait_for(f'probe_success{{job="{c.JOB_REGISTRY_PROBE}"}}')
        yield Cluster(settings, plan, prometheus, by_release, agent_objects, registry_objects, network)
    finally:
        network.stop()
        for server in exporters:
            server.shutdown()
            server.server_close()


def of_kind(objects: list[dict], kind: str) -> list[dict]:
    return [o for o in objects if o["kind"] == kind]


def pod_template(objects: list[dict]) -> dict:
    [deployment] = of_kind(objects, "Deployment")
    return deployment["spec"]["template"]


# --------------------------------------------------------------------------
# What the charts render
# --------------------------------------------------------------------------

def test_the_readme_values_annotate_the_agent_pod_which_declares_only_its_http_port(cluster):
    template = pod_template(cluster.agent_objects["calc"])
    assert readme_values()["podAnnotations"].items() <= template["metadata"]["annotations"].items()
    # The chart has no value for another container port: the library's port is not declared.
    assert [[p["name"] for p in ctr.get("ports", [])] for ctr in template["spec"]["containers"]] == [
        [c.MESH_HTTP_PORT_NAME]]
    bare = pod_template(cluster.agent_objects["legacy-tools"])
    assert scrape.ANNOTATION_SCRAPE not in bare["metadata"].get("annotations", {})


def test_the_agent_selectors_match_the_charts_pods_and_services(cluster):
    selector = cluster.settings.mesh.agent_selector
    for release, objects in cluster.agent_objects.items():
        assert selector.items() <= pod_template(objects)["metadata"]["labels"].items(), release
        [service] = of_kind(objects, "Service")
        assert selector.items() <= service["metadata"]["labels"].items(), release
        assert [p["name"] for p in service["spec"]["ports"]] == [c.MESH_HTTP_PORT_NAME]
        # The fallback agent label is the release.
        assert pod_template(objects)["metadata"]["labels"][cluster.settings.mesh.agent_name_label] == release


def test_the_registry_defaults_name_the_service_the_registry_chart_creates(cluster):
    mesh = cluster.settings.mesh
    service = the_registry_service(cluster.registry_objects)
    assert service["metadata"]["name"] == mesh.registry_service
    assert service["spec"]["ports"] == [{"name": c.MESH_HTTP_PORT_NAME, "port": c.MESH_REGISTRY_PORT,
                                         "targetPort": c.MESH_HTTP_PORT_NAME, "protocol": "TCP"}]
    assert mesh.registry_selector.items() <= service["metadata"]["labels"].items()
    assert mesh.registry_selector.items() <= pod_template(cluster.registry_objects)["metadata"]["labels"].items()
    # The agent chart's default registry is this Service, on this port.
    [config] = of_kind(cluster.agent_objects["calc"], "ConfigMap")
    assert (config["data"]["REGISTRY_HOST"], config["data"]["REGISTRY_PORT"]) == (
        mesh.registry_service, str(c.MESH_REGISTRY_PORT))


def test_the_registry_probe_targets_the_charts_service_by_its_dns_name(cluster):
    service = the_registry_service(cluster.registry_objects)
    [port] = service["spec"]["ports"]
    [probe] = [cr for cr in cluster.plan.custom_resources if cr.kind == "Probe"]
    assert probe.targets == (f"http://{service['metadata']['name']}.{cluster.settings.mesh.namespace}.svc:"
                             f"{port['port']}{c.MESH_REGISTRY_HEALTH_PATH}",)


# --------------------------------------------------------------------------
# What Prometheus stores
# --------------------------------------------------------------------------

def test_agents_with_the_readme_values_are_scraped_under_their_mesh_names(cluster):
    stored = cluster.prometheus.query(f'{names.REQUESTS_TOTAL}{{job="{c.JOB_AGENT_METRICS}"}}')
    got = {(s["metric"]["agent"], s["metric"]["pod"], s["metric"]["instance"], s["metric"][names.LABEL_STATUS]):
           float(s["value"][1]) for s in stored}
    expected = {}
    for agent in AGENTS:
        if agent.readme_values:
            pod = cluster.pods[agent.release]
            target = (agent.mesh_name, pod.name, f"{pod.ip}:{names.METRICS_PORT}")
            expected[(*target, names.STATUS_SUCCESS)] = agent.calls - agent.errors
            expected[(*target, names.STATUS_ERROR)] = agent.errors
    assert got == expected
    assert cluster.prometheus.series('{exported_agent!=""}') == []


def test_an_agent_without_the_values_is_no_library_target(cluster):
    targets = {t["labels"]["pod"] for t in cluster.prometheus.active_targets(c.JOB_AGENT_METRICS)}
    assert targets == {cluster.pods[a.release].name for a in AGENTS if a.readme_values}
    # ... and not a target that is down forever: its own port is still scraped for the upstream gauges.
    agents_job = {t["labels"]["pod"] for t in cluster.prometheus.active_targets(c.JOB_AGENTS)}
    assert agents_job == {cluster.pods[a.release].name for a in AGENTS}


def test_scrape_series_fall_back_to_the_release(cluster):
    up = {(r["metric"]["job"], r["metric"]["pod"]): r["metric"]["agent"]
          for r in cluster.prometheus.query(f'up{{job=~"{c.JOB_AGENTS}|{c.JOB_AGENT_METRICS}"}}')}
    assert up == {
        **{(c.JOB_AGENTS, cluster.pods[a.release].name): a.release for a in AGENTS},
        **{(c.JOB_AGENT_METRICS, cluster.pods[a.release].name): a.release for a in AGENTS if a.readme_values},
    }


def test_agent_and_registry_pods_are_not_scraped_again_as_annotated_pods(cluster):
    # Both charts' pods carry prometheus.io annotations; their series would be stored twice.
    assert cluster.prometheus.active_targets(c.JOB_ANNOTATED_PODS) == []


def test_the_registry_is_probed_through_its_service_and_found_by_the_endpoints_job(cluster):
    prom, mesh = cluster.prometheus, cluster.settings.mesh
    [probe] = prom.query(f'probe_success{{job="{c.JOB_REGISTRY_PROBE}"}}')
    assert probe["value"][1] == "1"
    assert (probe["metric"]["namespace"], probe["metric"]["service"]) == (mesh.namespace, mesh.registry_service)
    # The chart's two Services select the same pod: the job keeps the one the probe names.
    [target] = prom.active_targets(c.JOB_REGISTRY_ENDPOINTS)
    registry_pod = cluster.pods[c.MESH_CORE_RELEASE]
    assert target["labels"]["service"] == mesh.registry_service
    assert target["scrapeUrl"] == f"http://{registry_pod.ip}:{c.MESH_REGISTRY_PORT}{c.METRICS_PATH}"
