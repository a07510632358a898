"""What the API server would say about an object, offline.

- built-in kinds: the Kubernetes OpenAPI schemas of one minor version, as
  ``kubernetes-validate`` ships them, in strict mode (unknown fields rejected,
  as ``kubectl apply --validate=strict`` and server-side apply's field
  validation do);
- custom resources: the CRD's ``openAPIV3Schema`` (objects with listed
  properties closed, as the API server's pruning would silently drop the
  rest) and its CEL ``x-kubernetes-validations`` rules, evaluated with
  ``cel-python``. Transition rules (those reading ``oldSelf``) apply to
  updates only and are left out.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Iterable

import celpy
import jsonschema
import kubernetes_validate

from tests.unit.test_crd_schemas import close_schema


class NoSchema(LookupError):
    """The kind is not built into Kubernetes (a custom resource)."""


def schema_errors(obj: dict[str, Any], version: str) -> list[str]:
    """Errors of a built-in object against the schemas of Kubernetes ``version`` (e.g. ``1.33``).

    Raises :class:`NoSchema` for a kind Kubernetes does not define.
    """
    result = _schema_errors(json.dumps(obj, sort_keys=True), version)
    if result is None:
        raise NoSchema(f"{obj['apiVersion']} {obj['kind']}")
    return list(result)


@lru_cache(maxsize=None)
def _schema_errors(obj_json: str, version: str) -> tuple[str, ...] | None:
    # Stacks share most of the chart's objects: each distinct one is checked once.
    obj = json.loads(obj_json)
    try:
        kubernetes_validate.validate(obj, f"{version}.0", strict=True)
    except kubernetes_validate.SchemaNotFoundError:
        return None
    except kubernetes_validate.ValidationError as err:
        return (f"{obj['kind']} {obj['metadata'].get('name')} (Kubernetes {version}): {err}",)
    return ()


class CrdValidator:
    """Custom resources against the CRDs of one rendered CRD release."""

    def __init__(self, crds: Iterable[dict[str, Any]]):
        self.schemas: dict[tuple[str, str], dict[str, Any]] = {}
        for crd in crds:
            assert crd["kind"] == "CustomResourceDefinition", crd["kind"]
            group, kind = crd["spec"]["group"], crd["spec"]["names"]["kind"]
            for version in crd["spec"]["versions"]:
                if version.get("served", True):
                    self.schemas[(f"{group}/{version['name']}", kind)] = version["schema"]["openAPIV3Schema"]

    def knows(self, obj: dict[str, Any]) -> bool:
        return (obj["apiVersion"], obj["kind"]) in self.schemas

    def errors(self, obj: dict[str, Any]) -> list[str]:
        key = (obj["apiVersion"], obj["kind"])
        if key not in self.schemas:
            return [f"no CRD serves {key[0]} {key[1]}"]
        schema = self.schemas[key]
        validator = jsonschema.Draft7Validator(_closed(id(schema), schema))
        out = [f"{'.'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}"
               for e in validator.iter_errors(obj)]
        out += cel_errors(schema, obj)
        return sorted(out)


_closed_cache: dict[int, dict[str, Any]] = {}


def _closed(key: int, schema: dict[str, Any]) -> dict[str, Any]:
    if key not in _closed_cache:
        _closed_cache[key] = close_schema(schema)
    return _closed_cache[key]


_CEL = celpy.Environment()


@lru_cache(maxsize=None)
def _program(rule: str):
    return _CEL.program(_CEL.compile(rule))


def cel_errors(schema: dict[str, Any], value: Any, path: str = "") -> list[str]:
    """The CEL rules of ``schema`` and its sub-schemas that ``value`` breaks."""
    out = []
    for validation in schema.get("x-kubernetes-validations", ()):
        rule = validation["rule"]
        if "oldSelf" in rule:
            continue
        result = _program(rule).evaluate({"self": celpy.json_to_cel(value)})
        # Anything but true (false, or an evaluation error) rejects the object.
        if not (isinstance(result, celpy.celtypes.BoolType) and bool(result)):
            out.append(f"{path or '<root>'}: {validation.get('message', rule)}")
    if isinstance(value, dict):
        for name, child in value.items():
            sub = (schema.get("properties") or {}).get(name)
            if sub is None and isinstance(schema.get("additionalProperties"), dict):
                sub = schema["additionalProperties"]
            if sub is not None:
                out += cel_errors(sub, child, f"{path}.{name}" if path else name)
    elif isinstance(value, list) and isinstance(schema.get("items"), dict):
        for index, child in enumerate(value):
            out += cel_errors(schema["items"], child, f"{path}[{index}]")
    return out
