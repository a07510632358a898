"""Stack files on disk: which stacks exist and what each configures.

Used by the offline render and the tests; the Pulumi program itself gets its
configuration from the engine.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from monitoring import roles
from monitoring.federation import regional_endpoint
from monitoring.plan import StackPlan, build_plan
from monitoring.settings import FederationTarget, SettingsError, StackSettings, load_settings, own_key

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def stack_names(root: Path = PROJECT_ROOT) -> list[str]:
    """Every stack with a ``Pulumi.<stack>.yaml`` file, sorted."""
    return sorted(p.name[len("Pulumi."):-len(".yaml")] for p in root.glob("Pulumi.*.yaml"))


def read_stack_config(stack: str, root: Path = PROJECT_ROOT) -> tuple[dict[str, Any], frozenset[str]]:
    """A stack file's plain settings, and the keys it holds as encrypted secrets."""
    path = root / f"Pulumi.{stack}.yaml"
    if not path.exists():
        raise FileNotFoundError(f"no stack file {path.name} (stacks: {', '.join(stack_names(root))})")
    document = yaml.safe_load(path.read_text()) or {}
    plain: dict[str, Any] = {}
    secrets: set[str] = set()
    for full_key, value in (document.get("config") or {}).items():
        key = own_key(full_key)
        if key is None:
            continue
        if isinstance(value, dict) and set(value) == {"secure"}:
            secrets.add(key)
        else:
            plain[key] = value
    return plain, frozenset(secrets)


def load_stack(stack: str, root: Path = PROJECT_ROOT) -> StackSettings:
    """Settings of a stack file.

    Stack files in the repository hold no secret values (those are set per
    stack with ``pulumi config set --secret``), so required secrets are not
    checked here; the Pulumi program checks them before creating anything.
    """
    plain, secrets = read_stack_config(stack, root)
    return load_settings(stack, plain, secrets)


@dataclass(frozen=True)
class StackFileSources:
    """Federation sources read from the stack files (the offline back end of
    :class:`monitoring.federation.FederationSources`).

    The Pulumi program reads the same facts from the federated stacks'
    outputs; only an internal load balancer's address is unknown until it
    exists, and is shown as ``<cluster>.internal-lb.pending``.
    """

    root: Path = PROJECT_ROOT

    def exports(self, stack: str) -> FederationTarget:
        settings = load_stack(stack, self.root)
        if not settings.profile.federated:
            raise SettingsError("federationStacks", f"{stack} is a {settings.role} stack; only "
                                f"{roles.spoken(roles.names('federated'))} stacks are federated")
        exported = regional_endpoint(settings)
        endpoint = exported.endpoint or f"{settings.cluster}.internal-lb.pending:{settings.federation.port}"
        return FederationTarget(settings.cluster, settings.region, endpoint, exported.scheme)

    def combine(self, exported, metadata, kind, build):
        return build(exported)


def plan_stack(stack: str, root: Path = PROJECT_ROOT) -> StackPlan:
    """The full plan of a stack file, federation job included."""
    return build_plan(load_stack(stack, root), StackFileSources(root))


def ci_matrix(role: str | None = None, root: Path = PROJECT_ROOT) -> dict[str, list[dict[str, str]]]:
    """The GitHub Actions matrix of the stacks deployed from CI (of one role, if given).

    ``{"include": [{"stack": ..., "role": ...}, ...]}``, in stack-name order:
    what a workflow feeds to ``fromJSON`` so no stack is listed by hand.
    """
    include = []
    for stack in stack_names(root):
        settings = load_stack(stack, root)
        if settings.profile.deployed_from_ci and (role is None or settings.role == role):
            include.append({"stack": stack, "role": str(settings.role)})
    return {"include": include}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitoring.stacks",
                                     description="The stack files of this repository.")
    parser.add_argument("--matrix", action="store_true", required=True,
                        help="print the CI matrix (JSON) of the stacks deployed from CI")
    parser.add_argument("--role", choices=roles.names(), help="only stacks of this role")
    args = parser.parse_args(argv)
    try:
        print(json.dumps(ci_matrix(args.role)))
    except (SettingsError, FileNotFoundError) as err:
        print(err, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
