"""SLOs from data: the ``slos`` setting -> error-ratio records, budgets and burn-rate alerts.

One burn-rate window table (:data:`BURN_WINDOWS`, the SRE workbook's
multi-window, multi-burn-rate alerting, as Sloth generates it) drives both
the recording rules (every window it names gets an error-ratio record) and
the alerts (one per SLO and row); every threshold is computed from the SLO's
objective and window, none is typed.

What an SLO counts (per agent and namespace, label ``slo``):

- availability: requests, bad when ``status="error"``, from the 5m request
  rate table of ``mcp_mesh.rules``;
- latency: observed request durations, bad when above the threshold, from
  the 5m bucket rate table: the ``+Inf`` bucket minus the threshold's bucket
  (which is why the threshold must be a bucket boundary).

Nothing here reads a raw series. The event rates over 5m are read from the
rate tables once per SLO; every longer window is the ratio of *sums* of
recorded rates at non-overlapping steps (``sum_over_time(errors[W:step]) /
sum_over_time(requests[W:step])``): the step count cancels out, a series
born inside the window counts as 0 before it existed, and an agent without
events in the window has no ratio (never 0/0 = NaN), so idle agents never
burn budget nor alert.

Groups and cost (the sizing guide of the README budgets the rule groups at
1,000 agents). Per covered (SLO, agent, namespace), with ``n`` the samples
read per evaluation:

- ``mcp_mesh.slo_ratios``, at the evaluation interval (30s): the 5m event
  rates (one look-up each in the rate tables), hourly tiles of them (events
  in the hour: 12 steps each), the 5m, 30m (6 steps each) and 1h (from the
  tiles) ratios, the objectives, and the fast page alert (14.4x over 1h and
  5m), which must react within an evaluation. n = 2 + 24 + 12 + 2 = 40.
- ``mcp_mesh.slo_windows``, every 4m: the 2h and 6h ratios (5m steps: 24
  and 72 each), the 1d and 3d ratios (hourly tiles at 1h steps: 24 and 72
  each), 6h tiles (6 hourly tiles each), the SLO window's ratio (6h tiles at
  6h steps: 120 each for 30d), the budget left, and the alerts on those
  windows. n = 2 * (24 + 72 + 24 + 72 + 6 + 120) = 636. A ratio over hours
  or days moves by one 5m tile per 5m, so evaluating it more often buys
  nothing; 4m stays under Prometheus' 5m look-back, so an instant query
  (a dashboard) always finds a sample, also under Prometheus 3's left-open
  look-back. It reads the 30s group's records, never the other way round,
  so it never repeats an old value as new.

Windows of a day up to a week read hourly tiles at whole hours, so they
describe the window ending at the last whole hour: up to an hour old (4% of
1d). The SLO's own window reads 6h tiles at whole 6 hours: up to 7 hours old
(1% of 30d), which is what makes a 30d budget cost 120 look-ups per series,
not 720 (hourly) or 8,640 (5m).

Measured (Prometheus 2.42 on a 2-CPU machine shared with other work, 100
agents and the two default SLOs, 30 days of tiles backfilled, evaluation
times from /api/v1/rules): with hourly tiles for the 30d window and a 2m30s
interval, ``mcp_mesh.slo_windows`` took 630-810 ms per evaluation (0.4-0.5%
of the time); with 6h tiles every 4m, 260-350 ms (0.11-0.15%).
``mcp_mesh.slo_ratios`` took 18-60 ms, median about 28 ms, per 30s
evaluation (0.09%). Linear in (SLO, agent) pairs, that is about 2.5% of the
time for both groups at 1,000 agents with 30 days of history. The scale
benchmark at 1,000 agents (3 h of history, so the long windows read fewer
tiles) measured ``mcp_mesh.slo_ratios`` at 140-220 ms per 30s (0.5-0.75%)
and ``mcp_mesh.slo_windows`` at 100-400 ms per 4m (under 0.2%).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Iterable

from monitoring import conventions as c
from monitoring.resources import AlertingRule, RecordingRule, Rule, RuleGroup, alert
from monitoring.rules import AGENT_LABELS, RATE_WINDOW, _number, _sum_by
from monitoring.settings import SettingsError, StackSettings, duration_seconds
from monitoring.settings.model import SLI, SLOSettings

# The step of hourly tiles, and the shortest window read from them.
TILE = "1h"
DAY = 86400
# The tiles of an SLO's own window (a week or more, for its budget): 6 hourly tiles.
LONG_TILE = "6h"
WEEK = 7 * DAY
# Interval of the long-window group (half the 5m look-back; see the module docstring).
WINDOWS_INTERVAL = "4m"
SLO_LABELS = (c.LABEL_SLO, *AGENT_LABELS)
_LE = "le"
_INF = "+Inf"


@dataclass(frozen=True)
class BurnWindow:
    """One row of the SRE workbook's table: burning ``budget_share`` of the budget within ``long`` alerts.

    The factor is how many times faster than the objective allows the budget
    burns: spending ``budget_share`` of a ``window``'s budget in ``long`` is a
    burn rate of ``budget_share * window / long`` (2% of 30 days in an hour:
    0.02 * 720 = 14.4). The alert needs the short window above the same rate
    too, so it resolves within ``short`` of the burn stopping.
    """

    severity: str
    long: str
    short: str
    budget_share: float
    for_: str

    def factor(self, window: str) -> float:
        return round(self.budget_share * duration_seconds(window) / duration_seconds(self.long), 9)


# The workbook's recommended parameters (chapter 5, "Alerting on SLOs", table 5-8):
# pages at 2% of the budget in 1h and 5% in 6h, tickets at 10% in 1d and in 3d.
# `for`: a page's condition holds over four 30s evaluations, a ticket's or
# slow page's over several evaluations of its 4m group, so that one
# evaluation's blip never notifies.
BURN_WINDOWS = (
    BurnWindow(c.SEVERITY_CRITICAL, "1h", "5m", 0.02, "2m"),
    BurnWindow(c.SEVERITY_CRITICAL, "6h", "30m", 0.05, "15m"),
    BurnWindow(c.SEVERITY_WARNING, "1d", "2h", 0.10, "15m"),
    BurnWindow(c.SEVERITY_WARNING, "3d", "6h", 0.10, "15m"),
)


def _sorted_windows(windows: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(windows), key=duration_seconds))


# Every window an error ratio is recorded over (5m, 30m, 1h, 2h, 6h, 1d, 3d).
RATIO_WINDOWS = _sorted_windows(w for row in BURN_WINDOWS for w in (row.long, row.short))
# The windows recorded at the evaluation interval: what the fast page alert reads.
FAST_WINDOWS = tuple(w for w in RATIO_WINDOWS if duration_seconds(w) <= duration_seconds(TILE))


def check_objective(key: str, slo: SLOSettings) -> None:
    """Refuse an objective whose budget is so large that the fastest burn can never be reached.

    A burn of ``f`` times the budget means a share ``f * (1 - objective)`` of
    events failing, which cannot exceed 1.
    """
    row = max(BURN_WINDOWS, key=lambda r: r.factor(slo.window))
    factor = row.factor(slo.window)
    if factor * slo.budget >= 1:
        floor = 100 * (1 - 1 / factor)
        raise SettingsError(key, f"expected an objective above {floor:.2f} (a {factor:g}x burn over {row.long} of a "
                                 f"{slo.window} budget of {_number(round(100 * slo.budget, 9))}% is more than "
                                 f"every event failing), got {_number(slo.objective)}")


# --------------------------------------------------------------------------
# Which agents an SLO covers
# --------------------------------------------------------------------------

def _regex(values: Iterable[str]) -> str:
    return "|".join(re.escape(v) for v in values)


def agent_matchers(slo: SLOSettings, slos: Iterable[SLOSettings]) -> dict[str, str]:
    """``agent`` matchers of the agents ``slo`` covers: its own, or every agent no SLO of its SLI names.

    Returned as ``{operator: regex}`` (``=~`` or ``!~``); empty for a mesh-wide SLO no other overrides.
    """
    if slo.agents:
        return {"=~": _regex(slo.agents)}
    named = sorted({a for other in slos if other.sli is slo.sli for a in other.agents})
    return {"!~": _regex(named)} if named else {}


def _select(metric: str, matchers: dict[str, str], **equal: str) -> str:
    parts = [f"{label}={json.dumps(value)}" for label, value in equal.items()]
    parts += [f"{c.LABEL_AGENT}{op}{json.dumps(regex)}" for op, regex in matchers.items()]
    return f"{metric}{{{', '.join(parts)}}}" if parts else metric


def bucket_matcher(seconds: float) -> str:
    """Regex of a bucket bound as the clients write it: Go's ``1``, Python's ``1.0``."""
    forms = dict.fromkeys((_number(seconds), repr(float(seconds))))
    return _regex(forms)


def latency_threshold(settings: StackSettings, slo: SLOSettings) -> float:
    """A latency SLO's threshold in seconds: its own, else the stack's ``sloLatencyThreshold``."""
    return settings.rules.slo_latency_seconds if slo.threshold is None else slo.threshold


# --------------------------------------------------------------------------
# Records
# --------------------------------------------------------------------------

def _only(slo: SLOSettings) -> dict[str, str]:
    return {c.LABEL_SLO: slo.name}


def event_rules(settings: StackSettings, slo: SLOSettings) -> tuple[RecordingRule, RecordingRule]:
    """Events/s and bad events/s over 5m per agent and namespace, from the 5m rate tables.

    Bad events default to 0 where an agent has events but no bad ones (no
    ``status="error"`` child yet), so both series exist for every agent the
    SLO counts events of.
    """
    matchers = agent_matchers(slo, settings.rules.slos)
    requests = c.slo_requests_rate(RATE_WINDOW)
    mine = f'{requests}{{{c.LABEL_SLO}={json.dumps(slo.name)}}}'
    if slo.sli is SLI.AVAILABILITY:
        total = _sum_by(AGENT_LABELS, _select(c.RECORD_REQUESTS_RATE_TABLE, matchers))
        bad = _sum_by(AGENT_LABELS, _select(c.RECORD_REQUESTS_RATE_TABLE, matchers,
                                            **{c.LABEL_STATUS: c.STATUS_ERROR}))
    else:
        threshold = bucket_matcher(latency_threshold(settings, slo))
        total = _sum_by(AGENT_LABELS, _select(c.RECORD_REQUEST_DURATION_RATE_TABLE, matchers, **{_LE: _INF}))
        fast = _sum_by(AGENT_LABELS, c.RECORD_REQUEST_DURATION_RATE_TABLE + "{" + ", ".join(
            [f"{_LE}=~{json.dumps(threshold)}"]
            + [f"{c.LABEL_AGENT}{op}{json.dumps(r)}" for op, r in matchers.items()]) + "}")
        bad = f"{mine}\n  - on ({', '.join(AGENT_LABELS)})\n  {fast}"
    return (
        RecordingRule(requests, total, labels=_only(slo)),
        RecordingRule(c.slo_errors_rate(RATE_WINDOW),
                      f"(\n  {bad}\n)\nor on ({', '.join(AGENT_LABELS)})\n0 * {mine}", labels=_only(slo)),
    )


def _tiled(record: str, window: str, step: str) -> str:
    return f"sum_over_time({record}[{window}:{step}])"


def tile_rules() -> tuple[RecordingRule, RecordingRule]:
    """Events and bad events in the last hour: the 5m rates at 5m steps, times 300s (the tiles of long windows).

    Counts rather than rates, so that ratios of their sums are exact
    quotients of event counts. At an evaluation on a whole 5m (which real
    groups, evaluated at an offset, rarely hit) Prometheus 2's range closed
    on the left takes 13 steps: consecutive hourly tiles then share one 5m
    step, which weighs it twice in a day's sum (1/288 of it).
    """
    step = f"{_number(duration_seconds(RATE_WINDOW))}"
    return tuple(RecordingRule(tile(TILE), f"{_tiled(rate(RATE_WINDOW), TILE, RATE_WINDOW)} * {step}")
                 for rate, tile in ((c.slo_requests_rate, c.slo_requests_increase),
                                    (c.slo_errors_rate, c.slo_errors_increase)))


def long_tile_rules() -> tuple[RecordingRule, RecordingRule]:
    """Events and bad events in the last 6h: the hourly tiles at 1h steps (the tiles of an SLO's window)."""
    return tuple(RecordingRule(tile(LONG_TILE), _tiled(tile(TILE), LONG_TILE, TILE))
                 for tile in (c.slo_requests_increase, c.slo_errors_increase))


def ratio_rule(window: str, slos: Iterable[SLOSettings] = ()) -> RecordingRule:
    """Bad events over all events in ``window``, for every SLO (or the given ones), per agent and namespace.

    5m is the quotient of the two recorded rates, 1h of the two hourly
    tiles; other windows shorter than a day, of sums of the 5m rates at 5m
    steps; a day up to a week, of sums of the hourly tiles at 1h steps; an
    SLO's window (a week or more), of the 6h tiles at 6h steps. Only where
    the window had events (``> 0``).
    """
    names = [s.name for s in slos]
    select = f'{{{c.LABEL_SLO}=~{json.dumps(_regex(names))}}}' if names else ""
    if window == RATE_WINDOW:
        errors, requests = f"{c.slo_errors_rate(window)}{select}", f"{c.slo_requests_rate(window)}{select}"
    elif window == TILE:
        errors, requests = f"{c.slo_errors_increase(window)}{select}", f"{c.slo_requests_increase(window)}{select}"
    elif duration_seconds(window) >= WEEK:
        errors = _tiled(c.slo_errors_increase(LONG_TILE) + select, window, LONG_TILE)
        requests = _tiled(c.slo_requests_increase(LONG_TILE) + select, window, LONG_TILE)
    elif duration_seconds(window) >= DAY:
        errors = _tiled(c.slo_errors_increase(TILE) + select, window, TILE)
        requests = _tiled(c.slo_requests_increase(TILE) + select, window, TILE)
    else:
        errors = _tiled(c.slo_errors_rate(RATE_WINDOW) + select, window, RATE_WINDOW)
        requests = _tiled(c.slo_requests_rate(RATE_WINDOW) + select, window, RATE_WINDOW)
    return RecordingRule(c.slo_error_ratio(window), f"{errors}\n/\n({requests} > 0)")


def objective_rule(slo: SLOSettings) -> RecordingRule:
    """The objective as a share of good events, one series per SLO (dashboards read it)."""
    return RecordingRule(c.RECORD_SLO_OBJECTIVE, f"vector({_number(slo.ratio)})", labels=_only(slo))


def budget_rule(window: str) -> RecordingRule:
    """Share of the error budget left over ``window``: 1 - error ratio / (1 - objective); below 0 overspent."""
    budget = f"(1 - {c.RECORD_SLO_OBJECTIVE})"
    return RecordingRule(c.RECORD_SLO_BUDGET_REMAINING,
                         f"1 - (\n  {c.slo_error_ratio(window)}\n  / on ({c.LABEL_SLO}) group_left ()\n  {budget}\n)")


# --------------------------------------------------------------------------
# Alerts
# --------------------------------------------------------------------------

def _hours(seconds: float) -> str:
    return f"{_number(round(seconds / 3600, 2))}h"


def burn_alert(slo: SLOSettings, row: BurnWindow) -> AlertingRule:
    """The SLO's budget burns ``row.factor`` times too fast over both of the row's windows."""
    factor = row.factor(slo.window)
    threshold = _number(round(factor * slo.budget, 12))
    sel = f'{{{c.LABEL_SLO}={json.dumps(slo.name)}}}'
    expr = (f"{c.slo_error_ratio(row.long)}{sel} > {threshold}\n"
            f"and\n{c.slo_error_ratio(row.short)}{sel} > {threshold}")
    exhausted = _hours(duration_seconds(slo.window) / factor)
    kind = "page" if row.severity == c.SEVERITY_CRITICAL else "ticket"
    rule = alert(
        c.ALERT_SLO_BUDGET_BURN, expr, row.for_, row.severity,
        f"SLO {slo.name}: error budget burning {factor:g}x too fast ({kind})",
        f"SLO {slo.name} ({slo.sli}): {{{{ $value | humanizePercentage }}}} of the events of agent "
        f"{{{{ $labels.agent }}}} ({{{{ $labels.namespace }}}}) were bad over the last {row.long}, and over the "
        f"last {row.short} too: more than {factor:g} times the {_number(round(100 * slo.budget, 9))}% its "
        f"{_number(slo.objective)}% objective allows. At this rate the {slo.window} error budget is spent "
        f"in {exhausted}.")
    # The SLO's name too (its series carry it already): rules of one name must differ in their labels.
    labels = {**rule.labels, c.LABEL_SLO: slo.name, c.LABEL_BURN_WINDOW: row.long}
    return AlertingRule(rule.alert, rule.expr, rule.for_, labels,
                        rule.annotations)


# --------------------------------------------------------------------------
# Groups
# --------------------------------------------------------------------------

def _windows_of(slos: Iterable[SLOSettings]) -> tuple[str, ...]:
    return _sorted_windows(s.window for s in slos)


def slo_groups(settings: StackSettings) -> tuple[RuleGroup, ...]:
    """The two SLO groups (none without SLOs), records in dependency order within each."""
    slos = settings.rules.slos
    if not slos:
        return ()
    fast: list[Rule] = [rule for slo in slos for rule in event_rules(settings, slo)]
    fast += [*tile_rules(), *(ratio_rule(w) for w in FAST_WINDOWS), *(objective_rule(s) for s in slos)]
    fast += [burn_alert(s, row) for row in BURN_WINDOWS if row.long in FAST_WINDOWS for s in slos]
    slow: list[Rule] = [ratio_rule(w) for w in RATIO_WINDOWS if w not in FAST_WINDOWS]
    slow += long_tile_rules()
    for window in _windows_of(slos):
        covered = [s for s in slos if s.window == window]
        slow += [ratio_rule(window, covered), budget_rule(window)]
    slow += [burn_alert(s, row) for row in BURN_WINDOWS if row.long not in FAST_WINDOWS for s in slos]
    return (RuleGroup(c.GROUP_MESH_SLO_RATIOS, tuple(fast), interval=settings.prometheus.evaluation_interval),
            RuleGroup(c.GROUP_MESH_SLO_WINDOWS, tuple(slow), interval=WINDOWS_INTERVAL))
