"""Render every stack offline: ``python -m monitoring.render [--stack NAME]``.

For each stack, writes to ``build/<stack>/``:

- ``values/<release>.yaml``: the Helm values of each release,
- ``manifests.yaml``: every object the program creates itself (Secrets with
  their values replaced by a note of where they come from),
- ``rules/<name>.yaml``: each PrometheusRule as a plain rule file,
- ``dashboards/<uid>.json``: each Grafana dashboard's JSON,
- ``summary.txt``: the summary printed to the terminal.

With ``--diff REF`` it also renders the stacks as git ``REF`` has them (with
that revision's own code) and prints, per stack, a semantic summary of what
changed followed by the unified diff.

No cluster, credentials or Pulumi CLI are needed; the files come from the same
builders the Pulumi program uses. Output is byte-identical across runs.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

import yaml

from monitoring import conventions as c
from monitoring.diff import diff_trees, format_diffs
from monitoring.plan import StackPlan
from monitoring.scrape import ScrapeConfig
from monitoring.settings import SettingsError
from monitoring.federation import regional_endpoint
from monitoring.stacks import PROJECT_ROOT, plan_stack, stack_names


class _Dumper(yaml.SafeDumper):
    """Block-style YAML with multi-line strings as literal blocks."""


def _str(dumper: yaml.SafeDumper, data: str):
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def to_yaml(data) -> str:
    return yaml.dump(data, Dumper=_Dumper, sort_keys=True, default_flow_style=False, width=120)


def render_files(plan: StackPlan) -> dict[str, str]:
    """Relative path -> file content for one stack."""
    files: dict[str, str] = {}
    for release in plan.releases:
        files[f"values/{release.name}.yaml"] = (
            f"# chart {release.chart} {release.version}, release {release.name}, "
            f"namespace {release.namespace}\n" + to_yaml(dict(release.values))
        )
    files["manifests.yaml"] = "".join("---\n" + to_yaml(m) for m in plan.manifests())
    # Plain Prometheus rule files (rulefmt), for promtool and for review.
    for rule in plan.prometheus_rules():
        files[f"rules/{rule.name}.yaml"] = to_yaml(rule.spec())
    # Each dashboard's JSON, as the Grafana sidecar imports it.
    for board in plan.dashboards:
        files[f"dashboards/{board.file_name}"] = board.data()[board.file_name]
    files["summary.txt"] = summary(plan)
    return files


def summary(plan: StackPlan) -> str:
    """A short, readable account of what a stack deploys."""
    s = plan.settings
    p = s.prometheus
    kinds = Counter(m["kind"] for m in plan.manifests())
    rows = [
        ("role", f"{s.role} (cluster {s.cluster}, region {s.region})"),
        ("namespace", s.namespace + ("  [protected]" if s.protect else "")),
        ("releases", ", ".join(f"{r.name} ({r.chart} {r.version})" for r in plan.releases)),
        ("resources", ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))),
        ("retention", f"{p.retention} / {p.retention_size}"),
        ("storage", f"{s.storage.size} {'/'.join(m.value for m in s.storage.access_modes)} in class "
                    f"{s.storage.class_name or '(cluster default)'}"
                    + (" (created)" if s.storage.create_class else "")),
        ("prometheus", f"{p.replicas} replica(s), requests {p.resources.cpu_request} CPU / "
                       f"{p.resources.memory_request}, limits {p.resources.cpu_limit} CPU / "
                       f"{p.resources.memory_limit}, scrape {p.scrape_interval}, eval {p.evaluation_interval}"),
        ("features", ", ".join(f.value for f in p.enable_features) or "none"),
        ("external labels", ", ".join(f"{k}={v}" for k, v in s.external_labels.items())),
        ("remote write", ", ".join(f"{t.name} -> {t.url}" for t in s.remote_write) or "none"),
        ("grafana", f"{'on' if s.grafana.enabled else 'off'}, {s.grafana.persistence_size} volume"),
        ("alertmanager", ("off" if not s.alertmanager.enabled else
                          f"group by {', '.join(s.alertmanager.group_by)}; Slack "
                          f"{s.alertmanager.slack_channel or 'off'}")),
        ("secrets", ", ".join(sec.name for sec in plan.secrets)),
        ("rule groups", ", ".join(f"{g.name} ({len(g.rules)})" for r in plan.prometheus_rules() for g in r.groups)),
        ("alerts", ", ".join(sorted(rule.alert for r in plan.prometheus_rules() for g in r.groups
                                    for rule in g.rules if hasattr(rule, "alert"))) or "none"),
        ("federation", _federation_summary(plan)),
        ("dashboards", ", ".join(f"{b.folder}/{b.dashboard.uid}" for b in plan.dashboards) or "none"),
    ]
    width = max(len(k) for k, _ in rows)
    lines = [f"== stack {s.stack} =="] + [f"  {k.ljust(width)}  {v}" for k, v in rows]
    return "\n".join(lines) + "\n"


def _federation_summary(plan: StackPlan) -> str:
    s = plan.settings
    if s.profile.federates:
        jobs = [cr for cr in plan.of_type(ScrapeConfig) if cr.name == c.JOB_FEDERATE]
        sources = [f"{sc.labels['source_cluster']} ({sc.targets[0]})" for job in jobs for sc in job.static_configs]
        return "federates " + (", ".join(sources) or "nothing")
    exported = regional_endpoint(s)
    if exported is None:
        return f"not exposed ({s.role} stack)"
    where = exported.endpoint or "internal load balancer (address known after deploy)"
    return f"exposed as {s.federation.exposure} at {exported.scheme}://{where}"


def write_stack(stack: str, out_dir: Path, root: Path = PROJECT_ROOT) -> str:
    plan = plan_stack(stack, root)
    target = out_dir / stack
    if target.exists():
        shutil.rmtree(target)
    for rel, content in render_files(plan).items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    return summary(plan)


def render_ref(ref: str, out_dir: Path, root: Path = PROJECT_ROOT) -> None:
    """Render every stack as the tree at git ``ref`` would, with that tree's own code."""
    with tempfile.TemporaryDirectory(prefix="render-ref-") as src:
        archive = subprocess.run(["git", "-C", str(root), "archive", "--format=tar", ref],
                                 capture_output=True, check=False)
        if archive.returncode != 0:
            raise SystemExit(f"--diff {ref}: {archive.stderr.decode().strip()}")
        subprocess.run(["tar", "-x", "-C", src], input=archive.stdout, check=True)
        if not (Path(src) / "monitoring" / "render.py").exists():
            return  # nothing was rendered at that ref: every stack is new
        result = subprocess.run([sys.executable, "-m", "monitoring.render", "--out", str(out_dir)],
                                cwd=src, capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"--diff {ref}: rendering at that ref failed:\n{result.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m monitoring.render", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", action="append", help="render only this stack (repeatable)")
    parser.add_argument("--out", default=str(PROJECT_ROOT / "build"), help="output folder (default: build/)")
    parser.add_argument("--diff", metavar="REF",
                        help="also render the stacks at git REF and print what changed, per stack")
    args = parser.parse_args(argv)
    stacks = args.stack or stack_names()
    out_dir = Path(args.out)
    summaries = []
    for stack in stacks:
        try:
            summaries.append(write_stack(stack, out_dir))
        except (SettingsError, FileNotFoundError) as err:
            print(f"stack {stack}: {err}", file=sys.stderr)
            return 2
    if not args.diff:
        print("\n".join(summaries))
        print(f"rendered {len(stacks)} stack(s) into {out_dir}/")
        return 0
    with tempfile.TemporaryDirectory(prefix="render-old-") as old:
        render_ref(args.diff, Path(old))
        names = stacks if args.stack else sorted(set(stacks) | {p.name for p in Path(old).iterdir()})
        print(format_diffs(diff_trees(Path(old), out_dir, names), args.diff))
    return 0


if __name__ == "__main__":
    sys.exit(main())
