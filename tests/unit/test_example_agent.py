"""The example agent the README and docs/instrumentation.md show is the file the tests run."""

from __future__ import annotations

import ast

import pytest
import yaml

from mcp_mesh_metrics import names
from monitoring import scrape
from tests.docs import EXAMPLE_AGENT, INSTRUMENTATION, README, the_block


@pytest.mark.parametrize("document", [README, INSTRUMENTATION], ids=lambda p: p.name)
def test_the_documents_show_the_example_agent_whole(document):
    assert the_block(document, "python", "@mesh.agent(") == EXAMPLE_AGENT.read_text()


def _decorators(tree: ast.Module, function: str) -> list[str]:
    [node] = [n for n in tree.body if isinstance(n, ast.AsyncFunctionDef) and n.name == function]
    return [ast.unparse(d.func if isinstance(d, ast.Call) else d) for d in node.decorator_list]


def test_the_example_follows_what_the_docs_say_about_it():
    source = EXAMPLE_AGENT.read_text()
    tree = ast.parse(source)
    # the SDK's order (mesh.tool above the FastMCP decorator), the tracker on the function
    assert _decorators(tree, "get_forecast") == ["mesh.tool", "app.tool", "track_request"]
    statements = [ast.unparse(n) for n in tree.body]
    started = next(i for i, s in enumerate(statements) if s.startswith("start_metrics_server("))
    agent = next(i for i, s in enumerate(statements) if "@mesh.agent(" in s)
    assert started < agent, "start_metrics_server() after @mesh.agent never runs"
    # one name for the agent, one for the capability
    assert "name=AGENT" in statements[agent]
    assert "MeshMetrics.for_registry().set_agent_info(AGENT, version='1.0.0', capabilities=[CAPABILITY])" \
        in statements
    assert source.count('"weather-agent"') == 1 and source.count('"weather_forecast"') == 1


@pytest.mark.parametrize("document", [README, INSTRUMENTATION], ids=lambda p: p.name)
def test_the_documented_chart_values_annotate_the_pod_for_the_library_port(document):
    values = yaml.safe_load(the_block(document, "yaml", "podAnnotations:"))
    assert values == {"podAnnotations": {scrape.ANNOTATION_SCRAPE: "true",
                                         scrape.ANNOTATION_PORT: str(names.METRICS_PORT)}}
