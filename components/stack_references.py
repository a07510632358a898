"""Federation sources under Pulumi: what the federated stacks export, read
through stack references (the Pulumi back end of
:class:`monitoring.federation.FederationSources`; the stack files are the
offline one, ``monitoring.stacks.StackFileSources``)."""

from __future__ import annotations

from typing import Any, Callable

import pulumi

from monitoring import conventions as c
from monitoring.resources import CustomResource, DeferredCustomResource, Metadata
from monitoring.settings import FederationTarget

# The outputs read, in FederationTarget's field order.
_EXPORTS = (c.OUTPUT_CLUSTER, c.OUTPUT_REGION, c.OUTPUT_FEDERATION_ENDPOINT, c.OUTPUT_FEDERATION_SCHEME)


def stack_reference_name(name: str) -> str:
    """``org/project/stack`` for a bare stack name of this project."""
    if "/" in name:
        return name
    return f"{pulumi.get_organization()}/{pulumi.get_project()}/{name}"


def _target(stack: str, row: list[Any]) -> FederationTarget:
    target = FederationTarget(*row)
    if not target.endpoint:
        raise ValueError(f"federationStacks: {stack} exports no {c.OUTPUT_FEDERATION_ENDPOINT}: deploy it "
                         "(its role must be federated) before the stacks that federate it")
    return target


class StackReferenceSources:
    """Each federated stack's exports, as Outputs of its stack reference."""

    def exports(self, stack: str) -> pulumi.Output:
        ref = pulumi.StackReference(stack_reference_name(stack))
        return pulumi.Output.all(*(ref.require_output(name) for name in _EXPORTS)).apply(
            lambda row: _target(stack, row))

    def combine(self, exported: list[pulumi.Output], metadata: Metadata, kind: type[CustomResource],
                build: Callable[[list[FederationTarget]], CustomResource]) -> DeferredCustomResource:
        content: Any = pulumi.Output.all(*exported).apply(build)
        return DeferredCustomResource(metadata, kind.api_version, kind.kind, content)
