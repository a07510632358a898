"""Reading dashboard JSON the way Grafana does: its queries, and its variables expanded.

Grafana replaces template variables and its own macros before a query reaches
Prometheus; :func:`expand` does the same (``$__rate_interval`` becomes a
duration, a multi-value variable a regex), so the expressions can be parsed
and run against a real Prometheus.
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

import promql_parser

LABEL_VALUES = re.compile(r"^label_values\((?P<selector>.+),\s*(?P<label>[a-zA-Z_][a-zA-Z0-9_]*)\)$")


def panel_queries(board: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(panel title, expression) for every target of every panel."""
    for panel in board["panels"]:
        for target in panel.get("targets", []):
            yield panel["title"], target["expr"]


def variable_queries(board: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """(variable name, the PromQL selector it reads) for every query variable."""
    for variable in board["templating"]["list"]:
        if variable["type"] != "query":
            continue
        match = LABEL_VALUES.match(variable["query"])
        assert match, f"variable {variable['name']}: not a label_values() query: {variable['query']!r}"
        yield variable["name"], match["selector"]


def expand(expr: str, rate_interval: str = "1m", **variables: str) -> str:
    """``expr`` as Grafana sends it: macros and ``$name``/``${name}`` variables replaced."""
    expr = expr.replace("$__rate_interval", rate_interval)
    for name, value in variables.items():
        expr = expr.replace(f"${{{name}}}", value).replace(f"${name}", value)
    assert "$" not in expr, f"unexpanded variable in {expr!r}"
    return expr


def metric_names(expr: str) -> set[str]:
    """Names of every series an expression selects."""
    names: set[str] = set()

    def visit(node):
        if isinstance(node, promql_parser.VectorSelector):
            if node.name:
                names.add(node.name)
            names.update(m.value for m in node.matchers.matchers if m.name == "__name__")

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names


def functions(expr: str) -> set[str]:
    called: set[str] = set()

    def visit(node):
        if isinstance(node, promql_parser.Call):
            called.add(node.func.name)

    promql_parser.walk(promql_parser.parse(expr), visit)
    return called
