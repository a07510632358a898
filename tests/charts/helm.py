"""Helm as a library: the pinned chart archives rendered offline, as a cluster would receive them.

``helm-python-sdk`` bundles Helm's Go SDK (``libhelm_c``), so the charts are
rendered by Helm itself (templates, subcharts and their ``condition`` switches,
value coalescing), not by an emulation. Nothing is fetched: the archives are
the repository's copies in ``reference/charts/`` (provenance in
``reference/charts/PROVENANCE.md``).

Rendering is deterministic, so each (archive, release, namespace, values) is
rendered once per test session; callers get their own copy of the objects.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import helm_python as helm
import yaml

from tests.conftest import REFERENCE_DIR

CHARTS_DIR = REFERENCE_DIR / "charts"
# Rendered files that are not Kubernetes objects.
_NOT_OBJECTS = ("NOTES.txt",)


class _Loader(yaml.SafeLoader):
    """YAML as the API server reads it (YAML 1.2 core): PyYAML's 1.1 resolver
    takes a bare ``=`` (an enum value in the CRDs) for its ``value`` tag."""


_Loader.add_constructor("tag:yaml.org,2002:value", lambda loader, node: loader.construct_scalar(node))


def chart_archive(chart: str, version: str) -> Path:
    """The pinned archive of ``chart`` at ``version`` in ``reference/charts/``."""
    path = CHARTS_DIR / f"{chart}-{version}.tgz"
    if not path.is_file():
        have = ", ".join(sorted(p.name for p in CHARTS_DIR.glob("*.tgz")))
        raise FileNotFoundError(f"no archive for chart {chart} {version} in {CHARTS_DIR} (have: {have})")
    return path


def _plain(value: Any) -> Any:
    """Mappings and sequences of any type as JSON-ready dicts and lists."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def render_chart(chart_archive: Path, release_name: str, namespace: str, values: Mapping) -> list[dict]:
    """Every Kubernetes object a first install of the chart creates, subcharts included.

    Objects come in template order (Helm's sort by template path), hooks
    included (as ``helm template`` has them); an object's
    ``metadata.namespace`` is what the template wrote (Helm applies
    ``namespace`` to namespaced objects without one at install).
    """
    key = json.dumps(_plain(values), sort_keys=True)
    return copy.deepcopy(list(_render(Path(chart_archive).resolve(), release_name, namespace, key)))


@lru_cache(maxsize=None)
def _render(archive: Path, release_name: str, namespace: str, values_json: str) -> tuple[dict, ...]:
    with helm.Chart.load(archive) as chart:
        files = chart.render(values=json.loads(values_json), name=release_name, namespace=namespace,
                             revision=1, is_install=True)
    objects = []
    for path in sorted(files):
        if path.endswith(_NOT_OBJECTS):
            continue
        for document in yaml.load_all(files[path], Loader=_Loader):
            if document:
                objects.append(document)
    return tuple(objects)
