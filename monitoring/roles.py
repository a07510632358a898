"""Stack roles: what each kind of cluster in the fleet does, in one table.

A stack's ``role`` setting names one row of :data:`PROFILES`. Every builder
that behaves differently per role reads a field of the stack's
:class:`RoleProfile` (``settings.profile``); none compares role names. Adding
a role is adding a row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class RoleProfile:
    name: str
    # Federates the stacks of the federated roles: the /federate ScrapeConfig,
    # the federation alerts, the federator's credentials and CA.
    federates: bool
    # May be listed in a federating stack's ``federationStacks``.
    federated: bool
    # Deploys the mesh's recording rules and alerts (a cluster running the mesh).
    mesh_groups: bool
    # The ``cluster`` setting is required (else the stack name is used).
    needs_cluster: bool
    # The ``region`` setting is required (else ``local``).
    needs_region: bool
    # ``pulumi up`` runs from CI on pushes to main (the deploy workflow's matrix).
    deployed_from_ci: bool


PROFILES: tuple[RoleProfile, ...] = (
    #           name        federates federated mesh_groups needs_cluster needs_region deployed_from_ci
    RoleProfile("dev",      False,    False,    True,       False,        False,       False),
    RoleProfile("regional", False,    True,     True,       True,         True,        True),
    RoleProfile("global",   True,     False,    False,      True,         False,       True),
)

# The ``role`` setting's default.
DEFAULT = "regional"

# The ``role`` setting's closed set of values, in the table's order.
Role = StrEnum("Role", [(p.name.upper(), p.name) for p in PROFILES])

_BY_NAME = {p.name: p for p in PROFILES}


def profile(role: str) -> RoleProfile:
    """The row of ``role`` (a :class:`Role` or its name)."""
    return _BY_NAME[str(role)]


def names(flag: str | None = None) -> tuple[str, ...]:
    """Names of every role, or of the roles whose profile has ``flag`` set, in table order."""
    return tuple(p.name for p in PROFILES if flag is None or getattr(p, flag))


def spoken(items: tuple[str, ...], conjunction: str = "or") -> str:
    """``a``, ``a or b``, ``a, b or c``: a list of role names in a sentence."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {conjunction} {items[-1]}"
