"""The PromQL query library: one typed function per question, returning its expression.

Every dashboard panel reads its query from here, and so can anyone writing
PromQL by hand. The functions read the program's recording rules
(``mcp_mesh:*``, see :mod:`monitoring.rules`) wherever one answers the
question, and the raw series only where none does (per-method and per-status
rates, histogram buckets for heatmaps, business metrics, Prometheus' own
series). No query evaluates ``histogram_quantile`` itself: percentiles come
from the recorded p95, which already leaves idle agents out instead of
returning NaN for them.

``agent`` arguments are regular expressions matched against the ``agent``
label (a dashboard passes ``"$agent"``, Grafana's multi-value variable);
``None`` means every agent. ``window`` arguments are PromQL durations or
Grafana's ``$__rate_interval``, which Grafana replaces before the query is
sent.
"""

from __future__ import annotations

import json
from typing import NewType

from monitoring import conventions as c
from monitoring import rules
from monitoring.rules import _number, _selector, _sum_by
from monitoring.settings import StackSettings, quantity_value

PromQL = NewType("PromQL", str)

WEEK = "1w"
# predict_linear's look-back: long enough to smooth single requests out.
FORECAST_LOOKBACK = "1h"


def _by_agent(metric: str, agent: str | None, **equal: str) -> str:
    """``metric`` with the agent matcher: a regex match, as multi-value variables need."""
    plain = _selector(metric, **equal)
    if agent is None:
        return plain
    inner = ", ".join(f"{k}={json.dumps(v)}" for k, v in equal.items())
    regex = f"{c.LABEL_AGENT}=~{json.dumps(agent)}"
    return f"{metric}{{{inner + ', ' if inner else ''}{regex}}}"


def _rate(selector: str, window: str) -> str:
    return f"rate({selector}[{window}])"


# --------------------------------------------------------------------------
# The guide's "Example 2: Advanced Queries", on the recording rules
# --------------------------------------------------------------------------

def top_agents_by_request_rate(k: int = 5) -> PromQL:
    """The ``k`` busiest agents, in requests per second."""
    return PromQL(f"topk({k}, {request_rate_by_agent()})")


def agents_with_error_ratio_above(threshold: float = 0.01) -> PromQL:
    """Agents whose share of failed requests is above ``threshold`` (the guide's 1%).

    The recorded ratio exists only for agents with traffic, so an idle agent
    is never listed (the guide's division gives NaN for it).
    """
    return PromQL(f"{c.RECORD_ERROR_RATE} > {_number(threshold)}")


def latency_heatmap(agent: str | None = None) -> PromQL:
    """Requests per second per latency bucket (``le``), for a heatmap.

    Read from the recorded bucket rate table (per agent, namespace and
    bucket, over the guide's 5m), not from the raw histogram.
    """
    return PromQL(_sum_by(("le",), _by_agent(c.RECORD_REQUEST_DURATION_RATE_TABLE, agent)))


def request_rate_week_over_week(agent: str | None = None) -> PromQL:
    """Change of each agent's request rate against the same time a week ago, in percent.

    Agents without traffic a week ago are left out (the guide divides by
    zero for them).
    """
    now = _sum_by((c.LABEL_AGENT,), _by_agent(c.RECORD_REQUEST_RATE, agent))
    before = _sum_by((c.LABEL_AGENT,), f"{_by_agent(c.RECORD_REQUEST_RATE, agent)} offset {WEEK}")
    return PromQL(f"({now} - {before})\n/ ({before} > 0)\n* 100")


def connections_forecast(hours: float = 4, agent: str | None = None) -> PromQL:
    """Each agent's active connections ``hours`` from now, by linear extrapolation of the last hour."""
    seconds = _number(hours * 3600)
    return PromQL(f"predict_linear({_by_agent(c.RECORD_CONNECTIONS, agent)}[{FORECAST_LOOKBACK}], {seconds})")


# --------------------------------------------------------------------------
# The mesh, per agent (recording rules)
# --------------------------------------------------------------------------

def agent_targets_up() -> PromQL:
    """How many instrumented agent targets answer their scrapes (``up`` is Prometheus' own)."""
    return PromQL(f"sum({_selector(c.UP, job=c.JOB_AGENT_METRICS)})")


def agent_targets() -> PromQL:
    """How many instrumented agent targets Prometheus scrapes."""
    return PromQL(f"count({_selector(c.UP, job=c.JOB_AGENT_METRICS)})")


def request_rate_by_agent(agent: str | None = None) -> PromQL:
    return PromQL(_sum_by((c.LABEL_AGENT,), _by_agent(c.RECORD_REQUEST_RATE, agent)))


def total_request_rate() -> PromQL:
    return PromQL(f"sum({c.RECORD_REQUEST_RATE})")


def error_ratio(agent: str | None = None) -> PromQL:
    """Share of failed requests per agent and namespace (absent for idle agents)."""
    return PromQL(_by_agent(c.RECORD_ERROR_RATE, agent))


def request_duration_p95(agent: str | None = None) -> PromQL:
    """95th percentile request duration per agent and namespace, in seconds (absent for idle agents)."""
    return PromQL(_by_agent(c.RECORD_REQUEST_DURATION_P95, agent))


def connections(agent: str | None = None) -> PromQL:
    return PromQL(_by_agent(c.RECORD_CONNECTIONS, agent))


def firing_alerts() -> PromQL:
    """How many alerts fire on this Prometheus (0 when none: ``ALERTS`` then has no series)."""
    return PromQL(f"count({_selector(c.ALERTS_SERIES, **{c.ALERT_STATE_LABEL: c.ALERT_STATE_FIRING})})"
                  " or vector(0)")


def agent_names() -> PromQL:
    """Series whose ``agent`` values name the agents with recorded traffic (a variable's source)."""
    return PromQL(c.RECORD_REQUEST_RATE)


# --------------------------------------------------------------------------
# One agent in detail (raw series: no rule keeps methods and statuses apart)
# --------------------------------------------------------------------------

def requests_by_method_and_status(agent: str | None = None, window: str = c.GRAFANA_RATE_INTERVAL) -> PromQL:
    return PromQL(_sum_by((c.LABEL_METHOD, c.LABEL_STATUS), _rate(_by_agent(c.REQUESTS_TOTAL, agent), window)))


def agent_info(agent: str | None = None) -> PromQL:
    """Version and capabilities an agent declares (its info series, value 1)."""
    return PromQL(_by_agent(c.AGENT_INFO_SERIES, agent))


def revenue_rate(agent: str | None = None, window: str = c.GRAFANA_RATE_INTERVAL) -> PromQL:
    return PromQL(_sum_by((c.LABEL_CURRENCY, c.LABEL_PRODUCT),
                          _rate(_by_agent(c.BUSINESS_REVENUE_TOTAL, agent), window)))


def external_api_call_rate(agent: str | None = None, window: str = c.GRAFANA_RATE_INTERVAL) -> PromQL:
    return PromQL(_sum_by((c.LABEL_API_PROVIDER, c.LABEL_ENDPOINT),
                          _rate(_by_agent(c.BUSINESS_API_CALLS_TOTAL, agent), window)))


def cache_hit_rate(agent: str | None = None) -> PromQL:
    """Cache hit rate in percent (the gauge is published as a percentage)."""
    return PromQL(_by_agent(c.CACHE_HIT_RATE, agent))


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------

def registry_availability(settings: StackSettings) -> PromQL | None:
    """1 per successful probe (or scrape) of the registry; None where nothing observes it."""
    selector = rules.registry_availability_selector(settings)
    return None if selector is None else PromQL(selector)


def registry_health_score() -> PromQL:
    return PromQL(c.RECORD_REGISTRY_HEALTH_SCORE)


def registry_probe_duration() -> PromQL:
    """How long the blackbox probe of the registry's /health took, in seconds."""
    return PromQL(_selector(c.PROBE_DURATION, job=c.JOB_REGISTRY_PROBE))


def registry_agents() -> PromQL:
    """Agents the registry knows, by status (only where the registry serves metrics)."""
    return PromQL(_sum_by((c.LABEL_STATUS,), c.REGISTRY_AGENTS))


# --------------------------------------------------------------------------
# SLOs (the guide's SLO records)
# --------------------------------------------------------------------------

def _budget(objective: float) -> str:
    """The error budget of an objective (0.999 -> 0.001), without float noise."""
    return _number(round(1 - objective, 12))


def slo_indicator(record: str, window: str) -> PromQL:
    """An SLO record averaged over ``window``, per agent and namespace (the SLI over that window)."""
    return PromQL(f"avg_over_time({record}[{window}])")


def error_budget_remaining(record: str, objective: float, window: str) -> PromQL:
    """Share of the error budget left over ``window``: 1 untouched, 0 spent, below 0 overspent."""
    return PromQL(f"1 - (1 - {slo_indicator(record, window)}) / {_budget(objective)}")


def burn_rate(record: str, objective: float, window: str) -> PromQL:
    """How many times faster than allowed the budget burns over ``window`` (1: spent exactly at the window's end)."""
    return PromQL(f"(1 - {slo_indicator(record, window)}) / {_budget(objective)}")


# --------------------------------------------------------------------------
# SLOs of the `slos` setting (the records monitoring/slo.py builds)
# --------------------------------------------------------------------------

def _of_slo(metric: str, slo: str) -> str:
    return _selector(metric, **{c.LABEL_SLO: slo})


def slo_objective(slo: str) -> PromQL:
    """The SLO's objective, a share of good events (its recorded series)."""
    return PromQL(_of_slo(c.RECORD_SLO_OBJECTIVE, slo))


def slo_worst_sli(slo: str, window: str) -> PromQL:
    """The lowest share of good events of any agent the SLO covers, over one of its recorded windows."""
    return PromQL(f"1 - max({_of_slo(c.slo_error_ratio(window), slo)})")


def slo_budget_remaining(slo: str) -> PromQL:
    """The smallest share of the error budget any agent has left over the SLO's window (below 0: overspent)."""
    return PromQL(f"min({_of_slo(c.RECORD_SLO_BUDGET_REMAINING, slo)})")


def slo_burn_rate(slo: str, window: str) -> PromQL:
    """The fastest any agent burns the SLO's budget over ``window``: its error ratio over the budget."""
    worst = f"max by ({c.LABEL_SLO}) ({_of_slo(c.slo_error_ratio(window), slo)})"
    return PromQL(f"{worst}\n/ on ({c.LABEL_SLO})\n(1 - {_of_slo(c.RECORD_SLO_OBJECTIVE, slo)})")


# --------------------------------------------------------------------------
# Regions side by side (the global stack's federated series)
# --------------------------------------------------------------------------

def _by_region(inner: str, how: str = "sum") -> PromQL:
    return PromQL(f"{how} by ({c.LABEL_REGION}) ({inner})")


def request_rate_by_region() -> PromQL:
    return _by_region(c.RECORD_REQUEST_RATE)


def agents_by_region() -> PromQL:
    """Agents with recorded traffic per region (idle agents too: their rate is 0, not absent)."""
    return _by_region(c.RECORD_REQUEST_RATE, "count")


def worst_error_ratio_by_region() -> PromQL:
    return _by_region(c.RECORD_ERROR_RATE, "max")


def worst_p95_by_region() -> PromQL:
    return _by_region(c.RECORD_REQUEST_DURATION_P95, "max")


def availability_by_region() -> PromQL:
    """The lowest availability SLI of any agent in each region.

    From the federated error ratio (the SLI is 1 - it, see
    :func:`rules.slo_availability`), so the SLI record itself stays in the region.
    """
    return _by_region(rules.slo_availability(), "min")


def agent_targets_up_by_region() -> PromQL:
    """Share of the instrumented agents' targets answering their scrapes, per region.

    From the per-agent counts of targets by ``up`` value (federated instead
    of one ``up`` per pod); 0, not absent, for a region whose targets all fail.
    """
    targets = _selector(c.RECORD_TARGETS_BY_UP, job=c.JOB_AGENT_METRICS)
    answering = _selector(c.RECORD_TARGETS_BY_UP, job=c.JOB_AGENT_METRICS, **{c.LABEL_UP_VALUE: "1"})
    total = _by_region(targets)
    return PromQL(f"(\n  {_by_region(answering)}\n  or 0 * {total}\n)\n/ {total}")


def registry_health_by_region() -> PromQL:
    return _by_region(c.RECORD_REGISTRY_HEALTH_SCORE, "min")


def regions_federated() -> PromQL:
    """1 per regional Prometheus the global one federates successfully, by source cluster."""
    return PromQL(_selector(c.UP, job=c.JOB_FEDERATE))


# --------------------------------------------------------------------------
# The monitoring pipeline (Prometheus' own series)
# --------------------------------------------------------------------------

def prometheus_memory(settings: StackSettings) -> PromQL:
    return PromQL(rules.prometheus_memory(settings))


def prometheus_memory_limit_ratio(settings: StackSettings) -> PromQL:
    """Resident memory as a share of the container's limit (what the memory alert compares)."""
    limit = quantity_value(settings.prometheus.resources.memory_limit)
    return PromQL(f"{rules.prometheus_memory(settings)} / {_number(limit)}")


def _self(metric: str, settings: StackSettings) -> str:
    return _selector(metric, job=c.prometheus_service_name(settings.release_name))


def head_series(settings: StackSettings) -> PromQL:
    return PromQL(_self(c.TSDB_HEAD_SERIES, settings))


def samples_appended_rate(settings: StackSettings, window: str = c.GRAFANA_RATE_INTERVAL) -> PromQL:
    return PromQL(_rate(_self(c.TSDB_SAMPLES_APPENDED, settings), window))


def storage_blocks_bytes(settings: StackSettings) -> PromQL:
    return PromQL(_self(c.TSDB_STORAGE_BLOCKS_BYTES, settings))


def rule_group_duration(settings: StackSettings) -> PromQL:
    """Seconds the last evaluation of each rule group took."""
    return PromQL(f"max by ({c.RULE_GROUP_LABEL}) ({_self(c.RULE_GROUP_LAST_DURATION, settings)})")


def rule_evaluation_failures(settings: StackSettings, window: str = c.GRAFANA_RATE_INTERVAL) -> PromQL:
    return PromQL(_sum_by((c.RULE_GROUP_LABEL,), _rate(_self(c.RULE_EVALUATION_FAILURES, settings), window)))


def targets_up_by_job() -> PromQL:
    """Share of each job's targets that answer their scrapes."""
    return PromQL(f"avg by (job) ({c.UP})")


def scrape_duration_by_job() -> PromQL:
    return PromQL(f"max by (job) ({c.SCRAPE_DURATION})")


def remote_write_lag(window: str = c.GRAFANA_RATE_INTERVAL) -> PromQL:
    return PromQL(rules.remote_write_lag(window))


def remote_write_failures(window: str = c.GRAFANA_RATE_INTERVAL) -> PromQL:
    return PromQL(_sum_by(c.REMOTE_WRITE_QUEUE_LABELS, _rate(c.REMOTE_WRITE_FAILED, window)))


def remote_write_sent(window: str = c.GRAFANA_RATE_INTERVAL) -> PromQL:
    return PromQL(_sum_by(c.REMOTE_WRITE_QUEUE_LABELS, _rate(c.REMOTE_WRITE_SENT, window)))


def federate_requests_served(settings: StackSettings, window: str = c.GRAFANA_RATE_INTERVAL) -> PromQL:
    """/federate requests this (regional) Prometheus answers per second: the global stack reading it."""
    selector = _selector(c.HTTP_REQUESTS, job=c.prometheus_service_name(settings.release_name),
                         **{c.HTTP_HANDLER_LABEL: c.FEDERATE_HANDLER})
    return PromQL(f"sum({_rate(selector, window)})")


def federated_samples_by_region() -> PromQL:
    """Samples each federation scrape brings in, per source cluster (the global stack)."""
    return PromQL(_selector(c.SCRAPE_SAMPLES_SCRAPED, job=c.JOB_FEDERATE))
