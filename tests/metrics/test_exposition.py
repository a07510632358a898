"""Serving /metrics: over HTTP, as an ASGI app, and rendered by hand."""

from __future__ import annotations

import asyncio
import urllib.request

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from mcp_mesh_metrics import metrics_app, metrics_server_address, names, render_metrics, start_metrics_server

OPENMETRICS = "application/openmetrics-text; version=1.0.0"


@pytest.fixture
def instrumented(metrics):
    """A registry holding three successful calls of one tool."""
    tool = metrics.track_request("weather-agent", "get_forecast")(lambda: "sunny")
    for _ in range(3):
        tool()
    metrics.set_agent_info("weather-agent", version="1.0.0", capabilities=["weather_forecast"])


def successes(families) -> float:
    [value] = [
        sample.value
        for family in families
        for sample in family.samples
        if sample.name == names.REQUESTS_TOTAL and sample.labels[names.LABEL_STATUS] == names.STATUS_SUCCESS
    ]
    return value


@pytest.fixture
def server(registry):
    httpd, thread = start_metrics_server(port=0, addr="127.0.0.1", registry=registry)
    try:
        yield f"http://127.0.0.1:{httpd.server_port}{names.METRICS_PATH}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def fetch(url: str, accept: str | None = None) -> tuple[int, str, str]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status, response.headers["Content-Type"], response.read().decode()


def test_the_http_endpoint_serves_the_text_format_over_loopback(instrumented, server):
    status, content_type, body = fetch(server)

    assert status == 200
    assert content_type.startswith("text/plain; version=0.0.4")
    assert successes(parse_text(body)) == 3


def test_the_http_endpoint_answers_openmetrics_when_the_scraper_asks_for_it(instrumented, server):
    status, content_type, body = fetch(server, accept=OPENMETRICS)

    assert status == 200
    assert content_type.startswith("application/openmetrics-text; version=1.0.0")
    assert body.endswith("# EOF\n")
    families = list(parse_openmetrics(body))
    assert successes(families) == 3
    assert {f.name: f.type for f in families}[names.AGENT_INFO] == "info"


def test_the_server_listens_on_every_interface_on_the_annotated_port_by_default():
    assert metrics_server_address(environ={}) == ("0.0.0.0", names.METRICS_PORT) == ("0.0.0.0", 9464)


def test_the_environment_moves_the_server_and_arguments_win_over_it():
    env = {"MCP_MESH_METRICS_PORT": "19464", "MCP_MESH_METRICS_ADDR": "127.0.0.1"}
    assert metrics_server_address(environ=env) == ("127.0.0.1", 19464)
    assert metrics_server_address(port=0, addr="::1", environ=env) == ("::1", 0)
    assert metrics_server_address(environ={"MCP_MESH_METRICS_PORT": " "}) == ("0.0.0.0", 9464)


@pytest.mark.parametrize("raw", ["http", "-1", "65536", "94 64"])
def test_a_bad_port_in_the_environment_is_an_error_naming_the_variable(raw):
    with pytest.raises(ValueError) as err:
        metrics_server_address(environ={"MCP_MESH_METRICS_PORT": raw})
    assert str(err.value) == f"MCP_MESH_METRICS_PORT: expected a port number from 0 to 65535, got {raw!r}"


def test_the_server_started_from_the_environment_serves_there(instrumented, registry, monkeypatch):
    monkeypatch.setenv("MCP_MESH_METRICS_ADDR", "127.0.0.1")
    monkeypatch.setenv("MCP_MESH_METRICS_PORT", "0")
    httpd, thread = start_metrics_server(registry=registry)
    try:
        assert httpd.server_address[0] == "127.0.0.1"
        status, _, body = fetch(f"http://127.0.0.1:{httpd.server_port}{names.METRICS_PATH}")
        assert (status, successes(parse_text(body))) == (200, 3)
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def call_asgi(app, accept: str | None = None) -> list[dict]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": names.METRICS_PATH,
        "raw_path": names.METRICS_PATH.encode(),
        "query_string": b"",
        "headers": [(b"host", b"agent")] + ([(b"accept", accept.encode())] if accept else []),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent


@pytest.mark.parametrize(
    ("accept", "expected_type", "parse"),
    [
        (None, "text/plain; version=0.0.4", parse_text),
        (OPENMETRICS, "application/openmetrics-text", parse_openmetrics),
    ],
    ids=["text", "openmetrics"],
)
def test_the_asgi_app_answers_in_the_negotiated_format(instrumented, registry, accept, expected_type, parse):
    start, body = call_asgi(metrics_app(registry), accept)

    headers = {name.lower(): value for name, value in start["headers"]}
    assert (start["type"], start["status"]) == ("http.response.start", 200)
    assert headers[b"content-type"].decode().startswith(expected_type)
    assert body["type"] == "http.response.body"
    assert successes(parse(body["body"].decode())) == 3


def test_rendering_by_hand_negotiates_like_the_server(instrumented, registry):
    text, text_type = render_metrics(registry)
    openmetrics, openmetrics_type = render_metrics(registry, accept=OPENMETRICS)

    assert text_type.startswith("text/plain; version=0.0.4")
    assert openmetrics_type.startswith("application/openmetrics-text")
    assert successes(parse_text(text.decode())) == successes(parse_openmetrics(openmetrics.decode())) == 3
