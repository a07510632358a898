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
from monitoring import federation
from monitoring.plan import ReleasePlan, SecretSource, SecretValue, StackPlan
from monitoring.scrape import ScrapeConfig


@dataclass
class MonitoringStackArgs:
    plan: StackPlan
    # Pulumi config secrets by key (values are secret Outputs); only the keys
    # the plan refers to are read.
    config_secrets: Mapping[str, pulumi.Output]
    # Global stacks: the regional Prometheus servers to federate, as an Output
    # of a list of FederationTarget (read from the regional stacks' outputs).
    federation_sources: pulumi.Output | None = None

# Plain Kubernetes kinds the plan may hold besides namespace, storage and secrets.
_OBJECT_TYPES = {
    ("v1", "Service"): k8s.core.v1.Service,
    ("networking.k8s.io/v1", "Ingress"): k8s.networking.v1.Ingress,
}


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
            if value.source is SecretSource.HTPASSWD:
                credentials = args.config_secrets[value.ref]
                return pulumi.Output.secret(credentials.apply(
                    lambda cred: federation.htpasswd_line(cred["username"], cred["password"])))
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

        self.exposure = [
            _OBJECT_TYPES[(obj["apiVersion"], obj["kind"])](
                f"{name}-{obj['kind'].lower()}-{obj['metadata']['name']}",
                metadata=obj["metadata"], spec=obj["spec"],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, *self.secrets]),
            )
            for obj in plan.exposure
        ]

        # Custom resources need their CRDs; the operator needs to run to act on them.
        cr_opts = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace, self.crds_release])
        self.custom_resources = [
            self._custom_resource(name, cr.api_version, cr.kind, cr.name, cr.to_manifest(), cr_opts)
            for cr in plan.custom_resources
        ]
        if args.federation_sources is not None:
            manifest = args.federation_sources.apply(lambda sources: plan.federation_job(sources).to_manifest())
            self.custom_resources.append(self._custom_resource(
                name, ScrapeConfig.api_version, ScrapeConfig.kind, c.JOB_FEDERATE, manifest, cr_opts))

        self.dashboards = [
            k8s.core.v1.ConfigMap(
                f"{name}-{d.kind.lower()}-{d.name}",
                metadata=manifest["metadata"], data=manifest["data"], opts=in_namespace)
            for d in plan.dashboards
            for manifest in (d.to_manifest(),)
        ]

        exported = federation.regional_endpoint(settings)
        if exported.endpoint is None and self.exposure:
            service = self.exposure[0]
            address = service.status.apply(lambda st: _load_balancer_address(st))
            self.federation_endpoint = address.apply(lambda host: f"{host}:{settings.federation.port}")
        else:
            self.federation_endpoint = pulumi.Output.from_input(exported.endpoint or "")
        self.federation_scheme = pulumi.Output.from_input(exported.scheme)
        self.federation_auth_secret_name = pulumi.Output.from_input(exported.auth_secret_name)

        self.release_name = pulumi.Output.from_input(plan.stack_release.name)
        self.grafana_admin_secret_name = pulumi.Output.from_input(c.grafana_admin_secret_name(settings.release_name))
        self.prometheus_url = pulumi.Output.from_input(c.prometheus_url(settings.release_name, settings.namespace))
        self.register_outputs({
            "namespace": self.namespace.metadata["name"],
            "release_name": self.release_name,
            "grafana_admin_secret_name": self.grafana_admin_secret_name,
            "prometheus_url": self.prometheus_url,
        })

    def _custom_resource(self, name, api_version, kind, cr_name, manifest, opts):
        manifest = pulumi.Output.from_input(manifest)
        return k8s.apiextensions.CustomResource(
            f"{name}-{kind.lower()}-{cr_name}",
            api_version=api_version,
            kind=kind,
            metadata=manifest.apply(lambda m: m["metadata"]),
            spec=manifest.apply(lambda m: m["spec"]),
            opts=opts,
        )

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


def _load_balancer_address(status) -> str:
    """Host name or IP of a LoadBalancer Service, once the cloud assigned one."""
    balancer = getattr(status, "load_balancer", None)
    ingress = getattr(balancer, "ingress", None) or []
    if not ingress:
        return ""
    return ingress[0].hostname or ingress[0].ip or ""
