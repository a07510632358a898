"""Scale of one regional Prometheus: a synthetic mesh of A agents on a real server.

Run from the repository root::

    python benchmarks/bench_scale.py --agents 10,100          # sizes, one after another
    python benchmarks/bench_scale.py --agents 1000 --json build/bench/scale-1000.json

For each size A it

1. generates the mesh the instrumentation library would expose (A agents x
   ``--pods`` pods x ``--methods`` methods; the metric families, label keys
   and histogram buckets of ``mcp_mesh_metrics.names``; Prometheus' own
   per-target ``up`` and ``scrape_*`` series; the registry probe) at the
   scrape resolution (30 s) over ``--hours`` of data, as OpenMetrics, and
   turns it into TSDB blocks with ``promtool tsdb create-blocks-from openmetrics``;
2. renders the regional stack (``--stack``) with ``monitoring.render`` and
   backfills every recording rule of its rendered rule files with
   ``promtool tsdb create-blocks-from rules``, layer by layer (a rule reading
   another record is backfilled once that record's blocks are in the TSDB);
3. lets a Prometheus compact the overlapping blocks (``--no-settle`` skips it);
4. starts a Prometheus (Debian's 2.42) on loopback over those blocks with the
   rendered rule files loaded and the stack's external labels, and measures
   rule evaluation, dashboard queries over 1 h (raw and recorded),
   ``/federate`` with the global stack's ``match[]``, the series remote
   write keeps, memory and disk.

With ``--live MINUTES`` steps 1 to 3 are replaced by live scrapes: the
server scrapes every pod of the mesh from an exporter in this process for
MINUTES, so the rules read a head block of live series and memory holds it.

It prints one markdown table (a column per size) and writes everything it
measured as JSON with ``--json``. ``benchmarks/README.md`` describes the
method and its limits; nothing here asserts on a timing.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import os
import platform
import random
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mcp_mesh_metrics import names  # noqa: E402
from monitoring import conventions as c  # noqa: E402
from monitoring.render import write_stack  # noqa: E402
from monitoring.rules import P95, RATE_WINDOW, rate_table_rules  # noqa: E402
from monitoring.scrape import ScrapeConfig  # noqa: E402
from monitoring.settings import duration_seconds  # noqa: E402
from monitoring.stacks import load_stack, plan_stack  # noqa: E402
from tests.servers import PrometheusServer, ServerPool, http_get, promtool  # noqa: E402

RESOLUTION = 30  # seconds between samples: the stacks' scrape interval
BUCKET_BOUNDS = (*(repr(float(b)) for b in names.REQUEST_DURATION_BUCKETS), "+Inf")
STATUSES = (names.STATUS_SUCCESS, names.STATUS_ERROR)
# Prometheus' per-target series besides `up` (what a real scrape adds).
SCRAPE_SERIES = ("scrape_duration_seconds", "scrape_samples_scraped", c.SCRAPE_SAMPLES_POST_RELABELING,
                 "scrape_series_added")
DASHBOARD_RANGE = 3600  # the dashboards' default time range, seconds
REGISTRY_PROBE_INSTANCE = "http://mcp-mesh-registry.mcp-mesh.svc:8000/health"


# --------------------------------------------------------------------------
# The synthetic mesh
# --------------------------------------------------------------------------

def series_per_pod(methods: int) -> int:
    """Library series one agent pod exposes: per method, the request counter by
    status and the histogram (buckets, +Inf, _sum, _count); the connections gauge
    and the info series once."""
    return methods * (len(STATUSES) + len(BUCKET_BOUNDS) + 2) + 2


# One agent in FAILING_EVERY fails about 3% of its requests; the others none.
# A mesh in an alert storm (every agent over its error threshold and burning
# its SLO) would measure the cost of templating thousands of firing alerts,
# not of a region at work.
FAILING_EVERY = 20


def failing(index: int) -> bool:
    return index % FAILING_EVERY == 0


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{v}"' for k, v in labels.items()) + "}"


@dataclass(frozen=True)
class Series:
    head: str  # name{labels} and a space
    kind: str  # "counter" (integer step), "float" (float step) or "gauge" (constant)
    step: float


def pod_target(index: int, pod: int, namespace: str) -> dict[str, str]:
    """The labels Prometheus gives the scrape target of one agent pod."""
    return dict(job=c.JOB_AGENT_METRICS, instance=f"10.{index // 250}.{index % 250}.{pod + 1}:{names.METRICS_PORT}",
                namespace=namespace, pod=f"agent-{index:04d}-{pod}")


def agent_series(index: int, pods: int, methods: int, namespace: str, scraped: bool = True,
                 only_pod: int | None = None) -> Iterator[Series]:
    """Every series of one agent: library series of each pod and, ``scraped``, the
    target labels on them and the pod target's own series (what Prometheus stores);
    else what the pod exposes itself."""
    agent = f"agent-{index:04d}"
    rng = random.Random(index)
    scale = 0.02 * (1 + index % 10)  # mean latency, seconds: p95 differs between agents
    for pod in range(pods):
        target = pod_target(index, pod, namespace) if scraped else {}
        if only_pod is not None and pod != only_pod:
            for _ in range(methods):
                rng.randint(1, 20), rng.choice((0, 0, 1))  # the same draws as the pod's own
            continue
        for method in range(methods):
            tool = f"tool_{method:02d}"
            ok, errors = rng.randint(1, 20), rng.choice((0, 0, 1))
            errors *= failing(index)
            for status, step in zip(STATUSES, (ok, errors)):
                yield Series(names.REQUESTS_TOTAL + _labels(agent=agent, method=tool, status=status, **target) + " ",
                             "counter", step)
            total = ok + errors
            for bound in BUCKET_BOUNDS:
                share = 1.0 if bound == "+Inf" else 1 - math.exp(-float(bound) / scale)
                yield Series(names.REQUEST_DURATION_BUCKET + _labels(agent=agent, method=tool, le=bound, **target)
                             + " ", "counter", round(total * share))
            yield Series(f"{names.REQUEST_DURATION}_sum" + _labels(agent=agent, method=tool, **target) + " ",
                         "float", total * scale)
            yield Series(f"{names.REQUEST_DURATION}_count" + _labels(agent=agent, method=tool, **target) + " ",
                         "counter", total)
        yield Series(names.CONNECTIONS_ACTIVE + _labels(agent=agent, type=names.CONNECTION_TYPE_CLIENT, **target)
                     + " ", "gauge", (index + pod) % 5)
        yield Series(names.AGENT_INFO_SERIES + _labels(agent=agent, version="1.0.0", **target) + " ", "gauge", 1)
        if not scraped:
            continue
        per_pod = series_per_pod(methods)
        for name, value in ((c.UP, 1), ("scrape_duration_seconds", 0.01), ("scrape_samples_scraped", per_pod),
                            (c.SCRAPE_SAMPLES_POST_RELABELING, per_pod), ("scrape_series_added", 0)):
            yield Series(name + _labels(agent=agent, **target) + " ", "gauge", value)


def registry_series() -> Iterator[Series]:
    probe = dict(job=c.JOB_REGISTRY_PROBE, instance=REGISTRY_PROBE_INSTANCE)
    yield Series(c.PROBE_SUCCESS + _labels(**probe) + " ", "gauge", 1)
    yield Series(c.UP + _labels(**probe) + " ", "gauge", 1)


class LiveMesh:
    """The mesh served live: ``/m/<agent index>/<pod>`` answers that pod's /metrics,
    counters advancing one step every RESOLUTION seconds (an in-process HTTP server)."""

    def __init__(self, agents: int, pods: int, methods: int, namespace: str):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.series = {(i, p): list(agent_series(i, pods, methods, namespace, scraped=False, only_pod=p))
                       for i in range(agents) for p in range(pods)}
        mesh = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server interface
                try:
                    _, _, i, p = self.path.split("?")[0].split("/")
                    body = mesh.page(int(i), int(p)).encode()
                except (ValueError, KeyError):
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain; version=0.0.4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def page(self, index: int, pod: int) -> str:
        k = int(time.time() // RESOLUTION)
        out = []
        for s in self.series[(index, pod)]:
            value = (str(int(s.step * k)) if s.kind == "counter" else f"{s.step * k:.4f}" if s.kind == "float"
                     else _number(s.step))
            out.append(f"{s.head}{value}\n")
        return "".join(out)

    def scrape_config(self, agents: int, pods: int, namespace: str, interval: str) -> dict[str, Any]:
        """One static target per pod, with the labels the mesh's PodMonitor would give it."""
        static = []
        for i in range(agents):
            for p in range(pods):
                labels = pod_target(i, p, namespace)
                del labels["job"]
                static.append({"targets": [self.address], "labels": {
                    **labels, "agent": f"agent-{i:04d}", "__metrics_path__": f"/m/{i}/{p}"}})
        return {"job_name": c.JOB_AGENT_METRICS, "scrape_interval": interval, "static_configs": static}

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.6g}"


def write_openmetrics(path: Path, series: Iterator[Series], start: int, steps: int) -> int:
    """Write ``series`` sampled every RESOLUTION seconds from ``start`` (s); return how many."""
    suffixes = [f" {start + k * RESOLUTION}\n" for k in range(steps)]
    counters: dict[float, list[str]] = {}
    count = 0
    with path.open("w") as out:
        for s in series:
            if s.kind == "counter":
                values = counters.get(s.step)
                if values is None:
                    values = counters[s.step] = [str(int(s.step * k)) for k in range(steps)]
            elif s.kind == "float":
                values = [f"{s.step * k:.4f}" for k in range(steps)]
            else:
                values = [_number(s.step)] * steps
            head = s.head
            out.write("".join([head + v + t for v, t in zip(values, suffixes)]))
            count += 1
        out.write("# EOF\n")
    return count


# --------------------------------------------------------------------------
# Rules: rendered by the program, backfilled in dependency layers
# --------------------------------------------------------------------------

def rendered_rule_files(stack: str, out: Path) -> list[Path]:
    write_stack(stack, out)
    return sorted((out / stack / "rules").glob("*.yaml"))


def _references(expr: str, record: str) -> bool:
    return re.search(rf"(?<![\w:]){re.escape(record)}(?![\w:])", expr) is not None


def rule_layers(rule_files: list[Path]) -> list[list[tuple[dict[str, Any], dict[str, Any]]]]:
    """The recording rules as layers: layer 0 reads raw series only, layer n reads layers < n.

    Each entry is (group without its rules, rule)."""
    rules = [({k: v for k, v in g.items() if k != "rules"}, r)
             for f in rule_files for g in yaml.safe_load(f.read_text())["groups"] for r in g["rules"]
             if "record" in r]
    records = {r["record"] for _, r in rules}
    depth: dict[str, int] = {}

    def layer(record: str, seen: tuple[str, ...] = ()) -> int:
        if record not in depth:
            exprs = [r["expr"] for _, r in rules if r["record"] == record]
            deps = {d for d in records if d != record and d not in seen and any(_references(e, d) for e in exprs)}
            depth[record] = 1 + max((layer(d, (*seen, record)) for d in deps), default=-1)
        return depth[record]

    layers: list[list[tuple[dict[str, Any], dict[str, Any]]]] = []
    for group, rule in rules:
        n = layer(rule["record"])
        while len(layers) <= n:
            layers.append([])
        layers[n].append((group, rule))
    return layers


def layer_rule_file(path: Path, layer: list[tuple[dict[str, Any], dict[str, Any]]]) -> Path:
    groups: dict[str, dict[str, Any]] = {}
    for group, rule in layer:
        groups.setdefault(group["name"], {**group, "rules": []})["rules"].append(rule)
    path.write_text(yaml.safe_dump({"groups": list(groups.values())}, sort_keys=False))
    return path


def move_blocks(source: Path, data: Path) -> None:
    for block in source.iterdir():
        if (block / "meta.json").exists():
            shutil.move(str(block), data / block.name)


def blocks(data: Path) -> list[dict[str, Any]]:
    """Meta of every live block in ``data`` (not those a compaction marked for deletion)."""
    metas = []
    for b in data.iterdir():
        try:
            meta = json.loads((b / "meta.json").read_text())
        except (OSError, ValueError):
            continue  # not a block, or one being written or removed
        if not meta.get("compaction", {}).get("deletable"):
            metas.append(meta)
    return metas


def overlapping(data: Path) -> bool:
    spans = sorted((m["minTime"], m["maxTime"]) for m in blocks(data))
    return any(b[0] < a[1] for a, b in zip(spans, spans[1:]))


# --------------------------------------------------------------------------
# Sampling the server's own metrics
# --------------------------------------------------------------------------

_SAMPLE = re.compile(r'^([a-zA-Z_:][\w:]*)(\{[^}]*\})? (\S+)')
_GROUP = re.compile(r'rule_group="[^"]*;([^"]+)"')


class Sampler(threading.Thread):
    """Reads the server's /metrics every ``period`` s: peak memory, CPU, rule group evaluations."""

    def __init__(self, server: PrometheusServer, period: float = 0.5):
        super().__init__(daemon=True)
        self.server, self.period = server, period
        self.peak_rss = 0.0
        self.cpu = 0.0
        self.durations: dict[str, dict[float, float]] = {}  # group -> evaluation timestamp -> seconds
        self.intervals: dict[str, float] = {}
        self._halt = threading.Event()
        self.lock = threading.Lock()

    def sample(self) -> None:
        status, body = http_get(self.server.url + "/metrics", timeout=10)
        if status != 200:
            return
        last: dict[str, float] = {}
        durations: dict[str, float] = {}
        with self.lock:
            for line in body.decode().splitlines():
                m = _SAMPLE.match(line)
                if not m:
                    continue
                name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
                if name == c.PROCESS_RSS:
                    self.peak_rss = max(self.peak_rss, value)
                elif name == "process_cpu_seconds_total":
                    self.cpu = value
                elif name.startswith("prometheus_rule_group_"):
                    group = _GROUP.search(labels)
                    if group is None:
                        continue
                    if name == c.RULE_GROUP_LAST_DURATION:
                        durations[group.group(1)] = value
                    elif name == "prometheus_rule_group_last_evaluation_timestamp_seconds":
                        last[group.group(1)] = value
                    elif name == "prometheus_rule_group_interval_seconds":
                        self.intervals[group.group(1)] = value
            for group, at in last.items():
                if at > 0 and group in durations:
                    self.durations.setdefault(group, {})[at] = durations[group]

    def run(self) -> None:
        while not self._halt.is_set():
            try:
                self.sample()
            except OSError:
                pass
            self._halt.wait(self.period)

    def stop(self) -> None:
        self._halt.set()
        self.join(10)

    def evaluations(self, interval: float) -> int:
        """Evaluations seen of the groups that run every ``interval`` (or more often)."""
        with self.lock:
            return min((len(v) for g, v in self.durations.items() if self.intervals.get(g, interval) <= interval),
                       default=0)

    def slower_groups_seen(self, interval: float) -> bool:
        """Whether every group with a longer interval has run twice (once past its cold run)."""
        with self.lock:
            return all(len(v) >= 2 for g, v in self.durations.items() if self.intervals.get(g, interval) > interval)


# --------------------------------------------------------------------------
# Dashboard panels: the recorded query the dashboards use, and its raw equivalent
# --------------------------------------------------------------------------

def panels(settings) -> list[tuple[str, str, str]]:
    """(panel, recorded expression, the same question asked of the raw series)."""
    agent = "agent, namespace"
    requests = f"sum by ({agent}) (rate({names.REQUESTS_TOTAL}[{RATE_WINDOW}]))"
    errors = (f"sum by ({agent}) (rate({names.REQUESTS_TOTAL}{{status=\"{names.STATUS_ERROR}\"}}[{RATE_WINDOW}]))"
              f" / {requests}")
    p95 = f"histogram_quantile({P95}, sum by ({agent}, le) (rate({names.REQUEST_DURATION_BUCKET}[{RATE_WINDOW}])))"
    latency = settings.rules.slo_latency_seconds
    return [
        ("request rate by agent", c.RECORD_REQUEST_RATE, requests),
        ("total request rate", f"sum({c.RECORD_REQUEST_RATE})", f"sum(rate({names.REQUESTS_TOTAL}[{RATE_WINDOW}]))"),
        ("error ratio", c.RECORD_ERROR_RATE, errors),
        ("p95 latency", c.RECORD_REQUEST_DURATION_P95, p95),
        ("connections", c.RECORD_CONNECTIONS, f"sum by ({agent}) ({names.CONNECTIONS_ACTIVE})"),
        ("availability SLI", c.RECORD_SLO_AVAILABILITY, f"1 - ({errors})"),
        ("latency SLI", c.RECORD_SLO_LATENCY, f"({p95}) < bool {latency:g}"),
    ]


def timed_range_query(server: PrometheusServer, expr: str, end: float, step: int) -> tuple[float, int, int]:
    """Seconds, series returned and peak samples of a range query over the dashboards' hour."""
    query = urllib.parse.urlencode({"query": expr, "start": end - DASHBOARD_RANGE, "end": end, "step": step,
                                    "stats": "all"})
    began = time.perf_counter()
    status, body = http_get(f"{server.url}/api/v1/query_range?{query}", timeout=600)
    elapsed = time.perf_counter() - began
    payload = json.loads(body)
    if status != 200 or payload.get("status") != "success":
        raise RuntimeError(f"{expr}: HTTP {status}: {payload.get('error')}")
    stats = payload["data"].get("stats", {}).get("samples", {})
    return elapsed, len(payload["data"]["result"]), int(stats.get("peakSamples", 0))


def timed_instant_query(server: PrometheusServer, expr: str) -> float:
    """Seconds the server spent evaluating ``expr`` at the present (its own timing, no HTTP)."""
    query = urllib.parse.urlencode({"query": expr, "stats": "all"})
    status, body = http_get(f"{server.url}/api/v1/query?{query}", timeout=600)
    payload = json.loads(body)
    if status != 200 or payload.get("status") != "success":
        raise RuntimeError(f"{expr}: HTTP {status}: {payload.get('error')}")
    return float(payload["data"]["stats"]["timings"]["evalTotalTime"])


def raw_reads() -> list[tuple[str, list[str]]]:
    """(what, expressions): the raw reads of the two rate tables, from the rules themselves down to a bare read.

    What is left once nothing is computed is the floor that any rule reading
    those series at every evaluation pays.
    """
    raw = (names.REQUESTS_TOTAL, names.REQUEST_DURATION_BUCKET)
    window = f"[{RATE_WINDOW}]"
    return [
        ("the rate tables (rate, summed per agent)", [rule.expr for rule in rate_table_rules()]),
        ("rate, counted", [f"count(rate({m}{window}))" for m in raw]),
        ("the window's samples, counted", [f"count(count_over_time({m}{window}))" for m in raw]),
        ("the latest sample, counted", [f"count({m})" for m in raw]),
    ]


# --------------------------------------------------------------------------
# One size
# --------------------------------------------------------------------------

@dataclass
class Result:
    agents: int
    pods: int
    methods: int
    hours: float
    mode: str = "blocks"  # or "live": scraped for --live minutes, no backfilled history
    raw_series: int = 0
    recorded_series: int = 0
    rate_table_series: int = 0
    slo_working_series: int = 0  # the SLO groups' records that stay in the region
    all_series: int = 0
    panels: list[dict[str, Any]] = field(default_factory=list)
    panels_raw_ms: float = 0.0
    panels_recorded_ms: float = 0.0
    raw_peak_samples: int = 0
    rule_groups: dict[str, float] = field(default_factory=dict)  # median last duration, s
    rule_group_intervals: dict[str, float] = field(default_factory=dict)  # s
    rule_times: dict[str, dict[str, float]] = field(default_factory=dict)  # group -> rule -> median s
    rule_evaluations: int = 0
    interval_s: float = 0.0
    rule_share: float = 0.0
    rule_cpu_cores: float = 0.0
    raw_reads: dict[str, float] = field(default_factory=dict)  # what -> median seconds, both raw metrics
    raw_read_series: int = 0  # the raw series the rate tables read
    federate_match: list[str] = field(default_factory=list)
    federate_series: int = 0
    federate_bytes: int = 0
    federate_gzip_bytes: int = 0
    federate_series_by_name: dict[str, int] = field(default_factory=dict)
    remote_write_keep: str = ""
    remote_write_kept: int = 0
    peak_rss_bytes: float = 0.0
    blocks_bytes: int = 0
    raw_blocks_bytes: int = 0
    timings_s: dict[str, float] = field(default_factory=dict)
    load_average: list[float] = field(default_factory=list)

    @property
    def federate_bytes_per_agent(self) -> float:
        return self.federate_bytes / self.agents

    @property
    def memory_per_series(self) -> float:
        return self.peak_rss_bytes / max(self.all_series, 1)

    @property
    def disk_per_day(self) -> float:
        return self.blocks_bytes * 24 / self.hours


def _du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def _count(server: PrometheusServer, selector: str) -> int:
    # Counting every series of a large head takes longer than the test helpers' 5 s.
    status, body = http_get(f"{server.url}/api/v1/query?" + urllib.parse.urlencode({"query": f"count({selector})"}),
                            timeout=600)
    payload = json.loads(body)
    if status != 200 or payload.get("status") != "success":
        raise RuntimeError(f"count({selector}): HTTP {status}: {payload.get('error')}")
    result = payload["data"]["result"]
    return int(float(result[0]["value"][1])) if result else 0


def federation_match(global_stack: str) -> list[str]:
    """``match[]`` of the global stack's federation job, as the program builds it."""
    [job] = [cr for cr in plan_stack(global_stack).of_type(ScrapeConfig) if cr.name == c.JOB_FEDERATE]
    return list(job.params["match[]"])


def run_size(agents: int, args: argparse.Namespace, work: Path) -> Result:
    settings = load_stack(args.stack)
    result = Result(agents, args.pods, args.methods, args.hours)
    clock = time.monotonic()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.monotonic()
        result.timings_s[name] = round(now - clock, 1)
        clock = now
        print(f"  [{agents} agents] {name}: {result.timings_s[name]:.0f} s", file=sys.stderr)

    data = work / "data"
    data.mkdir(parents=True)
    if args.live:
        result.mode, result.hours = "live", args.live / 60
        return run_live(agents, args, work, settings, result, lap)
    lead = args.lead if args.lead is not None else 20 * 60 + 3 * agents
    end = int(time.time()) + int(lead)
    end -= end % RESOLUTION
    steps = int(args.hours * 3600 / RESOLUTION)
    start = end - (steps - 1) * RESOLUTION

    # 1. The raw mesh, in chunks of agents (each chunk: one OpenMetrics file, its blocks).
    per_agent = args.pods * (series_per_pod(args.methods) + 1 + len(SCRAPE_SERIES))
    chunk = max(1, args.chunk_series // per_agent)
    for first in range(0, agents, chunk):
        members = range(first, min(agents, first + chunk))
        series = (s for i in members for s in agent_series(i, args.pods, args.methods, settings.mesh.namespace))
        if first == 0:
            series = (s for part in (registry_series(), series) for s in part)
        om = work / f"mesh-{first}.om"
        write_openmetrics(om, series, start, steps)
        made = promtool("tsdb", "create-blocks-from", "openmetrics", "--quiet", om, data, timeout=7200)
        om.unlink()
        if made.returncode != 0:
            raise RuntimeError(f"promtool openmetrics: {made.stderr[-2000:]}")
    result.raw_blocks_bytes = _du(data)
    lap("raw blocks")

    # 2. The rendered rules, backfilled layer by layer.
    rule_files = rendered_rule_files(args.stack, work / "render")
    pool = ServerPool(work / "servers")
    heavy = ["--log.level=error", "--query.max-samples=2000000000", "--query.timeout=2h",
             "--storage.tsdb.retention.time=10y"]
    try:
        for n, layer in enumerate(rule_layers(rule_files)):
            server = pool.prometheus({"global": {}}, name=f"backfill-{n}", storage_path=data, extra_args=heavy,
                                     timeout=1800)
            out = work / f"rules-{n}"
            made = promtool("tsdb", "create-blocks-from", "rules", "--quiet", f"--url={server.url}",
                            f"--start={start}", f"--end={end}", f"--output-dir={out}",
                            f"--eval-interval={settings.prometheus.evaluation_interval}",
                            layer_rule_file(work / f"layer-{n}.yaml", layer), timeout=7200)
            server.stop()
            if made.returncode != 0:
                raise RuntimeError(f"promtool rules (layer {n}): {made.stderr[-2000:]}")
            move_blocks(out, data)
        lap("recorded blocks")

        # 3. One server compacts the overlapping blocks, so the measured one starts from settled blocks.
        if args.settle:
            server = pool.prometheus({"global": {}}, name="settle", storage_path=data, extra_args=heavy,
                                     timeout=1800)
            deadline = time.monotonic() + 3600
            while overlapping(data) and time.monotonic() < deadline:
                time.sleep(2)
            server.stop()
            lap("compaction")
        result.blocks_bytes = _du(data)

        # 4. The measured server: the rendered rules, the stack's external labels.
        rules_for_server = _with_interval(rule_files, args.eval_interval, work)
        config = {"global": {"evaluation_interval": settings.prometheus.evaluation_interval,
                             "external_labels": dict(settings.external_labels)}}
        server = pool.prometheus(config, rule_files=rules_for_server, name="measured", storage_path=data,
                                 extra_args=["--log.level=error"], timeout=1800)
        sampler = Sampler(server)
        sampler.start()
        lap("start")
        measure(server, sampler, settings, args, result, lap, end=end, dashboards=True)
    finally:
        pool.stop_all()
    return result


def run_live(agents: int, args: argparse.Namespace, work: Path, settings, result: Result, lap) -> Result:
    """``--live``: the measured server scrapes the mesh for ``args.live`` minutes first.

    No backfilled history: the rules run over the head block of live series,
    as in a running region, and memory holds that head block. Dashboard
    queries over an hour and disk per day are left out (minutes of data).
    """
    rule_files = rendered_rule_files(args.stack, work / "render")
    interval = args.eval_interval or settings.prometheus.scrape_interval
    mesh = LiveMesh(agents, args.pods, args.methods, settings.mesh.namespace)
    pool = ServerPool(work / "servers")
    try:
        config = {"global": {"scrape_interval": interval, "evaluation_interval": settings.prometheus.evaluation_interval,
                             "external_labels": dict(settings.external_labels)},
                  "scrape_configs": [mesh.scrape_config(agents, args.pods, settings.mesh.namespace, interval)]}
        server = pool.prometheus(config, rule_files=_with_interval(rule_files, args.eval_interval, work),
                                 name="measured", extra_args=["--log.level=error"], timeout=600)
        sampler = Sampler(server)
        sampler.start()
        lap("start")
        time.sleep(args.live * 60)
        lap("live scrapes")
        measure(server, sampler, settings, args, result, lap, end=math.inf, dashboards=False)
    finally:
        pool.stop_all()
        mesh.stop()
    return result


def _with_interval(rule_files: list[Path], interval: str | None, work: Path) -> list[Path]:
    """The rule files, or copies whose groups run every ``interval``."""
    if not interval:
        return rule_files
    copies = []
    for f in rule_files:
        spec = yaml.safe_load(f.read_text())
        for group in spec["groups"]:
            group["interval"] = interval
        copy = work / "fast-rules" / f.name
        copy.parent.mkdir(exist_ok=True)
        copy.write_text(yaml.safe_dump(spec, sort_keys=False))
        copies.append(copy)
    return copies


def measure(server: PrometheusServer, sampler: Sampler, settings, args: argparse.Namespace, result: Result, lap,
            end: float, dashboards: bool) -> None:
    """Rule evaluations, series, dashboard queries, /federate, remote write and memory of ``server``."""
    interval = duration_seconds(args.eval_interval or settings.prometheus.evaluation_interval)
    result.interval_s = interval
    with sampler.lock:
        sampler.durations.clear()  # from here on (a live server's first windows were not full)
    sampler.sample()
    cpu0, t0 = sampler.cpu, time.monotonic()
    slowest = max(sampler.intervals.values(), default=interval)
    deadline = time.monotonic() + max((args.evaluations + 3) * interval, 2 * slowest) + 300
    rule_times: dict[tuple[str, str], dict[str, float]] = {}  # (group, rule) -> last evaluation -> seconds
    while ((sampler.evaluations(interval) < args.evaluations + 1 or not sampler.slower_groups_seen(interval))
           and time.monotonic() < deadline):
        for group in server.rules():
            for rule in group["rules"]:
                name = rule.get("record") or rule.get("name")
                if rule.get("lastEvaluation", "").startswith("0001"):
                    continue
                rule_times.setdefault((group["name"], name), {})[rule["lastEvaluation"]] = rule["evaluationTime"]
        time.sleep(min(1.0, interval / 4))
    for (group, name), evals in rule_times.items():
        ordered = [evals[t] for t in sorted(evals)]
        result.rule_times.setdefault(group, {})[name] = statistics.median(ordered[1:] or ordered)
    sampler.sample()
    result.rule_cpu_cores = (sampler.cpu - cpu0) / (time.monotonic() - t0)
    with sampler.lock:
        for group, evals in sampler.durations.items():
            ordered = [evals[t] for t in sorted(evals)][1:] or list(evals.values())  # first one is cold
            result.rule_groups[group] = statistics.median(ordered)
        result.rule_group_intervals = {g: sampler.intervals.get(g, interval) for g in result.rule_groups}
    result.rule_evaluations = max(sampler.evaluations(interval) - 1, 0)
    # The time the rule evaluator is busy: each group's duration over its own
    # interval (a group evaluated every 4m costs a 4m share, not a 30s one).
    result.rule_share = sum(d / result.rule_group_intervals[g] for g, d in result.rule_groups.items())
    lap("rule evaluations")

    # Series.
    now = time.time()
    if now > end - 10 * 60:
        print(f"  warning: the data ends {end - now:.0f} s from now; raise --lead", file=sys.stderr)
    shipped = [n for n in federation_match(args.global_stack) if ":" in n and "{" not in n]
    result.raw_series = _count(server, f'{{__name__=~"{names.METRIC_PREFIX}.+"}}')
    result.recorded_series = _count(server, f'{{__name__=~"{"|".join(map(re.escape, shipped))}"}}')
    result.rate_table_series = sum(_count(server, t) for t in c.RATE_TABLES)
    result.slo_working_series = _count(server, f'{{__name__=~"{c.SLO_LEVEL}:.+"}}')
    result.all_series = _count(server, '{__name__=~".+"}')

    # The raw pass of the rate tables, and what is left of it when nothing is computed.
    result.raw_read_series = sum(_count(server, m) for m in (names.REQUESTS_TOTAL, names.REQUEST_DURATION_BUCKET))
    for what, exprs in raw_reads():
        runs = [sum(timed_instant_query(server, e) for e in exprs) for _ in range(args.repeat)]
        result.raw_reads[what] = statistics.median(runs)

    # Dashboard panels, raw and recorded, 1 h at the scrape resolution.
    for title, recorded, raw in panels(settings) if dashboards else ():
        timings: dict[str, list[float]] = {"raw": [], "recorded": []}
        info: dict[str, Any] = {"panel": title, "recorded": recorded, "raw": raw}
        for _ in range(args.repeat):
            for kind, expr in (("recorded", recorded), ("raw", raw)):
                try:
                    elapsed, count, peak = timed_range_query(server, expr, now, RESOLUTION)
                except RuntimeError as err:  # e.g. the query sample limit: reported, not fatal
                    info[f"{kind}_error"] = str(err)[-300:]
                    continue
                timings[kind].append(elapsed)
                info[f"{kind}_series"], info[f"{kind}_peak_samples"] = count, peak
        info["raw_ms"] = statistics.median(timings["raw"] or [math.nan]) * 1000
        info["recorded_ms"] = statistics.median(timings["recorded"] or [math.nan]) * 1000
        result.panels.append(info)
    result.panels_raw_ms = sum(p["raw_ms"] for p in result.panels)
    result.panels_recorded_ms = sum(p["recorded_ms"] for p in result.panels)
    result.raw_peak_samples = max((p.get("raw_peak_samples", 0) for p in result.panels), default=0)
    if dashboards:
        lap("dashboard queries")

    # /federate with the global stack's match[].
    result.federate_match = federation_match(args.global_stack)
    query = urllib.parse.urlencode({"match[]": result.federate_match}, doseq=True)
    status, body = http_get(f"{server.url}/federate?{query}", timeout=600)
    if status != 200:
        raise RuntimeError(f"/federate: HTTP {status}: {body[:500]!r}")
    lines = [line for line in body.decode().splitlines() if line and not line.startswith("#")]
    result.federate_series, result.federate_bytes = len(lines), len(body)
    result.federate_gzip_bytes = len(gzip.compress(body))
    for line in lines:
        name = _SAMPLE.match(line).group(1)
        result.federate_series_by_name[name] = result.federate_series_by_name.get(name, 0) + 1

    # Remote write: the series the write relabeling keeps, of all the server holds.
    keep = settings.remote_write[0].keep if settings.remote_write else c.AGGREGATED_SERIES_REGEX
    result.remote_write_keep = keep
    result.remote_write_kept = _count(server, f'{{__name__=~{json.dumps(keep)}}}')

    sampler.sample()
    sampler.stop()
    result.peak_rss_bytes = sampler.peak_rss
    result.load_average = [round(x, 2) for x in os.getloadavg()]
    lap("federation and counts")


# --------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------

def _raw_pass(r: Result) -> float:
    """Seconds the two 5m rate tables took in one evaluation (the only rules reading raw series)."""
    return sum(t for rules in r.rule_times.values() for name, t in rules.items() if name in c.RATE_TABLES)


def _raw_read_row(r: Result) -> str:
    if not r.raw_reads or not r.raw_read_series:
        return "—"
    rules, floor = next(iter(r.raw_reads.values())), min(r.raw_reads.values())
    per = 1e6 / r.raw_read_series
    return f"{_int(r.raw_read_series)}; {rules * per:.1f} / {floor * per:.1f} µs"


def _int(n: float) -> str:
    return f"{n:,.0f}"


def _bytes(n: float) -> str:
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("kB", 1000)):
        if n >= size:
            return f"{n / size:.2f} {unit}" if unit != "kB" else f"{n / size:.1f} kB"
    return f"{n:.0f} B"


def markdown(results: list[Result]) -> str:
    rows = [
        ("raw `mcp_mesh_*` series / recorded (shipped) / rate tables",
         lambda r: f"{_int(r.raw_series)} / {_int(r.recorded_series)} / {_int(r.rate_table_series)}"),
        ("7 dashboard panels, 1 h range, raw / recorded",
         lambda r: f"{r.panels_raw_ms:,.0f} / {r.panels_recorded_ms:,.1f} ms "
                   f"({r.panels_raw_ms / max(r.panels_recorded_ms, 1e-9):.0f}×)"),
        ("raw panel peak samples", lambda r: _int(r.raw_peak_samples)),
        ("**rule evaluation, all groups, busy share (each group over its own interval)**",
         lambda r: f"**{r.rule_share:.2%}** ({r.rule_share * r.interval_s * 1000:,.0f} ms per {r.interval_s:g} s)"),
        ("rate tables (the raw pass): ms per evaluation", lambda r: f"{_raw_pass(r) * 1000:,.0f} ms"),
        ("raw series read by the rate tables; evaluated alone: rules / read only (floor), µs per series",
         lambda r: _raw_read_row(r)),
        ("slowest rule group", lambda r: max(r.rule_groups.items(), key=lambda kv: kv[1], default=("-", 0))[0]
         + f" ({max(r.rule_groups.values(), default=0) * 1000:,.0f} ms)"),
        ("CPU while evaluating rules (live: and scraping)", lambda r: f"{r.rule_cpu_cores:.3f} cores"),
        ("`/federate` with the program's `match[]`: series, bytes",
         lambda r: f"{_int(r.federate_series)}, {_bytes(r.federate_bytes)} (gzip {_bytes(r.federate_gzip_bytes)})"),
        ("`/federate` bytes per agent", lambda r: f"{r.federate_bytes_per_agent:,.0f} B"),
        ("remote write: series kept / all", lambda r: f"{_int(r.remote_write_kept)} / {_int(r.all_series)}"),
        ("peak memory (RSS), per series", lambda r: f"{_bytes(r.peak_rss_bytes)}, {r.memory_per_series:,.0f} B"),
        ("TSDB blocks, per day", lambda r: f"{_bytes(r.blocks_bytes)} for {r.hours:g} h, "
                                           f"{_bytes(r.disk_per_day)}/day"),
    ]
    def blocks_only(cell):
        return lambda r: "—" if r.mode == "live" else cell(r)
    rows = [(title, blocks_only(cell) if title.startswith(("7 dashboard", "raw panel", "TSDB")) else cell)
            for title, cell in rows]
    head = "| | " + " | ".join(f"A={r.agents}" + (" (live)" if r.mode == "live" else "") for r in results) + " |"
    lines = [head, "|---|" + "---|" * len(results)]
    lines += [f"| {title} | " + " | ".join(cell(r) for r in results) + " |" for title, cell in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--agents", default="10", help="comma-separated mesh sizes, run one after another")
    parser.add_argument("--pods", type=int, default=3, help="pods per agent (default 3)")
    parser.add_argument("--methods", type=int, default=10, help="methods per agent (default 10)")
    parser.add_argument("--hours", type=float, default=3, help="hours of data (default 3)")
    parser.add_argument("--lead", type=float, default=None,
                        help="seconds the data reaches past the start of the run (default 20 min + 3 s/agent)")
    parser.add_argument("--stack", default="prod-us-east-1", help="regional stack whose rendered rules are loaded")
    parser.add_argument("--global-stack", default="prod", help="global stack whose federation match[] is used")
    parser.add_argument("--evaluations", type=int, default=6, help="rule evaluations to take the median of")
    parser.add_argument("--eval-interval", default=None,
                        help="override the rendered groups' interval on the measured server (quick runs)")
    parser.add_argument("--repeat", type=int, default=5, help="runs of each dashboard query (median)")
    parser.add_argument("--chunk-series", type=int, default=60000, help="series per OpenMetrics file")
    parser.add_argument("--live", type=float, default=0, metavar="MINUTES",
                        help="instead of backfilled blocks, let the server scrape the mesh live for MINUTES "
                             "(6 covers the 5m rate window), then measure rules, federation and memory")
    parser.add_argument("--no-settle", dest="settle", action="store_false",
                        help="measure without compacting the overlapping backfilled blocks first")
    parser.add_argument("--workdir", default=None, help="where to build the data (default: a temporary folder)")
    parser.add_argument("--json", default=None, help="also write the results as JSON to this file")
    args = parser.parse_args(argv)
    sizes = [int(a) for a in args.agents.split(",")]
    results = []
    base = Path(args.workdir) if args.workdir else Path(tempfile.mkdtemp(prefix="bench-scale-"))
    try:
        for agents in sizes:
            work = base / f"agents-{agents}"
            if work.exists():
                shutil.rmtree(work)
            results.append(run_size(agents, args, work))
            shutil.rmtree(work, ignore_errors=True)
    finally:
        if not args.workdir:
            shutil.rmtree(base, ignore_errors=True)
    print(f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}; "
          f"{args.pods} pods x {args.methods} methods per agent, {args.hours:g} h at {RESOLUTION} s; "
          f"medians of {args.evaluations} rule evaluations and {args.repeat} query runs; "
          f"load average at the end: {', '.join(str(r.load_average) for r in results)}\n")
    print(markdown(results))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(
            [{**asdict(r), "federate_bytes_per_agent": r.federate_bytes_per_agent,
              "memory_per_series": r.memory_per_series, "disk_per_day": r.disk_per_day} for r in results],
            indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
