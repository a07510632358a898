"""What a PromQL expression reads, from its syntax tree (promql-parser)."""

from __future__ import annotations

import promql_parser

_HISTOGRAM_QUANTILE = "histogram_quantile"


def _selected(node: object) -> set[str]:
    names: set[str] = set()

    def visit(n: object) -> None:
        if isinstance(n, promql_parser.VectorSelector) and n.name:
            names.add(n.name)

    promql_parser.walk(node, visit)
    return names


def metric_names(expr: str) -> set[str]:
    """The metric names ``expr`` selects (selectors by ``__name__`` matchers alone are not counted)."""
    return _selected(promql_parser.parse(expr))


def quantile_inputs(expr: str) -> set[str]:
    """The metric names read under a ``histogram_quantile`` anywhere in ``expr``."""
    names: set[str] = set()

    def visit(n: object) -> None:
        if isinstance(n, promql_parser.Call) and n.func.name == _HISTOGRAM_QUANTILE:
            names.update(_selected(n))

    promql_parser.walk(promql_parser.parse(expr), visit)
    return names
