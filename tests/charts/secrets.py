"""Which Secrets, and which keys of them, rendered objects read."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Iterator

import yaml

# The chart's admission-webhook hook Job creates its TLS Secret at install
# (kube-webhook-certgen ``create --secret-name=<name>``) with these keys.
CERTGEN_SECRET_ARG = "--secret-name="
CERTGEN_KEYS = frozenset({"ca", "cert", "key"})
# nginx ingress: the Secret holding the htpasswd file, read under the key ``auth``.
NGINX_AUTH_SECRET = "nginx.ingress.kubernetes.io/auth-secret"
NGINX_AUTH_KEY = "auth"
# A TLS Secret as an Ingress reads it.
TLS_KEYS = ("tls.crt", "tls.key")
# Where the operator mounts each Secret of ``spec.secrets`` (Prometheus, Alertmanager).
SECRETS_MOUNT = {"Prometheus": "/etc/prometheus/secrets", "Alertmanager": "/etc/alertmanager/secrets"}


@dataclass(frozen=True)
class SecretRead:
    reader: str  # "<kind>/<name>"
    secret: str
    key: str | None  # None: the whole Secret (mounted, or used as one)


def _selectors(node: Any, parent: str = "") -> Iterator[tuple[str, str]]:
    """SecretKeySelectors ({name, key}) anywhere in a custom resource's spec."""
    if isinstance(node, dict):
        if parent != "configMap" and "key" in node and "name" in node and set(node) <= {"name", "key", "optional"}:
            yield node["name"], node["key"]
            return
        for key, value in node.items():
            yield from _selectors(value, key)
    elif isinstance(node, list):
        for value in node:
            yield from _selectors(value, parent)


def _pod_spec(obj: dict[str, Any]) -> dict[str, Any] | None:
    spec = obj.get("spec") or {}
    if obj["kind"] == "Pod":
        return spec
    if obj["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    template = spec.get("template")
    return template.get("spec") if isinstance(template, dict) else None


def secret_reads(obj: dict[str, Any], custom: bool) -> Iterator[SecretRead]:
    reader = f"{obj['kind']}/{obj['metadata']['name']}"
    pod = _pod_spec(obj) if not custom else None
    if pod:
        for container in [*pod.get("initContainers", ()), *pod.get("containers", ())]:
            for env in container.get("env", ()):
                ref = (env.get("valueFrom") or {}).get("secretKeyRef")
                if ref and not ref.get("optional"):
                    yield SecretRead(reader, ref["name"], ref["key"])
            for source in container.get("envFrom", ()):
                if "secretRef" in source and not source["secretRef"].get("optional"):
                    yield SecretRead(reader, source["secretRef"]["name"], None)
        for volume in pod.get("volumes", ()):
            secret = volume.get("secret")
            if secret and not secret.get("optional"):
                items = secret.get("items")
                for key in [i["key"] for i in items] if items else [None]:
                    yield SecretRead(reader, secret["secretName"], key)
    if obj["kind"] == "Ingress":
        for tls in obj["spec"].get("tls", ()):
            for key in TLS_KEYS:
                yield SecretRead(reader, tls["secretName"], key)
        auth = (obj["metadata"].get("annotations") or {}).get(NGINX_AUTH_SECRET)
        if auth:
            yield SecretRead(reader, auth, NGINX_AUTH_KEY)
    if custom:
        spec = obj.get("spec") or {}
        for name in spec.get("secrets", ()):
            yield SecretRead(reader, name, None)
        for name, key in _selectors(spec):
            yield SecretRead(reader, name, key)


def mounted_file_reads(obj: dict[str, Any], secrets: dict[str, dict[str, Any]]) -> Iterator[SecretRead]:
    """Files of mounted Secrets that a component's configuration names.

    Alertmanager's configuration (a Secret the chart renders) points at
    ``/etc/alertmanager/secrets/<secret>/<key>`` in ``*_file`` fields.
    """
    if obj["kind"] != "Alertmanager":
        return
    mount = SECRETS_MOUNT["Alertmanager"]
    config_secret = secrets.get(f"alertmanager-{obj['metadata']['name']}")
    if not config_secret:
        return
    config = yaml.safe_load(secret_data(config_secret)["alertmanager.yaml"])

    def walk(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key.endswith("_file") and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    for path in walk(config):
        if path.startswith(mount + "/"):
            name, key = path[len(mount) + 1:].split("/", 1)
            yield SecretRead(f"Alertmanager/{obj['metadata']['name']} config", name, key)


def secret_data(secret: dict[str, Any]) -> dict[str, str]:
    """A Secret's keys and (decoded) values."""
    out = {k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()}
    out.update(secret.get("stringData") or {})
    return out


def certgen_secrets(objects: list[dict[str, Any]]) -> set[str]:
    """Secrets the chart's hook Jobs create at install time."""
    out = set()
    for obj in objects:
        if obj["kind"] != "Job":
            continue
        for container in _pod_spec(obj).get("containers", ()):
            for arg in container.get("args", ()):
                if arg.startswith(CERTGEN_SECRET_ARG) and "create" in container.get("args", ()):
                    out.add(arg[len(CERTGEN_SECRET_ARG):])
    return out
