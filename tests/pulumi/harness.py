"""Run the real ``__main__.py`` under Pulumi mocks and record every registration.

The Pulumi engine cannot run here, so the program runs against a mock
monitor. Unlike ``Mocks.new_resource`` alone, the recording monitor keeps what
a reviewer of ``pulumi preview`` sees: type, name, parent, protect flag,
dependencies, and which input values travel as secrets.
"""

from __future__ import annotations

import asyncio
import functools
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
    references: list[str] = field(default_factory=list)  # stacks read with StackReference

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
    def __init__(self, stack_outputs: dict[str, dict[str, Any]], secret_outputs: dict[str, list[str]]):
        self.stack_outputs = stack_outputs
        self.secret_outputs = secret_outputs

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        if args.typ == "pulumi:pulumi:StackReference":
            # A reference to another stack of this project: serve that stack's outputs.
            stack = args.inputs["name"].rsplit("/", 1)[-1]
            return [args.inputs["name"], {
                "name": args.inputs["name"],
                "outputs": self.stack_outputs[stack],
                "secretOutputNames": self.secret_outputs.get(stack, []),
            }]
        outputs = dict(args.inputs)
        if args.typ == "random:index/randomPassword:RandomPassword":
            outputs["result"] = GENERATED_PASSWORD
        if args.typ.startswith("kubernetes:") and "metadata" in outputs:
            outputs["metadata"] = {"name": args.name, **(outputs.get("metadata") or {})}
        if args.typ == "kubernetes:core/v1:Service" and (outputs.get("spec") or {}).get("type") == "LoadBalancer":
            # The provider waits for the cloud's address and returns it in the status.
            outputs["status"] = {"loadBalancer": {"ingress": [{"hostname": load_balancer_hostname(args.name)}]}}
        return [f"{args.name}-id", outputs]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


class _RecordingMonitor(pulumi_mocks.MockMonitor):
    def __init__(self, run: Run, mocks: _Mocks):
        super().__init__(mocks)
        self.run = run

    def ReadResource(self, request):
        response = super().ReadResource(request)
        self.run.references.append(request.properties["name"] if "name" in request.properties else request.name)
        return response

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


def load_balancer_hostname(resource_name: str) -> str:
    """The address the mocked cloud gives a LoadBalancer Service (an internal ELB's shape)."""
    return f"internal-{resource_name}-0123456789.us-east-1.elb.amazonaws.com"


# Enough for a regional stack file to run: the Slack webhook every prod stack needs.
REGIONAL_SECRETS = {c.SECRET_SLACK_WEBHOOK: "https://hooks.slack.example/regional"}


@functools.lru_cache(maxsize=None)
def _regional_exports(stack: str) -> tuple[tuple[str, Any], ...]:
    exports = (c.OUTPUT_CLUSTER, c.OUTPUT_REGION, c.OUTPUT_FEDERATION_ENDPOINT, c.OUTPUT_FEDERATION_SCHEME,
               c.OUTPUT_FEDERATION_AUTH_SECRET_NAME)
    outputs = run_program(stack, stack_config(stack), REGIONAL_SECRETS, stack_outputs={}).outputs
    return tuple((name, outputs[name]) for name in exports)


def regional_outputs(stack: str) -> dict[str, Any]:
    """What a regional stack of this repository exports: its program run under the mocks."""
    return dict(_regional_exports(stack))


def run_program(stack: str, config: dict[str, Any], secrets: dict[str, Any] | None = None,
                run: Run | None = None, stack_outputs: dict[str, dict[str, Any]] | None = None,
                secret_outputs: dict[str, list[str]] | None = None) -> Run:
    """Run ``__main__.py`` for ``stack`` with the given config (as the engine passes it).

    Registrations are recorded into ``run`` (a new one unless given), so a
    caller can inspect what was registered even when the program fails.
    Stack references are served ``stack_outputs`` (by default, what the
    repository's regional stack files export), with ``secret_outputs`` marked secret.
    """
    if stack_outputs is None:
        from monitoring.stacks import load_stack, stack_names

        stack_outputs = {name: regional_outputs(name) for name in stack_names()
                         if load_stack(name).profile.federated}
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
    # A previous run that failed part-way leaves its RPCs and pending outputs
    # (bound to its closed event loop) behind; forget them.
    pulumi.runtime.settings._get_rpc_manager().clear()
    with pulumi.runtime.settings.SETTINGS.lock:
        pulumi.runtime.settings.SETTINGS.outputs.clear()
    pulumi.runtime.set_mocks(None, project=c.PROJECT_NAME, stack=stack, preview=False, organization="acme",
                             monitor=_RecordingMonitor(run, _Mocks(stack_outputs, secret_outputs or {})))
    try:
        try:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        finally:
            # Drain what was started even when the program failed, so that no
            # half-finished registration leaks into the next run.
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
