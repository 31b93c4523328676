"""The install lines the README gives: the container, the GitHub Action, pip from a checkout."""

from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest
import yaml
from click.testing import CliRunner

from paths import ROOT
from ssmreach.cli.app import cli


def _docker_works() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _docker_works(), reason="no Docker daemon on this machine")
def test_the_container_builds_and_runs() -> None:
    subprocess.run(["docker", "build", "-q", "-t", "ssmreach-test", str(ROOT)], check=True)
    out = subprocess.run(
        ["docker", "run", "--rm", "ssmreach-test", "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "ssmreach" in out.stdout


def test_the_dockerfile_installs_the_package_and_runs_ssmreach() -> None:
    text = (ROOT / "Dockerfile").read_text()
    assert "pip install --no-cache-dir ." in text and 'ENTRYPOINT ["ssmreach"]' in text
    for copied in ("pyproject.toml", "README.md", "src"):
        assert (ROOT / copied).exists(), copied


def test_the_action_runs_check_with_options_check_has() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    steps = action["runs"]["steps"]
    runs = [s["run"] for s in steps if "run" in s]
    [check] = [r for r in runs if r.startswith("ssmreach check")]
    help_text = CliRunner().invoke(cli, ["check", "--help"]).output
    default_args = shlex.split(action["inputs"]["args"]["default"])
    for option in [
        w for w in shlex.split(check.replace("${{ inputs.args }}", "")) if w.startswith("--")
    ] + default_args:
        assert option in help_text, option
    assert any(s.get("uses", "").startswith("github/codeql-action/upload-sarif") for s in steps)
