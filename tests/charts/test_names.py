"""Names within the limits Kubernetes and Helm enforce, on every rendered object.

The API server rejects a name past its limit at apply time, halfway through a
release; Helm rejects a release name past 53 characters (it labels objects
with it, and adds suffixes of its own).
"""

from __future__ import annotations

import re

import helm_python as helm
import pytest

DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
DNS_1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
LABEL_NAME = re.compile(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$")
LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# Kinds whose names become DNS labels (Services) or must be labels themselves.
LABEL_NAMED_KINDS = {"Namespace"}
DNS_1035_NAMED_KINDS = {"Service"}
# The operator's StatefulSets are named "<prefix><name>"; their pods carry the
# label controller-revision-hash "<statefulset>-<10 characters>", which must
# stay within a label value's 63 characters.
OPERATOR_STATEFULSET_PREFIX = {"Prometheus": "prometheus-", "Alertmanager": "alertmanager-"}
REVISION_HASH_SUFFIX = 11


def name_errors(obj: dict) -> list[str]:
    kind, meta = obj["kind"], obj["metadata"]
    name = meta["name"]
    errors = []
    if kind in DNS_1035_NAMED_KINDS:
        if len(name) > 63 or not DNS_1035_LABEL.match(name):
            errors.append(f"{kind} {name}: not a DNS-1035 label of at most 63 characters")
    elif kind in LABEL_NAMED_KINDS:
        if len(name) > 63 or not DNS_LABEL.match(name):
            errors.append(f"{kind} {name}: not a DNS label of at most 63 characters")
    elif len(name) > 253 or not DNS_SUBDOMAIN.match(name):
        errors.append(f"{kind} {name}: not a DNS subdomain of at most 253 characters")
    for key, value in (meta.get("labels") or {}).items():
        prefix, _, label = key.rpartition("/")
        if len(label) > 63 or not LABEL_NAME.match(label) or (prefix and not DNS_SUBDOMAIN.match(prefix)):
            errors.append(f"{kind} {name}: label key {key!r}")
        if len(str(value)) > 63 or not LABEL_VALUE.match(str(value)):
            errors.append(f"{kind} {name}: label {key}={value!r}")
    if kind in OPERATOR_STATEFULSET_PREFIX:
        statefulset = OPERATOR_STATEFULSET_PREFIX[kind] + name
        if len(statefulset) + REVISION_HASH_SUFFIX > 63:
            errors.append(f"{kind} {name}: its StatefulSet {statefulset} is too long for its revision label")
    return errors


def test_every_release_name_is_one_helm_accepts(stack):
    for release in stack.plan.releases:
        helm.validate_release_name(release.name)


def test_every_object_name_and_label_is_within_the_limits(stack):
    errors = [e for obj in stack.objects() for e in name_errors(obj)]
    assert errors == []


def test_the_checks_reject_names_past_the_limits():
    with pytest.raises(helm.HelmInvalidArgError):
        helm.validate_release_name("r" * 54)
    assert name_errors({"kind": "Service", "metadata": {"name": "s" * 64}})
    assert name_errors({"kind": "Service", "metadata": {"name": "9lives"}})
    assert name_errors({"kind": "ConfigMap", "metadata": {"name": "ok", "labels": {"a": "v" * 64}}})
    assert name_errors({"kind": "Prometheus", "metadata": {"name": "p" * 45}})
    assert name_errors({"kind": "ConfigMap", "metadata": {"name": "ok"}}) == []
