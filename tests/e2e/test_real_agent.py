"""The example agent on the real ``mcp-mesh`` SDK, scraped by a real Prometheus.

``examples/weather_agent.py`` (the file the README shows) runs standalone on
loopback. The test calls its tool over MCP's streamable HTTP with the ``mcp``
client, failures included, while Prometheus 2.42 scrapes it with the stack's
rendered monitors (translated the way the operator does,
:mod:`tests.e2e.emulation`) and evaluates the rendered rule files.

The pod Prometheus discovers is the one the upstream ``mcp-mesh-agent`` chart
renders from the README's values, released under a name that is not the
agent's mesh name; its scrapes go through an emulated pod network to the
agent's real ports. Only time is compressed, as in the multi-region test:
1 s scrapes and evaluations, rate windows of 15 s instead of 5 min.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Iterator
from pathlib import Path

import pytest
import yaml
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.types import CallToolResult

from mcp_mesh_metrics import names
from monitoring import conventions as c
from monitoring.plan import build_plan
from monitoring.settings import duration_seconds, load_settings
from tests.charts.helm import chart_archive, render_chart
from tests.conftest import ROOT
from tests.docs import EXAMPLE_AGENT, README, the_block
from tests.e2e.emulation import PodNetwork, chart_pods, chart_services, scrape_configs, write_discovery
from tests.e2e.test_multi_region import FAST, WINDOWS, fast_rule_files
from tests.servers import LOOPBACK, PrometheusServer, ServerPool, free_port, http_get, wait_until

pytestmark = pytest.mark.e2e

RELEASE = "weather"  # the agent's Helm release; its mesh name is another
AGENT_CHART_VERSION = "3.6.0"
POD_IP = "10.42.0.7"
WINDOW = duration_seconds(WINDOWS[f"[{c.RATE_WINDOW}]"].strip("[]"))  # the compressed rate window, seconds
ZEROS = 5.0  # seconds of scrapes before the first call: the window starts on zeros
START_TIMEOUT = 30.0

# The calls: tool arguments and whether the tool itself runs.
SUCCESSES = [{"location": city} for city in ("Oslo", "Lisbon", "Nairobi", "Lima", "Hanoi", "Perth")]
FAILURES = [{"location": ""}, {"location": "   "}]  # the tool raises ValueError
REJECTED = [{}]  # FastMCP refuses the arguments before the tool runs


@dataclass
class Run:
    prometheus: PrometheusServer
    network: PodNetwork
    mesh_name: str  # what the running agent calls itself
    pod: str
    namespace: str
    http_target: str  # the pod's http port, as discovered
    results: dict[str, list[CallToolResult]]
    at: float  # a time whose rate window holds the zeros before the calls and every call after them
    agent_log: Path


async def _call(url: str, calls: dict[str, list[dict]]) -> dict[str, list[CallToolResult]]:
    async with streamable_http_client(url) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = {tool.name for tool in (await session.list_tools()).tools}
            assert "get_forecast" in tools, tools
            return {kind: [await session.call_tool("get_forecast", arguments) for arguments in argument_list]
                    for kind, argument_list in calls.items()}


def _start_agent(workdir: Path, http_port: int, metrics_port: int,
                 script: Path = EXAMPLE_AGENT) -> tuple[subprocess.Popen, Path]:
    log_path = workdir / f"{script.stem}.log"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        # No registry: the SDK switches its heartbeat off.
        "MCP_MESH_STANDALONE": "true",
        # The SDK binds uvicorn to HOST, serves on MCP_MESH_HTTP_PORT (over
        # @mesh.agent's http_port) and advertises MCP_MESH_HTTP_HOST.
        "HOST": LOOPBACK,
        "MCP_MESH_HTTP_HOST": LOOPBACK,
        "MCP_MESH_HTTP_PORT": str(http_port),
        # The library's metrics server (its default, 0.0.0.0:9464, in a pod).
        names.METRICS_ADDR_ENV: LOOPBACK,
        names.METRICS_PORT_ENV: str(metrics_port),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen([sys.executable, str(script)], cwd=workdir, env=env,
                                   stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    return process, log_path


def _wait_healthy(agent: subprocess.Popen, log: Path, http_port: int) -> dict:
    """The agent's /health answer, once it serves."""
    def ready():
        if agent.poll() is not None:
            raise AssertionError(f"the agent exited with {agent.returncode}:\n{log.read_text()[-3000:]}")
        status, body = http_get(f"http://{LOOPBACK}:{http_port}/health", timeout=1)
        return status == 200 and json.loads(body)
    return wait_until(ready, START_TIMEOUT, what="the agent's /health")


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@pytest.fixture(scope="module")
def run(module_servers: ServerPool, tmp_path_factory) -> Iterator[Run]:
    work = tmp_path_factory.mktemp("real-agent")
    settings = load_settings("e2e", {"role": "dev"})
    plan = build_plan(settings)
    namespace = settings.mesh.namespace

    # The pod the upstream chart renders from exactly the README's values.
    values = yaml.safe_load(the_block(README, "yaml", "podAnnotations:"))
    objects = render_chart(chart_archive(c.MESH_AGENT_CHART, AGENT_CHART_VERSION), RELEASE, namespace, values)
    [pod] = chart_pods(objects, namespace, [POD_IP])
    services = chart_services(objects, namespace, [pod])
    [http] = [p for p in pod.ports if p.name == c.MESH_HTTP_PORT_NAME]

    http_port, metrics_port = free_port(), free_port()
    agent, agent_log = _start_agent(work, http_port, metrics_port)
    network = PodNetwork({
        http.address: f"{LOOPBACK}:{http_port}",
        # In the pod the library listens on its default port.
        f"{POD_IP}:{names.METRICS_PORT}": f"{LOOPBACK}:{metrics_port}",
    })
    try:
        health = _wait_healthy(agent, agent_log, http_port)

        files = write_discovery(work / "discovery", [pod], services)
        monitors = [cr for cr in plan.custom_resources if cr.kind in ("ServiceMonitor", "PodMonitor")]
        jobs = scrape_configs(monitors, files)
        for job in jobs:
            job["scrape_interval"] = FAST
        network.carry(jobs)
        prometheus = module_servers.prometheus(
            {"global": {"scrape_interval": FAST, "evaluation_interval": FAST}, "scrape_configs": jobs},
            rule_files=fast_rule_files(plan, work / "rules"))
        prometheus.wait_for_scrapes(c.JOB_AGENT_METRICS, timeout=START_TIMEOUT)
        time.sleep(ZEROS)

        calls = {"success": SUCCESSES, "error": FAILURES, "rejected": REJECTED}
        results = asyncio.run(_call(f"http://{LOOPBACK}:{http_port}/mcp", calls))
        called = time.time()
        # Prometheus has every counted call once a scrape after the last call is in.
        prometheus.wait_for(f"sum({names.REQUESTS_TOTAL}) == {len(SUCCESSES) + len(FAILURES)}", timeout=10)
        at = called + WINDOW - ZEROS
        # Records evaluated up to `at` (and the SLO group's, one evaluation later) are stored.
        wait_until(lambda: time.time() > at + 2 * duration_seconds(FAST), WINDOW + 5, what="the rate window")
        yield Run(prometheus, network, health["agent"], pod.name, namespace, http.address, results, at, agent_log)
    finally:
        _stop(agent)
        network.stop()


def value(prometheus: PrometheusServer, expr: str, at: float) -> float:
    [sample] = prometheus.query(expr, at=at)
    return float(sample["value"][1])


def test_the_agent_is_the_example_and_its_mesh_name_is_not_its_release(run):
    assert run.mesh_name in EXAMPLE_AGENT.read_text()
    assert run.mesh_name != RELEASE


def test_the_tool_answers_and_fails_over_mcp(run):
    for result, arguments in zip(run.results["success"], SUCCESSES):
        assert not result.isError
        assert result.structuredContent["location"] == arguments["location"]
    for result in run.results["error"]:
        assert result.isError and "location must not be empty" in result.content[0].text
    [rejected] = run.results["rejected"]
    assert rejected.isError and "location" in rejected.content[0].text


def test_prometheus_stores_each_call_the_tool_ran_under_the_mesh_name(run):
    stored = run.prometheus.query(f'{names.REQUESTS_TOTAL}{{job="{c.JOB_AGENT_METRICS}"}}')
    # A call refused before the tool runs is not a request the agent served.
    assert {s["metric"][names.LABEL_STATUS]: float(s["value"][1]) for s in stored} == {
        names.STATUS_SUCCESS: len(SUCCESSES), names.STATUS_ERROR: len(FAILURES)}
    for s in stored:
        labels = s["metric"]
        assert (labels["agent"], labels["namespace"], labels["pod"]) == (run.mesh_name, run.namespace, run.pod)
        assert labels["instance"] == f"{POD_IP}:{names.METRICS_PORT}"  # the annotated port
        assert "exported_agent" not in labels


def test_the_recorded_request_rate_error_ratio_and_availability_match_the_calls(run):
    prom, agent = run.prometheus, f'agent="{run.mesh_name}", namespace="{run.namespace}"'
    counted = len(SUCCESSES) + len(FAILURES)
    rate = value(prom, f"{c.RECORD_REQUEST_RATE}{{{agent}}}", run.at)
    # rate() extrapolates to the window's end, at most one scrape interval past the last sample.
    assert counted / WINDOW <= rate <= counted / (WINDOW - 2 * duration_seconds(FAST))
    assert value(prom, f"{c.RECORD_ERROR_RATE}{{{agent}}}", run.at) == pytest.approx(len(FAILURES) / counted)
    assert value(prom, f"{c.RECORD_SLO_AVAILABILITY}{{{agent}}}", run.at) == pytest.approx(len(SUCCESSES) / counted)


def test_no_record_is_named_after_the_release(run):
    recorded = "|".join([c.AGGREGATED_SERIES_REGEX, *c.RATE_TABLES])
    # The per-agent target counts are made of `up`, a series the scrape makes itself:
    # it carries the release (the documented fallback), like `up`.
    records = run.prometheus.query(f'{{__name__=~"{recorded}", __name__!="{c.RECORD_TARGETS_BY_UP}", agent!=""}}',
                                   at=run.at)
    assert {r["metric"]["__name__"] for r in records} >= {c.RECORD_REQUEST_RATE, c.RECORD_SLO_AVAILABILITY}
    assert {r["metric"]["agent"] for r in records} == {run.mesh_name}
    # Only the series a scrape makes itself (no agent label of their own) fall back to the release.
    fallback = {r["metric"]["__name__"] for r in run.prometheus.query(f'{{agent="{RELEASE}"}}', at=run.at)}
    assert fallback and all(name in (c.UP, c.RECORD_TARGETS_BY_UP) or name.startswith("scrape_")
                            for name in fallback), fallback


def test_the_agents_own_http_port_is_scraped_and_serves_no_metrics(run):
    # mcp-mesh 3.8 answers /metrics on the agent's port with 404: the agents job's
    # target is down while the agent serves, why the library has its own port.
    [up] = run.prometheus.query(f'up{{job="{c.JOB_AGENTS}"}}')
    assert up["value"][1] == "0"
    assert up["metric"]["agent"] == RELEASE  # up carries no agent of its own: the release, the fallback
    assert f"{run.http_target}{c.METRICS_PATH}" in run.network.requests


def test_a_metrics_server_started_after_mesh_agent_does_not_serve_while_the_agent_does(tmp_path):
    # What the example's comment says: @mesh.agent blocks while the agent serves.
    lines = EXAMPLE_AGENT.read_text().splitlines(keepends=True)
    [start] = [i for i, line in enumerate(lines) if line.startswith("start_metrics_server(")]
    moved = tmp_path / "started_after_the_agent.py"
    moved.write_text("".join(lines[:start] + lines[start + 1:] + ["\n", lines[start]]))
    http_port, metrics_port = free_port(), free_port()
    agent, log = _start_agent(tmp_path, http_port, metrics_port, script=moved)
    try:
        _wait_healthy(agent, log, http_port)
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection((LOOPBACK, metrics_port), timeout=1).close()
    finally:
        _stop(agent)
