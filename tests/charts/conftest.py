"""The chart layer: every stack's releases rendered from the pinned archives."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from monitoring.plan import ReleasePlan, StackPlan
from monitoring.stacks import plan_stack, stack_names
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


@pytest.fixture(scope="session", params=stack_names())
def stack(request) -> RenderedStack:
    rendered = render_stack(request.param, plan_stack(request.param))
    assert all(rendered.releases.values()), f"{request.param}: a release rendered nothing"
    return rendered
