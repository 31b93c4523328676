"""Terraform JSON plans built by hand, in the shape `terraform show -json` writes (format 1.2,
as in tests/data/terraform/*/plan.json), and the example snapshots they are laid over."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import msgspec

from paths import EXAMPLES
from ssmreach.analysis.engine import CheckOptions, check_estate
from ssmreach.analysis.features import DEFAULT_FEATURES
from ssmreach.analysis.verdict import CheckResult
from ssmreach.model.raw import OperationKey, RawFile, RawOk, RawSnapshot, read_raw_snapshot
from ssmreach.model.reader import parse_snapshot
from ssmreach.preview.overlay import Overlay, overlay_plan
from ssmreach.preview.plan_document import TerraformPlan, decode_plan, strip_keys

ACCOUNT = "111122223333"
REGION = "us-east-1"
PARTLY = EXAMPLES / "partly-private"
TRAP = EXAMPLES / "default-sg-trap"

# partly-private (examples/snapshots/partly-private/README.md)
VPC = "vpc-0348961dbf0c8c606"
WEB_SUBNET = "subnet-0db5458934dc7da41"
APP_TABLE = "rtb-0dfeb02a3226550eb"
NAT = "nat-05db16c6e23bda3c6"
SSM_ENDPOINT = "vpce-0fe9e1694d41f67d5"
APP_GROUP = "sg-065acc7a887c76264"
ENDPOINT_GROUP = "sg-070e3c8f814f601d7"
DEFAULT_ACL = "acl-0297ca6a3b798d13b"

Doc = dict[str, Any]
Verdicts = dict[tuple[str, str], str]


def const(value: Any) -> Doc:
    """An expression written as a constant."""
    return {"constant_value": value}


def refs(*references: str) -> Doc:
    """An expression naming other objects, most specific first (as Terraform lists them)."""
    return {"references": list(references)}


def change(
    address: str,
    resource_type: str,
    actions: Iterable[str],
    *,
    before: Doc | None = None,
    after: Doc | None = None,
    unknown: Doc | None = None,
    module: str | None = None,
    index: Any = None,
    mode: str = "managed",
) -> Doc:
    """One `resource_changes` entry."""
    entry: Doc = {
        "address": address,
        "mode": mode,
        "type": resource_type,
        "name": strip_keys(address).split(".")[-1],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "change": {
            "actions": list(actions),
            "before": before,
            "after": after,
            "after_unknown": unknown if unknown is not None else {},
            "before_sensitive": False if before is None else {},
            "after_sensitive": False if after is None else {},
        },
    }
    if module is not None:
        entry["module_address"] = module
    if index is not None:
        entry["index"] = index
    return entry


def created(address: str, resource_type: str, after: Doc, unknown: Doc | None = None) -> Doc:
    """A resource the plan creates; its `id` is known only after apply."""
    return change(
        address, resource_type, ["create"], after=after, unknown={"id": True, **(unknown or {})}
    )


def deleted(address: str, resource_type: str, before: Doc) -> Doc:
    return change(address, resource_type, ["delete"], before=before)


def resource(address: str, resource_type: str, expressions: Doc) -> Doc:
    """One `configuration` resource (address local to its module)."""
    return {
        "address": address,
        "mode": "managed",
        "type": resource_type,
        "name": address.split(".")[-1],
        "provider_config_key": "aws",
        "schema_version": 0,
        "expressions": expressions,
    }


def module_call(expressions: Doc, resources: Iterable[Doc] = (), outputs: Doc | None = None) -> Doc:
    return {
        "source": "./module",
        "expressions": expressions,
        "module": {"resources": list(resources), "outputs": outputs or {}},
    }


def plan(
    changes: Iterable[Doc],
    resources: Iterable[Doc] = (),
    *,
    module_calls: Doc | None = None,
    variables: Mapping[str, Any] | None = None,
    prior_state: Doc | None = None,
    region: str | None = REGION,
) -> Doc:
    """A whole plan document; `region` None: the provider block sets no Region."""
    provider: Doc = {
        "name": "aws",
        "full_name": "registry.terraform.io/hashicorp/aws",
        "expressions": {"access_key": const("offline")},
    }
    values = dict(variables or {})
    if region is not None:
        provider["expressions"]["region"] = refs("var.region")
        values.setdefault("region", region)
    doc: Doc = {
        "format_version": "1.2",
        "terraform_version": "1.11.4",
        "applyable": True,
        "complete": True,
        "errored": False,
        "variables": {name: {"value": value} for name, value in values.items()},
        "resource_changes": list(changes),
        "configuration": {
            "provider_config": {"aws": provider},
            "root_module": {"resources": list(resources), "module_calls": module_calls or {}},
        },
    }
    if prior_state is not None:
        doc["prior_state"] = prior_state
    return doc


def data_state(*resources: Doc, child_modules: Iterable[Doc] = ()) -> Doc:
    """`prior_state` holding data sources read at plan time."""
    return {
        "format_version": "1.0",
        "terraform_version": "1.11.4",
        "values": {
            "root_module": {"resources": list(resources), "child_modules": list(child_modules)}
        },
    }


def data_source(address: str, resource_type: str, values: Doc) -> Doc:
    return {
        "address": address,
        "mode": "data",
        "type": resource_type,
        "name": strip_keys(address).split(".")[-1],
        "provider_name": "registry.terraform.io/hashicorp/aws",
        "schema_version": 0,
        "values": values,
    }


def decode(doc: Doc) -> TerraformPlan:
    return decode_plan(json.dumps(doc).encode(), "plan.json")


def snapshot(folder: str = "partly-private") -> RawSnapshot:
    return read_raw_snapshot(EXAMPLES / folder)


def lay(doc: Doc, raw: RawSnapshot | None, *, account: str | None = None) -> Overlay:
    return overlay_plan(decode(doc), raw, account=account)


def key(operation: str, service: str = "ec2", region: str = REGION) -> OperationKey:
    return OperationKey(ACCOUNT, region, service, operation)


def with_files(raw: RawSnapshot, files: Mapping[OperationKey, RawFile]) -> RawSnapshot:
    """The snapshot with some operations' answers replaced."""
    return RawSnapshot(manifest=raw.manifest, files={**dict(raw.files), **files}, source=raw.source)


def records(raw: RawSnapshot, operation: str, service: str = "ec2") -> Any:
    file = raw.files[key(operation, service)]
    assert isinstance(file, RawOk), file
    return msgspec.json.decode(file.body)


def edited(raw: RawSnapshot, operation: str, edit: Callable[[Any], None]) -> RawSnapshot:
    """The snapshot with one operation's decoded answer changed in place by `edit`."""
    body = records(raw, operation)
    edit(body)
    return with_files(raw, {key(operation): RawOk(msgspec.json.encode(body))})


def check(raw: RawSnapshot) -> CheckResult:
    return check_estate(parse_snapshot(raw), CheckOptions(features=DEFAULT_FEATURES))


def verdicts(raw: RawSnapshot) -> Verdicts:
    result = check(raw)
    return {(r.name or r.instance, r.feature): r.verdict.value for r in result.results}


def codes(raw: RawSnapshot, name: str, feature: str) -> set[str]:
    for r in check(raw).results:
        if (r.name or r.instance, r.feature) == (name, feature):
            return {x.code for x in r.reasons}
    raise AssertionError(f"no result for {name} {feature}")


def services(raw: RawSnapshot, name: str, feature: str) -> dict[str, str]:
    """Each service's verdict within one result."""
    for r in check(raw).results:
        if (r.name or r.instance, r.feature) == (name, feature):
            return {s.service: s.verdict.value for s in r.services}
    raise AssertionError(f"no result for {name} {feature}")
