"""Typed core Kubernetes objects a plan holds besides the custom resources.

Each follows :class:`monitoring.resources.KubernetesObject` (``api_version``,
``kind``, ``name``, ``to_manifest()``); only the fields the program sets are
modelled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

from monitoring.resources import KubernetesObject, Metadata, _drop_empty


@dataclass(frozen=True)
class Namespace(KubernetesObject):
    metadata: Metadata

    api_version = "v1"
    kind = "Namespace"

    def to_manifest(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": self.metadata.to_manifest()}


@dataclass(frozen=True)
class StorageClass(KubernetesObject):
    metadata: Metadata
    provisioner: str
    parameters: Mapping[str, str]
    reclaim_policy: str
    allow_volume_expansion: bool
    volume_binding_mode: str

    api_version = "storage.k8s.io/v1"
    kind = "StorageClass"

    def to_manifest(self) -> dict[str, Any]:
        return {
            "apiVersion": self.api_version,
            "kind": self.kind,
            "metadata": self.metadata.to_manifest(),
            "provisioner": self.provisioner,
            "parameters": dict(self.parameters),
            "reclaimPolicy": self.reclaim_policy,
            "allowVolumeExpansion": self.allow_volume_expansion,
            "volumeBindingMode": self.volume_binding_mode,
        }


@dataclass(frozen=True)
class ServicePort:
    name: str
    port: int
    target_port: int

    def to_manifest(self) -> dict[str, Any]:
        return {"name": self.name, "port": self.port, "targetPort": self.target_port}


@dataclass(frozen=True)
class Service(KubernetesObject):
    metadata: Metadata
    type: str
    selector: Mapping[str, str]
    ports: tuple[ServicePort, ...]
    load_balancer_source_ranges: tuple[str, ...] = ()

    api_version = "v1"
    kind = "Service"

    def to_manifest(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": self.metadata.to_manifest(),
                "spec": _drop_empty({
                    "type": self.type,
                    "loadBalancerSourceRanges": list(self.load_balancer_source_ranges),
                    "selector": dict(self.selector),
                    "ports": [p.to_manifest() for p in self.ports],
                })}


@dataclass(frozen=True)
class IngressPath:
    """One path of an Ingress rule, routed to a Service port."""

    path: str
    path_type: str
    service: str
    port: int

    def to_manifest(self) -> dict[str, Any]:
        return {"path": self.path, "pathType": self.path_type,
                "backend": {"service": {"name": self.service, "port": {"number": self.port}}}}


@dataclass(frozen=True)
class Ingress(KubernetesObject):
    """An Ingress for one host, served over TLS with the certificate in ``tls_secret``."""

    metadata: Metadata
    ingress_class: str
    host: str
    tls_secret: str
    paths: tuple[IngressPath, ...]

    api_version = "networking.k8s.io/v1"
    kind = "Ingress"

    def to_manifest(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": self.metadata.to_manifest(),
                "spec": {
                    "ingressClassName": self.ingress_class,
                    "tls": [{"hosts": [self.host], "secretName": self.tls_secret}],
                    "rules": [{"host": self.host, "http": {"paths": [p.to_manifest() for p in self.paths]}}],
                }}


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
class Secret(KubernetesObject):
    """A Kubernetes Secret the Helm values refer to by name.

    The plan holds where each value comes from, never the value:
    ``to_manifest()`` shows a note of the source in its place, and the
    component resolves the values when it creates the Secret.
    """

    metadata: Metadata
    data: Mapping[str, SecretValue] = field(default_factory=dict)

    api_version = "v1"
    kind = "Secret"
    type = "Opaque"

    def to_manifest(self) -> dict[str, Any]:
        """The Secret with every secret value replaced by a note of its source."""
        return {"apiVersion": self.api_version, "kind": self.kind, "metadata": self.metadata.to_manifest(),
                "type": self.type, "stringData": {k: v.redacted() for k, v in self.data.items()}}
