"""MonitoringStack: one cluster's Prometheus monitoring, as Pulumi resources.

A thin shell over :class:`monitoring.plan.StackPlan`: every name, value and
selector comes from the plan; this module only decides how each planned
object becomes a resource, and how secret values reach the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from monitoring import conventions as c
from monitoring import federation
from monitoring.dashboards import DashboardConfigMap
from monitoring.objects import Ingress, Namespace, Secret, SecretSource, SecretValue, Service, StorageClass
from monitoring.plan import ReleasePlan, StackPlan
from monitoring.resources import CustomResource, KubernetesObject


@dataclass
class MonitoringStackArgs:
    plan: StackPlan
    # Pulumi config secrets by key (values are secret Outputs); only the keys
    # the plan refers to are read.
    config_secrets: Mapping[str, pulumi.Output]


def _kind_and_name(obj: KubernetesObject) -> str:
    return f"{obj.kind.lower()}-{obj.name}"


@dataclass(frozen=True)
class _Row:
    """How one type of planned object becomes a resource."""

    resource: Callable[..., pulumi.CustomResource]  # the pulumi-kubernetes class
    suffix: Callable[[Any], str]  # of the resource name (stable: a new name replaces the object)
    protect: bool = False  # protected when the stack is
    # Types of what it waits for ("ReleasePlan": the CRD release).
    after: tuple[type, ...] = ()


# The one table of what the component creates, keyed by the plan's types
# (a subclass uses its base's row).
RESOURCE_TYPES: dict[type, _Row] = {
    Namespace: _Row(k8s.core.v1.Namespace, lambda o: "namespace", protect=True),
    StorageClass: _Row(k8s.storage.v1.StorageClass, lambda o: "storage-class", protect=True),
    Secret: _Row(k8s.core.v1.Secret, lambda o: f"secret-{o.name}", after=(Namespace,)),
    Service: _Row(k8s.core.v1.Service, _kind_and_name, after=(Namespace, Secret)),
    Ingress: _Row(k8s.networking.v1.Ingress, _kind_and_name, after=(Namespace, Secret)),
    # Custom resources need their CRDs; the operator needs to run to act on them.
    CustomResource: _Row(k8s.apiextensions.CustomResource, _kind_and_name, after=(Namespace, ReleasePlan)),
    DashboardConfigMap: _Row(k8s.core.v1.ConfigMap, _kind_and_name, after=(Namespace,)),
}


def _row(obj: KubernetesObject) -> _Row:
    for cls in type(obj).__mro__:
        if cls in RESOURCE_TYPES:
            return RESOURCE_TYPES[cls]
    raise TypeError(f"no resource type for {type(obj).__name__} {obj.name!r}")


def _snake(field: str) -> str:
    """A manifest's camelCase field as the pulumi-kubernetes argument (stringData -> string_data)."""
    return "".join(f"_{ch.lower()}" if ch.isupper() else ch for ch in field)


def _lookup(secrets: Mapping[str, pulumi.Output], path: str) -> pulumi.Output:
    """A config secret, or a field of an object-valued one (``key.a.b``)."""
    key, *fields = path.split(".")
    value = secrets[key]
    for name in fields:
        value = value.apply(lambda obj, name=name: obj[name])
    return pulumi.Output.secret(value)


class MonitoringStack(pulumi.ComponentResource):
    """Namespace, storage, CRDs, kube-prometheus-stack and the Secrets its values name."""

    def __init__(self, name: str, args: MonitoringStackArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(c.MONITORING_STACK_TYPE, name, None, opts)
        self._prefix = name
        self._config_secrets = args.config_secrets
        self._generated: dict[str, pulumi.Output] = {}
        plan = args.plan
        settings = plan.settings
        self._protected_stack = settings.protect
        # What each created resource is, by its plan type, and by (kind, name).
        self._created: dict[type, list[pulumi.Resource]] = {cls: [] for cls in (*RESOURCE_TYPES, ReleasePlan)}
        self.resources: dict[tuple[str, str], pulumi.CustomResource] = {}

        for obj in plan.objects:
            self._create(obj)
        [self.namespace] = self._created[Namespace]
        self.secrets = self._created[Secret]

        self.crds_release = self._release(plan.crds_release, pulumi.ResourceOptions(
            parent=self, protect=settings.protect, depends_on=[self.namespace]))
        self._created[ReleasePlan].append(self.crds_release)
        # Protected with the stack: destroying or replacing it would delete
        # Prometheus' and Grafana's volumes with it.
        self.stack_release = self._release(plan.stack_release, pulumi.ResourceOptions(
            parent=self, protect=settings.protect, depends_on=[self.namespace, self.crds_release, *self._created[StorageClass], *self.secrets]))
        self.addon_releases = [
            self._release(release, pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, self.crds_release]))
            for release in plan.addon_releases
        ]

        self.custom_resources = [self._create(cr) for cr in plan.custom_resources]

        self.dashboards = [self._create(d) for d in plan.dashboards]

        # What a federating stack reads; nothing where this stack's role is not federated.
        self.federation_endpoint = self.federation_scheme = self.federation_auth_secret_name = None
        exported = federation.regional_endpoint(settings)
        if exported is not None:
            if exported.load_balancer is not None:
                # The address the cloud gave the internal load balancer, read from
                # the Service's status (the provider waits until it has one).
                service = self.resources[(Service.kind, exported.load_balancer)]
                self.federation_endpoint = service.status.apply(
                    lambda status: f"{_load_balancer_address(status)}:{settings.federation.port}")
            else:
                self.federation_endpoint = pulumi.Output.from_input(exported.endpoint)
            self.federation_scheme = pulumi.Output.from_input(exported.scheme)
            self.federation_auth_secret_name = pulumi.Output.from_input(exported.auth_secret_name)

        self.release_name = pulumi.Output.from_input(plan.stack_release.name)
        self.grafana_admin_secret_name = pulumi.Output.from_input(c.grafana_admin_secret_name(settings.release_name))
        self.prometheus_url = pulumi.Output.from_input(c.prometheus_url(settings.release_name, settings.namespace))
        outputs = {
            "namespace": self.namespace.metadata["name"],
            "release_name": self.release_name,
            "grafana_admin_secret_name": self.grafana_admin_secret_name,
            "prometheus_url": self.prometheus_url,
            "federation_endpoint": self.federation_endpoint,
            "federation_scheme": self.federation_scheme,
            "federation_auth_secret_name": self.federation_auth_secret_name,
        }
        self.register_outputs({key: value for key, value in outputs.items() if value is not None})

    def _create(self, obj: KubernetesObject) -> pulumi.CustomResource:
        """The one path from a planned object to a resource: its manifest's fields
        as the resource's arguments (a Secret's values resolved here, not in the plan)."""
        row = _row(obj)
        fields = obj.to_manifest()
        if isinstance(obj, Secret):
            fields = {**fields, "stringData": {key: self._value_of(v) for key, v in obj.data.items()}}
        depends_on = [res for cls in row.after for res in self._created[cls]]
        resource = row.resource(
            f"{self._prefix}-{row.suffix(obj)}",
            **{_snake(k): v for k, v in fields.items()},
            opts=pulumi.ResourceOptions(parent=self, protect=row.protect and self._protected_stack,
                                        depends_on=depends_on or None),
        )
        for cls in type(obj).__mro__:
            if cls in self._created:
                self._created[cls].append(resource)
        self.resources[(obj.kind, obj.name)] = resource
        return resource

    def _value_of(self, value: SecretValue) -> Any:
        if value.source is SecretSource.PLAIN:
            return value.ref
        if value.source is SecretSource.CONFIG:
            return _lookup(self._config_secrets, value.ref)
        if value.source is SecretSource.HTPASSWD:
            credentials = self._config_secrets[value.ref]
            return pulumi.Output.secret(credentials.apply(
                lambda cred: federation.htpasswd_line(cred["username"], cred["password"])))
        if value.ref not in self._generated:
            # Generated once and kept in state: previews stay free of churn.
            self._generated[value.ref] = random.RandomPassword(
                f"{self._prefix}-{value.ref}", length=c.GRAFANA_PASSWORD_LENGTH, special=False,
                opts=pulumi.ResourceOptions(parent=self),
            ).result
        return self._generated[value.ref]

    def _release(self, release: ReleasePlan, opts: pulumi.ResourceOptions) -> k8s.helm.v3.Release:
        return k8s.helm.v3.Release(
            f"{self._prefix}-{release.key}",
            name=release.name,
            chart=release.chart,
            version=release.version,
            namespace=release.namespace,
            repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=release.repository),
            values=dict(release.values),
            skip_crds=release.skip_crds,
            # A failed install or upgrade is rolled back: nothing half-deployed.
            atomic=True,
            cleanup_on_fail=True,
            timeout=900,
            opts=opts,
        )


def _load_balancer_address(status) -> str:
    """Host name or IP of a LoadBalancer Service, once the cloud assigned one."""
    balancer = getattr(status, "load_balancer", None)
    ingress = getattr(balancer, "ingress", None) or []
    address = (ingress[0].hostname or ingress[0].ip) if ingress else None
    if not address:
        raise ValueError("the federation load balancer has no address in its status: the cloud has not "
                         "provisioned it (check the Service's events and the provider's load balancer controller)")
    return address
