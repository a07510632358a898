"""The GitHub workflows: linted by actionlint and zizmor, least privilege,
secrets only where used, nothing for forks but the offline render, and
matrices that come from the stack files."""

import json
import re
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

from monitoring.roles import Role
from monitoring.stacks import ci_matrix, stack_names
from scripts.pr_comment import GITHUB_COMMENT_LIMIT, MARKER, build_comment, main as pr_comment_main
from tests.conftest import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"
SAME_REPO = "github.event.pull_request.head.repo.full_name == github.repository"
EXPRESSION = re.compile(r"\$\{\{(.*?)\}\}", re.S)
# The stacks of this repository's stack files that CI deploys (the CLI itself: tests/unit/test_roles.py).
DEPLOYED = ["prod", "prod-eu-west-1", "prod-us-east-1", "prod-us-west-2"]


def _load(name):
    # PyYAML reads the bare key `on` as True.
    doc = yaml.safe_load((WORKFLOWS / name).read_text())
    doc["on"] = doc.pop(True)
    return doc


def _workflows():
    return {path.name: _load(path.name) for path in sorted(WORKFLOWS.glob("*.yml"))}


def _jobs():
    return [(name, job_id, job) for name, wf in _workflows().items() for job_id, job in wf["jobs"].items()]


def _strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)


def _expressions(node):
    return [m.group(1).strip() for s in _strings(node) for m in EXPRESSION.finditer(s)]


def _secrets(job):
    return sorted(name for e in _expressions(job) for name in re.findall(r"\bsecrets\.([A-Za-z0-9_]+)", e))


def _pulumi_steps(job):
    return [s for s in job["steps"] if s.get("uses", "").startswith("pulumi/actions@")]


def _tool(name):
    """A linter binary installed by requirements-dev.txt (its wheel ships it)."""
    for folder in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        if (Path(folder) / name).is_file():
            return str(Path(folder) / name)
    found = shutil.which(name)
    assert found, f"{name} is not installed: pip install -r requirements-dev.txt"
    return found


# --- the linters ---------------------------------------------------------------------------------

def test_actionlint_with_shellcheck_finds_nothing():
    files = sorted(str(p) for p in WORKFLOWS.glob("*.yml"))
    assert len(files) == 2
    run = subprocess.run([_tool("actionlint"), "-no-color", f"-shellcheck={_tool('shellcheck')}", *files],
                         capture_output=True, text=True, cwd=ROOT)
    assert (run.returncode, run.stdout + run.stderr) == (0, "")


def _zizmor(*args):
    run = subprocess.run([_tool("zizmor"), "--offline", "--persona", "pedantic", "--format", "json",
                          "--no-exit-codes", *args, ".github/workflows/"],
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_zizmor_pedantic_finds_nothing_with_the_checked_in_config():
    findings = _zizmor("--config", str(ZIZMOR_CONFIG))
    assert [(f["ident"], f["desc"]) for f in findings] == []


def test_the_config_relaxes_only_tag_pinning_of_the_actions_used_and_says_why():
    # Without the config, the only findings are the tag-pinned action references,
    # one per `uses:` of each action the config names, and nothing else.
    findings = _zizmor("--no-config")
    assert {f["ident"] for f in findings} == {"unpinned-uses"}
    config = yaml.safe_load(ZIZMOR_CONFIG.read_text())
    assert set(config["rules"]) == {"unpinned-uses"}
    policies = config["rules"]["unpinned-uses"]["config"]["policies"]
    assert policies.pop("*") == "hash-pin"
    uses = [ref for wf in _workflows().values() for ref in _uses(wf)]
    assert set(policies) == {ref.split("@")[0] for ref in uses}
    assert set(policies.values()) == {"ref-pin"}
    assert len(findings) == len(uses)
    text = ZIZMOR_CONFIG.read_text()
    assert "could not" in text and "be verified offline" in text  # the reason, next to the entries


def _uses(wf):
    return [step["uses"] for job in wf["jobs"].values() for step in job.get("steps", []) if "uses" in step]


def test_every_action_is_pinned_to_an_exact_release_tag_or_a_commit_and_alike_everywhere():
    refs = {}
    for name, wf in _workflows().items():
        for ref in _uses(wf):
            action, _, version = ref.partition("@")
            assert re.fullmatch(r"v\d+\.\d+\.\d+|[0-9a-f]{40}", version), (name, ref)
            refs.setdefault(action, set()).add(version)
    assert {a: len(v) for a, v in refs.items() if len(v) > 1} == {}
    assert "pulumi/actions" in refs


# --- least privilege -------------------------------------------------------------------------------

# What each job may do with the GITHUB_TOKEN, exactly.
JOB_PERMISSIONS = {
    ("preview.yml", "stacks"): {"contents": "read"},
    ("preview.yml", "preview"): {"contents": "read"},
    ("preview.yml", "report"): {"contents": "read"},
    ("preview.yml", "comment"): {"pull-requests": "write"},
    ("deploy.yml", "stacks"): {"contents": "read"},
    ("deploy.yml", "regions"): {"contents": "read"},
    ("deploy.yml", "global"): {"contents": "read"},
}


def test_workflows_grant_nothing_and_each_job_declares_only_what_it_needs():
    for name, wf in _workflows().items():
        assert wf["permissions"] == {}, name
    assert {(name, job_id): job.get("permissions") for name, job_id, job in _jobs()} == JOB_PERMISSIONS


def test_only_the_comment_job_writes_and_it_runs_no_repository_code():
    writers = [(name, job_id) for name, job_id, job in _jobs() if "write" in job["permissions"].values()]
    assert writers == [("preview.yml", "comment")]
    comment = _load("preview.yml")["jobs"]["comment"]
    assert not any("run" in s or s.get("uses", "").startswith("actions/checkout@") for s in comment["steps"])
    assert _secrets(comment) == []


def test_every_checkout_leaves_no_credentials_behind():
    checkouts = [(name, job_id, step) for name, job_id, job in _jobs() for step in job["steps"]
                 if step.get("uses", "").startswith("actions/checkout@")]
    assert len(checkouts) == 6  # no workflow pushes, so none keeps the token
    for name, job_id, step in checkouts:
        assert step.get("with", {}).get("persist-credentials") is False, (name, job_id)


def test_no_expression_is_expanded_inside_a_shell_script():
    for name, job_id, job in _jobs():
        for step in job["steps"]:
            assert "${{" not in step.get("run", ""), (name, job_id, step["run"])
    # The base branch reaches the render through the environment.
    (render,) = [s for s in _load("preview.yml")["jobs"]["report"]["steps"] if "monitoring.render" in s.get("run", "")]
    assert '"origin/$BASE_REF"' in render["run"] and render["env"]["BASE_REF"] == "${{ github.base_ref }}"


# --- secrets only where used --------------------------------------------------------------------------

def test_secrets_are_named_never_indexed_and_only_cluster_jobs_read_them():
    for name, wf in _workflows().items():
        for expr in _expressions(wf):
            if "secrets" in expr:
                assert re.fullmatch(r"secrets\.[A-Z_]+", expr), (name, expr)
    readers = {(name, job_id): _secrets(job) for name, job_id, job in _jobs() if _secrets(job)}
    assert readers == {
        ("preview.yml", "preview"): ["KUBECONFIG", "PULUMI_ACCESS_TOKEN"],
        ("deploy.yml", "regions"): ["KUBECONFIG", "PULUMI_ACCESS_TOKEN"],
        ("deploy.yml", "global"): ["KUBECONFIG", "PULUMI_ACCESS_TOKEN"],
    }


def test_each_cluster_job_reads_its_own_stacks_kubeconfig_from_its_stacks_environment():
    # `secrets.KUBECONFIG` resolves in the job's environment, one per stack, so a
    # matrix job can read its own cluster's kubeconfig and no other.
    environments = {("preview.yml", "preview"): "preview-${{ matrix.stack }}",
                    ("deploy.yml", "regions"): "${{ matrix.stack }}",
                    ("deploy.yml", "global"): "${{ matrix.stack }}"}
    for (name, job_id), environment in environments.items():
        job = _load(name)["jobs"][job_id]
        assert job["environment"] == environment
        assert job["strategy"]["matrix"].startswith("${{ fromJSON(needs.stacks.outputs.")
        (pulumi,) = _pulumi_steps(job)
        assert pulumi["with"]["stack-name"] == "${{ vars.PULUMI_ORG }}/${{ matrix.stack }}"
    assert {(name, job_id) for name, job_id, job in _jobs() if "environment" in job} == set(environments)


def test_pull_requests_from_forks_get_the_offline_render_and_nothing_else():
    jobs = _load("preview.yml")["jobs"]
    guarded = {job_id for job_id, job in jobs.items() if SAME_REPO in str(job.get("if", ""))}
    holders = {job_id for job_id, job in jobs.items()
               if _secrets(job) or "environment" in job or "write" in job["permissions"].values()}
    assert holders == {"preview", "comment"} and holders <= guarded
    # The render job runs for every pull request, even when the previews were skipped.
    report = jobs["report"]
    assert SAME_REPO not in str(report["if"]) and "!cancelled()" in report["if"]
    assert report["needs"] == "preview"
    assert any("monitoring.render --diff" in s.get("run", "") for s in report["steps"])
    (download,) = [s for s in report["steps"] if s.get("uses", "").startswith("actions/download-artifact@")]
    assert download["if"] == "needs.preview.result != 'skipped'"  # no artifact to find then


# --- matrices from the stack files ----------------------------------------------------------------------

def _matrix_command(wf, output):
    """The `python -m monitoring.stacks` arguments that fill a setup job's output."""
    stacks = wf["jobs"]["stacks"]
    step_id, name = re.fullmatch(r"\$\{\{ steps\.(\w+)\.outputs\.(\w+) \}\}", stacks["outputs"][output]).groups()
    (step,) = [s for s in stacks["steps"] if s.get("id") == step_id]
    line = next(line for line in step["run"].splitlines() if line.startswith(f'echo "{name}=$('))
    args = re.fullmatch(rf'echo "{name}=\$\(python -m monitoring\.stacks (.*)\)" >> "\$GITHUB_OUTPUT"', line).group(1)
    return args.split()


def _matrix_of(args):
    assert args[0] == "--matrix"
    role = Role(args[2]) if args[1:2] == ["--role"] else None
    assert len(args) == (3 if role else 1)
    return ci_matrix(role)


def test_pull_requests_preview_every_deployed_stack_and_render_every_stack_file():
    wf = _load("preview.yml")
    assert "pull_request" in wf["on"]
    preview = wf["jobs"]["preview"]
    assert preview["needs"] == "stacks"
    assert preview["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.matrix) }}"
    assert _matrix_of(_matrix_command(wf, "matrix")) == ci_matrix()
    assert [e["stack"] for e in ci_matrix()["include"]] == DEPLOYED
    (step,) = _pulumi_steps(preview)
    assert step["with"]["command"] == "preview" and step["with"]["diff"] is True
    assert step["with"]["comment-on-pr"] is False  # one aggregated comment instead
    build = next(s for s in wf["jobs"]["report"]["steps"] if "pr_comment" in s.get("run", ""))
    assert "--stacks" not in build["run"]  # the render diff's stacks: every stack file


def test_pushes_to_main_deploy_regions_before_the_global_stack():
    wf = _load("deploy.yml")
    assert wf["on"] == {"push": {"branches": ["main"]}}
    regions, glob = wf["jobs"]["regions"], wf["jobs"]["global"]
    assert regions["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.regional) }}"
    assert glob["strategy"]["matrix"] == "${{ fromJSON(needs.stacks.outputs.global) }}"
    assert _matrix_command(wf, "regional") == ["--matrix", "--role", "regional"]
    assert _matrix_command(wf, "global") == ["--matrix", "--role", "global"]
    assert sorted(glob["needs"]) == ["regions", "stacks"] and regions["needs"] == "stacks"
    for job in (regions, glob):
        (step,) = _pulumi_steps(job)
        assert step["with"]["command"] == "up"


def test_no_workflow_lists_a_stack():
    for path in WORKFLOWS.glob("*.yml"):
        text = path.read_text()
        for stack in stack_names():
            assert not re.search(rf"(?<![\w-]){re.escape(stack)}(?![\w-])", text), \
                (path.name, stack)
        assert "include:" not in text


# --- documentation -------------------------------------------------------------------------------

def test_every_secret_variable_and_environment_the_workflows_use_is_documented():
    readme = (ROOT / "README.md").read_text()
    used = set()
    for wf in _workflows().values():
        for expr in _expressions(wf):
            used |= set(re.findall(r"\b(?:secrets|vars)\.([A-Z_]+)", expr))
    assert used == {"PULUMI_ACCESS_TOKEN", "PULUMI_ORG", "KUBECONFIG"}
    missing = sorted(name for name in used if f"`{name}`" not in readme)
    assert missing == []
    assert "`preview-<stack>`" in readme and "`<stack>`" in readme  # the environments
    assert "KUBECONFIG_" not in readme  # the per-stack repository secrets are gone


# --- the comment ---------------------------------------------------------------------------------

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


def test_without_a_stack_list_the_comment_covers_the_render_diffs_stacks(tmp_path):
    (tmp_path / "render-diff.txt").write_text(
        "== stack dev: no change ==\n\n== stack prod: changes against main ==\n  value x: 1 -> 2\n")
    (tmp_path / "previews").mkdir()
    (tmp_path / "previews" / "prod.txt").write_text("Previewing update (prod)\n")
    assert pr_comment_main(["--render-diff", str(tmp_path / "render-diff.txt"),
                            "--previews", str(tmp_path / "previews"), "--out", str(tmp_path / "c.md")]) == 0
    body = (tmp_path / "c.md").read_text()
    assert body.index("<b>dev</b>: no change") < body.index("<b>prod</b>: changes against main")
    assert "Previewing update (prod)" in body
    assert body.count("no pulumi preview in this run: offline render only") == 1  # dev's section


@pytest.mark.parametrize("name", ["preview.yml", "deploy.yml"])
def test_cluster_jobs_write_the_kubeconfig_readable_by_the_runner_user_only(name):
    for job in _load(name)["jobs"].values():
        for step in job["steps"]:
            if "KUBECONFIG_CONTENT" in step.get("env", {}):
                assert step["env"]["KUBECONFIG_CONTENT"] == "${{ secrets.KUBECONFIG }}"
                assert "umask 077" in step["run"]
