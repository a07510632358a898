"""The checks that read more than one setting, all in one place.

They run after every setting passed its own check (:mod:`monitoring.settings.table`),
on the checked values by key and on the built :class:`StackSettings`, in the
order below; each error names the key to change.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Mapping

from mcp_mesh_metrics import names as metric_names
from monitoring import conventions as c
from monitoring import roles
from monitoring.resources import AlertingRule
from monitoring.settings.checks import byte_size_value, duration_seconds, quantity_value, re2_fullmatch
from monitoring.settings.errors import SettingsError
from monitoring.settings.model import SLI, Exposure, StackSettings

# Every series the mesh's agents and registry expose (histograms with their three series).
_HISTOGRAMS = (metric_names.REQUEST_DURATION,)
MESH_SERIES = tuple(sorted(
    {v for k, v in vars(metric_names).items() if k.isupper() and isinstance(v, str)
     and v.startswith(metric_names.METRIC_PREFIX) and v != metric_names.METRIC_PREFIX}
    | {f"{h}_{suffix}" for h in _HISTOGRAMS for suffix in ("bucket", "sum", "count")}))


def check(values: Mapping[str, Any], settings: StackSettings) -> None:
    _identity(values, settings)
    _storage(values)
    _resources(values)
    _intervals(values)
    _drop_metrics(values)
    _external_labels(values)
    _remote_write_queues(values)
    _federation(values, settings)
    _federation_interval(values, settings)
    _alertmanager(values)
    _slos(values, settings)
    check_rule_names(settings)
    check_rule_overrides(settings)


def _identity(values: Mapping[str, Any], settings: StackSettings) -> None:
    profile = roles.profile(settings.role)
    if profile.needs_cluster and not values["cluster"]:
        raise SettingsError("cluster", f"required for a {settings.role} stack, got ''")
    if profile.needs_region and not values["region"]:
        raise SettingsError("region", f"required for a {settings.role} stack, got ''")


def _storage(values: Mapping[str, Any]) -> None:
    if values["storageCreateClass"]:
        for key in ("storageClassName", "storageProvisioner"):
            if not values[key]:
                raise SettingsError(key, "required when storageCreateClass is true, got ''")
    modes = values["storageAccessModes"]
    if "ReadWriteOncePod" in modes and len(modes) > 1:
        raise SettingsError("storageAccessModes", f"ReadWriteOncePod excludes every other mode, got {[str(m) for m in modes]}")
    # Prometheus deletes blocks past retentionSize; a volume smaller than that fills up first.
    if byte_size_value(values["retentionSize"]) > quantity_value(values["storageSize"]):
        raise SettingsError("retentionSize", f"must fit in storageSize ({values['storageSize']}; Prometheus "
                                             f"counts 1GB as 1Gi), got {values['retentionSize']!r}")


def _resources(values: Mapping[str, Any]) -> None:
    for limit_key, request_key in (("prometheusCpuLimit", "prometheusCpuRequest"),
                                   ("prometheusMemoryLimit", "prometheusMemoryRequest")):
        limit, request = values[limit_key], values[request_key]
        if quantity_value(limit) < quantity_value(request):
            raise SettingsError(limit_key, f"must not be below {request_key} ({request}), got {limit!r}")


def _intervals(values: Mapping[str, Any]) -> None:
    """Every rate() of the rules needs two samples in its window, and each window evaluated."""
    window = duration_seconds(c.RATE_WINDOW)
    if duration_seconds(values["scrapeInterval"]) * 2 > window:
        raise SettingsError("scrapeInterval", f"must be at most half the rules' rate window ({c.RATE_WINDOW}) so "
                                              f"each rate sees two samples, got {values['scrapeInterval']!r}")
    if duration_seconds(values["evaluationInterval"]) > window:
        raise SettingsError("evaluationInterval", f"must not exceed the rules' rate window ({c.RATE_WINDOW}), "
                                                  f"got {values['evaluationInterval']!r}")


def _federation_interval(values: Mapping[str, Any], settings: StackSettings) -> None:
    """Federation reads recorded series, which change once per evaluation: a
    shorter federation interval fetches the same values again, for nothing."""
    if not roles.profile(settings.role).federates:
        return  # the setting is read only where the stack federates
    if duration_seconds(values["federationInterval"]) < duration_seconds(values["evaluationInterval"]):
        raise SettingsError("federationInterval", f"must not be shorter than evaluationInterval "
                                                  f"({values['evaluationInterval']}), got {values['federationInterval']!r}")


def _drop_metrics(values: Mapping[str, Any]) -> None:
    for regex in values["dropMetrics"]:
        hit = next((name for name in MESH_SERIES if re2_fullmatch(regex, name)), None)
        if hit:
            raise SettingsError("dropMetrics", f"{regex!r} would drop the mesh series {hit!r} the rules "
                                               "and dashboards read")


def _external_labels(values: Mapping[str, Any]) -> None:
    for name in (c.LABEL_CLUSTER, c.LABEL_REGION):
        if name in values["externalLabels"]:
            raise SettingsError(f"externalLabels.{name}", f"is set from the '{name}' setting; remove it here")


def _remote_write_queues(values: Mapping[str, Any]) -> None:
    for i, target in enumerate(values["remoteWrite"]):
        q, at = target.queue, f"remoteWrite[{i}].queue"
        if q.min_shards > q.max_shards:
            raise SettingsError(f"{at}.minShards", f"must not exceed maxShards ({q.max_shards}), got {q.min_shards}")
        if duration_seconds(q.min_backoff) > duration_seconds(q.max_backoff):
            raise SettingsError(f"{at}.minBackoff",
                                f"must not exceed maxBackoff ({q.max_backoff}), got {q.min_backoff!r}")


def _federation(values: Mapping[str, Any], settings: StackSettings) -> None:
    if roles.profile(settings.role).federated:
        _exposure(values, settings.federation.exposure)
    stacks, targets = values["federationStacks"], values["federationTargets"]
    federates = roles.profile(settings.role).federates
    if not federates and (stacks or targets):
        raise SettingsError("federationStacks" if stacks else "federationTargets",
                            f"only a {roles.spoken(roles.names('federates'))} stack federates, "
                            f"this one is {settings.role}")
    if federates and not (stacks or targets):
        raise SettingsError("federationStacks", f"a {settings.role} stack needs "
                            f"{roles.spoken(roles.names('federated'))} stacks or targets, got []")
    short = [s.rpartition("/")[2] for s in stacks]
    for name in short:
        if short.count(name) > 1:
            raise SettingsError("federationStacks", f"stack {name!r} is listed twice")
    clusters = {t.cluster for t in targets}
    for name in short:
        if name in clusters:
            raise SettingsError("federationTargets", f"cluster {name!r} is also in federationStacks")


# Names that resolve inside whichever cluster asks: from the global cluster they
# name its own Services, never a region's.
_CLUSTER_LOCAL_SUFFIXES = (".svc", ".cluster.local")


def _exposure(values: Mapping[str, Any], exposure: Exposure) -> None:
    """What each way of exposing a regional Prometheus needs to be reachable from the global cluster."""
    host = values["federationHost"]
    if exposure in (Exposure.SERVICE_NAME, Exposure.INGRESS) and not host:
        raise SettingsError("federationHost", f"required for {exposure} exposure (the name the global "
                                              "cluster resolves), got ''")
    if exposure is Exposure.SERVICE_NAME:
        # A bare name resolves in the asking pod's own namespace, and a
        # cluster-local one in the asking cluster: both are the global cluster's.
        if "." not in host or host.endswith(_CLUSTER_LOCAL_SUFFIXES):
            raise SettingsError("federationHost", "expected a name that resolves from the global cluster "
                                                  "(e.g. prometheus.us-east-1.example.internal; a bare or "
                                                  f"cluster-local name resolves inside the global cluster), got {host!r}")
    if exposure is Exposure.INGRESS:
        secret, issuer = values["federationTlsSecret"], values["federationCertIssuer"]
        if not secret and not issuer:
            raise SettingsError("federationTlsSecret", "ingress exposure needs its certificate: an existing TLS "
                                                       "Secret (federationTlsSecret) or a cert-manager "
                                                       "ClusterIssuer (federationCertIssuer), got neither")
        if secret and issuer:
            raise SettingsError("federationCertIssuer", f"set federationTlsSecret ({secret!r}) or "
                                                        f"federationCertIssuer, not both, got {issuer!r}")


def _alertmanager(values: Mapping[str, Any]) -> None:
    for key in ("pageSlackChannel", "ticketSlackChannel"):
        if values[key] and not values["slackChannel"]:
            raise SettingsError(key, f"needs slackChannel (the Slack webhook's receiver), got {values[key]!r} "
                                     "with slackChannel ''")
    interval, repeat = values["alertmanagerGroupInterval"], values["alertmanagerRepeatInterval"]
    if duration_seconds(repeat) < duration_seconds(interval):
        raise SettingsError("alertmanagerRepeatInterval",
                            f"must not be below alertmanagerGroupInterval ({interval}), got {repeat!r}")


def check_rule_names(settings: StackSettings) -> None:
    """A custom rule may not take the name of a rule the program builds for this stack."""
    if not settings.rules.custom:
        return
    from monitoring.plan import build_plan  # the plan's builders import the settings

    without_custom = replace(settings, rules=replace(settings.rules, custom=()))
    built = {rule.alert if isinstance(rule, AlertingRule) else rule.record
             for resource in build_plan(without_custom).prometheus_rules()
             for group in resource.groups for rule in group.rules}
    for i, rule in enumerate(settings.rules.custom):
        kind = "alert" if isinstance(rule, AlertingRule) else "record"
        name = getattr(rule, kind)
        if name in built:
            raise SettingsError(f"customRules[{i}].{kind}", f"rule {name!r} is already defined by this program")


def _slos(values: Mapping[str, Any], settings: StackSettings) -> None:
    from monitoring.settings.table import BUCKET_BOUNDARIES, BUCKET_EXPECTED, duration_text

    inheriting = [s.name for s in settings.rules.slos if s.sli is SLI.LATENCY and s.threshold is None]
    seconds = settings.rules.slo_latency_seconds
    if inheriting and seconds not in BUCKET_BOUNDARIES:
        raise SettingsError("sloLatencyThreshold", f"the latency SLO {inheriting[0]!r} sets no threshold and reads "
                                                   f"this one: expected {BUCKET_EXPECTED}, got {duration_text(seconds)!r}")


def _alerts_built(settings: StackSettings) -> dict[str, AlertingRule]:
    """The alerts the program builds for this stack (no overrides, no custom rules), by name."""
    from monitoring.plan import build_plan  # the plan's builders import the settings

    plain = replace(settings, rules=replace(settings.rules, custom=(), overrides={}))
    return {rule.alert: rule for resource in build_plan(plain).prometheus_rules()
            for group in resource.groups for rule in group.rules if isinstance(rule, AlertingRule)}


def check_rule_overrides(settings: StackSettings) -> None:
    """Every overridden alert is one this stack builds; a threshold only where the alert has one, in range."""
    overrides = settings.rules.overrides
    if not overrides:
        return
    from monitoring.rules import THRESHOLDS

    built = _alerts_built(settings)
    for name, override in overrides.items():
        if name not in built:
            raise SettingsError(f"ruleOverrides.{name}", f"expected an alert of this {settings.role} stack "
                                                         f"({', '.join(sorted(built))}), got {name!r}")
        if override.threshold is None:
            continue
        key = f"ruleOverrides.{name}.threshold"
        spec = THRESHOLDS.get(name)
        if spec is None:
            raise SettingsError(key, f"alert {name!r} has no threshold of its own (those that have: "
                                     f"{', '.join(sorted(THRESHOLDS))}), got {override.threshold:g}")
        if not spec.minimum <= override.threshold <= spec.maximum:
            raise SettingsError(key, f"expected {spec.meaning}, from {spec.minimum:g} to {spec.maximum:g}, "
                                     f"got {override.threshold:g}")
