"""Run the real ``__main__.py`` under Pulumi mocks and record every registration.

The Pulumi engine cannot run here, so the program runs against a mock
monitor. Unlike ``Mocks.new_resource`` alone, the recording monitor keeps what
a reviewer of ``pulumi preview`` sees: type, name, parent, protect flag,
dependencies, and which input values travel as secrets.
"""

from __future__ import annotations

import asyncio
import json
import runpy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import json_format
from pulumi.runtime import mocks as pulumi_mocks

from monitoring import conventions as c

ROOT = Path(__file__).resolve().parents[2]
SECRET_SIG = "4dabf18193072939515e22adb298388d"
SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270"
# What the mocked pulumi-random hands back as a generated password.
GENERATED_PASSWORD = "mock-generated-password-0f3a9c"


@dataclass
class Registration:
    type: str
    name: str
    urn: str
    parent: str
    protect: bool
    custom: bool
    dependencies: list[str]
    raw_inputs: dict[str, Any]  # secret values still wrapped in Pulumi's secret envelope

    @property
    def inputs(self) -> dict[str, Any]:
        return unwrap(self.raw_inputs)


@dataclass
class Run:
    registrations: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)  # stack exports, resolved
    secret_outputs: dict[str, bool] = field(default_factory=dict)

    def by_type(self, type_: str) -> list[Registration]:
        return [r for r in self.registrations if r.type == type_]

    def one(self, type_: str, name: str | None = None) -> Registration:
        found = [r for r in self.by_type(type_) if name is None or r.name == name]
        assert len(found) == 1, f"expected one {type_} {name or ''}, found {[r.name for r in found]}"
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.registrations if r.urn == urn)


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SECRET_SIG) == SECRET_MARK


def unwrap(value: Any) -> Any:
    if is_secret(value):
        return unwrap(value["value"])
    if isinstance(value, dict):
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def without_secrets(value: Any) -> Any:
    """The inputs with every secret-wrapped value removed."""
    if is_secret(value):
        return "<secret>"
    if isinstance(value, dict):
        return {k: without_secrets(v) for k, v in value.items()}
    if isinstance(value, list):
        return [without_secrets(v) for v in value]
    return value


class _Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        outputs = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = GENERATED_PASSWORD
        if args.typ.startswith("kubernetes:") and "metadata" in outputs:
            outputs["metadata"] = {"name": args.name, **(outputs.get("metadata") or {})}
        return [f"{args.name}-id", outputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, run: Run):
        super().__init__(_Mocks())
        self.run = run

    def RegisterResource(self, request):
        response = super().RegisterResource(request)
        if request.type != "pulumi:pulumi:Stack":
            self.run.registrations.append(Registration(
                type=request.type,
                name=request.name,
                urn=response.urn,
                parent=request.parent,
                protect=request.protect,
                custom=request.custom,
                dependencies=list(request.dependencies),
                raw_inputs=json_format.MessageToDict(request.object),
            ))
        return response


def run_program(stack: str, config: dict[str, Any], secrets: dict[str, Any] | None = None,
                run: Run | None = None) -> Run:
    """Run ``__main__.py`` for ``stack`` with the given config (as the engine passes it).

    Registrations are recorded into ``run`` (a new one unless given), so a
    caller can inspect what was registered even when the program fails.
    """
    secrets = secrets or {}
    run = run if run is not None else Run()
    engine_config = {}
    for key, value in {**config, **secrets}.items():
        if not isinstance(value, str):
            value = json.dumps(value)
        engine_config[f"{c.PROJECT_NAME}:{key}"] = value
    pulumi.runtime.set_all_config(engine_config, [f"{c.PROJECT_NAME}:{k}" for k in secrets])
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    pulumi.runtime.settings.ROOT.set(None)
    pulumi.runtime.set_mocks(None, project=c.PROJECT_NAME, stack=stack, preview=False,
                             monitor=_RecordingMonitor(run))
    try:
        runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        loop.run_until_complete(pulumi.runtime.stack.wait_for_rpcs())
        for name, value in pulumi.runtime.get_root_resource().outputs.items():
            output = pulumi.Output.from_input(value)
            run.outputs[name] = loop.run_until_complete(output.future())
            run.secret_outputs[name] = loop.run_until_complete(output.is_secret())
    finally:
        pulumi.runtime.set_all_config({}, [])
        loop.close()
    return run


def stack_config(stack: str) -> dict[str, Any]:
    """What the engine passes for ``stack``: Pulumi.yaml defaults overlaid by the stack file."""
    import yaml

    from monitoring.stacks import read_stack_config

    project = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    config = {}
    for key, entry in project["config"].items():
        if "default" in entry:
            config[key] = entry["default"]
        elif "value" in entry:
            config[key] = entry["value"]
    plain, _ = read_stack_config(stack)
    config.update(plain)
    return config
