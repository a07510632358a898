"""Typed Kubernetes objects: the protocol every planned object follows, and
the prometheus-operator custom resources.

Every object a plan holds is a :class:`KubernetesObject`: ``api_version``,
``kind``, ``name`` and ``to_manifest()``. The custom resources are frozen
dataclasses with snake_case fields and an explicit ``to_manifest()`` that
emits the CRD's camelCase field names. Only fields the product uses are
modelled. Everything is validated at construction: a regex that does not
compile or PromQL that does not parse fails with the name of the object it
belongs to, before any manifest or resource exists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Mapping

import promql_parser

from monitoring import conventions as c

MONITORING_API_V1 = "monitoring.coreos.com/v1"
MONITORING_API_V1ALPHA1 = "monitoring.coreos.com/v1alpha1"


class InvalidResource(ValueError):
    """A custom resource (or a part of one) failed validation."""


def _drop_empty(mapping: Mapping[str, Any]) -> dict[str, Any]:
    """The manifest fields that are set (None, empty lists and maps left out)."""
    return {k: v for k, v in mapping.items() if v is not None and v != [] and v != {}}


def parse_promql(owner: str, expr: str) -> None:
    """Reject an expression Prometheus would not load, naming its owner."""
    try:
        promql_parser.parse(expr)
    except Exception as err:  # the parser raises a bare exception type
        raise InvalidResource(f"{owner}: invalid PromQL: {err}") from None


def compile_regex(owner: str, regex: str) -> None:
    try:
        re.compile(regex)
    except re.error as err:
        raise InvalidResource(f"{owner}: invalid regex {regex!r}: {err}") from None


@dataclass(frozen=True)
class Metadata:
    """Object metadata; every object carries the common labels. ``namespace``
    is None for cluster-scoped objects."""

    name: str
    namespace: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    def to_manifest(self) -> dict[str, Any]:
        return _drop_empty({"name": self.name, "namespace": self.namespace,
                            "labels": {**c.COMMON_LABELS, **dict(self.labels)},
                            "annotations": dict(self.annotations)})


class KubernetesObject:
    """The protocol of every object a plan holds.

    Subclasses are frozen dataclasses with a ``metadata`` field and class
    attributes ``api_version`` and ``kind``; ``to_manifest()`` is the object
    as Kubernetes reads it.
    """

    metadata: Metadata
    api_version: str
    kind: str

    @property
    def name(self) -> str:
        return self.metadata.name

    def to_manifest(self) -> dict[str, Any]:
        raise NotImplementedError


# kind -> typed class, filled as the classes are defined (see CustomResource).
CUSTOM_RESOURCE_TYPES: dict[str, type["CustomResource"]] = {}


class CustomResource(KubernetesObject):
    """A prometheus-operator custom resource: ``metadata`` and a ``spec()``.

    Each concrete class registers itself under its kind, which must be a row
    of ``conventions.CUSTOM_RESOURCE_KINDS`` (the selector contract).
    """

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        kind = cls.__dict__.get("kind")
        if kind is None:
            return  # a shared base (e.g. of the monitors), or a deferred resource
        if kind not in c.CUSTOM_RESOURCE_KINDS:
            raise TypeError(f"{cls.__name__}: kind {kind!r} is not in conventions.CUSTOM_RESOURCE_KINDS")
        CUSTOM_RESOURCE_TYPES[kind] = cls

    def spec(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_manifest(self) -> dict[str, Any]:
        return {"apiVersion": self.api_version, "kind": self.kind,
                "metadata": self.metadata.to_manifest(), "spec": self.spec()}


@dataclass(frozen=True)
class DeferredCustomResource(CustomResource):
    """A custom resource whose content is known only later.

    Under Pulumi, the global stack's federation job is built once the regional
    stacks' outputs resolve: ``content`` is that deferred resource (anything
    with ``apply``, i.e. a Pulumi Output); ``metadata``, ``api_version`` and
    ``kind`` are known now, so the resource can be named and ordered now.
    """

    metadata: Metadata
    api_version: str
    kind: str
    content: Any

    def __post_init__(self):
        if self.kind not in CUSTOM_RESOURCE_TYPES:
            raise InvalidResource(f"deferred {self.name!r}: unknown kind {self.kind!r}")

    def _known(self, resource: CustomResource) -> dict[str, Any]:
        if (resource.kind, resource.name) != (self.kind, self.name):
            raise InvalidResource(f"deferred {self.kind} {self.name!r} resolved to {resource.kind} {resource.name!r}")
        return resource.to_manifest()

    def to_manifest(self) -> dict[str, Any]:
        """The manifest's fields, each deferred until the content is known."""
        manifest = self.content.apply(self._known)
        return {"apiVersion": self.api_version, "kind": self.kind,
                "metadata": manifest.apply(lambda m: m["metadata"]), "spec": manifest.apply(lambda m: m["spec"])}


def basic_auth_reference(secret: str) -> dict[str, dict[str, str]]:
    """``basicAuth`` by reference: the username and password keys of a Secret."""
    return {"username": {"name": secret, "key": c.REMOTE_WRITE_USERNAME_KEY},
            "password": {"name": secret, "key": c.REMOTE_WRITE_PASSWORD_KEY}}


# --------------------------------------------------------------------------
# Relabeling
# --------------------------------------------------------------------------

class RelabelAction(StrEnum):
    REPLACE = "replace"
    KEEP = "keep"
    DROP = "drop"
    HASHMOD = "hashmod"
    LABELMAP = "labelmap"
    LABELDROP = "labeldrop"
    LABELKEEP = "labelkeep"


@dataclass(frozen=True)
class RelabelConfig:
    """One relabeling step (``relabelings``, ``metricRelabelings``, ``writeRelabelConfigs``).

    ``name`` identifies the step in error messages only; it is not emitted.
    """

    name: str
    action: RelabelAction = RelabelAction.REPLACE
    source_labels: tuple[str, ...] = ()
    separator: str | None = None
    target_label: str | None = None
    regex: str | None = None
    replacement: str | None = None
    modulus: int | None = None

    def __post_init__(self):
        if self.regex is not None:
            compile_regex(f"relabeling {self.name!r}", self.regex)
        if self.action in (RelabelAction.REPLACE, RelabelAction.HASHMOD) and not self.target_label:
            raise InvalidResource(f"relabeling {self.name!r}: action {self.action} needs a target label")

    def to_manifest(self) -> dict[str, Any]:
        """CRD form (camelCase)."""
        return _drop_empty({
            "sourceLabels": list(self.source_labels),
            "separator": self.separator,
            "targetLabel": self.target_label,
            "regex": self.regex,
            "modulus": self.modulus,
            "replacement": self.replacement,
            "action": self.action.value,
        })

    def to_prometheus(self) -> dict[str, Any]:
        """Prometheus configuration-file form (snake_case)."""
        return _drop_empty({
            "source_labels": list(self.source_labels),
            "separator": self.separator,
            "target_label": self.target_label,
            "regex": self.regex,
            "modulus": self.modulus,
            "replacement": self.replacement,
            "action": self.action.value,
        })


# --------------------------------------------------------------------------
# Rules
# --------------------------------------------------------------------------

@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        parse_promql(f"recording rule {self.record!r}", self.expr)

    @property
    def name(self) -> str:
        return self.record

    def to_manifest(self) -> dict[str, Any]:
        return _drop_empty({"record": self.record, "expr": self.expr, "labels": dict(self.labels)})


@dataclass(frozen=True)
class AlertingRule:
    alert: str
    expr: str
    for_: str | None = None
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        parse_promql(f"alert {self.alert!r}", self.expr)

    @property
    def name(self) -> str:
        return self.alert

    def to_manifest(self) -> dict[str, Any]:
        return _drop_empty({
            "alert": self.alert,
            "expr": self.expr,
            "for": self.for_,
            "labels": dict(self.labels),
            "annotations": dict(self.annotations),
        })


Rule = RecordingRule | AlertingRule


def alert(name: str, expr: str, for_: str, severity: str, summary: str, description: str) -> AlertingRule:
    """An alert of this program: a severity label and the two annotations every alert carries."""
    return AlertingRule(
        alert=name, expr=expr, for_=for_,
        labels={c.LABEL_SEVERITY: severity},
        annotations={c.ANNOTATION_SUMMARY: summary, c.ANNOTATION_DESCRIPTION: description},
    )


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[Rule, ...]
    interval: str | None = None

    def to_manifest(self) -> dict[str, Any]:
        """The group as both the CRD and Prometheus' rule files spell it."""
        return _drop_empty({
            "name": self.name,
            "interval": self.interval,
            "rules": [r.to_manifest() for r in self.rules],
        })


@dataclass(frozen=True)
class PrometheusRule(CustomResource):
    metadata: Metadata
    groups: tuple[RuleGroup, ...]

    api_version = MONITORING_API_V1
    kind = "PrometheusRule"

    def spec(self) -> dict[str, Any]:
        return {"groups": [g.to_manifest() for g in self.groups]}
