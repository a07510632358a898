"""Semantic and textual differences between two renders of the stacks.

Compares two ``build/`` trees written by ``monitoring.render``: per stack, a
short summary a reviewer reads first (rules and alerts added, removed or
changed; dashboard panels added, removed or changed, with their queries;
Helm values changed; resources added or removed), then the unified
diff of every file that changed.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml


@dataclass
class StackDiff:
    stack: str
    summary: list[str] = field(default_factory=list)
    unified: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.summary or self.unified)


def _files(root: Path) -> dict[str, str]:
    if not root.is_dir():
        return {}
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


def _rules(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    """'group/kind name' -> rule, over every rule file of a stack."""
    out = {}
    for path, text in files.items():
        if not path.startswith("rules/"):
            continue
        for group in (yaml.safe_load(text) or {}).get("groups", []):
            for rule in group.get("rules", []):
                kind, name = ("alert", rule["alert"]) if "alert" in rule else ("record", rule["record"])
                out[f"{group['name']}: {kind} {name}"] = rule
    return out


def _panels(files: dict[str, str]) -> dict[str, dict[str, Any]]:
    """'dashboard uid: "panel title"' -> panel, over every dashboard of a stack."""
    out = {}
    for path, text in files.items():
        if path.startswith("dashboards/") and path.endswith(".json"):
            board = json.loads(text)
            for panel in board.get("panels", []):
                out[f'{board["uid"]}: "{panel.get("title", "")}"'] = panel
    return out


def _queries(panel: dict[str, Any]) -> list[str]:
    return [" ".join(t.get("expr", "").split()) for t in panel.get("targets", [])]


def _panel_lines(key: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> list[str]:
    """Summary lines of one panel: added or removed with its queries, or what changed in it."""
    if old is None:
        return [f"panel added   {key}"] + [f"                + {q}" for q in _queries(new)]
    if new is None:
        return [f"panel removed {key}"] + [f"                - {q}" for q in _queries(old)]
    # Position alone (a panel above was added or removed) is not a change of this panel.
    fields = sorted(f for f in set(old) | set(new) if f not in ("gridPos", "id") and old.get(f) != new.get(f))
    if not fields:
        return []
    lines = [f"panel changed {key} ({', '.join(fields)})"]
    before, after = _queries(old), _queries(new)
    if before != after:
        lines += [f"                - {q}" for q in before if q not in after]
        lines += [f"                + {q}" for q in after if q not in before]
    return lines


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out = {}
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}


def _values(files: dict[str, str]) -> dict[str, Any]:
    out = {}
    for path, text in files.items():
        if path.startswith("values/"):
            release = path[len("values/"):-len(".yaml")]
            out.update(_flatten(yaml.safe_load(text) or {}, release))
    return out


def _resources(files: dict[str, str]) -> set[str]:
    docs = yaml.safe_load_all(files.get("manifests.yaml", ""))
    return {f"{d['kind']} {d['metadata'].get('namespace', '-')}/{d['metadata']['name']}" for d in docs if d}


def _short(value: Any, limit: int = 60) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    text = text[:-4] if text.endswith("\n...") else text
    return text if len(text) <= limit else text[: limit - 3] + "..."


def diff_stack(stack: str, old_root: Path, new_root: Path) -> StackDiff:
    old, new = _files(old_root), _files(new_root)
    result = StackDiff(stack)
    if not old and new:
        result.summary.append("stack added")
    elif old and not new:
        result.summary.append("stack removed")

    old_rules, new_rules = _rules(old), _rules(new)
    for key in sorted(new_rules.keys() - old_rules.keys()):
        result.summary.append(f"rule added    {key}")
    for key in sorted(old_rules.keys() - new_rules.keys()):
        result.summary.append(f"rule removed  {key}")
    for key in sorted(old_rules.keys() & new_rules.keys()):
        if old_rules[key] != new_rules[key]:
            fields = sorted(f for f in set(old_rules[key]) | set(new_rules[key])
                            if old_rules[key].get(f) != new_rules[key].get(f))
            result.summary.append(f"rule changed  {key} ({', '.join(fields)})")

    old_panels, new_panels = _panels(old), _panels(new)
    for key in sorted(old_panels.keys() | new_panels.keys()):
        result.summary += _panel_lines(key, old_panels.get(key), new_panels.get(key))

    old_values, new_values = _values(old), _values(new)
    for key in sorted(old_values.keys() | new_values.keys()):
        if old_values.get(key, "<unset>") != new_values.get(key, "<unset>"):
            before = _short(old_values[key]) if key in old_values else "<unset>"
            after = _short(new_values[key]) if key in new_values else "<unset>"
            result.summary.append(f"value         {key}: {before} -> {after}")

    old_res, new_res = _resources(old), _resources(new)
    for key in sorted(new_res - old_res):
        result.summary.append(f"resource +    {key}")
    for key in sorted(old_res - new_res):
        result.summary.append(f"resource -    {key}")

    for path in sorted(old.keys() | new.keys()):
        if path == "summary.txt" or old.get(path) == new.get(path):
            continue
        result.unified += difflib.unified_diff(
            old.get(path, "").splitlines(keepends=True), new.get(path, "").splitlines(keepends=True),
            fromfile=f"a/{stack}/{path}", tofile=f"b/{stack}/{path}")
    return result


def diff_trees(old_root: Path, new_root: Path, stacks: list[str]) -> list[StackDiff]:
    return [diff_stack(s, old_root / s, new_root / s) for s in stacks]


def format_diffs(diffs: list[StackDiff], ref: str) -> str:
    lines = []
    for d in diffs:
        lines.append(f"== stack {d.stack}: " + ("changes against " + ref if d.changed else "no change") + " ==")
        lines += [f"  {s}" for s in d.summary]
        if d.unified:
            lines.append("")
            lines += [u.rstrip("\n") for u in d.unified]
        lines.append("")
    return "\n".join(lines)
