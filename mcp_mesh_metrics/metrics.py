"""The metric families an MCP Mesh agent exposes, on a registry of the caller's choice.

Nothing is registered when this module is imported. A metric set registers
its families on the registry it is given when it is constructed; without one
it uses :func:`default_registry`, a registry of this library's own that is
created the first time it is asked for (never prometheus_client's global
``REGISTRY``, so an agent's scrape carries only ``mcp_mesh_`` families).
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info

from . import names
from .labels import LabelGuard
from .tracking import instrument

F = TypeVar("F", bound=Callable)
S = TypeVar("S", bound="_MetricSet")

_lock = threading.RLock()
_default_registry: CollectorRegistry | None = None
# The metric set of each kind already registered on a registry, so that every
# decorator and helper aimed at one registry shares one set of families.
_metric_sets: weakref.WeakKeyDictionary[CollectorRegistry, dict[type, _MetricSet]] = (
    weakref.WeakKeyDictionary()
)


def default_registry() -> CollectorRegistry:
    """Return the library's default registry, creating it on first use."""
    global _default_registry
    with _lock:
        if _default_registry is None:
            _default_registry = CollectorRegistry()
        return _default_registry


def resolve_registry(registry: CollectorRegistry | None) -> CollectorRegistry:
    """Return ``registry``, or the default registry when it is None."""
    return default_registry() if registry is None else registry


class _MetricSet:
    """Families registered together on one registry, with one label guard.

    ``registry`` is where the families are registered (the default registry
    when None); ``guard`` bounds their label values (a :class:`LabelGuard`
    with the default limit when None). A registry holds at most one set of
    each kind: :meth:`for_registry` returns the one already there.
    """

    def __init__(
        self, registry: CollectorRegistry | None = None, *, guard: LabelGuard | None = None
    ) -> None:
        registry = resolve_registry(registry)
        self.guard = guard if guard is not None else LabelGuard()
        self._lock = threading.Lock()
        self._register(registry)
        with _lock:
            _metric_sets.setdefault(registry, {}).setdefault(type(self), self)

    @classmethod
    def for_registry(cls: type[S], registry: CollectorRegistry | None = None) -> S:
        """Return the set of this kind on ``registry``, registering it on first use."""
        registry = resolve_registry(registry)
        with _lock:
            existing = _metric_sets.get(registry, {}).get(cls)
            return existing if existing is not None else cls(registry)

    def _register(self, registry: CollectorRegistry) -> None:
        raise NotImplementedError

    def _fold(self, values: Mapping[str, object]) -> dict[str, str]:
        """Label values keyed by label name, each bounded by the guard."""
        return {label: self.guard.fold(label, value) for label, value in values.items()}


class MeshMetrics(_MetricSet):
    """The guide's core agent metrics.

    - ``mcp_mesh_agent_info{agent,version,capabilities}``
    - ``mcp_mesh_requests_total{agent,method,status}``
    - ``mcp_mesh_request_duration_seconds{agent,method}``
    - ``mcp_mesh_connections_active{agent,type}``
    - ``mcp_mesh_registry_agents_total{status}``

    The connections child of every (agent, type) pair that ``track_request``
    uses reports the number of calls in flight; its ``inc``/``dec``/``set``
    are ignored.
    """

    def _register(self, registry: CollectorRegistry) -> None:
        self.agent_info = Info(
            names.AGENT_INFO,
            "MCP Mesh agent information",
            [names.LABEL_AGENT],
            registry=registry,
        )
        self.requests = Counter(
            names.REQUESTS,
            "Total number of requests processed",
            names.REQUESTS_LABELS,
            registry=registry,
        )
        self.request_duration = Histogram(
            names.REQUEST_DURATION,
            "Request duration in seconds",
            names.REQUEST_DURATION_LABELS,
            buckets=names.REQUEST_DURATION_BUCKETS,
            registry=registry,
        )
        self.connections = Gauge(
            names.CONNECTIONS_ACTIVE,
            "Number of active connections (requests in flight)",
            names.CONNECTIONS_LABELS,
            registry=registry,
        )
        self.registry_agents = Gauge(
            names.REGISTRY_AGENTS,
            "Total number of registered agents",
            names.REGISTRY_AGENTS_LABELS,
            registry=registry,
        )
        self._in_flight: dict[tuple[str, str], deque] = {}
        self._registry_statuses: set[str] = set()

    def set_agent_info(
        self, agent: str, *, version: str, capabilities: Iterable[str] | str = ()
    ) -> None:
        """Publish ``mcp_mesh_agent_info`` for ``agent``.

        Capabilities are exposed as one sorted, comma-separated label value,
        so the same set always yields the same series.
        """
        if isinstance(capabilities, str):
            capabilities = [capabilities]
        labels = self._fold({names.LABEL_AGENT: agent})
        self.agent_info.labels(**labels).info(
            {
                names.LABEL_VERSION: str(version),
                names.LABEL_CAPABILITIES: ",".join(sorted(set(capabilities))),
            }
        )

    def set_registry_agents(self, counts: Mapping[str, float]) -> None:
        """Set ``mcp_mesh_registry_agents_total`` from a status -> count mapping.

        Statuses folded into ``other`` are summed; a status reported earlier
        and missing from ``counts`` drops to zero instead of keeping a stale count.
        """
        folded: dict[str, float] = {}
        for status, count in counts.items():
            key = self.guard.fold(names.LABEL_STATUS, status)
            folded[key] = folded.get(key, 0) + count
        with self._lock:
            for status in self._registry_statuses - folded.keys():
                folded[status] = 0
            for status, count in folded.items():
                self.registry_agents.labels(**{names.LABEL_STATUS: status}).set(count)
            self._registry_statuses.update(folded)

    def track_request(
        self,
        agent: str,
        method: str | None = None,
        *,
        connection_type: str = names.CONNECTION_TYPE_CLIENT,
    ) -> Callable[[F], F]:
        """Decorator counting, timing and tracking in flight every call of a function.

        ``method`` defaults to the function's ``__name__``. Labels are bounded
        by the guard and resolved once, here, not on every call.
        """

        def decorate(func: F) -> F:
            request = self._fold(
                {names.LABEL_AGENT: agent, names.LABEL_METHOD: method or func.__name__}
            )
            connection = self._fold(
                {names.LABEL_AGENT: agent, names.LABEL_TYPE: connection_type}
            )
            return instrument(
                func,
                success=self.requests.labels(**request, **{names.LABEL_STATUS: names.STATUS_SUCCESS}),
                error=self.requests.labels(**request, **{names.LABEL_STATUS: names.STATUS_ERROR}),
                duration=self.request_duration.labels(**request),
                in_flight=self._in_flight_queue(connection),
            )

        return decorate

    def _in_flight_queue(self, labels: dict[str, str]) -> deque:
        """The deque whose length the connections gauge child for ``labels`` reports.

        Every decorated function with the same agent and connection type
        shares it, so the gauge counts all of their calls in flight.
        """
        key = (labels[names.LABEL_AGENT], labels[names.LABEL_TYPE])
        with self._lock:
            queue = self._in_flight.get(key)
            if queue is None:
                queue = self._in_flight[key] = deque()
                self.connections.labels(**labels).set_function(queue.__len__)
            return queue


class BusinessMetrics(_MetricSet):
    """The guide's opt-in business metrics.

    - ``mcp_mesh_business_revenue_total{agent,currency,product}``
    - ``mcp_mesh_business_api_calls_total{agent,api_provider,endpoint}``
    - ``mcp_mesh_cache_hit_rate{agent,cache_type}`` (a percentage, 0 to 100)

    Their label values usually come from request data, so every one of them
    goes through the label guard.
    """

    def _register(self, registry: CollectorRegistry) -> None:
        self.revenue = Counter(
            names.BUSINESS_REVENUE,
            "Total revenue processed",
            names.BUSINESS_REVENUE_LABELS,
            registry=registry,
        )
        self.api_calls = Counter(
            names.BUSINESS_API_CALLS,
            "Total external API calls",
            names.BUSINESS_API_CALLS_LABELS,
            registry=registry,
        )
        self.cache_hit_rate = Gauge(
            names.CACHE_HIT_RATE,
            "Cache hit rate percentage",
            names.CACHE_HIT_RATE_LABELS,
            registry=registry,
        )

    def record_revenue(self, agent: str, amount: float, *, currency: str, product: str) -> None:
        """Add ``amount`` (non-negative) to the revenue processed."""
        labels = {names.LABEL_AGENT: agent, names.LABEL_CURRENCY: currency, names.LABEL_PRODUCT: product}
        self.revenue.labels(**self._fold(labels)).inc(amount)

    def record_api_call(self, agent: str, *, api_provider: str, endpoint: str) -> None:
        """Count one call to an external API."""
        labels = {
            names.LABEL_AGENT: agent,
            names.LABEL_API_PROVIDER: api_provider,
            names.LABEL_ENDPOINT: endpoint,
        }
        self.api_calls.labels(**self._fold(labels)).inc()

    def set_cache_hit_ratio(self, agent: str, *, cache_type: str, ratio: float) -> None:
        """Publish a cache's hit ratio (0 to 1) as the guide's percentage gauge."""
        if not 0 <= ratio <= 1:
            raise ValueError(f"ratio: expected a hit ratio between 0 and 1, got {ratio!r}")
        labels = {names.LABEL_AGENT: agent, names.LABEL_CACHE_TYPE: cache_type}
        self.cache_hit_rate.labels(**self._fold(labels)).set(ratio * 100)


def track_request(
    agent: str,
    method: str | None = None,
    *,
    connection_type: str = names.CONNECTION_TYPE_CLIENT,
    registry: CollectorRegistry | None = None,
) -> Callable[[F], F]:
    """Decorator counting, timing and tracking in flight every call of a function.

    Works on plain functions, coroutine functions and methods. Uses the
    :class:`MeshMetrics` of ``registry`` (the default registry when None).
    With MCP Mesh, put it directly on the function, under ``@mesh.tool``::

        @mesh.tool(capability="weather_forecast")
        @track_request("weather-agent")
        async def get_forecast(location: str) -> dict: ...
    """
    return MeshMetrics.for_registry(registry).track_request(
        agent, method, connection_type=connection_type
    )
