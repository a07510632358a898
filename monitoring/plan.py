"""What one stack deploys, as plain data.

:func:`build_plan` is the one builder both paths use: the Pulumi component
turns a :class:`StackPlan` into resources, and ``monitoring.render`` writes it
to files. What a reviewer reads offline is therefore what ``pulumi up`` applies.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

from monitoring import conventions as c
from monitoring import dashboards, federation, rules, scrape, values
from monitoring.settings import Exposure, StackSettings


class SecretSource(StrEnum):
    """Where the value of one key of a Kubernetes Secret comes from."""

    CONFIG = "config"  # a Pulumi config secret (key path in ``ref``)
    GENERATED = "generated"  # generated once by pulumi-random and kept in state
    PLAIN = "plain"  # a non-secret setting (``ref`` is the value itself)
    HTPASSWD = "htpasswd"  # an htpasswd line made from a {username, password} config secret


@dataclass(frozen=True)
class SecretValue:
    source: SecretSource
    ref: str  # config key path, generator name, or the plain value

    def redacted(self) -> str:
        if self.source is SecretSource.PLAIN:
            return self.ref
        if self.source is SecretSource.CONFIG:
            return f"<redacted: from config secret {self.ref}>"
        if self.source is SecretSource.HTPASSWD:
            return f"<redacted: htpasswd of config secret {self.ref}>"
        return f"<redacted: generated ({self.ref})>"


@dataclass(frozen=True)
class SecretPlan:
    """A Kubernetes Secret the Helm values refer to by name."""

    name: str
    namespace: str
    data: Mapping[str, SecretValue]

    def manifest(self) -> dict[str, Any]:
        """The Secret with every secret value replaced by a note of its source."""
        return {
            "apiVersion": "v1",
            "kind": "Secret",
            "metadata": {"name": self.name, "namespace": self.namespace, "labels": dict(c.COMMON_LABELS)},
            "type": "Opaque",
            "stringData": {k: v.redacted() for k, v in self.data.items()},
        }


@dataclass(frozen=True)
class ReleasePlan:
    """A Helm release (chart, pinned version, values)."""

    key: str  # suffix of the Pulumi resource name
    name: str  # Helm release name
    chart: str
    version: str
    namespace: str
    values: Mapping[str, Any]
    repository: str = c.CHART_REPOSITORY
    skip_crds: bool = False


@dataclass(frozen=True)
class StackPlan:
    settings: StackSettings
    namespace: dict[str, Any]
    storage_class: dict[str, Any] | None
    secrets: tuple[SecretPlan, ...]
    crds_release: ReleasePlan
    stack_release: ReleasePlan
    # Further releases (e.g. the blackbox exporter); installed after the CRDs.
    addon_releases: tuple[ReleasePlan, ...] = ()
    # Typed custom resources (each with api_version, kind, name, to_manifest()).
    custom_resources: tuple[Any, ...] = field(default=())
    # Plain objects exposing a regional Prometheus to the global cluster.
    exposure: tuple[dict[str, Any], ...] = ()
    # Grafana dashboards, one ConfigMap each (typed, with to_manifest()).
    dashboards: tuple[Any, ...] = ()

    def federation_job(self, sources) -> Any:
        """The global stack's federation ScrapeConfig over ``sources``.

        Its ``match[]`` are the recording rules a regional stack defines with
        these settings, derived from the rule builders, never typed again.
        """
        return federation.federation_scrape_config(
            self.settings, sources, rules.recording_rule_names(self.settings))

    @property
    def releases(self) -> tuple[ReleasePlan, ...]:
        return (self.crds_release, self.stack_release, *self.addon_releases)

    def prometheus_rules(self) -> list[Any]:
        return [cr for cr in self.custom_resources if cr.kind == "PrometheusRule"]

    def manifests(self) -> list[dict[str, Any]]:
        """Every Kubernetes object the program creates itself (secrets redacted)."""
        out = [self.namespace]
        if self.storage_class:
            out.append(self.storage_class)
        out += [s.manifest() for s in self.secrets]
        out += list(self.exposure)
        out += [cr.to_manifest() for cr in self.custom_resources]
        out += [d.to_manifest() for d in self.dashboards]
        return out


def _namespace(settings: StackSettings) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {"name": settings.namespace, "labels": dict(c.COMMON_LABELS)},
    }


def _storage_class(settings: StackSettings) -> dict[str, Any] | None:
    storage = settings.storage
    if not storage.create_class:
        return None
    return {
        "apiVersion": "storage.k8s.io/v1",
        "kind": "StorageClass",
        "metadata": {"name": storage.class_name, "labels": dict(c.COMMON_LABELS)},
        "provisioner": storage.provisioner,
        "parameters": dict(storage.parameters),
        "reclaimPolicy": storage.reclaim_policy.value,
        "allowVolumeExpansion": storage.allow_volume_expansion,
        # Bind where the Prometheus pod is scheduled (zonal disks).
        "volumeBindingMode": "WaitForFirstConsumer",
    }


def _secrets(settings: StackSettings) -> tuple[SecretPlan, ...]:
    release, ns = settings.release_name, settings.namespace
    if c.SECRET_GRAFANA_ADMIN_PASSWORD in settings.secrets_set:
        password = SecretValue(SecretSource.CONFIG, c.SECRET_GRAFANA_ADMIN_PASSWORD)
    else:
        password = SecretValue(SecretSource.GENERATED, "grafana-admin-password")
    out = [SecretPlan(c.grafana_admin_secret_name(release), ns, {
        c.GRAFANA_ADMIN_USER_KEY: SecretValue(SecretSource.PLAIN, settings.grafana.admin_user),
        c.GRAFANA_ADMIN_PASSWORD_KEY: password,
    })]
    if settings.slack_enabled:
        out.append(SecretPlan(c.slack_secret_name(release), ns, {
            c.SLACK_WEBHOOK_KEY: SecretValue(SecretSource.CONFIG, c.SECRET_SLACK_WEBHOOK),
        }))
    if settings.pagerduty_enabled:
        out.append(SecretPlan(c.pagerduty_secret_name(release), ns, {
            c.PAGERDUTY_ROUTING_KEY_KEY: SecretValue(SecretSource.CONFIG, c.SECRET_PAGERDUTY_ROUTING_KEY),
        }))
    if settings.federation.exposure is Exposure.INGRESS:
        out.append(SecretPlan(federation.htpasswd_secret_name(settings), ns, {
            "auth": SecretValue(SecretSource.HTPASSWD, c.SECRET_FEDERATION_BASIC_AUTH),
        }))
    if settings.profile.federates and c.SECRET_FEDERATION_BASIC_AUTH in settings.secrets_set:
        out.append(SecretPlan(federation.federation_auth_secret_name(settings), ns, {
            c.REMOTE_WRITE_USERNAME_KEY: SecretValue(SecretSource.CONFIG, f"{c.SECRET_FEDERATION_BASIC_AUTH}.username"),
            c.REMOTE_WRITE_PASSWORD_KEY: SecretValue(SecretSource.CONFIG, f"{c.SECRET_FEDERATION_BASIC_AUTH}.password"),
        }))
    if settings.profile.federates and c.SECRET_FEDERATION_CA in settings.secrets_set:
        out.append(SecretPlan(federation.federation_ca_secret_name(settings), ns, {
            c.FEDERATION_CA_KEY: SecretValue(SecretSource.CONFIG, c.SECRET_FEDERATION_CA),
        }))
    for target in settings.remote_write:
        if target.basic_auth:
            path = f"{c.SECRET_REMOTE_WRITE_CREDENTIALS}.{target.name}"
            out.append(SecretPlan(c.remote_write_secret_name(release, target.name), ns, {
                c.REMOTE_WRITE_USERNAME_KEY: SecretValue(SecretSource.CONFIG, f"{path}.username"),
                c.REMOTE_WRITE_PASSWORD_KEY: SecretValue(SecretSource.CONFIG, f"{path}.password"),
            }))
    return tuple(out)


def _addon_releases(settings: StackSettings) -> tuple[ReleasePlan, ...]:
    out = []
    if settings.mesh.blackbox_exporter:
        out.append(ReleasePlan(
            key="blackbox-exporter",
            name=c.BLACKBOX_EXPORTER_RELEASE_NAME,
            chart=c.BLACKBOX_EXPORTER_CHART,
            version=settings.charts.blackbox_exporter,
            namespace=settings.namespace,
            values=scrape.blackbox_exporter_values(),
        ))
    return tuple(out)


def build_plan(settings: StackSettings, federation_sources=None) -> StackPlan:
    """Everything one stack deploys.

    ``federation_sources`` (global stacks) are the regional Prometheus servers
    to federate, when known as plain data (the offline render reads them from
    the regional stack files; the Pulumi program gets them from stack
    references and builds the same job with :meth:`StackPlan.federation_job`).
    """
    plan = StackPlan(
        settings=settings,
        namespace=_namespace(settings),
        storage_class=_storage_class(settings),
        secrets=_secrets(settings),
        crds_release=ReleasePlan(
            key="crds",
            name=c.CRDS_RELEASE_NAME,
            chart=c.PROMETHEUS_OPERATOR_CRDS_CHART,
            version=settings.charts.prometheus_operator_crds,
            namespace=settings.namespace,
            values={},  # the chart's defaults install every CRD
        ),
        stack_release=ReleasePlan(
            key="kube-prometheus-stack",
            name=settings.release_name,
            chart=c.KUBE_PROMETHEUS_STACK_CHART,
            version=settings.charts.kube_prometheus_stack,
            namespace=settings.namespace,
            values=values.kube_prometheus_stack_values(settings),
            # The CRDs are owned by the CRD release; never let this one touch them.
            skip_crds=True,
        ),
        addon_releases=_addon_releases(settings),
        # Runbook URLs are added here, in one pass over every PrometheusRule.
        custom_resources=rules.with_runbook_urls(settings, (
            *scrape.mesh_scrape_resources(settings),
            *rules.prometheus_rules(settings),
            *((federation.federation_rules(settings),) if settings.profile.federates else ()),
        )),
        exposure=tuple(federation.exposure_manifests(settings)),
        dashboards=dashboards.dashboard_config_maps(settings),
    )
    if settings.profile.federates and federation_sources is not None:
        plan = dataclasses.replace(
            plan, custom_resources=(*plan.custom_resources, plan.federation_job(federation_sources)))
    return plan
