"""What one stack deploys, as plain data.

:func:`build_plan` is the one builder both paths use: the Pulumi component
turns a :class:`StackPlan` into resources, and ``monitoring.render`` writes it
to files. What a reviewer reads offline is therefore what ``pulumi up`` applies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

from monitoring import conventions as c
from monitoring import values
from monitoring.settings import StackSettings


class SecretSource(StrEnum):
    """Where the value of one key of a Kubernetes Secret comes from."""

    CONFIG = "config"  # a Pulumi config secret (key path in ``ref``)
    GENERATED = "generated"  # generated once by pulumi-random and kept in state
    PLAIN = "plain"  # a non-secret setting (``ref`` is the value itself)


@dataclass(frozen=True)
class SecretValue:
    source: SecretSource
    ref: str  # config key path, generator name, or the plain value

    def redacted(self) -> str:
        if self.source is SecretSource.PLAIN:
            return self.ref
        if self.source is SecretSource.CONFIG:
            return f"<redacted: from config secret {self.ref}>"
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
        out += [cr.to_manifest() for cr in self.custom_resources]
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
    for target in settings.remote_write:
        if target.basic_auth:
            path = f"{c.SECRET_REMOTE_WRITE_CREDENTIALS}.{target.name}"
            out.append(SecretPlan(c.remote_write_secret_name(release, target.name), ns, {
                c.REMOTE_WRITE_USERNAME_KEY: SecretValue(SecretSource.CONFIG, f"{path}.username"),
                c.REMOTE_WRITE_PASSWORD_KEY: SecretValue(SecretSource.CONFIG, f"{path}.password"),
            }))
    return tuple(out)


def build_plan(settings: StackSettings) -> StackPlan:
    """Everything one stack deploys."""
    return StackPlan(
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
    )
