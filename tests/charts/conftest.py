"""The chart layer: every stack's releases rendered from the pinned archives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from monitoring import conventions as c
from monitoring.plan import ReleasePlan, StackPlan, build_plan
from monitoring.settings import load_settings
from monitoring.stacks import StackFileSources, plan_stack, read_stack_config, stack_names
from tests.charts.helm import chart_archive, render_chart


@dataclass(frozen=True)
class RenderedStack:
    """One stack: its plan, each release's rendered objects, and the program's own objects."""

    name: str
    plan: StackPlan
    releases: dict[str, list[dict[str, Any]]]  # ReleasePlan.key -> objects

    @property
    def program_objects(self) -> list[dict[str, Any]]:
        return self.plan.manifests()

    def objects(self) -> list[dict[str, Any]]:
        """Everything the cluster would receive: every release's objects and the program's."""
        return [o for objs in self.releases.values() for o in objs] + self.program_objects

    def of_kind(self, kind: str, release: str | None = None) -> list[dict[str, Any]]:
        pool = self.releases[release] if release else self.objects()
        return [o for o in pool if o["kind"] == kind]

    def one(self, kind: str, release: str | None = None) -> dict[str, Any]:
        found = self.of_kind(kind, release)
        assert len(found) == 1, f"{self.name}: expected one {kind}, found {len(found)}"
        return found[0]


def render_release(release: ReleasePlan) -> list[dict[str, Any]]:
    return render_chart(chart_archive(release.chart, release.version), release.name, release.namespace,
                        release.values)


def render_stack(name: str, plan: StackPlan) -> RenderedStack:
    return RenderedStack(name, plan, {r.key: render_release(r) for r in plan.releases})


def _regional_secured() -> StackPlan:
    """A regional stack using every secret a regional stack can: remote write
    with basic auth, a Grafana password from config, an internal load balancer."""
    plain, _ = read_stack_config("prod-us-east-1")
    settings = load_settings("prod-us-east-1", {
        **plain,
        "remoteWrite": [{"name": "mimir", "url": "https://mimir.example.com/api/v1/push",
                         "tenant": "mcp-mesh", "basicAuth": True}],
        "federationExposure": "internal-lb", "federationSourceRanges": ["10.0.0.0/8"],
    }, frozenset({c.SECRET_SLACK_WEBHOOK, c.SECRET_REMOTE_WRITE_CREDENTIALS, c.SECRET_GRAFANA_ADMIN_PASSWORD}))
    return build_plan(settings)


def _global_secured() -> StackPlan:
    """The global stack federating an https region with basic auth and a private CA."""
    plain, _ = read_stack_config("prod")
    settings = load_settings("prod", {**plain, "federationTargets": [
        {"cluster": "partner", "region": "ap-south-1", "endpoint": "fed.partner.example.com:443", "scheme": "https"}]},
        frozenset({c.SECRET_SLACK_WEBHOOK, c.SECRET_FEDERATION_BASIC_AUTH, c.SECRET_FEDERATION_CA}))
    return build_plan(settings, StackFileSources())


# Beyond the stack files: configurations that use what the stack files leave off.
VARIANTS = {"variant:regional-secured": _regional_secured, "variant:global-secured": _global_secured}


@pytest.fixture(scope="session", params=[*stack_names(), *VARIANTS])
def stack(request) -> RenderedStack:
    """Every stack file, then the variants."""
    name = request.param
    plan = VARIANTS[name]() if name in VARIANTS else plan_stack(name)
    rendered = render_stack(name, plan)
    assert all(rendered.releases.values()), f"{name}: a release rendered nothing"
    return rendered
