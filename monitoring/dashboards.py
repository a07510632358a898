"""The stack's Grafana dashboards, built with Grafana's own SDK, and the ConfigMaps that deliver them.

Every panel reads its query from :mod:`monitoring.queries`, has a
description, a unit and thresholds, and reads the data source chosen in the
dashboard's ``datasource`` variable (never a fixed uid, so the same JSON works
in every cluster). Which dashboards a stack gets follows its role and
settings:

- a regional stack (one running the mesh): mesh overview, agent detail,
  registry (where something observes the registry), SLOs and error budgets,
  monitoring pipeline;
- the global stack: the regions side by side, and its own monitoring pipeline.

Each dashboard goes into a ConfigMap that the kube-prometheus-stack Grafana
sidecar imports (label :data:`conventions.DASHBOARD_SIDECAR_LABEL`), in the
monitoring namespace, into the Grafana folder of its product (annotation
:data:`conventions.DASHBOARD_FOLDER_ANNOTATION`). The dashboards are
read-only in Grafana (``editable: false``, and the sidecar's provider refuses
UI updates): a change is a change to this module.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Sequence

from grafana_foundation_sdk.builders import dashboard as gb
from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import heatmap, prometheus, stat, table, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as gm
from grafana_foundation_sdk.models import prometheus as pm

from monitoring import conventions as c
from monitoring import queries as q
from monitoring import slo as slo_rules
from monitoring.resources import KubernetesObject, Metadata
from monitoring.rules import _number
from monitoring.settings import Role, StackSettings, duration_seconds
from monitoring.settings.model import SLI, SLOSettings

DATASOURCE_TYPE = "prometheus"
DATASOURCE = gm.DataSourceRef(type_val=DATASOURCE_TYPE, uid=f"${{{c.DATASOURCE_VARIABLE}}}")
AGENT = f"${c.AGENT_VARIABLE}"
REFRESH = "1m"
TIME_FROM = "now-6h"

# Colours Grafana's palette names.
GREEN, ORANGE, RED, BLUE = "green", "orange", "red", "blue"

# Burn rates the SLO panels draw: the long windows of the burn-rate table.
BURN_RATE_WINDOWS = tuple(row.long for row in slo_rules.BURN_WINDOWS)


def slos(settings: StackSettings) -> tuple[SLOSettings, ...]:
    """The SLOs the dashboard shows: the stack's ``slos`` setting."""
    return settings.rules.slos


def _slo_indicator(settings: StackSettings, slo: SLOSettings) -> str:
    """What one good event of an SLO is, in words."""
    others = any(o.agents for o in settings.rules.slos if o.sli is slo.sli)
    who = f"agents {', '.join(slo.agents)}" if slo.agents else ("every other agent" if others else "every agent")
    if slo.sli is SLI.AVAILABILITY:
        return f"a request of {who} that succeeds"
    seconds = slo_rules.latency_threshold(settings, slo)
    return f"a request of {who} served within {seconds:g}s"


# --------------------------------------------------------------------------
# Panel building blocks
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Target:
    expr: str
    legend: str = ""
    instant: bool = False
    format: pm.PromQueryFormat | None = None


def _thresholds(base: str, *steps: tuple[float, str]) -> gb.ThresholdsConfig:
    return gb.ThresholdsConfig().mode(gm.ThresholdsMode.ABSOLUTE).steps(
        [gm.Threshold(color=base, value=None), *(gm.Threshold(color=color, value=v) for v, color in steps)])


def _targets(panel, targets: Sequence[Target]):
    for ref, target in zip("ABCDEFGH", targets):
        query = prometheus.Dataquery().expr(target.expr).ref_id(ref).legend_format(target.legend or "__auto")
        query = query.instant() if target.instant else query.range()
        if target.format is not None:
            query = query.format(target.format)
        panel = panel.with_target(query)
    return panel


def _common(panel, title: str, description: str, unit: str, thresholds: gb.ThresholdsConfig,
            targets: Sequence[Target], width: int, height: int):
    panel = (panel.title(title).description(description).datasource(DATASOURCE)
             .unit(unit).thresholds(thresholds).span(width).height(height))
    return _targets(panel, targets)


def graph(title: str, description: str, unit: str, thresholds: gb.ThresholdsConfig, *targets: Target,
          width: int = 12, height: int = 8, min_value: float | None = None, max_value: float | None = None,
          threshold_lines: bool = True):
    panel = timeseries.Panel()
    if min_value is not None:
        panel = panel.min(min_value)
    if max_value is not None:
        panel = panel.max(max_value)
    style = common.GraphThresholdsStyleMode.LINE if threshold_lines else common.GraphThresholdsStyleMode.OFF
    panel = panel.thresholds_style(cb.GraphThresholdsStyleConfig().mode(style))
    return _common(panel, title, description, unit, thresholds, targets, width, height)


def single(title: str, description: str, unit: str, thresholds: gb.ThresholdsConfig, *targets: Target,
           width: int = 6, height: int = 5):
    panel = stat.Panel().color_mode(common.BigValueColorMode.BACKGROUND).reduce_options(
        cb.ReduceDataOptions().calcs(["lastNotNull"]))
    return _common(panel, title, description, unit, thresholds, targets, width, height)


def heat(title: str, description: str, unit: str, thresholds: gb.ThresholdsConfig, *targets: Target,
         width: int = 12, height: int = 8):
    # The query returns Prometheus buckets already: Grafana must not re-bucket them.
    panel = heatmap.Panel().calculate(False).scale_distribution(
        cb.ScaleDistributionConfig().type(common.ScaleDistribution.LINEAR))
    return _common(panel, title, description, unit, thresholds, targets, width, height)


def listing(title: str, description: str, unit: str, thresholds: gb.ThresholdsConfig, *targets: Target,
            width: int = 12, height: int = 6):
    panel = table.Panel().align(common.FieldTextAlignment.AUTO).inspect(False)
    return _common(panel, title, description, unit, thresholds, targets, width, height)


def _dashboard(uid: str, title: str, description: str, panels: Sequence[Any],
               variables: Sequence[Any] = ()) -> gb.Dashboard:
    board = (gb.Dashboard(title).uid(uid).description(description).tags([c.DASHBOARD_TAG])
             .readonly().refresh(REFRESH).time(TIME_FROM, "now").timezone("browser")
             .with_variable(gb.DatasourceVariable(c.DATASOURCE_VARIABLE).label("Data source")
                            .type(DATASOURCE_TYPE)))
    for variable in variables:
        board = board.with_variable(variable)
    for number, panel in enumerate(panels, start=1):
        board = board.with_panel(panel.id(number))
    return board


def _agent_variable():
    """The ``agent`` variable: every agent with recorded traffic; several or all at once."""
    return (gb.QueryVariable(c.AGENT_VARIABLE).label("Agent").datasource(DATASOURCE)
            .query(f"label_values({q.agent_names()}, {c.LABEL_AGENT})")
            .refresh(gm.VariableRefresh.ON_TIME_RANGE_CHANGED).sort(gm.VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(True).all_value(".*"))


# --------------------------------------------------------------------------
# Shared thresholds
# --------------------------------------------------------------------------

def _error_ratio_thresholds() -> gb.ThresholdsConfig:
    # The guide's "error rate > 1%" line, and 5% as clearly broken.
    return _thresholds(GREEN, (0.01, ORANGE), (0.05, RED))


def _latency_thresholds(settings: StackSettings) -> gb.ThresholdsConfig:
    slo = settings.rules.slo_latency_seconds
    return _thresholds(GREEN, (slo / 2, ORANGE), (slo, RED))


def _health_score_thresholds() -> gb.ThresholdsConfig:
    return _thresholds(RED, (50, ORANGE), (80, GREEN))


def _informational() -> gb.ThresholdsConfig:
    """One colour: a volume (requests, samples) has no good or bad level of its own."""
    return _thresholds(BLUE)


# --------------------------------------------------------------------------
# Dashboards
# --------------------------------------------------------------------------

def mesh_overview(settings: StackSettings) -> gb.Dashboard:
    latency = settings.rules.slo_latency_seconds
    panels = [
        single("Agents up", "Instrumented agent targets answering their scrapes (Prometheus' up).",
               "short", _thresholds(RED, (1, GREEN)), Target(q.agent_targets_up(), "up", instant=True)),
        single("Request rate", "Requests per second served by every agent together.",
               "reqps", _informational(), Target(q.total_request_rate(), "requests/s", instant=True)),
        single("Firing alerts", "Alerts firing on this cluster's Prometheus right now.",
               "short", _thresholds(GREEN, (1, RED)), Target(q.firing_alerts(), "firing", instant=True)),
    ]
    availability = q.registry_availability(settings)
    if availability is not None:
        panels.append(single(
            "Registry health", "Registry health score, 0-100: half for answering its probe, a quarter each "
            "for few errors and low latency.", "short", _health_score_thresholds(),
            Target(q.registry_health_score(), "score", instant=True)))
    panels += [
        graph("Request rate per agent", "Requests per second per agent (recording rule mcp_mesh:request_rate).",
              "reqps", _informational(), Target(q.request_rate_by_agent(), "{{agent}}"), threshold_lines=False),
        graph("Error ratio per agent", "Share of failed requests per agent; idle agents have no value. "
              "Orange above 1%, red above 5%.", "percentunit", _error_ratio_thresholds(),
              Target(q.error_ratio(), "{{agent}} ({{namespace}})"), min_value=0),
        graph("p95 latency per agent", f"95th percentile request duration per agent; red at the latency "
              f"objective ({latency:g}s).", "s", _latency_thresholds(settings),
              Target(q.request_duration_p95(), "{{agent}} ({{namespace}})"), min_value=0),
        graph("Top agents by request rate", "The five busiest agents.", "reqps", _informational(),
              Target(q.top_agents_by_request_rate(), "{{agent}}"), threshold_lines=False),
    ]
    return _dashboard(c.DASHBOARD_MESH_OVERVIEW, "MCP Mesh / Overview",
                      "Is the mesh healthy? Agents up, traffic, errors, latency, registry and alerts.", panels)


def agent_detail(settings: StackSettings) -> gb.Dashboard:
    panels = [
        listing("Agent", "Version and capabilities each selected agent declares.", "none", _informational(),
                Target(q.agent_info(AGENT), instant=True, format=pm.PromQueryFormat.TABLE), width=24, height=5),
        graph("Requests by method and status", "Requests per second of the selected agents, per tool method "
              "and status.", "reqps", _informational(),
              Target(q.requests_by_method_and_status(AGENT), "{{method}} {{status}}"), threshold_lines=False),
        graph("Error ratio", "Share of failed requests; orange above 1%, red above 5%.", "percentunit",
              _error_ratio_thresholds(), Target(q.error_ratio(AGENT), "{{agent}} ({{namespace}})"), min_value=0),
        heat("Latency distribution", "Requests per second in each latency bucket of the request-duration "
             "histogram.", "reqps", _informational(), Target(q.latency_heatmap(AGENT), "{{le}}",
                                                             format=pm.PromQueryFormat.HEATMAP)),
        graph("p95 latency", "95th percentile request duration; red at the latency objective.", "s",
              _latency_thresholds(settings), Target(q.request_duration_p95(AGENT), "{{agent}} ({{namespace}})"),
              min_value=0),
        graph("Connections", "Requests in flight now, and the linear forecast four hours ahead from the last "
              "hour.", "short", _informational(), Target(q.connections(AGENT), "{{agent}} now"),
              Target(q.connections_forecast(4, AGENT), "{{agent}} in 4h"), min_value=0, threshold_lines=False),
        graph("Revenue", "Revenue processed per second by currency and product (agents that record business "
              "metrics).", "short", _informational(), Target(q.revenue_rate(AGENT), "{{currency}} {{product}}"),
              width=8, threshold_lines=False),
        graph("External API calls", "Calls to external APIs per second (agents that record business metrics).",
              "reqps", _informational(), Target(q.external_api_call_rate(AGENT), "{{api_provider}} {{endpoint}}"),
              width=8, threshold_lines=False),
        graph("Cache hit rate", "Cache hit rate per cache (agents that record business metrics); orange below "
              "80%, red below 50%.", "percent", _thresholds(RED, (50, ORANGE), (80, GREEN)),
              Target(q.cache_hit_rate(AGENT), "{{cache_type}}"), width=8, min_value=0, max_value=100),
    ]
    return _dashboard(c.DASHBOARD_AGENT_DETAIL, "MCP Mesh / Agent detail",
                      "What is one agent doing? Its methods, statuses, latency, connections and business metrics.",
                      panels, variables=[_agent_variable()])


def registry(settings: StackSettings) -> gb.Dashboard | None:
    """The registry's dashboard, or None where nothing observes the registry."""
    availability = q.registry_availability(settings)
    if availability is None:
        return None
    probed = not settings.mesh.registry_serves_metrics
    panels = [
        single("Registry up" if not probed else "Probe success",
               "1 while the registry answers (its /health probe through the blackbox exporter, or its own "
               "scrape where it serves metrics), 0 when it does not.",
               "bool_yes_no", _thresholds(RED, (1, GREEN)), Target(f"min({availability})", "up", instant=True)),
        single("Health score", "0-100: half for answering, a quarter each for few errors and low latency.",
               "short", _health_score_thresholds(), Target(q.registry_health_score(), "score", instant=True)),
        graph("Availability over time", "The same signal over time: each drop is a failed probe or scrape.",
              "bool_yes_no", _thresholds(RED, (1, GREEN)), Target(availability, "{{instance}}"),
              min_value=0, max_value=1, threshold_lines=False),
        graph("Health score over time", "Recording rule mcp_mesh:registry:health_score.", "short",
              _health_score_thresholds(), Target(q.registry_health_score(), "score"), min_value=0, max_value=100),
    ]
    if probed:
        latency = settings.rules.registry_latency_seconds
        panels.append(graph(
            "Probe latency", f"How long the probe of the registry's /health took; red at the registry latency "
            f"threshold ({latency:g}s).", "s", _thresholds(GREEN, (latency / 2, ORANGE), (latency, RED)),
            Target(q.registry_probe_duration(), "{{instance}}"), width=24, min_value=0))
    else:
        panels.append(graph(
            "Registered agents", "Agents the registry knows, by status.", "short", _informational(),
            Target(q.registry_agents(), "{{status}}"), width=24, threshold_lines=False))
    return _dashboard(c.DASHBOARD_REGISTRY, "MCP Mesh / Registry",
                      "Can agents register and find each other? Registry availability, health score, probe latency.",
                      panels)


def slo_dashboard(settings: StackSettings) -> gb.Dashboard:
    """One row per SLO of the ``slos`` setting, from the records monitoring/slo.py builds."""
    panels = []
    for slo in slos(settings):
        objective = f"{_number(slo.objective)}%"
        indicator = _slo_indicator(settings, slo)
        factors = {row.long: row.factor(slo.window) for row in slo_rules.BURN_WINDOWS}
        pages = [f"{f:g}x over {w}" for w, f in factors.items()
                 if next(r for r in slo_rules.BURN_WINDOWS if r.long == w).severity == c.SEVERITY_CRITICAL]
        tickets = [f"{f:g}x over {w}" for w, f in factors.items() if f"{f:g}x over {w}" not in pages]
        panels += [
            single(f"{slo.name}: objective", f"The objective: {objective} of events over {slo.window} are good "
                   f"({indicator}); record {c.RECORD_SLO_OBJECTIVE}.", "percentunit", _informational(),
                   Target(q.slo_objective(slo.name), "objective", instant=True), width=4),
            single(f"{slo.name}: SLI ({slo.window})", f"The worst agent's share of good events over {slo.window} "
                   f"({indicator}). Red below the objective.", "percentunit",
                   _thresholds(RED, (slo.ratio, GREEN)),
                   Target(q.slo_worst_sli(slo.name, slo.window), "SLI", instant=True), width=5),
            single(f"{slo.name}: error budget left", f"Share of the {slo.window} error budget the worst agent has "
                   f"left (1 - error ratio / (1 - {objective})); red when spent.", "percentunit",
                   _thresholds(RED, (0, ORANGE), (0.25, GREEN)),
                   Target(q.slo_budget_remaining(slo.name), "left", instant=True), width=5),
            graph(f"{slo.name}: burn rate", f"How fast the worst agent spends the budget over "
                  f"{', '.join(BURN_RATE_WINDOWS)}: 1 spends it exactly in {slo.window}. Pages at "
                  f"{' or '.join(pages)}, tickets at {' or '.join(tickets)} (each with its short window too).",
                  "short", _thresholds(GREEN, (1, ORANGE), (max(factors.values()), RED)),
                  *(Target(q.slo_burn_rate(slo.name, w), w) for w in BURN_RATE_WINDOWS),
                  width=10, min_value=0),
        ]
    return _dashboard(c.DASHBOARD_SLOS, "MCP Mesh / SLOs and error budgets",
                      "Are we within our service levels? Each SLO's objective, current SLI, budget left and burn rates.",
                      panels)


def global_view(settings: StackSettings) -> gb.Dashboard:
    latency = settings.rules.slo_latency_seconds
    panels = [
        single("Regions federated", "Regional Prometheus servers the global one federates successfully now.",
               "short", _thresholds(RED, (1, GREEN)), Target(f"sum({q.regions_federated()})", "up", instant=True),
               width=8),
        single("Agents", "Agents with recorded traffic, all regions.", "short", _thresholds(RED, (1, GREEN)),
               Target(f"sum({q.agents_by_region()})", "agents", instant=True), width=8),
        single("Request rate", "Requests per second, all regions.", "reqps", _informational(),
               Target(f"sum({q.request_rate_by_region()})", "requests/s", instant=True), width=8),
        graph("Request rate by region", "Requests per second served in each region.", "reqps", _informational(),
              Target(q.request_rate_by_region(), "{{region}}"), threshold_lines=False),
        graph("Agents by region", "Agents with recorded traffic in each region.", "short", _informational(),
              Target(q.agents_by_region(), "{{region}}"), min_value=0, threshold_lines=False),
        graph("Worst error ratio by region", "The highest error ratio of any agent in each region.",
              "percentunit", _error_ratio_thresholds(), Target(q.worst_error_ratio_by_region(), "{{region}}"),
              min_value=0),
        graph("Worst p95 latency by region", f"The highest p95 of any agent in each region; red at the latency "
              f"objective ({latency:g}s).", "s", _latency_thresholds(settings),
              Target(q.worst_p95_by_region(), "{{region}}"), min_value=0),
        graph("Lowest availability by region", "The lowest availability SLI of any agent in each region.",
              "percentunit", _thresholds(RED, (0.99, ORANGE), (0.999, GREEN)),
              Target(q.availability_by_region(), "{{region}}"), max_value=1),
        graph("Registry health by region", "The registry health score of each region.", "short",
              _health_score_thresholds(), Target(q.registry_health_by_region(), "{{region}}"),
              min_value=0, max_value=100),
        graph("Agent targets up by region", "Share of the instrumented agents' targets answering their scrapes "
              "in each region (the per-pod detail stays on the region's own dashboards).", "percentunit",
              _thresholds(RED, (0.9, ORANGE), (1, GREEN)), Target(q.agent_targets_up_by_region(), "{{region}}"),
              min_value=0, max_value=1),
        graph("Federation by region", "1 while the global Prometheus federates the region, 0 when it cannot "
              "reach it.", "bool_yes_no", _thresholds(RED, (1, GREEN)),
              Target(q.regions_federated(), "{{source_cluster}}"), width=24, min_value=0, max_value=1),
    ]
    return _dashboard(c.DASHBOARD_GLOBAL, "MCP Mesh / Global",
                      "How does each region compare? Regions side by side, from the federated aggregates.", panels)


def monitoring_pipeline(settings: StackSettings) -> gb.Dashboard:
    ratio = settings.rules.memory_alert_ratio
    max_lag = settings.rules.remote_write_max_lag_seconds
    panels = [
        graph("Prometheus memory", f"Resident memory of Prometheus against its {settings.prometheus.resources.memory_limit} "
              f"limit; the memory alert fires above {ratio * 100:g}%.", "percentunit",
              _thresholds(GREEN, (ratio, ORANGE), (1, RED)),
              Target(q.prometheus_memory_limit_ratio(settings), "{{pod}}"), width=8, min_value=0),
        graph("Head series", "Series in the TSDB head block (memory grows with them).", "short", _informational(),
              Target(q.head_series(settings), "{{pod}}"), width=8, threshold_lines=False),
        graph("Samples appended", "Samples written to the TSDB per second.", "ops", _informational(),
              Target(q.samples_appended_rate(settings), "{{pod}}"), width=8, threshold_lines=False),
        graph("Rule group duration", f"Seconds each rule group's last evaluation took; red at the evaluation "
              f"interval ({settings.prometheus.evaluation_interval}), where evaluations start to be skipped.", "s",
              _thresholds(GREEN, (_seconds(settings.prometheus.evaluation_interval), RED)),
              Target(q.rule_group_duration(settings), "{{rule_group}}"), width=8, min_value=0),
        graph("Rule evaluation failures", "Failed evaluations per second, per rule group: their records and "
              "alerts are missing.", "ops", _thresholds(GREEN, (0.0001, RED)),
              Target(q.rule_evaluation_failures(settings), "{{rule_group}}"), width=8, min_value=0),
        graph("Targets up by job", "Share of each job's targets answering their scrapes.", "percentunit",
              _thresholds(RED, (0.5, ORANGE), (1, GREEN)), Target(q.targets_up_by_job(), "{{job}}"),
              width=8, min_value=0, max_value=1),
        graph("Scrape duration by job", f"Slowest scrape of each job; red at the scrape interval "
              f"({settings.prometheus.scrape_interval}).", "s",
              _thresholds(GREEN, (_seconds(settings.prometheus.scrape_interval), RED)),
              Target(q.scrape_duration_by_job(), "{{job}}"), width=24, min_value=0),
    ]
    if settings.remote_write:
        panels += [
            graph("Remote write lag", f"Seconds each remote-write queue is behind the newest sample; the alert "
                  f"fires above {max_lag:g}s.", "s", _thresholds(GREEN, (max_lag / 2, ORANGE), (max_lag, RED)),
                  Target(q.remote_write_lag(), "{{remote_name}}"), width=8, min_value=0),
            graph("Remote write failures", "Samples per second that failed to send: lost to the long-term store.",
                  "ops", _thresholds(GREEN, (0.0001, RED)), Target(q.remote_write_failures(), "{{remote_name}}"),
                  width=8, min_value=0),
            graph("Remote write throughput", "Samples per second sent to each remote-write target.", "ops",
                  _informational(), Target(q.remote_write_sent(), "{{remote_name}}"), width=8,
                  threshold_lines=False),
        ]
    if settings.role is Role.GLOBAL:
        panels += [
            graph("Federation up", "1 while each regional Prometheus answers the federation scrape.",
                  "bool_yes_no", _thresholds(RED, (1, GREEN)), Target(q.regions_federated(), "{{source_cluster}}"),
                  min_value=0, max_value=1),
            graph("Federated samples", "Samples each federation scrape brings in, per region.", "short",
                  _thresholds(RED, (1, GREEN)), Target(q.federated_samples_by_region(), "{{source_cluster}}"),
                  min_value=0),
        ]
    else:
        panels.append(graph(
            "Federation requests served", "/federate requests per second this Prometheus answers: the global "
            "stack reading this region's aggregates (0 where no global stack federates it).", "reqps",
            _informational(), Target(q.federate_requests_served(settings), "/federate"), width=24,
            threshold_lines=False))
    return _dashboard(c.DASHBOARD_PIPELINE, "Monitoring pipeline",
                      "Is the monitoring itself healthy? Prometheus memory, TSDB, rules, scrapes, remote write "
                      "and federation.", panels)


def _seconds(duration: str) -> float:
    return float(duration_seconds(duration))


# --------------------------------------------------------------------------
# The stack's dashboards and their ConfigMaps
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class Dashboard:
    """A built dashboard and the Grafana folder it belongs in."""

    uid: str
    folder: str
    model: gm.Dashboard

    def to_json(self) -> dict[str, Any]:
        """The dashboard's JSON model, as Grafana imports it."""
        return json.loads(json.dumps(self.model, cls=JSONEncoder))


def dashboards(settings: StackSettings) -> tuple[Dashboard, ...]:
    """Every dashboard the stack deploys (none without Grafana)."""
    if not settings.grafana.enabled:
        return ()
    built: list[tuple[str, gb.Dashboard | None]]
    if settings.role is Role.GLOBAL:
        built = [(c.DASHBOARD_FOLDER_MESH, global_view(settings))]
    else:
        built = [
            (c.DASHBOARD_FOLDER_MESH, mesh_overview(settings)),
            (c.DASHBOARD_FOLDER_MESH, agent_detail(settings)),
            (c.DASHBOARD_FOLDER_MESH, registry(settings)),
            (c.DASHBOARD_FOLDER_MESH, slo_dashboard(settings)),
        ]
    built.append((c.DASHBOARD_FOLDER_MONITORING, monitoring_pipeline(settings)))
    out = []
    for folder, builder in built:
        if builder is None:
            continue
        model = builder.build()
        out.append(Dashboard(model.uid, folder, model))
    return tuple(out)


@dataclass(frozen=True)
class DashboardConfigMap(KubernetesObject):
    """A ConfigMap holding one dashboard, labelled for the Grafana sidecar."""

    metadata: Metadata
    folder: str
    dashboard: Dashboard

    api_version = "v1"
    kind = "ConfigMap"

    @property
    def file_name(self) -> str:
        return f"{self.dashboard.uid}.json"

    def data(self) -> dict[str, str]:
        return {self.file_name: json.dumps(self.dashboard.to_json(), indent=2, sort_keys=True) + "\n"}

    def to_manifest(self) -> dict[str, Any]:
        metadata = self.metadata.to_manifest()
        metadata["annotations"] = {c.DASHBOARD_FOLDER_ANNOTATION: self.folder}
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": metadata, "data": self.data()}


def dashboard_config_maps(settings: StackSettings) -> tuple[DashboardConfigMap, ...]:
    return tuple(
        DashboardConfigMap(
            metadata=Metadata(
                name=c.dashboard_config_map_name(d.uid),
                namespace=settings.namespace,
                labels={c.DASHBOARD_SIDECAR_LABEL: c.DASHBOARD_SIDECAR_LABEL_VALUE},
            ),
            folder=d.folder,
            dashboard=d,
        )
        for d in dashboards(settings)
    )
