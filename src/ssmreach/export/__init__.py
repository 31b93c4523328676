"""Plans as infrastructure code (pure renderers of a `Plan`, never of raw analysis).

cloudformation.py  `render_cloudformation(plan, "yaml"|"json")`: one template
terraform.py       `render_terraform(plan)` / `write_terraform(plan, folder)`: .tf files
hcl.py             the small HCL writer the Terraform exporter uses
"""

from __future__ import annotations

from ssmreach.export.cloudformation import render_cloudformation, template_for
from ssmreach.export.common import ExportError
from ssmreach.export.terraform import render_terraform, write_terraform

__all__ = [
    "ExportError",
    "render_cloudformation",
    "render_terraform",
    "template_for",
    "write_terraform",
]
