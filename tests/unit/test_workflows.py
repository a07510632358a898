"""The GitHub workflows cover exactly the stacks that exist, in the right order."""

import re

import yaml

from monitoring.settings import Role
from monitoring.stacks import load_stack, stack_names
from scripts.pr_comment import GITHUB_COMMENT_LIMIT, MARKER, build_comment
from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def _load(name):
    # PyYAML reads the bare key `on` as True.
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True)
    return doc


def _matrix_stacks(job):
    return [entry["stack"] for entry in job["strategy"]["matrix"]["include"]]


def _pulumi_steps(job):
    return [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]


def test_pull_requests_preview_every_stack_file():
    wf = _load("preview.yml")
    assert "pull_request" in wf["on"]
    preview = wf["jobs"]["preview"]
    assert sorted(_matrix_stacks(preview)) == stack_names()
    (step,) = _pulumi_steps(preview)
    assert step["with"]["command"] == "preview" and step["with"]["diff"] is True
    assert step["with"]["comment-on-pr"] is False  # one aggregated comment instead
    comment = wf["jobs"]["comment"]
    assert comment["needs"] == "preview"
    build = next(s for s in comment["steps"] if "pr_comment.py" in str(s.get("run", "")))
    listed = re.search(r"--stacks (\S+)", build["run"]).group(1).split(",")
    assert sorted(listed) == stack_names()


def test_pushes_to_main_deploy_regions_before_the_global_stack():
    wf = _load("deploy.yml")
    assert wf["on"]["push"]["branches"] == ["main"]
    roles = {s: load_stack(s).role for s in stack_names()}
    regions, glob = wf["jobs"]["regions"], wf["jobs"]["global"]
    assert sorted(_matrix_stacks(regions)) == sorted(s for s, r in roles.items() if r is Role.REGIONAL)
    assert _matrix_stacks(glob) == [s for s, r in roles.items() if r is Role.GLOBAL]
    assert glob["needs"] == "regions"
    for job in (regions, glob):
        (step,) = _pulumi_steps(job)
        assert step["with"]["command"] == "up"


def test_the_pulumi_action_is_pinned_to_a_major_version_everywhere():
    for path in WORKFLOWS.glob("*.yml"):
        for ref in re.findall(r"uses: (pulumi/actions@\S+)", path.read_text()):
            assert re.fullmatch(r"pulumi/actions@v\d+", ref), (path.name, ref)


def test_every_secret_and_variable_the_workflows_use_is_documented():
    readme = (ROOT / "README.md").read_text()
    used = set()
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        used |= set(re.findall(r"secrets\.([A-Z_]+)", text)) | set(re.findall(r"vars\.([A-Z_]+)", text))
        used |= set(re.findall(r"kubeconfig: (KUBECONFIG_[A-Z0-9_]+)", text))
    assert used >= {"PULUMI_ACCESS_TOKEN", "PULUMI_ORG", "KUBECONFIG_PROD"}
    missing = sorted(name for name in used - {"GITHUB_TOKEN"} if f"`{name}`" not in readme)
    assert missing == []


def test_the_comment_has_a_section_per_stack_and_fits_githubs_limit():
    render = "".join(f"== stack {s}: changes against main ==\n  value x: 1 -> 2\n\n" + "+ line\n" * 20000
                     for s in stack_names())
    previews = {s: f"Previewing update ({s})\n" + "~ kubernetes:helm.sh/v3:Release\n" * 5000 for s in stack_names()}
    body = build_comment(render, previews, stack_names())
    assert body.startswith(MARKER)
    assert len(body) <= GITHUB_COMMENT_LIMIT
    for stack in stack_names():
        assert f"<b>{stack}</b>: changes against main" in body
        assert f"Previewing update ({stack})" in body
    assert "trimmed to fit the comment" in body


def test_a_small_comment_is_not_trimmed():
    body = build_comment("== stack dev: no change ==\n\n", {"dev": "no changes"}, ["dev"])
    assert "trimmed" not in body and "no changes" in body
