"""MonitoringStack: one cluster's Prometheus monitoring, as Pulumi resources.

A thin shell over :class:`monitoring.plan.StackPlan`: every name, value and
selector comes from the plan; this module only decides how each planned
object becomes a resource, and how secret values reach the cluster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from monitoring import conventions as c
from monitoring.plan import ReleasePlan, SecretSource, SecretValue, StackPlan


@dataclass
class MonitoringStackArgs:
    plan: StackPlan
    # Pulumi config secrets by key (values are secret Outputs); only the keys
    # the plan refers to are read.
    config_secrets: Mapping[str, pulumi.Output]


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
        plan = args.plan
        settings = plan.settings
        child = pulumi.ResourceOptions(parent=self)
        protected = pulumi.ResourceOptions(parent=self, protect=settings.protect)

        ns = plan.namespace
        self.namespace = k8s.core.v1.Namespace(f"{name}-namespace", metadata=ns["metadata"], opts=protected)
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])

        storage: list[pulumi.Resource] = []
        if plan.storage_class:
            sc = plan.storage_class
            storage.append(k8s.storage.v1.StorageClass(
                f"{name}-storage-class",
                metadata=sc["metadata"],
                provisioner=sc["provisioner"],
                parameters=sc["parameters"],
                reclaim_policy=sc["reclaimPolicy"],
                allow_volume_expansion=sc["allowVolumeExpansion"],
                volume_binding_mode=sc["volumeBindingMode"],
                opts=protected,
            ))

        generated: dict[str, pulumi.Output] = {}

        def value_of(value: SecretValue) -> Any:
            if value.source is SecretSource.PLAIN:
                return value.ref
            if value.source is SecretSource.CONFIG:
                return _lookup(args.config_secrets, value.ref)
            if value.ref not in generated:
                # Generated once and kept in state: previews stay free of churn.
                generated[value.ref] = random.RandomPassword(
                    f"{name}-{value.ref}", length=c.GRAFANA_PASSWORD_LENGTH, special=False, opts=child,
                ).result
            return generated[value.ref]

        self.secrets = [
            k8s.core.v1.Secret(
                f"{name}-secret-{secret.name}",
                metadata=secret.manifest()["metadata"],
                type="Opaque",
                string_data={key: value_of(v) for key, v in secret.data.items()},
                opts=in_namespace,
            )
            for secret in plan.secrets
        ]

        self.crds_release = self._release(name, plan.crds_release, pulumi.ResourceOptions(
            parent=self, protect=settings.protect, depends_on=[self.namespace]))
        self.stack_release = self._release(name, plan.stack_release, pulumi.ResourceOptions(
            parent=self, depends_on=[self.namespace, self.crds_release, *storage, *self.secrets]))

        self.addon_releases = [
            self._release(name, release, pulumi.ResourceOptions(
                parent=self, depends_on=[self.namespace, self.crds_release]))
            for release in plan.addon_releases
        ]

        # Custom resources need their CRDs; the operator needs to run to act on them.
        self.custom_resources = [
            k8s.apiextensions.CustomResource(
                f"{name}-{cr.kind.lower()}-{cr.name}",
                api_version=cr.api_version,
                kind=cr.kind,
                metadata=cr.to_manifest()["metadata"],
                spec=cr.to_manifest()["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, self.crds_release]),
            )
            for cr in plan.custom_resources
        ]

        self.release_name = pulumi.Output.from_input(plan.stack_release.name)
        self.grafana_admin_secret_name = pulumi.Output.from_input(c.grafana_admin_secret_name(settings.release_name))
        self.prometheus_url = pulumi.Output.from_input(c.prometheus_url(settings.release_name, settings.namespace))
        self.register_outputs({
            "namespace": self.namespace.metadata["name"],
            "release_name": self.release_name,
            "grafana_admin_secret_name": self.grafana_admin_secret_name,
            "prometheus_url": self.prometheus_url,
        })

    def _release(self, name: str, release: ReleasePlan, opts: pulumi.ResourceOptions) -> k8s.helm.v3.Release:
        return k8s.helm.v3.Release(
            f"{name}-{release.key}",
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
