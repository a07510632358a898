"""The stack's PrometheusRules, as data built from its settings.

One PrometheusRule per rule group, in the monitoring namespace and labelled by
the selector contract (:func:`conventions.selector_labels`), so the stack's
Prometheus loads every one of them:

- ``mcp_mesh.rules``: per-agent aggregates under the guide's names, which the
  dashboards and federation read, and the registry health score;
- ``mcp_mesh.slo``: the guide's availability and latency SLO indicators;
- ``mcp_mesh.slo_ratios`` and ``mcp_mesh.slo_windows``: the SLOs of the
  ``slos`` setting, their error ratios, budgets and burn-rate alerts
  (:mod:`monitoring.slo`);
- ``mcp_mesh.symptoms``: alerts on what the mesh's users feel (errors,
  latency, an agent gone silent, the registry's health, agents lost);
- ``mcp_mesh.health``: alerts on the mesh's targets (down, unobserved, silent);
- ``prometheus.health``: alerts on Prometheus itself (memory, remote write,
  rule evaluation);
- ``monitoring.volumes``: alerts on the stack's own volume claims that no
  longer match its storage settings (see :mod:`monitoring.volumes`);
- ``mcp_mesh.custom``: the stack's ``customRules``, when it has any.

A global stack monitors no mesh of its own (it federates the regional
aggregates), so it gets only ``prometheus.health`` and its custom rules: the
mesh groups would record nothing there, and their "no data" alerts would fire
forever.

Semantics the guide leaves undefined, fixed here and proven by the promtool
tests in ``tests/promtool/``:

- **Ratios exist only where their denominator is positive.** An idle agent
  (request counter present but flat over the rate window) has a request rate
  of 0 and *no* error-rate, p95 or SLO series. 0/0 is NaN in PromQL, and NaN
  poisons everything built on it: the guide's ``p95 < bool 1.0`` is 0 for NaN,
  so its latency SLO calls every idle agent slow.
- **No error series means no errors.** prometheus_client creates a label child
  on first use, so ``status="error"`` appears only with an agent's first error;
  until then its error rate is 0, not missing.
- **The registry health score always has a value** where the registry is
  observed (blackbox probe of ``/health``, or ``up`` when the registry serves
  metrics), also with zero traffic: the guide's version multiplies and adds
  vectors whose label sets differ (so it is always empty) and filters with
  ``< 0.5`` where it means ``< bool 0.5``. See :func:`registry_health_score`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable

from monitoring import conventions as c
from monitoring.resources import AlertingRule, alert, Metadata, PrometheusRule, RecordingRule, Rule, RuleGroup
from monitoring.settings import StackSettings, duration_seconds, quantity_value
from monitoring.volumes import volumes_group

# The guide's rate window for every per-agent rate.
RATE_WINDOW = c.RATE_WINDOW
P95 = 0.95
# The per-agent aggregation of every mesh recording rule.
AGENT_LABELS = (c.LABEL_AGENT, c.LABEL_NAMESPACE)
# Prometheus' own names: the histogram bucket bound label and its last bucket.
_LE = "le"
_INF = "+Inf"
# Prometheus' self-monitoring series.
_UP = c.UP
_PROBE_SUCCESS = c.PROBE_SUCCESS
_SAMPLES_SCRAPED = c.SCRAPE_SAMPLES_POST_RELABELING
_RSS = c.PROCESS_RSS
_RW_FAILED = c.REMOTE_WRITE_FAILED
_RULE_FAILURES = c.RULE_EVALUATION_FAILURES

# The guide's health score is (up*100 + (1-error_rate)*50 + fast*50) / 2: half
# for availability, a quarter each for errors and latency.
_AVAILABILITY_POINTS = 50
_ERROR_POINTS = 25
_LATENCY_POINTS = 25

# How long a condition must hold before its alert fires.
_FOR_TARGET_DOWN = "5m"  # the guide's
_FOR_HIGH_MEMORY = "15m"  # the guide's
_FOR_NO_DATA = "10m"
_FOR_EMPTY_SCRAPE = "15m"
_FOR_REMOTE_WRITE = "15m"
_FOR_RULE_FAILURES = "15m"
_FOR_SYMPTOM = "10m"
_FOR_ERRORS = "5m"  # the guide's
_FOR_AGENTS_LOST = "15m"
# Minimum traffic (requests/s over the 5m window) for the per-agent symptom
# alerts: 30 requests in the window, so one failed or slow request among a
# handful never alerts, and an idle agent (rate 0, no ratio, no p95) never does.
MIN_REQUEST_RATE = 0.1
# How far back "had traffic" and "as many agents as before" look.
_LOOKBACK = "1h"


# --------------------------------------------------------------------------
# PromQL pieces (small functions, so every expression is assembled from the
# same selectors and no threshold or name is typed twice)
# --------------------------------------------------------------------------

def _number(value: float) -> str:
    """A PromQL number literal: integers without exponent, other values as Python prints them."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _selector(metric: str, **matchers: str) -> str:
    if not matchers:
        return metric
    inner = ", ".join(f"{label}={json.dumps(value)}" for label, value in matchers.items())
    return f"{metric}{{{inner}}}"


def _regex_selector(metric: str, label: str, values: Iterable[str]) -> str:
    return f"{metric}{{{label}=~{json.dumps('|'.join(values))}}}"


def _labels(labels: Iterable[str]) -> str:
    return ", ".join(labels)


def _sum_by(labels: Iterable[str], inner: str) -> str:
    return f"sum by ({_labels(labels)}) ({inner})"


def _on(labels: Iterable[str] = ()) -> str:
    return f"on ({_labels(labels)})"


def _rate(selector: str) -> str:
    return f"rate({selector}[{RATE_WINDOW}])"


def _indent(expr: str) -> str:
    return "\n".join("  " + line for line in expr.splitlines())


def _or_default(expr: str, default: float) -> str:
    """``expr``, or a label-less ``default`` when it has no series (keeps a score from vanishing)."""
    return f"({expr} or {_on()} vector({_number(default)}))"


# --------------------------------------------------------------------------
# Per-agent expressions
# --------------------------------------------------------------------------

def rate_table_rules(window: str = RATE_WINDOW) -> tuple[RecordingRule, RecordingRule]:
    """The two per-agent rate tables over ``window``: requests/s by status, observations/s by bucket.

    Over the guide's 5m they are the only rules that read the raw request
    counter and histogram, once each per evaluation; every per-agent record
    is derived from them (a p95 or an SLO re-reading the raw buckets was
    two thirds of the evaluation time at 1,000 agents, see benchmarks/).

    Over a longer window (the burn-rate windows of SLO alerting, 30m to 3d)
    they are built from the 5m tables, not from raw series: the sum of the
    5m table at non-overlapping 5m steps, divided by the number of steps.
    That is W/5m look-ups of one recorded series per (agent, status) or
    (agent, le) instead of every raw sample of every pod and method in W,
    and the 5m rates tile the window, so it is the rate over W. Dividing by
    the step count rather than averaging the points present counts a step
    where a series did not yet exist (an agent's first error) as 0, as a
    rate over W does. The step count is counted, not computed: Prometheus 2
    closes the range on the left, so at a multiple of 5m it holds W/5m + 1
    steps (W/5m in Prometheus 3).
    """
    tables = ((c.requests_rate_table, c.REQUESTS_TOTAL, c.LABEL_STATUS),
              (c.request_duration_rate_table, c.REQUEST_DURATION_BUCKET, _LE))
    if window == RATE_WINDOW:
        return tuple(RecordingRule(name(window), _sum_by((*AGENT_LABELS, label), _rate(raw)))
                     for name, raw, label in tables)
    steps, rest = divmod(duration_seconds(window), duration_seconds(RATE_WINDOW))
    if rest or steps < 2:
        raise ValueError(f"rate window {window!r}: expected a multiple of {RATE_WINDOW} longer than it")
    subquery = f"[{window}:{RATE_WINDOW}]"
    return tuple(RecordingRule(name(window), f"sum_over_time({name(RATE_WINDOW)}{subquery})\n"
                                             f"/ scalar(count_over_time(vector(1){subquery}))")
                 for name, _, _ in tables)


def request_rate() -> str:
    return _sum_by(AGENT_LABELS, c.RECORD_REQUESTS_RATE_TABLE)


def error_ratio() -> str:
    """Errors per request, only for agents with traffic.

    The numerator defaults to 0 for agents whose counter has no error child yet;
    the denominator keeps only agents with a positive request rate, so an idle
    agent yields no series instead of 0/0 = NaN. Both sides are aggregated to
    (agent, namespace) before dividing, so no ``ignoring(status) group_left``
    is needed (the guide's has nothing left to ignore). Read from the rate
    table and the request rate recorded just before it in the same group.
    """
    errors = _sum_by(AGENT_LABELS, _selector(c.RECORD_REQUESTS_RATE_TABLE, **{c.LABEL_STATUS: c.STATUS_ERROR}))
    return (
        f"(\n  {errors}\n  or {_on(AGENT_LABELS)}\n  0 * {c.RECORD_REQUEST_RATE}\n)\n"
        f"/ {_on(AGENT_LABELS)}\n({c.RECORD_REQUEST_RATE} > 0)"
    )


def request_duration_p95() -> str:
    """p95 request duration, only for agents that served requests in the window.

    ``histogram_quantile`` over buckets whose rates are all 0 is NaN; the
    buckets of idle agents are dropped first (the ``+Inf`` bucket counts every
    request), so an idle agent has no p95 rather than NaN. Read from the
    bucket rate table, already summed to (agent, namespace, le).
    """
    buckets = c.RECORD_REQUEST_DURATION_RATE_TABLE
    observed = _selector(buckets, **{_LE: _INF})
    return f"histogram_quantile({_number(P95)},\n  {buckets}\n  and {_on(AGENT_LABELS)}\n  ({observed} > 0)\n)"


def connections() -> str:
    return _sum_by(AGENT_LABELS, c.CONNECTIONS_ACTIVE)


def mesh_targets_up() -> str:
    """``up`` of every mesh target, counted per (agent, namespace, job) and value.

    One series per agent and job while all its targets answer, two while some
    fail, whatever the number of pods: what a federating stack needs to say
    how many of a region's targets answer, at a fraction of the per-pod
    series. The alerts that need the pod (PrometheusTargetDown,
    MCPMeshAgentEmptyScrape) run in the region, on the per-pod ``up``.
    """
    mesh = f"{_UP}{{job=~{json.dumps(c.JOB_PREFIX + '.*')}}}"
    return f"count_values by ({_labels((*AGENT_LABELS, 'job'))}) ({json.dumps(c.LABEL_UP_VALUE)}, {mesh})"


def slo_availability() -> str:
    """Share of successful requests: 1 - the recorded error ratio, so absent for idle agents too."""
    return f"1 - {c.RECORD_ERROR_RATE}"


def slo_latency(settings: StackSettings) -> str:
    """1 while an agent's recorded p95 is under the latency objective, else 0; absent for idle agents."""
    return f"{c.RECORD_REQUEST_DURATION_P95} < bool {_number(settings.rules.slo_latency_seconds)}"


# --------------------------------------------------------------------------
# Registry
# --------------------------------------------------------------------------

def registry_availability_selector(settings: StackSettings) -> str | None:
    """The series that say whether the registry answers, or None where nothing observes it.

    Upstream's registry serves no /metrics, so by default its availability is
    the blackbox probe of its /health; ``up`` of its own job only where the
    stack says it serves metrics.
    """
    if settings.mesh.registry_serves_metrics:
        return _selector(_UP, job=c.JOB_REGISTRY)
    if settings.mesh.blackbox_exporter:
        return _selector(_PROBE_SUCCESS, job=c.JOB_REGISTRY_PROBE)
    return None


def registry_health_score(settings: StackSettings, availability: str) -> str:
    """0-100: availability gates the score; errors and latency lower it.

    ``A * (50 + 25 * (1 - E) + 25 * L)`` with

    - A: the share of registry probes (or targets) that succeed, 0 when none
      report (no evidence the registry is up; MCPMeshRegistryNoData says why);
    - E: the registry's error ratio, 0 when it has none (no traffic, or no
      request metrics at all, which is upstream's case);
    - L: 1 when its p95 is below ``registryLatencyThreshold``, else 0; 1 when
      it has no p95.

    Every term is aggregated to an empty label set before it is combined, so
    the terms always match each other (the guide combined ``up{job=...}`` with
    ``{agent="registry"}`` series: no common labels, always empty), and the
    latency test uses ``< bool`` so a slow registry scores 0 points instead of
    dropping the whole score. A down registry scores 0, not the guide's 50.
    """
    registry = {c.LABEL_AGENT: c.REGISTRY_AGENT}
    a = _or_default(f"avg({availability})", 0)
    e = _or_default(f"max({_selector(c.RECORD_ERROR_RATE, **registry)})", 0)
    fast = (f"max({_selector(c.RECORD_REQUEST_DURATION_P95, **registry)}) "
            f"< bool {_number(settings.rules.registry_latency_seconds)}")
    latency = _or_default(fast, 1)
    return (f"{a}\n* (\n    {_AVAILABILITY_POINTS}\n  + {_ERROR_POINTS} * (1 - {e})\n"
            f"  + {_LATENCY_POINTS} * {latency}\n)")


# --------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------

_alert = alert


def mesh_rules_group(settings: StackSettings) -> RuleGroup:
    """The per-agent records, in dependency order.

    Rules of a group run one after another at one timestamp, so a rule reads
    the values its predecessors recorded in this very evaluation: the rate
    tables first (the only raw reads), then what is derived from them.
    """
    rules: list[Rule] = [
        *rate_table_rules(),
        RecordingRule(c.RECORD_REQUEST_RATE, request_rate()),
        RecordingRule(c.RECORD_ERROR_RATE, error_ratio()),
        RecordingRule(c.RECORD_REQUEST_DURATION_P95, request_duration_p95()),
        RecordingRule(c.RECORD_CONNECTIONS, connections()),
        RecordingRule(c.RECORD_TARGETS_BY_UP, mesh_targets_up()),
    ]
    availability = registry_availability_selector(settings)
    if availability is not None:
        # After the error-rate and p95 rules: rules of a group run in order at
        # one timestamp, so the score reads this evaluation's values.
        rules.append(RecordingRule(c.RECORD_REGISTRY_HEALTH_SCORE, registry_health_score(settings, availability)))
    return RuleGroup(c.GROUP_MESH_RULES, tuple(rules), interval=settings.prometheus.evaluation_interval)


def mesh_slo_group(settings: StackSettings) -> RuleGroup:
    """The SLO indicators, from the ratios ``mcp_mesh.rules`` records.

    Prometheus runs each group on its own timer (at a fixed offset within
    the interval, from a hash of its name), so no order between groups can
    be relied on. This group has the same interval as the one it reads,
    which makes the record it reads at most one evaluation interval old
    (never stale: the lookback is 5m), and every evaluation of it sees a
    new value. A group reading records must never have a shorter interval
    than their group: it would repeat old values as if they were new.
    """
    return RuleGroup(c.GROUP_MESH_SLO, (
        RecordingRule(c.RECORD_SLO_AVAILABILITY, slo_availability()),
        RecordingRule(c.RECORD_SLO_LATENCY, slo_latency(settings)),
    ), interval=settings.prometheus.evaluation_interval)


def mesh_health_group(settings: StackSettings) -> RuleGroup:
    agent_jobs = (c.JOB_AGENTS, c.JOB_AGENT_METRICS)
    agent_samples = _regex_selector(_SAMPLES_SCRAPED, "job", agent_jobs)
    rules: list[Rule] = [
        _alert(c.ALERT_TARGET_DOWN,
               f"{_UP}{{job=~{json.dumps(c.JOB_PREFIX + '.*')}, "
               f"job!~{json.dumps('|'.join(c.JOBS_DOWN_EXPECTED))}}} == 0",
               _FOR_TARGET_DOWN, c.SEVERITY_CRITICAL,
               "MCP Mesh target down",
               f"Target {{{{ $labels.instance }}}} of job {{{{ $labels.job }}}} has not answered its scrapes "
               f"for more than {_FOR_TARGET_DOWN}."),
        # Every agent target together exposes nothing: no agent discovered (a
        # selector that matches nothing, the guide's part-of label), all down,
        # or every series dropped by relabeling.
        _alert(c.ALERT_AGENTS_NO_DATA,
               f"{_or_default(f'sum({agent_samples})', 0)} == 0",
               _FOR_NO_DATA, c.SEVERITY_WARNING,
               "No MCP Mesh agent is sending metrics",
               f"Prometheus has stored no sample from the jobs {', '.join(agent_jobs)} "
               f"for more than {_FOR_NO_DATA}."),
        # A target that answers but exposes nothing (an agent started without
        # its metrics, or relabeling that drops everything); a failing target
        # is PrometheusTargetDown's.
        _alert(c.ALERT_AGENT_EMPTY_SCRAPE,
               f"{agent_samples} == 0\nand\n{_regex_selector(_UP, 'job', agent_jobs)} == 1",
               _FOR_EMPTY_SCRAPE, c.SEVERITY_WARNING,
               "MCP Mesh agent target exposes no metrics",
               f"Target {{{{ $labels.instance }}}} of job {{{{ $labels.job }}}} (pod {{{{ $labels.namespace }}}}/"
               f"{{{{ $labels.pod }}}}) answers its scrapes but has exposed no sample for more than "
               f"{_FOR_EMPTY_SCRAPE}."),
    ]
    availability = registry_availability_selector(settings)
    if availability is not None and not settings.mesh.registry_serves_metrics:
        # Where the registry serves metrics, PrometheusTargetDown covers it.
        rules.append(_alert(
            c.ALERT_REGISTRY_DOWN, f"{availability} == 0", _FOR_TARGET_DOWN, c.SEVERITY_CRITICAL,
            "MCP Mesh registry down",
            f"The probe of {{{{ $labels.instance }}}} has failed for more than {_FOR_TARGET_DOWN}: "
            "agents can neither register nor discover each other."))
    if availability is not None:
        rules.append(_alert(
            c.ALERT_REGISTRY_NO_DATA, f"absent({availability})", _FOR_NO_DATA, c.SEVERITY_WARNING,
            "MCP Mesh registry not observed",
            f"No series of job {{{{ $labels.job }}}} for more than {_FOR_NO_DATA}: the registry's availability "
            "is unknown and its health score counts it as down."))
    return RuleGroup(c.GROUP_MESH_HEALTH, tuple(rules), interval=settings.prometheus.evaluation_interval)


@dataclass(frozen=True)
class Threshold:
    """An alert threshold a stack may override (``ruleOverrides.<alert>.threshold``)."""

    default: Callable[[StackSettings], float]
    minimum: float
    maximum: float
    meaning: str


# Alerts with a threshold of their own; every other alert's is computed
# (burn rates from the objective) or fixed by its meaning (a target down).
THRESHOLDS = {
    c.ALERT_AGENT_HIGH_ERROR_RATE: Threshold(lambda s: 0.01, 0.0001, 1, "a share of requests failing (0.01: 1%)"),
    c.ALERT_AGENT_HIGH_LATENCY: Threshold(lambda s: s.rules.slo_latency_seconds, 0.001, 300,
                                          "a p95 in seconds"),
    c.ALERT_AGENT_TRAFFIC_STOPPED: Threshold(lambda s: MIN_REQUEST_RATE, 0.001, 1e6,
                                             "requests/s an agent had within the hour"),
    c.ALERT_REGISTRY_HEALTH_LOW: Threshold(lambda s: 80, 1, 100, "a health score from 1 to 100"),
    c.ALERT_FEWER_AGENTS_REPORTING: Threshold(lambda s: 1, 1, 1e6, "agents lost within the hour"),
}


def threshold(settings: StackSettings, name: str) -> float:
    """The threshold of alert ``name``: the stack's override, else the default."""
    override = settings.rules.overrides.get(name)
    if override is not None and override.threshold is not None:
        return override.threshold
    return THRESHOLDS[name].default(settings)


def _with_traffic(expr: str) -> str:
    """``expr`` only for agents serving at least MIN_REQUEST_RATE (the minimum-traffic guard)."""
    return f"{expr}\nand {_on(AGENT_LABELS)}\n{c.RECORD_REQUEST_RATE} >= {_number(MIN_REQUEST_RATE)}"


def mesh_symptoms_group(settings: StackSettings) -> RuleGroup:
    """Alerts on symptoms, read from the records of ``mcp_mesh.rules`` (same interval).

    Each has a guard so an idle mesh never alerts: the ratio and p95 records
    do not exist for idle agents and the alerts also need MIN_REQUEST_RATE;
    a stopped agent must have had traffic within the hour; an idle registry
    scores full health; idle agents keep their request-rate series (at 0), so
    they count as reporting.
    """
    errors = threshold(settings, c.ALERT_AGENT_HIGH_ERROR_RATE)
    latency = threshold(settings, c.ALERT_AGENT_HIGH_LATENCY)
    had = threshold(settings, c.ALERT_AGENT_TRAFFIC_STOPPED)
    lost = threshold(settings, c.ALERT_FEWER_AGENTS_REPORTING)
    agent = "Agent {{ $labels.agent }} ({{ $labels.namespace }})"
    before = f"count by ({c.LABEL_NAMESPACE}) ({c.RECORD_REQUEST_RATE} offset {_LOOKBACK})"
    now = f"count by ({c.LABEL_NAMESPACE}) ({c.RECORD_REQUEST_RATE})"
    rules: list[Rule] = [
        _alert(c.ALERT_AGENT_HIGH_ERROR_RATE, _with_traffic(f"{c.RECORD_ERROR_RATE} > {_number(errors)}"),
               _FOR_ERRORS, c.SEVERITY_WARNING, "MCP Mesh agent error rate high",
               f"{agent} fails {{{{ $value | humanizePercentage }}}} of its requests (alerting above "
               f"{_number(errors * 100)}%) for more than {_FOR_ERRORS}."),
        _alert(c.ALERT_AGENT_HIGH_LATENCY, _with_traffic(f"{c.RECORD_REQUEST_DURATION_P95} > {_number(latency)}"),
               _FOR_SYMPTOM, c.SEVERITY_WARNING, "MCP Mesh agent slow",
               f"{agent} answers 5% of its requests in more than {{{{ $value | humanizeDuration }}}} "
               f"(alerting above a p95 of {_number(latency)}s) for more than {_FOR_SYMPTOM}."),
        _alert(c.ALERT_AGENT_TRAFFIC_STOPPED,
               f"{c.RECORD_REQUEST_RATE} == 0\nand {_on(AGENT_LABELS)}\n"
               f"max_over_time({c.RECORD_REQUEST_RATE}[{_LOOKBACK}]) >= {_number(had)}",
               _FOR_SYMPTOM, c.SEVERITY_WARNING, "MCP Mesh agent traffic stopped",
               f"{agent} has served no request for more than {_FOR_SYMPTOM}, after serving at least "
               f"{_number(had)} requests/s within the last {_LOOKBACK}."),
        _alert(c.ALERT_FEWER_AGENTS_REPORTING,
               f"{before}\n- (\n  {now}\n  or\n  0 * {before}\n)\n>= {_number(lost)}",
               _FOR_AGENTS_LOST, c.SEVERITY_WARNING, "Fewer MCP Mesh agents reporting than an hour ago",
               f"Namespace {{{{ $labels.namespace }}}} has {{{{ $value | humanize }}}} agent(s) fewer reporting "
               f"request metrics than {_LOOKBACK} ago, for more than {_FOR_AGENTS_LOST}."),
    ]
    if registry_availability_selector(settings) is not None:
        score = threshold(settings, c.ALERT_REGISTRY_HEALTH_LOW)
        rules.append(_alert(
            c.ALERT_REGISTRY_HEALTH_LOW, f"{c.RECORD_REGISTRY_HEALTH_SCORE} < {_number(score)}",
            _FOR_SYMPTOM, c.SEVERITY_WARNING, "MCP Mesh registry health low",
            f"The registry's health score is {{{{ $value | humanize }}}} of 100 (alerting below {_number(score)}) for more "
            f"than {_FOR_SYMPTOM}: it is down part of the time, failing requests or slow."))
    return RuleGroup(c.GROUP_MESH_SYMPTOMS, tuple(rules), interval=settings.prometheus.evaluation_interval)


def with_overrides(settings: StackSettings, resources: Iterable[Any]) -> tuple[Any, ...]:
    """``resources`` with the stack's ``ruleOverrides`` applied to every alert of every PrometheusRule.

    ``for`` and ``severity`` replace the program's, ``disabled`` drops the
    alert (every rule of that name); thresholds are read where the alert is
    built (:func:`threshold`). The names were checked against the groups as
    built (monitoring/settings/cross.py).
    """
    overrides = settings.rules.overrides
    if not overrides:
        return tuple(resources)

    def apply(rule: Rule) -> Rule | None:
        override = overrides.get(rule.alert) if isinstance(rule, AlertingRule) else None
        if override is None:
            return rule
        if override.disabled:
            return None
        labels = dict(rule.labels)
        if override.severity is not None:
            labels[c.LABEL_SEVERITY] = str(override.severity)
        return replace(rule, for_=override.for_ or rule.for_, labels=labels)

    def visit(resource: Any) -> Any:
        if not isinstance(resource, PrometheusRule):
            return resource
        groups = tuple(replace(g, rules=tuple(r for r in map(apply, g.rules) if r is not None))
                       for g in resource.groups)
        return replace(resource, groups=groups)

    return tuple(visit(r) for r in resources)


def prometheus_memory(settings: StackSettings) -> str:
    """Resident memory of the stack's Prometheus (its self-scrape job, its own container)."""
    return _selector(_RSS, job=c.prometheus_service_name(settings.release_name), container=c.PROMETHEUS_CONTAINER)


def remote_write_lag(window: str) -> str:
    """Seconds each remote-write queue is behind: newest sample appended minus newest sent.

    The appended timestamp has no queue labels, hence ``group_right``.
    """
    return (f"max_over_time({c.REMOTE_WRITE_HIGHEST_TS}[{window}])\n"
            f"- ignoring ({_labels(c.REMOTE_WRITE_QUEUE_LABELS)}) group_right\n"
            f"max_over_time({c.REMOTE_WRITE_SENT_TS}[{window}])")


def prometheus_health_group(settings: StackSettings) -> RuleGroup:
    limit = settings.prometheus.resources.memory_limit
    ratio = settings.rules.memory_alert_ratio
    # The guide compares the TSDB symbol table with the size of the blocks on
    # disk, which says nothing about memory. What gets Prometheus OOM-killed is
    # its memory against the container limit; the resident set of the
    # Prometheus process (its own self-scrape, which the stack always has,
    # unlike cAdvisor's container series) is compared with the limit this
    # program sets on that container.
    rss = prometheus_memory(settings)
    lag = remote_write_lag(RATE_WINDOW)
    max_lag = settings.rules.remote_write_max_lag_seconds
    return RuleGroup(c.GROUP_PROMETHEUS_HEALTH, (
        _alert(c.ALERT_PROMETHEUS_HIGH_MEMORY,
               f"{rss} / {_number(quantity_value(limit))} > {_number(ratio)}",
               _FOR_HIGH_MEMORY, c.SEVERITY_WARNING,
               "Prometheus high memory usage",
               f"Prometheus {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} uses "
               f"{{{{ $value | humanizePercentage }}}} of its {limit} memory limit "
               f"(alerting above {_number(ratio * 100)}%)."),
        _alert(c.ALERT_REMOTE_WRITE_FAILING,
               f"rate({_RW_FAILED}[{RATE_WINDOW}]) > 0",
               _FOR_REMOTE_WRITE, c.SEVERITY_CRITICAL,
               "Prometheus remote write failing",
               f"Prometheus {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} has failed to send "
               f"{{{{ $value | humanize }}}} samples/s to {{{{ $labels.remote_name }}}} ({{{{ $labels.url }}}}) "
               f"for more than {_FOR_REMOTE_WRITE}; those samples are lost to the long-term store."),
        _alert(c.ALERT_REMOTE_WRITE_BEHIND,
               f"(\n{_indent(lag)}\n) > {_number(max_lag)}",
               _FOR_REMOTE_WRITE, c.SEVERITY_WARNING,
               "Prometheus remote write falling behind",
               f"Prometheus {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} is "
               f"{{{{ $value | humanizeDuration }}}} behind in sending samples to {{{{ $labels.remote_name }}}} "
               f"({{{{ $labels.url }}}}) and has been more than {_number(max_lag)}s behind "
               f"for more than {_FOR_REMOTE_WRITE}."),
        _alert(c.ALERT_RULE_EVALUATION_FAILURES,
               f"increase({_RULE_FAILURES}[{RATE_WINDOW}]) > 0",
               _FOR_RULE_FAILURES, c.SEVERITY_CRITICAL,
               "Prometheus rule evaluations failing",
               f"Prometheus {{{{ $labels.namespace }}}}/{{{{ $labels.pod }}}} failed "
               f"{{{{ $value | humanize }}}} evaluations of rule group {{{{ $labels.rule_group }}}} in the last "
               f"{RATE_WINDOW}, continuously for more than {_FOR_RULE_FAILURES}: recording rules, SLOs "
               "and alerts of that group are missing."),
    ), interval=settings.prometheus.evaluation_interval)


def custom_group(settings: StackSettings) -> RuleGroup | None:
    if not settings.rules.custom:
        return None
    return RuleGroup(c.GROUP_CUSTOM, tuple(settings.rules.custom), interval=settings.prometheus.evaluation_interval)


def mesh_groups(settings: StackSettings) -> tuple[RuleGroup, ...]:
    """The groups over the mesh's own series (what a cluster running the mesh records)."""
    from monitoring.slo import slo_groups  # it builds on this module's helpers

    return (mesh_rules_group(settings), mesh_slo_group(settings), *slo_groups(settings),
            mesh_symptoms_group(settings), mesh_health_group(settings))


def with_runbook_urls(settings: StackSettings, resources: Iterable[Any]) -> tuple[Any, ...]:
    """``resources`` with a ``runbook_url`` on every alert of every PrometheusRule among them.

    The one place runbook links are added, whoever built the rule. An alert
    of this program links to its section of docs/runbooks.md (anchor: its name
    in lower case); an alert from ``customRules`` keeps its own runbook_url or
    links to the section on custom alerts. Other resources pass unchanged.
    """
    base_url = settings.rules.runbook_base_url
    custom = {r.alert for r in settings.rules.custom if isinstance(r, AlertingRule)}

    def decorate(rule: Rule) -> Rule:
        if not isinstance(rule, AlertingRule) or c.ANNOTATION_RUNBOOK_URL in rule.annotations:
            return rule
        anchor = c.RUNBOOK_CUSTOM_ANCHOR if rule.alert in custom else rule.alert.lower()
        return replace(rule, annotations={**rule.annotations, c.ANNOTATION_RUNBOOK_URL: f"{base_url}#{anchor}"})

    def visit(resource: Any) -> Any:
        if not isinstance(resource, PrometheusRule):
            return resource
        groups = tuple(replace(g, rules=tuple(decorate(r) for r in g.rules)) for g in resource.groups)
        return replace(resource, groups=groups)

    return tuple(visit(r) for r in resources)


def rule_groups(settings: StackSettings) -> tuple[RuleGroup, ...]:
    """Every rule group the stack deploys (runbook URLs come with :func:`with_runbook_urls`)."""
    groups: list[RuleGroup] = []
    if settings.profile.mesh_groups:
        groups += mesh_groups(settings)
    groups.append(prometheus_health_group(settings))
    groups.append(volumes_group(settings))
    custom = custom_group(settings)
    if custom is not None:
        groups.append(custom)
    return tuple(groups)


def prometheus_rules(settings: StackSettings) -> tuple[PrometheusRule, ...]:
    """One PrometheusRule per group, where the stack's Prometheus selects it."""
    return tuple(
        PrometheusRule(
            metadata=Metadata(
                name=c.rule_cr_name(group.name),
                namespace=settings.namespace,
                labels=c.selector_labels(settings.release_name),
            ),
            groups=(group,),
        )
        for group in rule_groups(settings)
    )


def recording_rule_names(settings: StackSettings) -> list[str]:
    """Names of the series a cluster running the mesh records with these settings.

    What federation's ``match[]`` and remote write keep: every record but
    the rate tables, which stay in the region (per bucket, they would
    outweigh everything else shipped). Independent of the stack's role: a
    global stack federates what its regional stacks record.
    """
    groups = [*mesh_groups(settings)]
    custom = custom_group(settings)
    if custom is not None:
        groups.append(custom)
    names: list[str] = []
    for group in groups:
        for rule in group.rules:
            if isinstance(rule, RecordingRule) and rule.record not in names and not c.is_rate_table(rule.record):
                names.append(rule.record)
    return names
