"""Multi-region, end to end, with real servers on loopback.

    agent processes (mcp_mesh_metrics under load)
      -> regional Prometheus servers (the rendered monitors, rules, external labels)
           -> global Prometheus via /federate (the rendered federation job)
      -> VictoriaMetrics via remote write (the rendered remote-write config)

Everything the servers run comes from the program's own builders: the
regional monitors are translated the way the operator does
(:mod:`tests.e2e.emulation`), the rule files are the rendered ones, the
federation job is the global stack's ScrapeConfig with its targets pointed at
loopback, and remote write is the rendered ``remoteWrite`` spec. Only time is
compressed: scrapes, evaluations and federation run every second instead of
every 15-30 s, rate windows span 15 s instead of 5 min, and alerts' ``for`` is
a few seconds instead of minutes; the expressions are otherwise the deployed
ones, and so are labels and annotations.

Region ``prod-us-east-1`` runs two Prometheus replicas behind one address
(a round-robin proxy standing in for the Kubernetes Service), as with
``prometheusReplicas: 2``: each replica labels its series with its own
``prometheus_replica``, and the global stack must not count them twice.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import yaml

from monitoring import conventions as c
from monitoring import scrape
from monitoring.federation import REPLICA_LABEL, SOURCE_CLUSTER_LABEL
from monitoring.plan import build_plan
from monitoring.scrape import ScrapeConfig
from monitoring.settings import load_settings
from monitoring.stacks import StackFileSources, read_stack_config
from tests.conftest import ROOT
from tests.e2e.emulation import FakePod, FakePort, FakeService, scrape_configs, write_discovery
from tests.servers import (
    LOOPBACK, PrometheusServer, Response, ServerPool, VictoriaMetricsServer, free_port, http_get, wait_until,
)

pytestmark = pytest.mark.e2e

FAST = "1s"  # scrape, evaluation and federation interval in this test
FAST_FOR = "2s"  # alerts' `for`
# Rate windows: 5m of 30s scrapes become 15s of 1s scrapes (rate() over a
# window longer than the data it has would under-report the load).
WINDOWS = {"[5m]": "[15s]"}
# The SLO windows (monitoring/slo.py): sums at 5m and 1h steps become sums at
# 1s steps over windows of seconds to minutes, so every ratio has data within
# the test (a 5m or 1h step would wait for the next whole 5 minutes or hour).
WINDOWS.update({":5m]": ":1s]", ":1h]": ":1s]", ":6h]": ":1s]", "[30m:": "[30s:", "[1h:": "[1m:", "[2h:": "[2m:",
                "[6h:": "[6m:", "[1d:": "[10m:", "[3d:": "[10m:", "[30d:": "[10m:"})
OUTAGE_SECONDS = 60


@dataclass(frozen=True)
class Region:
    stack: str
    agent: str
    rate: float  # requests per second the agent serves
    error_every: int
    replicas: int


REGIONS = (
    Region("prod-us-east-1", "weather", rate=10, error_every=5, replicas=2),
    Region("prod-us-west-2", "calculator", rate=4, error_every=0, replicas=1),
)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def global_federation(stack: str, endpoints: dict[str, str]):
    """A global stack file federating the regions emulated here (stack -> address).

    Its settings, its plan, the plan's federation job, and that job as a
    Prometheus scrape config whose targets are the emulated servers.
    """
    plain, secrets = read_stack_config(stack)
    settings = load_settings(stack, {**plain, "federationStacks": sorted(endpoints)}, secrets)
    plan = build_plan(settings, StackFileSources())
    [job] = [cr for cr in plan.of_type(ScrapeConfig) if cr.name == c.JOB_FEDERATE]
    assert sorted(sc.labels[SOURCE_CLUSTER_LABEL] for sc in job.static_configs) == sorted(endpoints)
    resolve = {sc.targets[0]: endpoints[sc.labels[SOURCE_CLUSTER_LABEL]] for sc in job.static_configs}
    [federate] = scrape_configs([job], {}, resolve=lambda address: resolve.get(address, address))
    federate["scrape_interval"] = FAST
    return settings, plan, job, federate


def fast_rule_files(plan, directory: Path) -> list[Path]:
    """The plan's rule files, with group intervals, `for` and rate windows compressed."""
    directory.mkdir(parents=True, exist_ok=True)
    paths = []
    for rule in plan.prometheus_rules():
        spec = rule.spec()
        for group in spec["groups"]:
            group["interval"] = FAST
            for r in group["rules"]:
                if "for" in r:
                    r["for"] = FAST_FOR
                for window, fast in WINDOWS.items():
                    r["expr"] = r["expr"].replace(window, fast)
        path = directory / f"{rule.name}.yaml"
        path.write_text(yaml.safe_dump(spec))
        paths.append(path)
    return paths


def remote_write_config(spec: dict[str, Any], url: str) -> dict[str, Any]:
    """A rendered ``remoteWrite`` entry as the operator writes it into prometheus.yml."""
    q = spec["queueConfig"]
    return {
        "name": spec["name"],
        "url": url,
        "remote_timeout": spec["remoteTimeout"],
        "queue_config": {
            "capacity": q["capacity"], "max_shards": q["maxShards"], "min_shards": q["minShards"],
            "max_samples_per_send": q["maxSamplesPerSend"], "batch_send_deadline": q["batchSendDeadline"],
            "min_backoff": q["minBackoff"], "max_backoff": q["maxBackoff"],
        },
        "write_relabel_configs": [
            {"source_labels": r["sourceLabels"], "regex": r["regex"], "action": r["action"]}
            for r in spec["writeRelabelConfigs"]
        ],
    }


class RoundRobinProxy:
    """One address answering from several backends in turn, as a Service does for replicas."""

    def __init__(self, backends: list[str]):
        cycle = itertools.cycle(backends)
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server interface
                with lock:
                    backend = next(cycle)
                try:
                    with urllib.request.urlopen(f"http://{backend}{self.path}", timeout=5) as answer:
                        body, status = answer.read(), answer.status
                        content_type = answer.headers.get("Content-Type", "text/plain")
                except (urllib.error.URLError, OSError):
                    body, status, content_type = b"backend unavailable", 502, "text/plain"
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def start_agent(region: Region, *extra_args: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.agent_load", "--agent", region.agent, "--port", str(port),
         "--rate", str(region.rate), "--error-every", str(region.error_every), *extra_args],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout.readline().strip() == "ready", f"agent {region.agent} did not start"
    address = f"{LOOPBACK}:{port}"
    wait_until(lambda: http_get(f"http://{address}/metrics")[0] == 200, 10, what=f"agent {region.agent}")
    return process, address


@dataclass
class Fleet:
    regional: dict[str, list[PrometheusServer]]  # stack -> replicas
    global_prometheus: PrometheusServer
    victoria: VictoriaMetricsServer
    settings: dict[str, Any]  # stack -> StackSettings
    match: list[str]
    agents: list[subprocess.Popen] = field(default_factory=list)
    proxies: list[RoundRobinProxy] = field(default_factory=list)


def _regional_settings(region: Region, vm_url: str):
    plain, _ = read_stack_config(region.stack)
    return load_settings(region.stack, {
        **plain,
        "prometheusReplicas": region.replicas,
        "remoteWrite": [{"name": "long-term", "url": vm_url}],
    })


@pytest.fixture(scope="module")
def fleet(module_servers: ServerPool, tmp_path_factory) -> Fleet:
    pool = module_servers
    work = tmp_path_factory.mktemp("fleet")
    victoria = pool.victoria_metrics()
    write_url = victoria.url + "/api/v1/write"
    fleet = Fleet(regional={}, global_prometheus=None, victoria=victoria, settings={}, match=[])  # type: ignore[arg-type]
    try:
        endpoints = {}
        for region in REGIONS:
            settings = _regional_settings(region, "https://long-term-store.example.com/api/v1/write")
            fleet.settings[region.stack] = settings
            plan = build_plan(settings)
            agent, agent_address = start_agent(region)
            fleet.agents.append(agent)
            http_stub = pool.stub({"/metrics": Response.metrics(
                f'# TYPE mcp_mesh_up gauge\nmcp_mesh_up{{agent="{region.agent}"}} 1\n')})
            pod = FakePod(
                name=f"{region.agent}-agent-7d9c8b6f5-abcde",
                namespace=settings.mesh.namespace,
                labels={**c.MESH_AGENT_SELECTOR, "app.kubernetes.io/instance": region.agent},
                ports=(FakePort("http", 8080, http_stub.address),),
                # The library's port, as the upstream chart's podAnnotations give it.
                annotations={scrape.ANNOTATION_SCRAPE: "true", scrape.ANNOTATION_PORT: agent_address.rsplit(":", 1)[1]},
            )
            service = FakeService(region.agent, settings.mesh.namespace,
                                  {**c.MESH_AGENT_SELECTOR, "app.kubernetes.io/instance": region.agent},
                                  "http", (pod,))
            files = write_discovery(work / region.stack / "sd", [pod], [service])
            monitors = [cr for cr in plan.custom_resources if cr.kind in ("ServiceMonitor", "PodMonitor")]
            jobs = scrape_configs(monitors, files)
            for job in jobs:
                job["scrape_interval"] = FAST
            rules = fast_rule_files(plan, work / region.stack / "rules")
            remote_write = [remote_write_config(spec, write_url)
                            for spec in plan.stack_release.values["prometheus"]["prometheusSpec"]["remoteWrite"]]
            replicas = []
            for i in range(region.replicas):
                external = dict(settings.external_labels)
                if region.replicas > 1:
                    # What the operator adds to each replica of a Prometheus with replicas > 1.
                    external[REPLICA_LABEL] = f"prometheus-{c.prometheus_service_name(settings.release_name)}-{i}"
                replicas.append(pool.prometheus({
                    "global": {"scrape_interval": FAST, "evaluation_interval": FAST, "external_labels": external},
                    "scrape_configs": jobs,
                    "remote_write": remote_write,
                }, rule_files=rules, name=f"{region.stack}-{i}"))
            fleet.regional[region.stack] = replicas
            if len(replicas) > 1:
                proxy = RoundRobinProxy([r.address for r in replicas])
                fleet.proxies.append(proxy)
                endpoints[region.stack] = proxy.address
            else:
                endpoints[region.stack] = replicas[0].address

        assert len(endpoints) == len(REGIONS)
        global_settings, plan, job, federate = global_federation("prod", endpoints)
        fleet.match = list(job.params["match[]"])
        fleet.global_prometheus = pool.prometheus({
            "global": {"scrape_interval": FAST, "evaluation_interval": FAST,
                       "external_labels": dict(global_settings.external_labels)},
            "scrape_configs": [federate],
        }, rule_files=fast_rule_files(plan, work / "prod" / "rules"), name="prod")
        fleet.settings["prod"] = global_settings
        # Enough history for 5m-window rates to settle near the generated load.
        for region in REGIONS:
            fleet.global_prometheus.wait_for(
                f'mcp_mesh:request_rate{{{SOURCE_CLUSTER_LABEL}="{region.stack}"}}', timeout=30)
        time.sleep(16)
        yield fleet
    finally:
        for proxy in fleet.proxies:
            proxy.stop()
        for agent in fleet.agents:
            agent.terminate()
            agent.wait(10)


def _value(sample) -> float:
    return float(sample["value"][1])


# --------------------------------------------------------------------------
# Tests (module order matters: the last two stop servers)
# --------------------------------------------------------------------------

def test_the_global_server_holds_each_regions_request_rate_with_its_labels(fleet):
    samples = fleet.global_prometheus.query("mcp_mesh:request_rate")
    by_source = {s["metric"][SOURCE_CLUSTER_LABEL]: s for s in samples}
    assert sorted(by_source) == sorted(r.stack for r in REGIONS), samples
    for region in REGIONS:
        settings = fleet.settings[region.stack]
        sample = by_source[region.stack]
        labels = sample["metric"]
        assert (labels[c.LABEL_CLUSTER], labels[c.LABEL_REGION]) == (settings.cluster, settings.region)
        assert labels["agent"] == region.agent
        # consistent with the load the agent generates...
        assert region.rate * 0.7 <= _value(sample) <= region.rate * 1.3, (region, sample)
        # ...and with what the region itself recorded
        [regional] = fleet.regional[region.stack][0].query(f'mcp_mesh:request_rate{{agent="{region.agent}"}}')
        assert abs(_value(regional) - _value(sample)) <= 0.2 * region.rate


def test_error_ratio_reflects_the_failing_calls(fleet):
    samples = {s["metric"][SOURCE_CLUSTER_LABEL]: _value(s)
               for s in fleet.global_prometheus.query("mcp_mesh:error_rate")}
    assert samples["prod-us-east-1"] == pytest.approx(1 / 5, abs=0.05)
    assert samples["prod-us-west-2"] == 0


def test_replicas_of_a_region_are_counted_once(fleet):
    east = "prod-us-east-1"
    # Each replica does label its series with its own replica name...
    replica_labels = set()
    for replica in fleet.regional[east]:
        _, body = http_get(replica.url + "/federate?" + urllib.parse.urlencode({"match[]": "mcp_mesh:request_rate"}))
        replica_labels |= {line.split(f'{REPLICA_LABEL}="')[1].split('"')[0]
                           for line in body.decode().splitlines() if REPLICA_LABEL in line}
    assert len(replica_labels) == 2
    # ...yet the global server holds one series per agent, without the label.
    assert fleet.global_prometheus.series(f'{{{REPLICA_LABEL}!=""}}') == []
    [count] = fleet.global_prometheus.query(f'count(mcp_mesh:request_rate{{{SOURCE_CLUSTER_LABEL}="{east}"}})')
    assert _value(count) == 1
    [total] = fleet.global_prometheus.query(f'sum(mcp_mesh:request_rate{{{SOURCE_CLUSTER_LABEL}="{east}"}})')
    assert _value(total) <= 10 * 1.3


def _names(server) -> set[str]:
    return set(server.api("label/__name__/values"))


def test_nothing_but_the_matched_series_is_federated(fleet):
    names = _names(fleet.global_prometheus)
    recorded = {m for m in fleet.match if not any(ch in m for ch in "{}")}
    # The global server's own series: its federation job's `up` and scrape
    # meta-series, and the ALERTS of its own rules.
    own = {"up", "ALERTS", "ALERTS_FOR_STATE"} | {n for n in names if n.startswith("scrape_")}
    assert names - recorded - own - {"prometheus_build_info"} == set()
    assert "mcp_mesh_requests_total" not in names and "mcp_mesh_up" not in names
    assert {"mcp_mesh:request_rate", "mcp_mesh:error_rate"} <= names
    # No per-pod `up` of the regions' targets: the per-agent counts by `up` value instead.
    assert fleet.global_prometheus.query('up{job!="federate"}') == []
    counts = fleet.global_prometheus.query(f'{c.RECORD_TARGETS_BY_UP}{{job="{c.JOB_AGENT_METRICS}"}}')
    assert {s["metric"][SOURCE_CLUSTER_LABEL] for s in counts} == {r.stack for r in REGIONS}
    assert all(s["metric"][c.LABEL_UP_VALUE] == "1" and s["metric"].get(c.LABEL_AGENT) for s in counts), counts


def test_victoria_metrics_holds_only_aggregated_series(fleet):
    def stored():
        names = _names(fleet.victoria)
        return names if "mcp_mesh:request_rate" in names else None
    names = wait_until(stored, 20, what="remote-written series in VictoriaMetrics")
    assert names and all(n.startswith(c.RECORDING_PREFIX) for n in names), names
    clusters = {s["metric"][c.LABEL_CLUSTER] for s in fleet.victoria.query("mcp_mesh:request_rate")}
    assert clusters == {r.stack for r in REGIONS}


def _raw_samples(server, selector: str, start: float, end: float) -> set[int]:
    """Timestamps (ms) of the raw samples of ``selector`` in [start, end]."""
    window = int(end - start) + 1
    result = server.api("query", query=f"{selector}[{window}s]", time=f"{end:.3f}")["result"]
    return {round(float(ts) * 1000) for series in result for ts, _ in series["values"]
            if start <= float(ts) <= end}


def _exported_samples(victoria, selector: str, start: float, end: float) -> set[int]:
    _, body = http_get(victoria.url + "/api/v1/export?" + urllib.parse.urlencode(
        {"match[]": selector, "start": f"{start:.3f}", "end": f"{end:.3f}"}))
    stamps = set()
    for line in body.decode().splitlines():
        if line.strip():
            stamps |= {ts for ts in json.loads(line)["timestamps"] if start * 1000 <= ts <= end * 1000}
    return stamps


def test_a_victoria_metrics_outage_loses_no_recorded_sample(fleet):
    west = fleet.regional["prod-us-west-2"][0]
    # External labels are added on the way out, not stored by the region itself.
    local = 'mcp_mesh:request_rate{agent="calculator"}'
    stored = 'mcp_mesh:request_rate{cluster="prod-us-west-2",agent="calculator"}'
    fleet.victoria.stop()
    down_at = time.time()
    time.sleep(OUTAGE_SECONDS)
    up_at = time.time()
    fleet.victoria.start_again()
    recorded = _raw_samples(west, local, down_at, up_at)
    assert len(recorded) >= OUTAGE_SECONDS * 0.8, "the region did not keep recording"

    def caught_up():
        return recorded <= _exported_samples(fleet.victoria, stored, down_at, up_at)
    wait_until(caught_up, 60, interval=1, what="remote write catching up after the outage")
    assert recorded <= _exported_samples(fleet.victoria, stored, down_at, up_at)


def test_stopping_a_region_fires_the_region_down_alert_on_the_global_server(fleet):
    west = "prod-us-west-2"
    for replica in fleet.regional[west]:
        replica.stop()

    def firing():
        alerts = [a for a in fleet.global_prometheus.alerts()
                  if a["labels"]["alertname"] == c.ALERT_REGION_NOT_FEDERATING and a["state"] == "firing"]
        return alerts or None
    alerts = wait_until(firing, 30, interval=0.5, what="MCPMeshRegionNotFederating firing")
    assert [a["labels"][SOURCE_CLUSTER_LABEL] for a in alerts] == [west]
    assert alerts[0]["labels"]["severity"] == "critical"
    assert alerts[0]["annotations"]["summary"] == "A region is not federating"
    # The other region still federates.
    [east_up] = fleet.global_prometheus.query(f'up{{job="federate",{SOURCE_CLUSTER_LABEL}="prod-us-east-1"}}')
    assert _value(east_up) == 1
