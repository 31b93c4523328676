"""Record real Terraform JSON plans for the `--terraform-plan` tests.

For each case folder under tests/data/terraform/ (its .tf files, plus the shared
provider.tf.in), run `terraform init` against the offline provider mirror, `terraform
plan` (creates only: no AWS call is made) and `terraform show -json`, and write the
result to <case>/plan.json. Needs terraform and the AWS provider in a filesystem mirror
(default /opt/tf-plugins, or TF_PLUGIN_MIRROR).

    python scripts/record_terraform_plans.py            # every case
    python scripts/record_terraform_plans.py new-vpc    # one
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CASES = ROOT / "tests" / "data" / "terraform"
MIRROR = Path(os.environ.get("TF_PLUGIN_MIRROR", "/opt/tf-plugins"))


def _env(work: Path) -> dict[str, str]:
    rc = work / "terraformrc"
    rc.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path = "{MIRROR}"\n'
        '    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n'
    )
    return {
        **os.environ,
        "TF_CLI_CONFIG_FILE": str(rc),
        "CHECKPOINT_DISABLE": "1",
        "TF_IN_AUTOMATION": "1",
    }


def record(case: Path, terraform: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder = work / case.name
        shutil.copytree(case, folder, ignore=shutil.ignore_patterns("plan.json"))
        shutil.copy(CASES / "provider.tf.in", folder / "provider.tf")
        env = _env(work)
        for args in (["init", "-input=false"], ["plan", "-input=false", "-out=plan.out"]):
            subprocess.run(
                [terraform, *args, "-no-color"],
                cwd=folder,
                env=env,
                check=True,
                capture_output=True,
            )
        shown = subprocess.run(
            [terraform, "show", "-json", "plan.out"],
            cwd=folder,
            env=env,
            check=True,
            capture_output=True,
        )
    plan = json.loads(shown.stdout)
    (case / "plan.json").write_text(json.dumps(plan, indent=1, sort_keys=True) + "\n")
    print(f"{case.name}: {len(plan.get('resource_changes', []))} resource changes")


def main() -> None:
    terraform = shutil.which("terraform")
    if terraform is None or not MIRROR.is_dir():
        sys.exit("needs terraform and an offline AWS provider mirror (TF_PLUGIN_MIRROR)")
    names = sys.argv[1:] or sorted(p.name for p in CASES.iterdir() if (p / "main.tf").is_file())
    for name in names:
        record(CASES / name, terraform)


if __name__ == "__main__":
    main()
