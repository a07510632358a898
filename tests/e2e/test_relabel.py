"""The mesh's monitors, probe and scrape configs, run by a real Prometheus.

A fake ``mcp-mesh`` namespace (upstream agent and registry pods with their
real labels, annotations and ports, plus decoys) is discovered through
file_sd targets that carry the ``__meta_kubernetes_*`` labels kubernetes_sd
would give them; real HTTP servers on loopback answer for each port. The
stack's CRs, as ``build_plan`` makes them, are translated into scrape jobs the
way the operator does (:mod:`tests.e2e.emulation`), Prometheus 2.42 scrapes
them, and the tests read what it stored.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
import yaml
from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from mcp_mesh_metrics import names
from monitoring import conventions as c
from monitoring import scrape
from monitoring.plan import build_plan
from monitoring.settings import load_settings
from tests.e2e.emulation import FakePod, FakePort, FakeService, scrape_configs, write_discovery
from tests.servers import HTTPStub, PrometheusServer, Response, ServerPool, free_port, promtool

pytestmark = pytest.mark.e2e

MESH = c.MESH_NAMESPACE
AGENT_LABELS = {**c.MESH_AGENT_SELECTOR}
REGISTRY_LABELS = {**c.MESH_REGISTRY_SELECTOR, "app.kubernetes.io/instance": "mcp-mesh-registry"}
WEATHER_POD = "weather-agent-6d5f8b7c9-x2k4q"
CALCULATOR_POD = "calculator-agent-5c4b7d8f6-p9r2m"
STRAY_POD = "weather-agent-7f8e9d0c1-zz9yy"
CUSTOM_POD = "custom-tool-64b8f9d7c-q7w2e"
REGISTRY_POD = "mcp-mesh-registry-0"
GO_MEMSTATS = "# TYPE go_memstats_alloc_bytes gauge\ngo_memstats_alloc_bytes 1.2e+06\n" \
              "# TYPE go_memstats_heap_inuse_bytes gauge\ngo_memstats_heap_inuse_bytes 2.5e+06\n"


def upstream_gauges(agent: str) -> Response:
    """What an upstream agent serves on its http port: two gauges, labelled with its own name."""
    return Response.metrics(
        f"# TYPE {names.UPSTREAM_UP} gauge\n{names.UPSTREAM_UP}{{agent=\"{agent}\"}} 1\n"
        f"# TYPE {names.UPSTREAM_WRAPPERS} gauge\n{names.UPSTREAM_WRAPPERS}{{agent=\"{agent}\"}} 3\n"
        f"# TYPE go_goroutines gauge\ngo_goroutines 12\n" + GO_MEMSTATS)


def library_metrics(agent: str) -> Response:
    """Request metrics as prometheus_client exposes them, under the library's names."""
    registry = CollectorRegistry()
    requests = Counter(names.REQUESTS, "requests", names.REQUESTS_LABELS, registry=registry)
    requests.labels(agent, "get_forecast", names.STATUS_SUCCESS).inc(7)
    requests.labels(agent, "get_forecast", names.STATUS_ERROR).inc(1)
    Gauge("go_memstats_alloc_bytes", "bytes", registry=registry).set(1.2e6)
    return Response.metrics(generate_latest(registry).decode())


@dataclass
class Mesh:
    prometheus: PrometheusServer
    stubs: dict[str, HTTPStub]
    config: dict


@pytest.fixture(scope="module")
def mesh(module_servers: ServerPool) -> Mesh:
    settings = load_settings("e2e", {"role": "dev", "kubernetesSdJobs": True})
    plan = build_plan(settings)
    pool = module_servers
    stubs = {
        "weather-http": pool.stub({"/metrics": upstream_gauges("weather")}),
        "weather-library": pool.stub({"/metrics": library_metrics("weather")}),
        "calculator-http": pool.stub({"/metrics": upstream_gauges("calculator")}),
        "stray": pool.stub({"/metrics": upstream_gauges("weather")}),
        "custom": pool.stub({"/custom-metrics": Response.metrics("# TYPE custom_jobs_total counter\n"
                                                                 "custom_jobs_total 5\n" + GO_MEMSTATS)}),
        # Upstream's registry: /health answers, /metrics is a 404.
        "registry": pool.stub({c.MESH_REGISTRY_HEALTH_PATH: Response.json(
            {"status": "healthy", "service": "mcp-mesh-registry"})}),
    }
    nothing = f"127.0.0.1:{free_port()}"  # a declared port nobody listens on

    def agent(pod, namespace, release, ports, library=None):
        # The upstream chart's pod: one declared port (http); with the library,
        # podAnnotations naming its port (here: where the stub for it listens).
        annotations = {} if library is None else {scrape.ANNOTATION_SCRAPE: "true",
                                                  scrape.ANNOTATION_PORT: str(library.port)}
        return FakePod(pod, namespace, {**AGENT_LABELS, c.MESH_AGENT_NAME_LABEL: release}, ports, annotations)

    # Released as "weather-agent", reporting its mesh name "weather".
    weather = agent(WEATHER_POD, MESH, "weather-agent", (
        FakePort(c.MESH_HTTP_PORT_NAME, 8080, stubs["weather-http"].address),), library=stubs["weather-library"])
    calculator = agent(CALCULATOR_POD, MESH, "calculator-agent", (
        FakePort(c.MESH_HTTP_PORT_NAME, 8080, stubs["calculator-http"].address),))
    # Same labels, other namespace: must not be scraped.
    stray = agent(STRAY_POD, "staging", "weather-agent", (
        FakePort(c.MESH_HTTP_PORT_NAME, 8080, stubs["stray"].address),), library=stubs["stray"])
    # Not an agent; asks to be scraped on another port and path than it declares.
    custom = FakePod(CUSTOM_POD, MESH, {"app.kubernetes.io/name": "custom-tool",
                                        c.MESH_AGENT_NAME_LABEL: "custom-tool"},
                     (FakePort("web", 80, nothing),), annotations={
                         scrape.ANNOTATION_SCRAPE: "true", scrape.ANNOTATION_PATH: "/custom-metrics",
                         scrape.ANNOTATION_PORT: str(stubs["custom"].port)})
    # The upstream registry chart's pod annotations (scrape "true", port 9090) and its dead metrics port.
    registry = FakePod(REGISTRY_POD, MESH, REGISTRY_LABELS, (
        FakePort(c.MESH_HTTP_PORT_NAME, c.MESH_REGISTRY_PORT, stubs["registry"].address),
        FakePort("metrics", 9090, nothing)),
        annotations={scrape.ANNOTATION_SCRAPE: "true", scrape.ANNOTATION_PORT: "9090",
                     scrape.ANNOTATION_PATH: "/metrics"}, container="registry")

    def service(pod, labels, name=None):
        return FakeService(name or pod.labels[c.MESH_AGENT_NAME_LABEL], pod.namespace, labels,
                           c.MESH_HTTP_PORT_NAME, (pod,))

    # The registry chart's two Services: same labels, same port.
    services = [service(weather, weather.labels), service(calculator, calculator.labels),
                service(stray, stray.labels), service(registry, REGISTRY_LABELS, c.MESH_REGISTRY_SERVICE),
                service(registry, REGISTRY_LABELS, f"{c.MESH_REGISTRY_SERVICE}-headless")]
    files = write_discovery(pool.root / "discovery", [weather, calculator, stray, custom, registry], services)

    blackbox = pool.blackbox_exporter(scrape.blackbox_exporter_values()["config"])
    in_cluster = {
        c.blackbox_exporter_address(settings.namespace): blackbox.address,
        f"{c.MESH_REGISTRY_SERVICE}.{MESH}.svc:{c.MESH_REGISTRY_PORT}": stubs["registry"].address,
    }

    def resolve(address: str) -> str:
        for name, local in in_cluster.items():
            address = address.replace(name, local)
        return address

    jobs = scrape_configs(plan.custom_resources, files, resolve)
    for job in jobs:
        # Intervals are not under test; a fast one keeps the test short.
        job["scrape_interval"] = "1s"
    config = {"global": {"scrape_interval": "1s", "scrape_timeout": "1s", "evaluation_interval": "1s"},
              "scrape_configs": jobs}
    prometheus = pool.prometheus(config)
    # Every job has its first scrape behind it before any test reads.
    for job, count in ((c.JOB_AGENTS, 2), (c.JOB_AGENT_METRICS, 1), (c.JOB_ANNOTATED_PODS, 1),
                       (c.JOB_REGISTRY_PROBE, 1)):
        prometheus.wait_for_scrapes(job, count, timeout=15)
    prometheus.wait_for(f'up{{job="{c.JOB_REGISTRY_ENDPOINTS}"}}')
    return Mesh(prometheus, stubs, config)


def labels_of(result):
    return sorted((r["metric"] for r in result), key=lambda m: sorted(m.items()))


def test_the_generated_scrape_config_passes_promtool(mesh):
    checked = promtool("check", "config", mesh.prometheus.config_path)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_agent_gauges_are_stored_under_the_mesh_name_with_namespace_and_pod(mesh):
    # Released as weather-agent and calculator-agent; the gauges name the agents weather and calculator.
    result = mesh.prometheus.query(f'{names.UPSTREAM_UP}{{job="{c.JOB_AGENTS}"}}')
    operator_labels = {"container": "agent", "endpoint": c.MESH_HTTP_PORT_NAME}
    assert labels_of(result) == [
        {"__name__": names.UPSTREAM_UP, "job": c.JOB_AGENTS, "agent": "calculator",
         "namespace": MESH, "pod": CALCULATOR_POD, "service": "calculator-agent",
         "instance": mesh.stubs["calculator-http"].address, **operator_labels},
        {"__name__": names.UPSTREAM_UP, "job": c.JOB_AGENTS, "agent": "weather",
         "namespace": MESH, "pod": WEATHER_POD, "service": "weather-agent",
         "instance": mesh.stubs["weather-http"].address, **operator_labels},
    ]


def test_series_without_their_own_agent_label_fall_back_to_the_release(mesh):
    prom = mesh.prometheus
    [goroutines] = prom.query(f'go_goroutines{{job="{c.JOB_AGENTS}", pod="{WEATHER_POD}"}}')
    assert goroutines["metric"]["agent"] == "weather-agent"
    up = {(r["metric"]["job"], r["metric"]["pod"]): r["metric"]["agent"]
          for r in prom.query(f'up{{job=~"{c.JOB_AGENTS}|{c.JOB_AGENT_METRICS}"}}')}
    assert up == {(c.JOB_AGENTS, WEATHER_POD): "weather-agent", (c.JOB_AGENTS, CALCULATOR_POD): "calculator-agent",
                  (c.JOB_AGENT_METRICS, WEATHER_POD): "weather-agent"}
    assert prom.series('{exported_agent!=""}') == []


def test_library_request_metrics_carry_the_same_identity_as_the_agents_gauges(mesh):
    result = mesh.prometheus.query(f'{names.REQUESTS_TOTAL}{{job="{c.JOB_AGENT_METRICS}"}}')
    assert {r["metric"][names.LABEL_STATUS]: r["value"][1] for r in result} == {"success": "7", "error": "1"}
    for r in result:
        m = r["metric"]
        assert (m["agent"], m["namespace"], m["pod"]) == ("weather", MESH, WEATHER_POD)
        assert "exported_agent" not in m
        # discovered on the declared http port, scraped on the annotated one
        assert (m["endpoint"], m["instance"]) == (c.MESH_HTTP_PORT_NAME, mesh.stubs["weather-library"].address)
    joined = mesh.prometheus.query(
        f'sum by (agent, namespace, pod) ({names.REQUESTS_TOTAL}) * on (agent, namespace, pod) group_left '
        f'{names.UPSTREAM_UP}')
    assert [r["metric"] for r in joined] == [{"agent": "weather", "namespace": MESH, "pod": WEATHER_POD}]


def test_drop_metrics_are_absent_and_everything_else_is_kept(mesh):
    prom = mesh.prometheus
    assert prom.query('{__name__=~"go_memstats_.*"}') == []
    assert labels_of(prom.query("go_goroutines"))[0]["job"] == c.JOB_AGENTS
    dropped = prom.query("scrape_samples_scraped - scrape_samples_post_metric_relabeling")
    by_job = {(r["metric"]["job"], r["metric"]["instance"]): r["value"][1] for r in dropped}
    assert by_job[(c.JOB_AGENTS, mesh.stubs["weather-http"].address)] == "2"
    assert by_job[(c.JOB_AGENT_METRICS, mesh.stubs["weather-library"].address)] == "1"
    assert by_job[(c.JOB_ANNOTATED_PODS, mesh.stubs["custom"].address)] == "2"


def test_only_selected_pods_and_ports_in_the_mesh_namespace_become_targets(mesh):
    active = {job: sorted(t["labels"]["pod"] for t in mesh.prometheus.active_targets(job))
              for job in (c.JOB_AGENTS, c.JOB_AGENT_METRICS, c.JOB_ANNOTATED_PODS)}
    assert active == {
        c.JOB_AGENTS: [CALCULATOR_POD, WEATHER_POD],
        c.JOB_AGENT_METRICS: [WEATHER_POD],  # the calculator has no annotations: no library port
        # agents and the registry (annotated for a /metrics on 9090 nothing serves) have jobs of their own
        c.JOB_ANNOTATED_PODS: [CUSTOM_POD],
    }
    assert mesh.stubs["stray"].requests == []


def test_annotated_pods_are_scraped_on_the_annotated_port_and_path(mesh):
    [series] = mesh.prometheus.query(f'custom_jobs_total{{job="{c.JOB_ANNOTATED_PODS}"}}')
    assert series["metric"] == {"__name__": "custom_jobs_total", "job": c.JOB_ANNOTATED_PODS,
                                "instance": mesh.stubs["custom"].address, "agent": "custom-tool",
                                "namespace": MESH, "pod": CUSTOM_POD}
    assert "/custom-metrics" in mesh.stubs["custom"].requests


def test_the_guides_registry_endpoints_job_finds_the_registry_and_no_metrics_there(mesh):
    # Upstream's registry answers /metrics with 404: why the job is opt-in.
    # the registry Service alone, not its headless twin
    [series] = mesh.prometheus.query(f'up{{job="{c.JOB_REGISTRY_ENDPOINTS}"}}')
    assert series["value"][1] == "0"
    assert (series["metric"]["namespace"], series["metric"]["service"]) == (MESH, c.MESH_REGISTRY_SERVICE)


def test_the_registry_probe_follows_the_registrys_health_endpoint(mesh):
    prom, registry = mesh.prometheus, mesh.stubs["registry"]
    selector = f'probe_success{{job="{c.JOB_REGISTRY_PROBE}", namespace="{MESH}", service="{c.MESH_REGISTRY_SERVICE}"}}'
    [healthy] = prom.wait_for(f"{selector} == 1")
    assert healthy["metric"]["instance"] == f"{registry.url}{c.MESH_REGISTRY_HEALTH_PATH}"
    try:
        registry.set_route(c.MESH_REGISTRY_HEALTH_PATH, Response.json({"status": "unhealthy"}, status=503))
        prom.wait_for(f"{selector} == 0")
    finally:
        registry.set_route(c.MESH_REGISTRY_HEALTH_PATH, Response.json({"status": "healthy"}))
    prom.wait_for(f"{selector} == 1")


def test_the_string_true_survives_the_yaml_round_trip(mesh):
    job = next(j for j in mesh.config["scrape_configs"] if j["job_name"].endswith(c.JOB_ANNOTATED_PODS))
    text = mesh.prometheus.config_path.read_text()
    reloaded = next(j for j in yaml.safe_load(text)["scrape_configs"] if j["job_name"] == job["job_name"])
    keep = next(r for r in reloaded["relabel_configs"] if r.get("action") == "keep"
                and r["source_labels"] == [scrape.pod_annotation(scrape.ANNOTATION_SCRAPE)])
    assert keep["regex"] == "true"
