"""Plans as infrastructure code (pure renderers of a `Plan`, never of raw analysis).

cloudformation.py  `render_cloudformation(plan, "yaml"|"json")`: one template;
                   `render_stack_templates(plan)`: one per account and Region, and a README
terraform.py       `render_terraform(plan)` / `write_terraform(plan, folder)`: .tf files
hcl.py             the small HCL writer the Terraform exporter uses
"""

from __future__ import annotations

from ssmreach.export.cloudformation import (
    render_cloudformation,
    render_stack_templates,
    stack_templates,
    template_for,
)
from ssmreach.export.common import ExportError
from ssmreach.export.terraform import render_terraform, write_terraform

__all__ = [
    "ExportError",
    "render_cloudformation",
    "render_stack_templates",
    "render_terraform",
    "stack_templates",
    "template_for",
    "write_terraform",
]
