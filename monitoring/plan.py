"""What one stack deploys, as plain data.

:func:`build_plan` is the one builder both paths use: the Pulumi component
turns a :class:`StackPlan` into resources, and ``monitoring.render`` writes it
to files. What a reviewer reads offline is therefore what ``pulumi up`` applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, TypeVar

from monitoring import conventions as c
from monitoring import dashboards, federation, rules, scrape, values
from monitoring.federation import FederationSources
from monitoring.dashboards import DashboardConfigMap
from monitoring.objects import Namespace, Secret, SecretSource, SecretValue, StorageClass
from monitoring.resources import CustomResource, KubernetesObject, Metadata, PrometheusRule
from monitoring.settings import Exposure, StackSettings

T = TypeVar("T")


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
    # What the releases need, created before them, in order: the namespace,
    # the StorageClass, the Secrets the values name, the federation exposure.
    objects: tuple[KubernetesObject, ...]
    crds_release: ReleasePlan
    stack_release: ReleasePlan
    # Further releases (e.g. the blackbox exporter); installed after the CRDs.
    addon_releases: tuple[ReleasePlan, ...] = ()
    # Created once the CRDs exist.
    custom_resources: tuple[CustomResource, ...] = ()
    # Grafana dashboards, one ConfigMap each.
    dashboards: tuple[DashboardConfigMap, ...] = ()

    @property
    def releases(self) -> tuple[ReleasePlan, ...]:
        return (self.crds_release, self.stack_release, *self.addon_releases)

    def of_type(self, cls: type[T]) -> list[T]:
        """Every planned object of one type, in plan order."""
        return [o for o in (*self.objects, *self.custom_resources) if isinstance(o, cls)]

    @property
    def secrets(self) -> list[Secret]:
        return self.of_type(Secret)

    def prometheus_rules(self) -> list[PrometheusRule]:
        return self.of_type(PrometheusRule)

    def manifests(self) -> list[dict[str, Any]]:
        """Every Kubernetes object the program creates itself (secrets redacted)."""
        return [o.to_manifest() for o in (*self.objects, *self.custom_resources, *self.dashboards)]


def _namespace(settings: StackSettings) -> Namespace:
    return Namespace(Metadata(settings.namespace))


def _storage_class(settings: StackSettings) -> tuple[StorageClass, ...]:
    storage = settings.storage
    if not storage.create_class:
        return ()
    return (StorageClass(
        metadata=Metadata(storage.class_name),
        provisioner=storage.provisioner,
        parameters=storage.parameters,
        reclaim_policy=storage.reclaim_policy.value,
        allow_volume_expansion=storage.allow_volume_expansion,
        # Bind where the Prometheus pod is scheduled (zonal disks).
        volume_binding_mode="WaitForFirstConsumer",
    ),)


def _basic_auth_values(path: str) -> dict[str, SecretValue]:
    """The username and password keys of a Secret, from a {username, password} config secret."""
    return {c.REMOTE_WRITE_USERNAME_KEY: SecretValue(SecretSource.CONFIG, f"{path}.username"),
            c.REMOTE_WRITE_PASSWORD_KEY: SecretValue(SecretSource.CONFIG, f"{path}.password")}


def _secrets(settings: StackSettings) -> tuple[Secret, ...]:
    release, ns = settings.release_name, settings.namespace

    def secret(name: str, data: dict[str, SecretValue]) -> Secret:
        return Secret(Metadata(name, ns), data)

    if c.SECRET_GRAFANA_ADMIN_PASSWORD in settings.secrets_set:
        password = SecretValue(SecretSource.CONFIG, c.SECRET_GRAFANA_ADMIN_PASSWORD)
    else:
        password = SecretValue(SecretSource.GENERATED, "grafana-admin-password")
    out = [secret(c.grafana_admin_secret_name(release), {
        c.GRAFANA_ADMIN_USER_KEY: SecretValue(SecretSource.PLAIN, settings.grafana.admin_user),
        c.GRAFANA_ADMIN_PASSWORD_KEY: password,
    })]
    if settings.slack_enabled:
        out.append(secret(c.slack_secret_name(release), {
            c.SLACK_WEBHOOK_KEY: SecretValue(SecretSource.CONFIG, c.SECRET_SLACK_WEBHOOK),
        }))
    if settings.pagerduty_enabled:
        out.append(secret(c.pagerduty_secret_name(release), {
            c.PAGERDUTY_ROUTING_KEY_KEY: SecretValue(SecretSource.CONFIG, c.SECRET_PAGERDUTY_ROUTING_KEY),
        }))
    if settings.federation.exposure is Exposure.INGRESS:
        out.append(secret(federation.htpasswd_secret_name(settings), {
            "auth": SecretValue(SecretSource.HTPASSWD, c.SECRET_FEDERATION_BASIC_AUTH),
        }))
    federates = settings.profile.federates
    if federates and c.SECRET_FEDERATION_BASIC_AUTH in settings.secrets_set:
        out.append(secret(federation.federation_auth_secret_name(settings),
                          _basic_auth_values(c.SECRET_FEDERATION_BASIC_AUTH)))
    if federates and c.SECRET_FEDERATION_CA in settings.secrets_set:
        out.append(secret(federation.federation_ca_secret_name(settings), {
            c.FEDERATION_CA_KEY: SecretValue(SecretSource.CONFIG, c.SECRET_FEDERATION_CA),
        }))
    for target in settings.remote_write:
        if target.basic_auth:
            out.append(secret(c.remote_write_secret_name(release, target.name),
                              _basic_auth_values(f"{c.SECRET_REMOTE_WRITE_CREDENTIALS}.{target.name}")))
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


def build_plan(settings: StackSettings, federation_sources: FederationSources | None = None) -> StackPlan:
    """Everything one stack deploys.

    ``federation_sources`` (stacks whose role federates) is where the
    federation job learns what the federated stacks export: the stack files
    offline, stack references under Pulumi. Without it the plan has no
    federation job.
    """
    federates = settings.profile.federates
    custom_resources: tuple[CustomResource, ...] = (
        *scrape.mesh_scrape_resources(settings),
        *rules.prometheus_rules(settings),
        *((federation.federation_rules(settings),) if federates else ()),
    )
    return StackPlan(
        settings=settings,
        objects=(
            _namespace(settings),
            *_storage_class(settings),
            *_secrets(settings),
            *federation.exposure_objects(settings),
        ),
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
        custom_resources=(
            # The stack's rule overrides, then runbook URLs, are applied here, in one
            # pass over every PrometheusRule.
            *rules.with_runbook_urls(settings, rules.with_overrides(settings, custom_resources)),
            *((federation.federation_job(settings, federation_sources),)
              if federates and federation_sources is not None else ()),
        ),
        dashboards=dashboards.dashboard_config_maps(settings),
    )
