"""The calls table: complete, consistent with the snapshot spec, valid botocore operations."""

from __future__ import annotations

import functools
import re
from typing import Any

import botocore.session
import pytest

from collect.collect_helpers import aws_env, moto  # noqa: F401
from ssmreach.collect.calls import (
    CALLS,
    DHMC_SETTING_ID,
    SESSION_PREFERENCES_DOCUMENT,
    ApiCall,
    calls_for,
    keep_referenced_policies,
)
from ssmreach.collect.readonly import is_read_only
from ssmreach.model.hybrid import ACTIVATION_TIER_SETTING
from ssmreach.model.reader import DHMC_SETTING
from ssmreach.model.reader import SESSION_PREFERENCES_DOCUMENT as READER_DOCUMENT

SPEC_REGIONAL = {
    "ec2": {
        "DescribeInstances",
        "DescribeVpcs",
        "DescribeVpcAttribute",
        "DescribeSubnets",
        "DescribeRouteTables",
        "DescribeSecurityGroups",
        "DescribeNetworkAcls",
        "DescribeNetworkInterfaces",
        "DescribeVpcEndpoints",
        "DescribeVpcEndpointServices",
        "DescribeDhcpOptions",
        "DescribeVpcPeeringConnections",
        "DescribeNatGateways",
        "DescribeInternetGateways",
        "DescribePrefixLists",
        "DescribeManagedPrefixLists",
        "GetManagedPrefixListEntries",
        "DescribeTransitGateways",
        "DescribeTransitGatewayAttachments",
        "DescribeTransitGatewayRouteTables",
        "SearchTransitGatewayRoutes",
    },
    "ssm": {"DescribeInstanceInformation", "GetServiceSetting", "GetDocument"},
    "route53resolver": {"ListResolverRules", "ListResolverRuleAssociations"},
}
EXTENSIONS = {
    # Beyond the snapshot spec: egress-only internet gateways (IPv6 routes ::/0), and how
    # on-premises networks enter (docs/hybrid.md).
    "ec2": {"DescribeEgressOnlyInternetGateways", "DescribeVpnConnections", "DescribeVpnGateways"},
    "route53resolver": {"ListResolverEndpoints", "ListResolverEndpointIpAddresses"},
    # Beyond the snapshot spec (README, "Offline snapshots"): the Session Manager KMS key.
    "kms": {"DescribeKey", "GetKeyPolicy", "ListGrants"},
    # The Session Manager, Run Command and State Manager buckets and their Regions.
    "s3": {"GetBucketLocation"},
}
SSM_EXTENSIONS = {"ListCommands", "ListAssociations", "DescribeAssociation", "DescribeActivations"}
SPEC_GLOBAL = {
    "iam": {"GetAccountAuthorizationDetails"},
    "route53": {"ListHostedZones", "GetHostedZone", "ListResourceRecordSets"},
}
GLOBAL_EXTENSIONS = {
    # Beyond the snapshot spec: the account's organization (aws:PrincipalOrgID).
    "organizations": {"DescribeOrganization"},
    # Direct Connect gateways (global) and their associations, for hybrid nodes.
    "directconnect": {
        "DescribeDirectConnectGateways",
        "DescribeDirectConnectGatewayAssociations",
    },
}
SPEC_CALL_LISTS = {
    "DescribeVpcAttribute",
    "GetManagedPrefixListEntries",
    "SearchTransitGatewayRoutes",
    "GetServiceSetting",
    "GetDocument",
    "DescribeKey",
    "GetKeyPolicy",
    "ListGrants",
    "GetBucketLocation",
    "DescribeAssociation",
    "GetHostedZone",
    "ListResourceRecordSets",
    "ListResolverEndpointIpAddresses",
    "DescribeDirectConnectGatewayAssociations",
}


@functools.cache
def _service_model(service: str) -> Any:
    return _BOTOCORE.get_service_model(service)


_BOTOCORE = botocore.session.get_session()


def _by_service(calls: tuple[ApiCall, ...]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for call in calls:
        found.setdefault(call.service, set()).add(call.operation)
    return found


def test_table_has_exactly_the_operations_of_the_spec() -> None:
    regional = {
        k: SPEC_REGIONAL.get(k, set()) | EXTENSIONS.get(k, set())
        for k in SPEC_REGIONAL | EXTENSIONS
    }
    regional["ssm"] = regional["ssm"] | SSM_EXTENSIONS
    assert _by_service(calls_for("regional")) == regional
    assert _by_service(calls_for("global")) == SPEC_GLOBAL | GLOBAL_EXTENSIONS
    assert {c.operation for c in CALLS if c.is_call_list} == SPEC_CALL_LISTS
    assert len({(c.service, c.operation) for c in CALLS}) == len(CALLS)


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.api)
def test_every_call_declares_its_iam_action_and_is_read_only(call: ApiCall) -> None:
    assert re.fullmatch(r"[a-z0-9-]+:[A-Z][A-Za-z]+", call.iam_action)
    assert call.iam_action == f"{call.service}:{call.operation}"
    assert is_read_only(call.service, call.operation)


@pytest.mark.parametrize("call", CALLS, ids=lambda c: c.api)
def test_every_call_is_a_botocore_operation_with_valid_fixed_parameters(call: ApiCall) -> None:
    model = _service_model(call.service)
    operation = model.operation_model(call.operation)
    members = set(operation.input_shape.members) if operation.input_shape else set()
    assert set(call.params) <= members
    if call.requests is not None:
        sample = {
            "Vpcs": [{"VpcId": "vpc-1"}],
            "PrefixLists": [{"PrefixListId": "pl-1"}],
            "TransitGatewayRouteTables": [
                {"TransitGatewayRouteTableId": "tgw-rtb-1", "State": "available"}
            ],
            "HostedZones": [{"Id": "/hostedzone/Z1", "Config": {"PrivateZone": True}}],
            "Associations": [{"AssociationId": "a-1"}],
            "ResolverEndpoints": [{"Id": "rslvr-in-1", "Direction": "INBOUND"}],
            "directConnectGateways": [{"directConnectGatewayId": "dxgw-1"}],
            # a call list's own result, as the source of another (GetDocument, DescribeKey)
            "Account": "111122223333",
            "Calls": [
                {
                    "Request": {},
                    "Response": {
                        "Content": '{"inputs": {"kmsKeyId": "alias/sessions", "s3BucketName": "logs"}}',
                        "KeyMetadata": {"Arn": "arn:aws:kms:us-east-1:111122223333:key/k1"},
                    },
                }
            ],
        }
        requests = call.requests(sample)
        assert requests
        for request in requests:
            assert set(request) <= members


def test_the_session_key_is_described_and_only_own_keys_are_read_further() -> None:
    by_op = {c.operation: c for c in CALLS}

    def calls(*responses: dict[str, Any]) -> dict[str, Any]:
        return {
            "Account": "111122223333",
            "Calls": [{"Request": {}, "Response": r} for r in responses],
        }

    describe = by_op["DescribeKey"].requests
    assert describe is not None
    prefs = calls({"Content": '{"inputs": {"kmsKeyId": "alias/s"}}'})
    assert describe(prefs) == [{"KeyId": "alias/s"}]
    assert describe(calls({"Content": '{"inputs": {}}'})) == []
    assert describe(calls({"Content": "not json"})) == []
    assert describe({"Account": "1", "Calls": [{"Request": {}, "Error": {"Code": "X"}}]}) == []
    policy = by_op["GetKeyPolicy"].requests
    assert policy is not None
    own = "arn:aws:kms:us-east-1:111122223333:key/k1"
    foreign = "arn:aws:kms:us-east-1:444455556666:key/k2"
    keys = calls({"KeyMetadata": {"Arn": own}}, {"KeyMetadata": {"Arn": foreign}})
    assert policy(keys) == [{"KeyId": own, "PolicyName": "default"}]


def test_sources_come_first_in_the_same_scope() -> None:
    seen: dict[str, str] = {}
    for call in CALLS:
        for source in (call.source, *call.also) if call.source is not None else call.also:
            assert seen.get(source) == call.scope, call.api
            assert call.is_call_list
        seen[call.operation] = call.scope


def test_every_bucket_is_located_once_the_session_bucket_and_the_output_buckets() -> None:
    by_op = {c.operation: c for c in CALLS}
    location, describe = by_op["GetBucketLocation"], by_op["DescribeAssociation"]
    assert location.requests is not None and describe.requests is not None
    listed = {"Associations": [{"AssociationId": "a-2"}, {"AssociationId": "a-1"}]}
    assert describe.requests(listed) == [{"AssociationId": "a-1"}, {"AssociationId": "a-2"}]
    results: dict[str, dict[str, Any]] = {
        "GetDocument": {
            "Account": "111122223333",
            "Calls": [
                {"Request": {}, "Response": {"Content": '{"inputs": {"s3BucketName": "logs"}}'}}
            ],
        },
        "ListCommands": {
            "Commands": [
                {"CommandId": "c1", "OutputS3BucketName": "out"},
                {"CommandId": "c2", "OutputS3BucketName": "logs"},
                {"CommandId": "c3", "OutputS3BucketName": ""},
            ]
        },
        "DescribeAssociation": {
            "Account": "111122223333",
            "Calls": [
                {
                    "Request": {"AssociationId": "a-1"},
                    "Response": {
                        "AssociationDescription": {
                            "OutputLocation": {"S3Location": {"OutputS3BucketName": "states"}}
                        }
                    },
                },
                {"Request": {"AssociationId": "a-2"}, "Response": {"AssociationDescription": {}}},
                {"Request": {"AssociationId": "a-3"}, "Error": {"Code": "AccessDenied"}},
            ],
        },
    }
    merged = location.source_of(results)
    assert location.requests(merged) == [{"Bucket": b} for b in ("logs", "out", "states")]
    # given the session preferences alone, as a collector that reads only `source` does
    assert location.requests(results["GetDocument"]) == [{"Bucket": "logs"}]


def test_the_command_listing_is_bounded() -> None:
    listing = next(c for c in CALLS if c.operation == "ListCommands")
    assert listing.page_size == 50 and listing.max_items is not None and listing.max_items <= 500


def test_fixed_requests_match_what_the_reader_looks_for() -> None:
    by_op = {c.operation: c for c in CALLS}
    setting = by_op["GetServiceSetting"].requests
    document = by_op["GetDocument"].requests
    assert setting is not None and document is not None
    assert setting({}) == [{"SettingId": DHMC_SETTING}, {"SettingId": ACTIVATION_TIER_SETTING}]
    assert DHMC_SETTING_ID == DHMC_SETTING
    assert document({}) == [{"Name": READER_DOCUMENT}]
    assert SESSION_PREFERENCES_DOCUMENT == READER_DOCUMENT


def test_hosted_zone_call_lists_read_private_zones_only() -> None:
    by_op = {c.operation: c for c in CALLS}
    zones = {
        "HostedZones": [
            {"Id": "/hostedzone/ZPRIVATE", "Config": {"PrivateZone": True}},
            {"Id": "/hostedzone/ZPUBLIC", "Config": {"PrivateZone": False}},
            {"Id": "/hostedzone/ZNOCONFIG"},
        ]
    }
    get_zone, records = by_op["GetHostedZone"].requests, by_op["ListResourceRecordSets"].requests
    assert get_zone is not None and records is not None
    assert get_zone(zones) == [{"Id": "/hostedzone/ZPRIVATE"}]
    assert records(zones) == [{"HostedZoneId": "/hostedzone/ZPRIVATE"}]


def test_vpc_attributes_and_tgw_searches() -> None:
    by_op = {c.operation: c for c in CALLS}
    attrs, routes = (
        by_op["DescribeVpcAttribute"].requests,
        by_op["SearchTransitGatewayRoutes"].requests,
    )
    assert attrs is not None and routes is not None
    assert attrs({"Vpcs": [{"VpcId": "vpc-1"}]}) == [
        {"VpcId": "vpc-1", "Attribute": "enableDnsSupport"},
        {"VpcId": "vpc-1", "Attribute": "enableDnsHostnames"},
    ]
    tables = {
        "TransitGatewayRouteTables": [
            {"TransitGatewayRouteTableId": "tgw-rtb-1", "State": "available"},
            {"TransitGatewayRouteTableId": "tgw-rtb-2", "State": "deleted"},
        ]
    }
    assert routes(tables) == [
        {
            "TransitGatewayRouteTableId": "tgw-rtb-1",
            "Filters": [{"Name": "state", "Values": ["active", "blackhole"]}],
        }
    ]


def test_iam_details_keep_only_policies_that_roles_use_with_their_default_version() -> None:
    details: dict[str, Any] = {
        "UserDetailList": [],
        "GroupDetailList": [],
        "RoleDetailList": [
            {
                "RoleName": "app",
                "AttachedManagedPolicies": [{"PolicyName": "Core", "PolicyArn": "arn:core"}],
                "PermissionsBoundary": {"PermissionsBoundaryArn": "arn:boundary"},
            },
            {"RoleName": "bare"},
        ],
        "Policies": [
            {
                "Arn": "arn:core",
                "DefaultVersionId": "v2",
                "PolicyVersionList": [
                    {"VersionId": "v1", "IsDefaultVersion": False, "Document": {}},
                    {"VersionId": "v2", "IsDefaultVersion": True, "Document": {"Statement": []}},
                ],
            },
            {
                "Arn": "arn:boundary",
                "DefaultVersionId": "v1",
                "PolicyVersionList": [{"VersionId": "v1"}],
            },
            {
                "Arn": "arn:unused",
                "DefaultVersionId": "v1",
                "PolicyVersionList": [{"VersionId": "v1"}],
            },
        ],
    }
    kept = keep_referenced_policies(details)
    assert [p["Arn"] for p in kept["Policies"]] == ["arn:core", "arn:boundary"]
    assert [v["VersionId"] for v in kept["Policies"][0]["PolicyVersionList"]] == ["v2"]
    assert kept["RoleDetailList"] == details["RoleDetailList"]
    assert len(details["Policies"]) == 3  # the input is not changed
