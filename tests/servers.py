"""Real servers for end-to-end tests: Prometheus, VictoriaMetrics, Alertmanager,
the blackbox exporter, and in-process HTTP stubs standing in for agents.

Every server listens on 127.0.0.1 on a free port, gets its own work directory,
is waited for until its readiness endpoint answers, and is stopped by its PID
(never by process name: other servers may run on the same machine).

Typical use, through the fixtures at the end of this module (import them into
a ``conftest.py``: ``from tests.servers import servers, module_servers``)::

    def test_something(servers):
        agent = servers.stub({"/metrics": Response.metrics('mcp_mesh_up{agent="a"} 1\\n')})
        prom = servers.prometheus({
            "global": {"scrape_interval": "1s"},
            "scrape_configs": [{"job_name": "a", "static_configs": [{"targets": [agent.address]}]}],
        })
        [sample] = prom.wait_for('mcp_mesh_up{job="a"}')
        assert sample["value"][1] == "1"

The binaries come from Debian packages (``prometheus``, which also ships
promtool; ``victoria-metrics``; ``prometheus-alertmanager``;
``prometheus-blackbox-exporter``). A missing one fails with the package to
install rather than skipping: a test that silently skips in CI proves nothing.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping, Sequence

import pytest
import yaml

LOOPBACK = "127.0.0.1"
# Binary name -> the Debian package that provides it.
PACKAGES = {
    "prometheus": "prometheus",
    "promtool": "prometheus",
    "victoria-metrics": "victoria-metrics",
    "prometheus-alertmanager": "prometheus-alertmanager",
    "amtool": "prometheus-alertmanager",
    "prometheus-blackbox-exporter": "prometheus-blackbox-exporter",
}
DEFAULT_START_TIMEOUT = 15.0


class ServerError(RuntimeError):
    """A server did not start, or answered an API call with an error."""


def binary(name: str) -> str:
    """Absolute path of a server binary, or an error naming its Debian package."""
    path = shutil.which(name)
    if path is None:
        raise ServerError(f"{name} not found: apt-get install {PACKAGES.get(name, name)}")
    return path


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now.

    The port is released before the server binds it, so another process could
    take it in between; :meth:`ServerPool` retries a start that failed that way.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def http_get(url: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """Status and body of a GET (HTTP errors are returned, not raised)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def http_post(url: str, data: bytes = b"", content_type: str = "application/json",
              timeout: float = 5.0) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def wait_until(check: Callable[[], Any], timeout: float, interval: float = 0.1, what: str = "condition") -> Any:
    """Call ``check`` until it returns something truthy; return that, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            result = check()
            if result:
                return result
        except (OSError, ServerError, ValueError) as err:
            last_error = err
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error})" if last_error else ""
            raise TimeoutError(f"{what} not met within {timeout:.0f}s{detail}")
        time.sleep(interval)


# --------------------------------------------------------------------------
# Server processes
# --------------------------------------------------------------------------

@dataclass
class Server:
    """A server process started by this module.

    ``url`` is its base URL (``http://127.0.0.1:<port>``); its output goes to
    ``log_path`` inside ``workdir``.
    """

    name: str
    process: subprocess.Popen
    port: int
    workdir: Path
    log_path: Path
    ready_path: str
    argv: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def address(self) -> str:
        """host:port, as a scrape target or a remote-write host."""
        return f"{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def running(self) -> bool:
        return self.process.poll() is None

    def wait_ready(self, timeout: float = DEFAULT_START_TIMEOUT) -> None:
        """Block until ``ready_path`` answers 200; fail with the log if the process exits."""
        def ready():
            if not self.running():
                raise _Exited()
            status, _ = http_get(self.url + self.ready_path, timeout=1.0)
            return status == 200
        try:
            wait_until(ready, timeout, what=f"{self.name} ready at {self.url}{self.ready_path}")
        except _Exited:
            raise ServerError(f"{self.name} exited with {self.process.returncode}:\n{self.log()[-3000:]}") from None
        except TimeoutError as err:
            raise ServerError(f"{err}\n{self.log()[-3000:]}") from None

    def start_again(self, timeout: float = DEFAULT_START_TIMEOUT) -> None:
        """Start a stopped server again: same command, port and data (an outage, not a reset)."""
        assert not self.running(), f"{self.name} is still running"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(self.argv, cwd=self.workdir, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        self.wait_ready(timeout)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM the process by its PID, SIGKILL it if it does not exit in time."""
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout)


class _Exited(Exception):
    pass


class PrometheusAPI:
    """Prometheus' HTTP query API (also served by VictoriaMetrics)."""

    url: str

    def api(self, path: str, **params: Any) -> Any:
        """GET ``/api/v1/<path>`` and return its ``data``; a non-success status raises."""
        query = urllib.parse.urlencode(params, doseq=True)
        status, body = http_get(f"{self.url}/api/v1/{path}" + (f"?{query}" if query else ""))
        try:
            payload = json.loads(body)
        except json.JSONDecodeError:
            raise ServerError(f"GET {path}: HTTP {status}: {body[:500]!r}") from None
        if status != 200 or payload.get("status") != "success":
            raise ServerError(f"GET {path} {params}: HTTP {status}: {payload.get('error', payload)}")
        return payload["data"]

    def query(self, expr: str, at: float | None = None) -> list[dict[str, Any]]:
        """Instant query: the result list (``[{"metric": {...}, "value": [t, "v"]}, ...]``)."""
        params = {"query": expr}
        if at is not None:
            params["time"] = at
        return self.api("query", **params)["result"]

    def query_range(self, expr: str, start: float, end: float, step: str = "1s") -> list[dict[str, Any]]:
        return self.api("query_range", query=expr, start=start, end=end, step=step)["result"]

    def series(self, *match: str) -> list[dict[str, str]]:
        """Label sets of the stored series matching any selector (``match[]``)."""
        return self.api("series", **{"match[]": list(match)})

    def wait_for(self, expr: str, timeout: float = 10.0,
                 predicate: Callable[[list[dict[str, Any]]], bool] = bool) -> list[dict[str, Any]]:
        """Query ``expr`` until ``predicate(result)`` holds (by default: non-empty); return the result."""
        def check():
            result = self.query(expr)
            return result if predicate(result) else None
        return wait_until(check, timeout, interval=0.2, what=f"query {expr!r}")


@dataclass
class PrometheusServer(Server, PrometheusAPI):
    """A Prometheus 2.x process; ``config_path`` holds its configuration."""

    config_path: Path = field(default=Path())

    def targets(self, state: str = "any") -> dict[str, list[dict[str, Any]]]:
        """``{"activeTargets": [...], "droppedTargets": [...]}``."""
        return self.api("targets", state=state)

    def active_targets(self, job: str | None = None) -> list[dict[str, Any]]:
        return [t for t in self.targets("active")["activeTargets"]
                if job is None or t["labels"].get("job") == job]

    def rules(self) -> list[dict[str, Any]]:
        """The loaded rule groups, with their rules' health and last error."""
        return self.api("rules")["groups"]

    def alerts(self) -> list[dict[str, Any]]:
        return self.api("alerts")["alerts"]

    def wait_for_scrapes(self, job: str, count: int = 1, timeout: float = 10.0) -> list[dict[str, Any]]:
        """Wait until ``count`` targets of ``job`` have been scraped successfully once."""
        def scraped():
            targets = self.active_targets(job)
            up = [t for t in targets if t["health"] == "up"]
            return up if len(up) >= count else None
        return wait_until(scraped, timeout, interval=0.2, what=f"{count} target(s) of job {job!r} up")

    def reload(self) -> None:
        """Re-read the configuration (needs ``--web.enable-lifecycle``, which :meth:`ServerPool.prometheus` sets)."""
        status, body = http_post(f"{self.url}/-/reload")
        if status != 200:
            raise ServerError(f"reload failed: HTTP {status}: {body[:500]!r}")


@dataclass
class VictoriaMetricsServer(Server, PrometheusAPI):
    """Single-node VictoriaMetrics: Prometheus remote write in, PromQL out."""

    @property
    def remote_write_url(self) -> str:
        return f"{self.url}/api/v1/write"


@dataclass
class AlertmanagerServer(Server):
    def alerts(self, **filters: Any) -> list[dict[str, Any]]:
        """Alerts Alertmanager holds (API v2), e.g. ``alerts(filter='alertname="X"')``."""
        query = urllib.parse.urlencode(filters, doseq=True)
        status, body = http_get(f"{self.url}/api/v2/alerts" + (f"?{query}" if query else ""))
        if status != 200:
            raise ServerError(f"GET /api/v2/alerts: HTTP {status}: {body[:500]!r}")
        return json.loads(body)


@dataclass
class BlackboxExporterServer(Server):
    def probe(self, target: str, module: str) -> tuple[int, str]:
        """Run one probe directly: status and the probe's metrics text."""
        query = urllib.parse.urlencode({"target": target, "module": module})
        status, body = http_get(f"{self.url}/probe?{query}", timeout=15.0)
        return status, body.decode()


# --------------------------------------------------------------------------
# In-process HTTP stubs (agents, a registry's /health, ...)
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Response:
    status: int = 200
    body: str = ""
    content_type: str = "text/plain"

    @classmethod
    def metrics(cls, text: str) -> "Response":
        """A /metrics page in the Prometheus text format."""
        return cls(200, text, "text/plain; version=0.0.4; charset=utf-8")

    @classmethod
    def json(cls, payload: Any, status: int = 200) -> "Response":
        return cls(status, json.dumps(payload), "application/json")


class HTTPStub:
    """A tiny HTTP server in a thread of the test process, answering fixed routes.

    ``routes`` maps a path (query string ignored) to a :class:`Response`;
    other paths answer 404. Routes can be changed while it runs
    (:meth:`set_route`), e.g. to make a registry's /health fail.
    """

    def __init__(self, routes: Mapping[str, Response]):
        self._routes = dict(routes)
        self._lock = threading.Lock()
        self.requests: list[str] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            # HTTP/1.0 (http.server's default) fails the blackbox exporter's
            # valid_http_versions check; real agents and registries speak 1.1.
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 - the http.server interface
                path = urllib.parse.urlsplit(self.path).path
                with stub._lock:
                    stub.requests.append(path)
                    response = stub._routes.get(path, Response(404, "not found\n"))
                body = response.body.encode()
                self.send_response(response.status)
                self.send_header("Content-Type", response.content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # keep test output clean
                pass

        self._server = ThreadingHTTPServer((LOOPBACK, 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name=f"stub:{self.port}", daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.address}"

    def set_route(self, path: str, response: Response) -> None:
        with self._lock:
            self._routes[path] = response

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


# --------------------------------------------------------------------------
# Starting servers
# --------------------------------------------------------------------------

def write_yaml(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def promtool(*args: str | Path, timeout: float = 60.0) -> subprocess.CompletedProcess:
    """Run promtool; the caller checks ``returncode`` and reads ``stdout``/``stderr``."""
    return subprocess.run([binary("promtool"), *map(str, args)], capture_output=True, text=True, timeout=timeout)


class ServerPool:
    """Starts servers under one directory and stops every one of them on :meth:`stop_all`.

    Each server gets ``<root>/<name>/`` for its configuration, data and log.
    Names must be unique within a pool.
    """

    def __init__(self, root: Path):
        self.root = root
        self._servers: list[Server] = []
        self._stubs: list[HTTPStub] = []

    def _workdir(self, name: str) -> Path:
        workdir = self.root / name
        if workdir.exists():
            raise ValueError(f"a server named {name!r} was already started in this pool")
        workdir.mkdir(parents=True)
        return workdir

    def _start(self, cls: type[Server], name: str, workdir: Path, argv: Callable[[int], list[str]],
               ready_path: str, timeout: float, attempts: int = 3, **extra: Any) -> Server:
        """Start ``argv(port)`` on a free port and wait for it; retry if the port was taken meanwhile."""
        for attempt in range(attempts):
            port = free_port()
            log_path = workdir / f"{name}.log"
            with log_path.open("wb") as log:
                process = subprocess.Popen(argv(port), cwd=workdir, stdout=log, stderr=subprocess.STDOUT,
                                           stdin=subprocess.DEVNULL)
            server = cls(name=name, process=process, port=port, workdir=workdir, log_path=log_path,
                         ready_path=ready_path, argv=argv(port), **extra)
            self._servers.append(server)
            try:
                server.wait_ready(timeout)
                return server
            except ServerError:
                server.stop()
                if "address already in use" in server.log() and attempt + 1 < attempts:
                    continue
                raise
        raise AssertionError("unreachable")

    def prometheus(self, config: Mapping[str, Any], *, rule_files: Sequence[Path] = (), name: str = "prometheus",
                   extra_args: Sequence[str] = (), timeout: float = DEFAULT_START_TIMEOUT,
                   storage_path: Path | None = None) -> PrometheusServer:
        """Start Prometheus with ``config`` (a prometheus.yml as a mapping).

        ``rule_files`` are copied next to the configuration and appended to its
        ``rule_files``. The TSDB lives in the work directory, or in
        ``storage_path`` (an existing TSDB, e.g. backfilled blocks); the lifecycle API
        is on (for :meth:`PrometheusServer.reload`). Pass e.g.
        ``--web.enable-remote-write-receiver`` in ``extra_args``.
        """
        workdir = self._workdir(name)
        config = dict(config)
        copied = []
        for rule_file in rule_files:
            target = workdir / "rules" / Path(rule_file).name
            target.parent.mkdir(exist_ok=True)
            shutil.copyfile(rule_file, target)
            copied.append(str(target))
        if copied:
            config["rule_files"] = [*config.get("rule_files", []), *copied]
        config_path = write_yaml(workdir / "prometheus.yml", config)
        exe = binary("prometheus")
        storage = storage_path or workdir / "data"

        def argv(port: int) -> list[str]:
            return [exe, f"--config.file={config_path}", f"--storage.tsdb.path={storage}",
                    f"--web.listen-address={LOOPBACK}:{port}", "--web.enable-lifecycle",
                    *(() if any(a.startswith("--log.level=") for a in extra_args) else ("--log.level=info",)),
                    *extra_args]
        return self._start(PrometheusServer, name, workdir, argv, "/-/ready", timeout, config_path=config_path)

    def victoria_metrics(self, *, name: str = "victoria-metrics", extra_args: Sequence[str] = (),
                         timeout: float = DEFAULT_START_TIMEOUT) -> VictoriaMetricsServer:
        """Start VictoriaMetrics; queries see samples at once (``-search.latencyOffset=0s``)."""
        workdir = self._workdir(name)
        exe = binary("victoria-metrics")

        def argv(port: int) -> list[str]:
            return [exe, f"-httpListenAddr={LOOPBACK}:{port}", f"-storageDataPath={workdir / 'data'}",
                    "-search.latencyOffset=0s", "-retentionPeriod=1d", *extra_args]
        return self._start(VictoriaMetricsServer, name, workdir, argv, "/health", timeout)

    def alertmanager(self, config: Mapping[str, Any], *, name: str = "alertmanager",
                     extra_args: Sequence[str] = (), timeout: float = DEFAULT_START_TIMEOUT) -> AlertmanagerServer:
        """Start Alertmanager with ``config`` (an alertmanager.yml as a mapping), clustering off."""
        workdir = self._workdir(name)
        config_path = write_yaml(workdir / "alertmanager.yml", config)
        exe = binary("prometheus-alertmanager")

        def argv(port: int) -> list[str]:
            # An empty cluster address turns gossip off (it would bind 0.0.0.0:9094).
            return [exe, f"--config.file={config_path}", f"--storage.path={workdir / 'data'}",
                    f"--web.listen-address={LOOPBACK}:{port}", "--cluster.listen-address=", *extra_args]
        return self._start(AlertmanagerServer, name, workdir, argv, "/-/ready", timeout)

    def blackbox_exporter(self, config: Mapping[str, Any], *, name: str = "blackbox-exporter",
                          extra_args: Sequence[str] = (),
                          timeout: float = DEFAULT_START_TIMEOUT) -> BlackboxExporterServer:
        """Start the blackbox exporter with ``config`` (``{"modules": {...}}``)."""
        workdir = self._workdir(name)
        config_path = write_yaml(workdir / "blackbox.yml", config)
        exe = binary("prometheus-blackbox-exporter")

        def argv(port: int) -> list[str]:
            return [exe, f"--config.file={config_path}", f"--web.listen-address={LOOPBACK}:{port}", *extra_args]
        return self._start(BlackboxExporterServer, name, workdir, argv, "/-/healthy", timeout)

    def stub(self, routes: Mapping[str, Response]) -> HTTPStub:
        """An in-process HTTP server answering ``routes`` (stopped with the pool)."""
        stub = HTTPStub(routes)
        self._stubs.append(stub)
        return stub

    def stop_all(self) -> None:
        """Stop every server (by PID) and stub this pool started, newest first."""
        errors = []
        for server in reversed(self._servers):
            try:
                server.stop()
            except Exception as err:  # keep stopping the others
                errors.append(f"{server.name} (pid {server.pid}): {err}")
        for stub in reversed(self._stubs):
            stub.stop()
        self._servers.clear()
        self._stubs.clear()
        if errors:
            raise ServerError("could not stop: " + "; ".join(errors))


# --------------------------------------------------------------------------
# Fixtures
# --------------------------------------------------------------------------

@pytest.fixture
def servers(tmp_path: Path) -> Iterator[ServerPool]:
    """A pool of servers for one test, all stopped when it ends."""
    pool = ServerPool(tmp_path / "servers")
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture(scope="module")
def module_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerPool]:
    """A pool shared by the tests of one module (start a Prometheus once, query it many times)."""
    pool = ServerPool(tmp_path_factory.mktemp("servers"))
    try:
        yield pool
    finally:
        pool.stop_all()
