"""Build the single pull-request comment that reports every stack's changes.

Input: the output of ``python -m monitoring.render --diff BASE`` (all stacks)
and a folder of ``pulumi preview --diff`` outputs named ``<stack>.txt`` (none
for a stack that is not previewed live: dev stacks, and every stack of a pull
request from a fork). Output: one Markdown body with a section per stack,
trimmed so the whole fits GitHub's comment size limit, starting with a marker
the workflow uses to find and update the comment in place.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

MARKER = "<!-- mcp-mesh-monitoring:stack-previews -->"
GITHUB_COMMENT_LIMIT = 65536
TRIMMED = "\n… trimmed to fit the comment; the full output is in the workflow run's artifacts\n"
_STACK_HEADER = re.compile(r"^== stack (?P<stack>\S+): (?P<state>.*) ==$", re.M)


def split_render_diff(text: str) -> dict[str, tuple[str, str]]:
    """stack -> (state line, body) from the render's --diff output."""
    matches = list(_STACK_HEADER.finditer(text))
    out = {}
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        out[m["stack"]] = (m["state"], text[m.end():end].strip("\n"))
    return out


def _trim(text: str, budget: int) -> str:
    if len(text) <= budget:
        return text
    return text[: max(0, budget - len(TRIMMED))] + TRIMMED


def build_comment(render_diff: str, previews: dict[str, str], stacks: list[str],
                  limit: int = GITHUB_COMMENT_LIMIT) -> str:
    sections = split_render_diff(render_diff)
    header = f"{MARKER}\n## Stack previews\n\n"
    overhead_per_stack = 400  # headings, fences and <details> around the two blocks
    budget = max(200, (limit - len(header)) // max(1, len(stacks)) - overhead_per_stack)
    parts = [header]
    for stack in stacks:
        state, body = sections.get(stack, ("not rendered", ""))
        preview = previews.get(stack, "(no pulumi preview in this run: offline render only)")
        render_budget = budget // 2 if body else 0
        parts.append(
            f"<details><summary><b>{stack}</b>: {state}</summary>\n\n"
            f"Offline render (`python -m monitoring.render --diff`):\n\n"
            f"```diff\n{_trim(body, render_budget) or 'no change'}\n```\n\n"
            f"`pulumi preview --diff`:\n\n"
            f"```\n{_trim(preview.strip(), budget - render_budget)}\n```\n</details>\n\n"
        )
    comment = "".join(parts)
    return comment if len(comment) <= limit else comment[: limit - len(TRIMMED)] + TRIMMED


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--render-diff", required=True, type=Path)
    parser.add_argument("--previews", required=True, type=Path)
    parser.add_argument("--stacks", help="comma-separated stack names, in order "
                        "(default: the stacks of the render diff, which renders every stack file)")
    parser.add_argument("--out", required=True, type=Path)
    args = parser.parse_args(argv)
    previews = {p.stem: p.read_text() for p in args.previews.glob("*.txt")} if args.previews.is_dir() else {}
    render_diff = args.render_diff.read_text()
    stacks = args.stacks.split(",") if args.stacks else list(split_render_diff(render_diff))
    body = build_comment(render_diff, previews, stacks)
    args.out.write_text(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
