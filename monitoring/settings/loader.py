"""Loading: one loop over the declaration table, then the cross-field checks.

A stack's configuration arrives as a flat mapping of setting keys to values:
either what the Pulumi engine hands the program (every value a string, objects
and arrays JSON-encoded) or a stack file read directly (values already typed).
"""

from __future__ import annotations

import dataclasses
import json
import re
import typing
from typing import Any, Mapping

from monitoring import conventions as c
from monitoring.settings import cross
from monitoring.settings.checks import refuse_control_characters
from monitoring.settings.errors import SettingsError, bad, unknown
from monitoring.settings.model import Exposure, StackSettings
from monitoring.settings.secrets import check_secret_values
from monitoring.settings.table import SECRET_KEYS, SPEC_BY_KEY, SPECS, Kind, Spec

PROJECT = c.PROJECT_NAME


def coerce(spec: Spec, value: Any) -> Any:
    """Turn a config value (typed, or a string from the engine) into the spec's kind."""
    key = spec.key
    if spec.kind is Kind.STRING:
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise bad(key, "a string", value)
        value = str(value)
    elif spec.kind is Kind.INTEGER:
        # At most 64 digits: every integer setting is bounded far below that.
        if isinstance(value, str) and re.fullmatch(r"-?[0-9]{1,64}", value, re.ASCII):
            value = int(value)
        elif isinstance(value, str) and re.fullmatch(r"-?[0-9]+", value, re.ASCII):
            raise bad(key, "an integer of at most 64 digits", value)
        elif isinstance(value, bool) or not isinstance(value, int):
            raise bad(key, "an integer", value)
    elif spec.kind is Kind.BOOLEAN:
        if isinstance(value, str) and value.lower() in ("true", "false"):
            value = value.lower() == "true"
        elif not isinstance(value, bool):
            raise bad(key, "true or false", value)
    else:
        # arrays and objects: the engine hands them over JSON-encoded
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                raise bad(key, "a list" if spec.kind is Kind.ARRAY else "a JSON/YAML object or list", value) from None
        if spec.kind is Kind.ARRAY and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
            raise bad(key, "a list of strings", value)
    refuse_control_characters(key, value, spec.allow)
    return value


def required_secrets(settings: StackSettings) -> list[str]:
    """Secret settings this stack cannot be deployed without."""
    keys = []
    if settings.slack_enabled:
        keys.append(c.SECRET_SLACK_WEBHOOK)
    if settings.pagerduty_enabled:
        keys.append(c.SECRET_PAGERDUTY_ROUTING_KEY)
    if any(t.basic_auth for t in settings.remote_write):
        keys.append(c.SECRET_REMOTE_WRITE_CREDENTIALS)
    if settings.profile.federated and settings.federation.exposure is Exposure.INGRESS:
        keys.append(c.SECRET_FEDERATION_BASIC_AUTH)
    return keys


def own_key(full_key: str) -> str | None:
    """The setting key of one of this project's config keys (``mcp-mesh-monitoring:retention``
    or bare ``retention``); None for a key of another namespace (``kubernetes:context``)."""
    namespace, _, key = full_key.rpartition(":")
    return key if namespace in ("", PROJECT) else None


def load_settings(stack: str, config: Mapping[str, Any], secrets_set=frozenset(),
                  check_secrets: bool = False) -> StackSettings:
    """Validate a stack's configuration and build its :class:`StackSettings`.

    ``config`` maps setting keys (with or without the ``mcp-mesh-monitoring:``
    namespace; keys of other namespaces, such as ``kubernetes:context``, are
    ignored) to values. Secret settings must not appear in it: their presence
    is given by ``secrets_set``, their values never reach the model (see
    :func:`parse_secrets`). With ``check_secrets`` a secret the stack needs but
    does not have is an error.
    """
    given: dict[str, Any] = {}
    for full_key, raw in config.items():
        key = own_key(full_key)
        if key is None:
            continue
        spec = SPEC_BY_KEY.get(key)
        if spec is None:
            raise unknown(key, SPEC_BY_KEY)
        if spec.secret:
            raise SettingsError(key, "is a secret: set it with `pulumi config set --secret`, not in plain text")
        given[key] = raw
    for key in sorted(secrets_set):
        if key not in SECRET_KEYS:
            raise unknown(key, SPEC_BY_KEY)

    values = {spec.key: spec.check(spec.key, coerce(spec, given.get(spec.key, spec.default)))
              for spec in SPECS if not spec.secret}
    settings = _build(stack, values, frozenset(secrets_set))
    cross.check(values, settings)
    if check_secrets:
        for key in required_secrets(settings):
            if key not in secrets_set:
                raise SettingsError(key, f"required secret is not set: pulumi config set --secret {key} ...")
    return settings


def parse_secrets(settings: StackSettings, values: Mapping[str, Any]) -> dict[str, Any]:
    """The stack's secret values, each checked in shape and content (messages never show them).

    ``values`` maps secret keys to what the engine holds (strings; objects
    JSON-encoded). Called before anything is registered.
    """
    for key in values:
        if key not in SECRET_KEYS:
            raise unknown(key, SPEC_BY_KEY)
    basic_auth = tuple(t.name for t in settings.remote_write if t.basic_auth)
    return check_secret_values(SPEC_BY_KEY, values, basic_auth)


def _build(stack: str, values: Mapping[str, Any], secrets_set: frozenset[str]) -> StackSettings:
    """StackSettings from the checked values: each lands on its row's target field."""
    tree: dict[str, Any] = {}
    for spec in SPECS:
        if spec.target is None:
            continue
        *path, leaf = spec.target.split(".")
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        node[leaf] = values[spec.key]
    # The values derived from others.
    cluster, region = values["cluster"] or stack, values["region"] or c.DEFAULT_REGION
    tree.update(stack=stack, cluster=cluster, region=region, secrets_set=secrets_set,
                external_labels={c.LABEL_CLUSTER: cluster, c.LABEL_REGION: region, **values["externalLabels"]})
    tree["grafana"]["storage_class"] = values["grafanaStorageClassName"] or values["storageClassName"]
    return _construct(StackSettings, tree)


def _construct(cls: type, tree: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name not in tree:
            continue
        value = tree[f.name]
        if dataclasses.is_dataclass(hints[f.name]) and isinstance(value, Mapping):
            value = _construct(hints[f.name], value)
        kwargs[f.name] = value
    return cls(**kwargs)
