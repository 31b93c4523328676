"""`preview.references`: values known only after apply, followed through the plan's
configuration to the ids ssmreach gives the planned resources."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Mapping
from typing import Any

import pytest

from paths import ROOT
from preview.plan_builders import (
    ACCOUNT,
    REGION,
    VPC,
    Doc,
    change,
    const,
    created,
    data_source,
    data_state,
    decode,
    lay,
    module_call,
    plan,
    refs,
    resource,
    snapshot,
)
from ssmreach.errors import SnapshotError
from ssmreach.model.estate import Gap
from ssmreach.model.reader import parse_snapshot
from ssmreach.preview.overlay import overlay_plan
from ssmreach.preview.plan_document import ResourceChange, read_plan
from ssmreach.preview.references import (
    Placeholder,
    PlannedIds,
    Resolver,
    Unresolved,
    _most_specific,
    _walk,
)

PLANS = ROOT / "tests" / "data" / "terraform"
PLANNED_GROUP = "sg-plan0123456789ab"
PLANNED_TABLE = "rtb-plan0123456789ab"


def _resolver(
    doc: Doc, ids: Mapping[str, Mapping[str, Any]] | None = None
) -> tuple[Resolver, dict[str, ResourceChange]]:
    """The plan's resolver, with `ids` (Terraform address -> attributes) as the planned ids."""
    decoded = decode(doc)
    changes = {rc.address: rc for rc in decoded.resource_changes}
    planned = PlannedIds()
    for address, attrs in (ids or {}).items():
        planned.add(changes[address], attrs)
    return Resolver(decoded, planned), changes


def _group(vpc_id: Doc, **more: Doc) -> tuple[Doc, Doc]:
    """A planned security group whose vpc_id (and each attribute in `more`) is unknown, and
    its configuration."""
    unknown = {"vpc_id": True, **dict.fromkeys(more, True)}
    return (
        created("aws_security_group.app", "aws_security_group", {"name": "app"}, unknown),
        resource("aws_security_group.app", "aws_security_group", {"vpc_id": vpc_id, **more}),
    )


def _planned_group() -> Doc:
    return created("aws_security_group.endpoints", "aws_security_group", {"name": "endpoints"})


# --- where a value comes from ------------------------------------------------------------------


def test_a_root_variable_gives_its_value() -> None:
    group, config = _group(refs("var.vpc_id"))
    resolver, changes = _resolver(plan([group], [config], variables={"vpc_id": VPC}))
    assert resolver.scalar(changes["aws_security_group.app"], "vpc_id") == VPC


def test_a_list_variable_gives_every_element() -> None:
    endpoint = created(
        "aws_vpc_endpoint.ssm",
        "aws_vpc_endpoint",
        {"service_name": "com.amazonaws.us-east-1.ssm"},
        {"subnet_ids": True},
    )
    config = resource(
        "aws_vpc_endpoint.ssm", "aws_vpc_endpoint", {"subnet_ids": refs("var.subnets")}
    )
    resolver, changes = _resolver(
        plan([endpoint], [config], variables={"subnets": ["subnet-a", "subnet-b"]})
    )
    assert resolver.values(changes["aws_vpc_endpoint.ssm"], "subnet_ids") == [
        "subnet-a",
        "subnet-b",
    ]


def _module_plan() -> Doc:
    """Root group `endpoints`, passed to module `ep` as `sg_id`; the module's endpoint uses it."""
    endpoint = change(
        'module.ep.aws_vpc_endpoint.this["ssm"]',
        "aws_vpc_endpoint",
        ["create"],
        after={"service_name": "com.amazonaws.us-east-1.ssm", "vpc_endpoint_type": "Interface"},
        unknown={"id": True, "security_group_ids": True, "vpc_id": True, "subnet_ids": True},
        module="module.ep",
        index="ssm",
    )
    call = module_call(
        {
            "sg_id": refs("aws_security_group.endpoints.id", "aws_security_group.endpoints"),
            "vpc_id": refs("var.vpc_id"),
        },
        [
            resource(
                "aws_vpc_endpoint.this",
                "aws_vpc_endpoint",
                {
                    "security_group_ids": refs("var.sg_id"),
                    "vpc_id": refs("var.vpc_id"),
                    "subnet_ids": refs("var.subnet_ids"),
                },
            )
        ],
    )
    group = resource("aws_security_group.endpoints", "aws_security_group", {"name": const("x")})
    return plan(
        [_planned_group(), endpoint],
        [group],
        module_calls={"ep": call},
        variables={"vpc_id": VPC},
    )


def test_a_module_input_is_the_calling_modules_expression() -> None:
    resolver, changes = _resolver(
        _module_plan(), {"aws_security_group.endpoints": {"id": PLANNED_GROUP}}
    )
    endpoint = changes['module.ep.aws_vpc_endpoint.this["ssm"]']
    assert resolver.values(endpoint, "security_group_ids") == [PLANNED_GROUP]
    assert resolver.scalar(endpoint, "vpc_id") == VPC  # var in the module -> var in the root


def test_a_module_input_the_call_leaves_out_follows_to_nothing() -> None:
    """A variable at its default is a constant the plan already shows."""
    resolver, changes = _resolver(
        _module_plan(), {"aws_security_group.endpoints": {"id": PLANNED_GROUP}}
    )
    assert resolver.values(changes['module.ep.aws_vpc_endpoint.this["ssm"]'], "subnet_ids") == []


def _output_plan(reference: str) -> Doc:
    table = change(
        "module.net.aws_route_table.this",
        "aws_route_table",
        ["create"],
        after={"route": []},
        unknown={"id": True, "vpc_id": True},
        module="module.net",
    )
    route = created(
        "aws_route.default",
        "aws_route",
        {"destination_cidr_block": "0.0.0.0/0", "nat_gateway_id": "nat-1"},
        {"route_table_id": True},
    )
    call = module_call(
        {},
        [resource("aws_route_table.this", "aws_route_table", {"vpc_id": const(VPC)})],
        {"table_id": {"expression": refs("aws_route_table.this.id", "aws_route_table.this")}},
    )
    config = resource(
        "aws_route.default",
        "aws_route",
        {"route_table_id": refs(reference, "module.net"), "nat_gateway_id": const("nat-1")},
    )
    return plan([table, route], [config], module_calls={"net": call})


def test_a_module_output_is_followed_into_the_module() -> None:
    resolver, changes = _resolver(
        _output_plan("module.net.table_id"),
        {"module.net.aws_route_table.this": {"id": PLANNED_TABLE}},
    )
    assert resolver.scalar(changes["aws_route.default"], "route_table_id") == PLANNED_TABLE


def test_a_module_output_the_module_does_not_define_is_unresolved() -> None:
    resolver, changes = _resolver(
        _output_plan("module.net.nope"),
        {"module.net.aws_route_table.this": {"id": PLANNED_TABLE}},
    )
    with pytest.raises(Unresolved, match=r"module\.net\.nope, which the plan does not define"):
        resolver.scalar(changes["aws_route.default"], "route_table_id")


def test_a_whole_module_is_unresolved() -> None:
    doc = _output_plan("module.net.table_id")
    config = doc["configuration"]["root_module"]["resources"][0]
    config["expressions"]["route_table_id"] = refs("module.net")
    resolver, changes = _resolver(doc, {"module.net.aws_route_table.this": {"id": PLANNED_TABLE}})
    with pytest.raises(Unresolved, match=r"the whole of module\.net"):
        resolver.scalar(changes["aws_route.default"], "route_table_id")


def test_a_data_source_read_at_plan_time_gives_its_attributes() -> None:
    group, config = _group(
        refs("data.aws_vpc.main.id", "data.aws_vpc.main"),
        tags=refs("data.aws_vpc.main.cidr_block", "data.aws_vpc.main"),
    )
    state = data_state(
        data_source("data.aws_vpc.main", "aws_vpc", {"id": VPC, "cidr_block": "10.0.0.0/16"})
    )
    resolver, changes = _resolver(plan([group], [config], prior_state=state))
    app = changes["aws_security_group.app"]
    assert resolver.scalar(app, "vpc_id") == VPC
    assert resolver.values(app, "tags") == ["10.0.0.0/16"]


def test_a_data_source_in_a_module_is_read_from_its_child_module() -> None:
    rule = change(
        "module.net.aws_security_group.app",
        "aws_security_group",
        ["create"],
        after={"name": "app"},
        unknown={"id": True, "vpc_id": True},
        module="module.net",
    )
    call = module_call(
        {},
        [
            resource(
                "aws_security_group.app",
                "aws_security_group",
                {"vpc_id": refs("data.aws_vpc.main.id", "data.aws_vpc.main")},
            )
        ],
    )
    state = data_state(
        child_modules=[
            {
                "address": "module.net",
                "resources": [data_source("module.net.data.aws_vpc.main", "aws_vpc", {"id": VPC})],
            }
        ]
    )
    resolver, changes = _resolver(plan([rule], module_calls={"net": call}, prior_state=state))
    assert resolver.scalar(changes["module.net.aws_security_group.app"], "vpc_id") == VPC


def test_a_data_source_read_only_at_apply_is_unresolved_and_named() -> None:
    group, config = _group(refs("data.aws_vpc.main.id", "data.aws_vpc.main"))
    resolver, changes = _resolver(plan([group], [config]))
    with pytest.raises(
        Unresolved, match=r"data source data\.aws_vpc\.main, which is read only at apply"
    ):
        resolver.scalar(changes["aws_security_group.app"], "vpc_id")


def test_a_local_value_is_unresolved_naming_the_local() -> None:
    group, config = _group(refs("local.vpc_id"))
    resolver, changes = _resolver(plan([group], [config]))
    with pytest.raises(Unresolved) as raised:
        resolver.scalar(changes["aws_security_group.app"], "vpc_id")
    message = str(raised.value)
    assert "aws_security_group.app: vpc_id" in message
    assert "local.vpc_id" in message and "holds no local values" in message


def test_a_local_value_stops_the_overlay_with_an_error_naming_the_resource() -> None:
    group, config = _group(refs("local.vpc_id"))
    with pytest.raises(
        SnapshotError, match=r"^plan\.json: aws_security_group\.app: vpc_id .*local\.vpc_id"
    ):
        lay(plan([group], [config]), snapshot())


def test_two_candidates_for_one_scalar_are_unresolved() -> None:
    """`coalesce(aws_vpc.a.id, aws_vpc.b.id)`: which one it is is decided only at apply."""
    vpcs = [
        created(f"aws_vpc.{n}", "aws_vpc", {"cidr_block": f"10.{i}.0.0/16"})
        for i, n in enumerate("ab")
    ]
    group, config = _group(refs("aws_vpc.a.id", "aws_vpc.a", "aws_vpc.b.id", "aws_vpc.b"))
    resolver, changes = _resolver(
        plan([*vpcs, group], [config]),
        {"aws_vpc.a": {"id": "vpc-plana"}, "aws_vpc.b": {"id": "vpc-planb"}},
    )
    with pytest.raises(Unresolved) as raised:
        resolver.scalar(changes["aws_security_group.app"], "vpc_id")
    assert str(raised.value) == (
        "aws_security_group.app: vpc_id is known only after apply and its expression names "
        "2 candidate values (vpc-plana, vpc-planb)"
    )


def test_references_that_agree_on_one_value_are_one_candidate() -> None:
    group, config = _group(refs("var.vpc_id", "data.aws_vpc.main.id", "data.aws_vpc.main"))
    state = data_state(data_source("data.aws_vpc.main", "aws_vpc", {"id": VPC}))
    resolver, changes = _resolver(
        plan([group], [config], variables={"vpc_id": VPC}, prior_state=state)
    )
    assert resolver.scalar(changes["aws_security_group.app"], "vpc_id") == VPC


def test_a_reference_to_a_resource_ssmreach_does_not_model_is_unresolved() -> None:
    group, config = _group(refs("aws_eip.nat.id", "aws_eip.nat"))
    resolver, changes = _resolver(plan([group], [config]))
    with pytest.raises(
        Unresolved, match=r"comes from aws_eip\.nat\.id, a resource ssmreach does not model"
    ):
        resolver.scalar(changes["aws_security_group.app"], "vpc_id")


def test_an_attribute_of_a_planned_resource_ssmreach_does_not_know_is_unresolved() -> None:
    group, config = _group(refs("aws_vpc.a.arn", "aws_vpc.a"))
    doc = plan([created("aws_vpc.a", "aws_vpc", {"cidr_block": "10.0.0.0/16"}), group], [config])
    resolver, changes = _resolver(doc, {"aws_vpc.a": {"id": "vpc-plana"}})
    with pytest.raises(Unresolved, match=r"ssmreach does not know arn of aws_vpc\.a before apply"):
        resolver.scalar(changes["aws_security_group.app"], "vpc_id")


def test_an_instance_key_picks_that_instance_of_a_counted_resource() -> None:
    subnets = [
        change(
            f"aws_subnet.a[{i}]",
            "aws_subnet",
            ["create"],
            after={"cidr_block": f"10.0.{i}.0/24"},
            unknown={"id": True},
            index=i,
        )
        for i in range(2)
    ]
    endpoint = created("aws_vpc_endpoint.ssm", "aws_vpc_endpoint", {}, {"subnet_ids": True})
    config = resource(
        "aws_vpc_endpoint.ssm",
        "aws_vpc_endpoint",
        {"subnet_ids": refs("aws_subnet.a[1].id", "aws_subnet.a[1]", "aws_subnet.a")},
    )
    resolver, changes = _resolver(
        plan([*subnets, endpoint], [config]),
        {"aws_subnet.a[0]": {"id": "subnet-plan0"}, "aws_subnet.a[1]": {"id": "subnet-plan1"}},
    )
    assert resolver.values(changes["aws_vpc_endpoint.ssm"], "subnet_ids") == ["subnet-plan1"]


def test_a_whole_counted_resource_gives_every_instance_to_a_list() -> None:
    subnets = [
        change(
            f"aws_subnet.a[{i}]", "aws_subnet", ["create"], after={}, unknown={"id": True}, index=i
        )
        for i in range(2)
    ]
    endpoint = created("aws_vpc_endpoint.ssm", "aws_vpc_endpoint", {}, {"subnet_ids": True})
    config = resource(
        "aws_vpc_endpoint.ssm", "aws_vpc_endpoint", {"subnet_ids": refs("aws_subnet.a")}
    )
    resolver, changes = _resolver(
        plan([*subnets, endpoint], [config]),
        {"aws_subnet.a[0]": {"id": "subnet-plan0"}, "aws_subnet.a[1]": {"id": "subnet-plan1"}},
    )
    assert resolver.values(changes["aws_vpc_endpoint.ssm"], "subnet_ids") == [
        "subnet-plan0",
        "subnet-plan1",
    ]


def test_known_list_elements_are_kept_beside_the_followed_ones() -> None:
    """`after_unknown` marks only the unknown elements of a list `true`."""
    endpoint = change(
        "aws_vpc_endpoint.ssm",
        "aws_vpc_endpoint",
        ["create"],
        after={"security_group_ids": ["sg-0known", None]},
        unknown={"id": True, "security_group_ids": [False, True]},
    )
    config = resource(
        "aws_vpc_endpoint.ssm",
        "aws_vpc_endpoint",
        {
            "security_group_ids": refs(
                "aws_security_group.endpoints.id", "aws_security_group.endpoints"
            )
        },
    )
    resolver, changes = _resolver(
        plan([_planned_group(), endpoint], [config]),
        {"aws_security_group.endpoints": {"id": PLANNED_GROUP}},
    )
    assert resolver.values(changes["aws_vpc_endpoint.ssm"], "security_group_ids") == [
        "sg-0known",
        PLANNED_GROUP,
    ]


# --- what the provider computes ---------------------------------------------------------------


def _endpoint_without_policy() -> tuple[Resolver, ResourceChange]:
    endpoint = created(
        "aws_vpc_endpoint.ssm",
        "aws_vpc_endpoint",
        {"service_name": "com.amazonaws.us-east-1.ssm"},
        {"policy": True, "route_table_ids": True, "dns_entry": True},
    )
    config = resource(
        "aws_vpc_endpoint.ssm",
        "aws_vpc_endpoint",
        {"service_name": const("com.amazonaws.us-east-1.ssm")},
    )
    resolver, changes = _resolver(plan([endpoint], [config]))
    return resolver, changes["aws_vpc_endpoint.ssm"]


def test_an_unknown_scalar_not_written_in_the_configuration_is_none() -> None:
    resolver, endpoint = _endpoint_without_policy()
    assert not resolver.configured(endpoint, "policy")
    assert resolver.scalar(endpoint, "policy") is None


def test_an_unknown_list_not_written_in_the_configuration_is_empty() -> None:
    resolver, endpoint = _endpoint_without_policy()
    assert resolver.values(endpoint, "route_table_ids") == []


def test_a_known_value_is_taken_as_planned_without_following() -> None:
    resolver, endpoint = _endpoint_without_policy()
    assert resolver.scalar(endpoint, "service_name") == "com.amazonaws.us-east-1.ssm"
    assert resolver.scalar(endpoint, "vpc_id") is None  # neither set nor unknown


def test_an_unknown_value_of_a_resource_without_configuration_is_unresolved() -> None:
    group = _group(refs("var.vpc_id"))[0]
    resolver, changes = _resolver(plan([group]))
    with pytest.raises(Unresolved, match="the plan holds no configuration for the resource"):
        resolver.values(changes["aws_security_group.app"], "vpc_id")


# --- nested blocks and walking into values -------------------------------------------------------


ENDPOINT_DNS = "vpce-plan0123456789ab-plan.ssmmessages.us-east-1.vpce.amazonaws.com"


def _alias_record(alias_blocks: int = 1) -> tuple[Resolver, ResourceChange]:
    record = created(
        "aws_route53_record.ssmmessages",
        "aws_route53_record",
        {
            "name": "ssmmessages.us-east-1.amazonaws.com",
            "type": "A",
            "alias": [{"evaluate_target_health": False}],
        },
        {"alias": [{"name": True, "zone_id": True}], "zone_id": True},
    )
    endpoint = created("aws_vpc_endpoint.ssmmessages", "aws_vpc_endpoint", {}, {"dns_entry": True})
    dns = "aws_vpc_endpoint.ssmmessages.dns_entry"
    alias = {
        "evaluate_target_health": const(False),
        "name": refs(f"{dns}[0].dns_name", f"{dns}[0]", dns, "aws_vpc_endpoint.ssmmessages"),
        "zone_id": refs(
            f"{dns}[0].hosted_zone_id", f"{dns}[0]", dns, "aws_vpc_endpoint.ssmmessages"
        ),
    }
    config = resource(
        "aws_route53_record.ssmmessages", "aws_route53_record", {"alias": [alias] * alias_blocks}
    )
    resolver, changes = _resolver(
        plan([endpoint, record], [config]),
        {
            "aws_vpc_endpoint.ssmmessages": {
                "id": "vpce-plan0123456789ab",
                "dns_entry": [{"dns_name": ENDPOINT_DNS, "hosted_zone_id": "ZPLANNEDENDPOINT"}],
            }
        },
    )
    return resolver, changes["aws_route53_record.ssmmessages"]


def test_dns_entry_index_and_field_are_walked_into_the_endpoints_value() -> None:
    resolver, record = _alias_record()
    assert resolver.block_value(record, "alias", 0, "name") == ENDPOINT_DNS
    assert resolver.block_value(record, "alias", 0, "zone_id") == "ZPLANNEDENDPOINT"


def test_a_known_field_of_a_block_is_taken_as_planned() -> None:
    resolver, record = _alias_record()
    assert resolver.block_value(record, "alias", 0, "evaluate_target_health") is False


def test_blocks_generated_by_a_dynamic_block_are_unresolved() -> None:
    """The configuration's blocks do not line up with the planned ones."""
    resolver, record = _alias_record(alias_blocks=2)
    with pytest.raises(Unresolved, match=r"alias\[0\]\.name .*generated \(dynamic\)"):
        resolver.block_value(record, "alias", 0, "name")


def test_the_recorded_hub_zone_alias_names_the_planned_endpoints_dns_name() -> None:
    overlay = overlay_plan(read_plan(PLANS / "hub-zone" / "plan.json"), snapshot())
    estate = parse_snapshot(overlay.raw)
    endpoint_id = next(
        p for p, address in overlay.placeholders if address == "aws_vpc_endpoint.ssmmessages"
    )
    endpoint = estate.regions[(ACCOUNT, REGION)].endpoints[endpoint_id]
    zone = next(
        z for z in estate.accounts[ACCOUNT].private_zones if z.zone.name.startswith("ssmmessages.")
    )
    assert not isinstance(zone.records, Gap)
    aliases = [r.alias_target for r in zone.records if r.alias_target is not None]
    assert [a.dns_name for a in aliases] == [endpoint.dns_entries[0].dns_name]
    assert (
        endpoint.dns_entries[0].dns_name
        == f"{endpoint_id}-plan.ssmmessages.{REGION}.vpce.amazonaws.com"
    )


@pytest.mark.parametrize(
    ("value", "rest", "expected"),
    [
        ([{"dns_name": "a"}, {"dns_name": "b"}], "[1].dns_name", "b"),
        ([{"dns_name": "a"}], "[3].dns_name", None),
        ({"x": {"y": "z"}}, ".x.y", "z"),
        ("vpce-1", ".dns_name", None),
        ("vpce-1", "", "vpce-1"),
    ],
)
def test_walk_follows_indexes_and_fields(value: Any, rest: str, expected: Any) -> None:
    assert _walk(value, rest) == expected


@pytest.mark.parametrize(
    ("references", "kept"),
    [
        (["aws_vpc.main.id", "aws_vpc.main"], ["aws_vpc.main.id"]),
        (
            [
                "aws_vpc_endpoint.e.dns_entry[0].dns_name",
                "aws_vpc_endpoint.e.dns_entry[0]",
                "aws_vpc_endpoint.e.dns_entry",
                "aws_vpc_endpoint.e",
            ],
            ["aws_vpc_endpoint.e.dns_entry[0].dns_name"],
        ),
        (['aws_subnet.a["x"].id', 'aws_subnet.a["x"]', "aws_subnet.a"], ['aws_subnet.a["x"].id']),
        (
            ["aws_vpc.a.id", "aws_vpc.a", "aws_vpc.b.id", "aws_vpc.b"],
            ["aws_vpc.a.id", "aws_vpc.b.id"],
        ),
        (["aws_vpc.main_two.id", "aws_vpc.main"], ["aws_vpc.main_two.id", "aws_vpc.main"]),
        (["var.x", "var.x"], ["var.x"]),
    ],
)
def test_most_specific_keeps_only_the_most_specific_reference(
    references: list[str], kept: list[str]
) -> None:
    assert _most_specific(references) == kept


# --- placeholder ids -------------------------------------------------------------------------


def test_placeholder_ids_are_prefix_plan_and_twelve_hex_digits() -> None:
    for prefix in ("vpc", "sg", "rtb", "vpce", "i", "subnet"):
        assert re.fullmatch(rf"{prefix}-plan[0-9a-f]{{12}}", Placeholder(prefix).id_for("aws_x.y"))


def test_zone_placeholders_are_shaped_like_zone_ids() -> None:
    assert re.fullmatch(r"ZPLAN[0-9A-F]{12}", Placeholder("Z").id_for("aws_route53_zone.z"))


def test_placeholders_differ_by_address_and_part() -> None:
    sg = Placeholder("sg")
    ids = {sg.id_for("aws_vpc.a"), sg.id_for("aws_vpc.b"), sg.id_for("aws_vpc.a", "default")}
    assert len(ids) == 3
    assert sg.id_for("aws_vpc.a") == sg.id_for("aws_vpc.a")


def test_placeholders_are_the_same_in_another_process() -> None:
    """Not Python's salted hash: a new interpreter with another hash seed gives the same ids."""
    code = "from ssmreach.preview.references import Placeholder; print(Placeholder('vpce').id_for('aws_vpc_endpoint.ssm'))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    ).stdout.strip()
    assert out == Placeholder("vpce").id_for("aws_vpc_endpoint.ssm")


def test_an_overlay_names_each_placeholder_with_its_address() -> None:
    group, config = _group(const(VPC))
    doc = plan([group], [config])
    first, second = lay(doc, snapshot()), lay(doc, snapshot())
    assert first.placeholders == second.placeholders
    assert first.placeholders == (
        (Placeholder("sg").id_for("aws_security_group.app"), "aws_security_group.app"),
    )


# --- modules called with count or for_each ---------------------------------------------


def test_a_reference_inside_a_counted_module_is_that_module_instances_resource() -> None:
    changes: list[Doc] = []
    for i, cidr in enumerate(["10.50.0.0/16", "10.51.0.0/16"]):
        m = f"module.net[{i}]"
        changes.append(
            change(
                f"{m}.aws_vpc.main",
                "aws_vpc",
                ["create"],
                module=m,
                after={"cidr_block": cidr},
                unknown={"id": True},
            )
        )
        changes.append(
            change(
                f"{m}.aws_subnet.a",
                "aws_subnet",
                ["create"],
                module=m,
                after={"cidr_block": cidr.replace("0.0/16", "1.0/24")},
                unknown={"id": True, "vpc_id": True},
            )
        )
    call = module_call(
        {"cidr": refs("count.index")},
        [
            resource("aws_vpc.main", "aws_vpc", {"cidr_block": refs("var.cidr")}),
            resource(
                "aws_subnet.a", "aws_subnet", {"vpc_id": refs("aws_vpc.main.id", "aws_vpc.main")}
            ),
        ],
    )
    resolver, by_address = _resolver(
        plan(changes, module_calls={"net": call}),
        {
            "module.net[0].aws_vpc.main": {"id": "vpc-plan0"},
            "module.net[1].aws_vpc.main": {"id": "vpc-plan1"},
        },
    )
    assert resolver.scalar(by_address["module.net[1].aws_subnet.a"], "vpc_id") == "vpc-plan1"
