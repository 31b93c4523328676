"""The declarative table of every read the collector makes.

Each `ApiCall` names one AWS API operation, where it runs (once per Region, or once
per account for the global services IAM and Route 53), how it is paged, and the IAM
action it needs. A *call list* (see the snapshot spec) is an operation called once
per resource: its `requests` function derives the request parameters from the
merged result of an earlier operation (`source`), or builds fixed requests when it
has no source; a call list's own result, as a source, is `{"Account": ..., "Calls":
[{"Request", "Response" | "Error"}, ...]}`. The collector runs the table in order, so a source always comes
before the call lists that read it.

The table is the single source of truth for the snapshot layout, for
`ssmreach permissions` and for the read-only guard's tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from ssmreach.model.aws import NOT_IN_ORGANIZATION
from ssmreach.model.hybrid import ACTIVATION_TIER_SETTING
from ssmreach.model.preferences import session_bucket, session_kms_key

Scope = Literal["regional", "global"]
Params = dict[str, Any]
RequestBuilder = Callable[[Mapping[str, Any]], list[Params]]
Reducer = Callable[[dict[str, Any]], dict[str, Any]]

DHMC_SETTING_ID = "/ssm/managed-instance/default-ec2-instance-management-role"
"""The Default Host Management Configuration role setting (the reader's `DHMC_SETTING`)."""

SESSION_PREFERENCES_DOCUMENT = "SSM-SessionManagerRunShell"
"""The document in which Session Manager keeps an account's preferences."""

IAM_POLICY_FILTER = ("Role", "LocalManagedPolicy", "AWSManagedPolicy")
"""Entity types read from IAM: roles (instance profiles hang off them) and both kinds of
managed policy. Users and groups play no part in what an instance may do."""


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One read operation of the snapshot.

    `params` are fixed request parameters of a whole-account operation; `page_size`,
    when set, is passed as the paginator's `PageSize` (the largest page the operation
    allows: its service model's `max`, or its documentation where the model has none;
    `tests/collect/test_collect_scale.py` checks it), and `max_items` as its `MaxItems`
    (a paged read that keeps only the first records). A call list has `requests`; `also`
    names further operations whose results its request builder reads besides `source`'s
    (`source_of`). `reduce` trims a merged response before it is written (used to keep
    `GetAccountAuthorizationDetails` to what the analysis needs).
    """

    service: str
    operation: str
    iam_action: str
    scope: Scope = "regional"
    params: Mapping[str, Any] = field(default_factory=dict)
    page_size: int | None = None
    source: str | None = None
    requests: RequestBuilder | None = None
    reduce: Reducer | None = None
    answer_codes: tuple[str, ...] = ()  # error codes that answer the question (kept, not failures)
    also: tuple[str, ...] = ()
    max_items: int | None = None

    @property
    def is_call_list(self) -> bool:
        return self.requests is not None

    def source_of(self, results: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """What `requests` is given: the result of `source`, and the result of each
        operation of `also` that answered, under its name."""
        merged = dict(results.get(self.source or "", {}))
        merged.update({op: results[op] for op in self.also if op in results})
        return merged

    @property
    def api(self) -> str:
        """`service:Operation`, the way summaries and error messages name a call."""
        return f"{self.service}:{self.operation}"


# --- request builders for call lists ----------------------------------------------------


def _vpc_attributes(vpcs: Mapping[str, Any]) -> list[Params]:
    return [
        {"VpcId": vpc["VpcId"], "Attribute": attribute}
        for vpc in vpcs.get("Vpcs", [])
        for attribute in ("enableDnsSupport", "enableDnsHostnames")
    ]


def _prefix_list_entries(lists: Mapping[str, Any]) -> list[Params]:
    return [{"PrefixListId": pl["PrefixListId"]} for pl in lists.get("PrefixLists", [])]


def _tgw_route_searches(tables: Mapping[str, Any]) -> list[Params]:
    return [
        {
            "TransitGatewayRouteTableId": table["TransitGatewayRouteTableId"],
            "Filters": [{"Name": "state", "Values": ["active", "blackhole"]}],
        }
        for table in tables.get("TransitGatewayRouteTables", [])
        if table.get("State") not in ("deleting", "deleted")
    ]


def _private_zones(zones: Mapping[str, Any]) -> list[str]:
    return [
        zone["Id"]
        for zone in zones.get("HostedZones", [])
        if (zone.get("Config") or {}).get("PrivateZone")
    ]


def _hosted_zones(zones: Mapping[str, Any]) -> list[Params]:
    return [{"Id": zone_id} for zone_id in _private_zones(zones)]


def _record_sets(zones: Mapping[str, Any]) -> list[Params]:
    return [{"HostedZoneId": zone_id} for zone_id in _private_zones(zones)]


def _service_settings(_: Mapping[str, Any]) -> list[Params]:
    """The Default Host Management Configuration role and the hybrid nodes' instance tier."""
    return [{"SettingId": DHMC_SETTING_ID}, {"SettingId": ACTIVATION_TIER_SETTING}]


def _inbound_resolver_endpoints(listed: Mapping[str, Any]) -> list[Params]:
    """`ListResolverEndpointIpAddresses` for each inbound endpoint: the addresses that
    resolvers on premises forward to (outbound endpoints play no part for hybrid nodes)."""
    return [
        {"ResolverEndpointId": e["Id"]}
        for e in listed.get("ResolverEndpoints", [])
        if e.get("Direction") in ("INBOUND", "INBOUND_DELEGATION")
        and e.get("Status") not in ("DELETING",)
    ]


def _dx_gateways(listed: Mapping[str, Any]) -> list[Params]:
    """`DescribeDirectConnectGatewayAssociations` per Direct Connect gateway (the operation
    needs one of a gateway, an association or an associated gateway)."""
    return [
        {"directConnectGatewayId": g["directConnectGatewayId"]}
        for g in listed.get("directConnectGateways", [])
        if g.get("directConnectGatewayState") not in ("deleting", "deleted")
    ]


def without_vpn_secrets(answer: dict[str, Any]) -> dict[str, Any]:
    """`DescribeVpnConnections` without its secrets: the customer gateway configuration
    (which holds the tunnels' pre-shared keys) and each tunnel's `PreSharedKey`. A snapshot
    holds no credentials."""
    connections = []
    for vpn in answer.get("VpnConnections", []):
        kept = {k: v for k, v in vpn.items() if k != "CustomerGatewayConfiguration"}
        options = vpn.get("Options")
        if isinstance(options, dict) and "TunnelOptions" in options:
            tunnels = [
                {k: v for k, v in t.items() if k != "PreSharedKey"}
                for t in options["TunnelOptions"]
                if isinstance(t, dict)
            ]
            kept["Options"] = {**options, "TunnelOptions": tunnels}
        connections.append(kept)
    return {**answer, "VpnConnections": connections}


def _session_preferences(_: Mapping[str, Any]) -> list[Params]:
    return [{"Name": SESSION_PREFERENCES_DOCUMENT}]


def _call_responses(calls: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The answered elements of a call list's result (the collector keeps them as `Calls`)."""
    return [c["Response"] for c in calls.get("Calls", []) if isinstance(c.get("Response"), dict)]


def _session_key(documents: Mapping[str, Any]) -> list[Params]:
    """`DescribeKey` for the KMS key the Session Manager preferences name, if any."""
    keys = {
        key
        for response in _call_responses(documents)
        if (key := session_kms_key(str(response.get("Content") or "")))
    }
    return [{"KeyId": key} for key in sorted(keys)]


def _associations(listed: Mapping[str, Any]) -> list[Params]:
    """`DescribeAssociation` for each listed association (its output location is not listed)."""
    ids = {str(a.get("AssociationId") or "") for a in listed.get("Associations", [])}
    return [{"AssociationId": i} for i in sorted(ids - {""})]


def _output_buckets(found: Mapping[str, Any]) -> set[str]:
    """The S3 buckets the listed commands and the described associations write output to."""
    commands = (found.get("ListCommands") or {}).get("Commands", [])
    buckets = {str(c.get("OutputS3BucketName") or "") for c in commands}
    for response in _call_responses(found.get("DescribeAssociation") or {}):
        where = ((response.get("AssociationDescription") or {}).get("OutputLocation")) or {}
        buckets.add(str((where.get("S3Location") or {}).get("OutputS3BucketName") or ""))
    return buckets - {""}


def _bucket_locations(documents: Mapping[str, Any]) -> list[Params]:
    """`GetBucketLocation` for each bucket: the one the Session Manager preferences log
    to, and the output buckets of commands and associations (`GetBucketLocation`'s `also`)."""
    buckets = {
        bucket
        for response in _call_responses(documents)
        if (bucket := session_bucket(str(response.get("Content") or "")))
    }
    return [{"Bucket": bucket} for bucket in sorted(buckets | _output_buckets(documents))]


def _own_keys(keys: Mapping[str, Any]) -> list[str]:
    """The described keys' ARNs. Keys of other accounts are left out: `GetKeyPolicy` and
    `ListGrants` serve the key's own account only (KMS API reference, "Cross-account use")."""
    arns = []
    for response in _call_responses(keys):
        arn = str((response.get("KeyMetadata") or {}).get("Arn") or "")
        if arn and arn.split(":")[4:5] == [str(keys.get("Account", ""))]:
            arns.append(arn)
    return arns


def _key_policies(keys: Mapping[str, Any]) -> list[Params]:
    return [{"KeyId": arn, "PolicyName": "default"} for arn in _own_keys(keys)]


def _key_grants(keys: Mapping[str, Any]) -> list[Params]:
    return [{"KeyId": arn} for arn in _own_keys(keys)]


def keep_referenced_policies(details: dict[str, Any]) -> dict[str, Any]:
    """Keep only the managed policies that some role uses, each with its default version.

    With the `AWSManagedPolicy` filter IAM may return many AWS-managed policies that no
    role in the account uses, each with every stored version. The analysis evaluates
    a role's attached policies and permissions boundary with the default (operative)
    version only, so everything else is dropped. Roles are kept whole.
    """
    used: set[str] = set()
    for role in details.get("RoleDetailList", []):
        used.update(p["PolicyArn"] for p in role.get("AttachedManagedPolicies", []))
        boundary = role.get("PermissionsBoundary") or {}
        if boundary.get("PermissionsBoundaryArn"):
            used.add(boundary["PermissionsBoundaryArn"])
    policies = []
    for policy in details.get("Policies", []):
        if policy.get("Arn") not in used:
            continue
        default = policy.get("DefaultVersionId")
        versions = [
            v
            for v in policy.get("PolicyVersionList", [])
            if v.get("IsDefaultVersion") or v.get("VersionId") == default
        ]
        policies.append({**policy, "PolicyVersionList": versions})
    return {**details, "Policies": policies}


# --- the table -----------------------------------------------------------------------------


def _ec2(operation: str, **kwargs: Any) -> ApiCall:
    return ApiCall("ec2", operation, f"ec2:{operation}", **kwargs)


ORGANIZATION_DESCRIPTION = ApiCall(
    "organizations",
    "DescribeOrganization",
    "organizations:DescribeOrganization",
    scope="global",
    answer_codes=(NOT_IN_ORGANIZATION,),
)
"""Any member account may call it; an account in no organization gets
AWSOrganizationsNotInUseException (Organizations API reference, DescribeOrganization).
Part of every account's snapshot, and called once more by `--org` for the organization's
id and management account."""

CALLS: tuple[ApiCall, ...] = (
    # EC2: compute and network
    _ec2("DescribeInstances", page_size=1000),
    _ec2("DescribeVpcs", page_size=1000),
    _ec2("DescribeVpcAttribute", source="DescribeVpcs", requests=_vpc_attributes),
    _ec2("DescribeSubnets", page_size=1000),
    _ec2("DescribeRouteTables", page_size=100),
    _ec2("DescribeSecurityGroups", page_size=1000),
    _ec2("DescribeNetworkAcls", page_size=1000),
    _ec2("DescribeNetworkInterfaces", page_size=1000),
    _ec2("DescribeVpcEndpoints", page_size=1000),
    _ec2("DescribeVpcEndpointServices", page_size=1000),
    _ec2("DescribeDhcpOptions", page_size=1000),
    _ec2("DescribeVpcPeeringConnections", page_size=1000),
    _ec2("DescribeNatGateways", page_size=1000),
    _ec2("DescribeInternetGateways", page_size=1000),
    _ec2("DescribeEgressOnlyInternetGateways", page_size=255),
    _ec2("DescribePrefixLists"),
    _ec2("DescribeManagedPrefixLists", page_size=100),
    _ec2(
        "GetManagedPrefixListEntries",
        source="DescribeManagedPrefixLists",
        requests=_prefix_list_entries,
        page_size=100,
    ),
    _ec2("DescribeTransitGateways", page_size=1000),
    _ec2("DescribeTransitGatewayAttachments", page_size=1000),
    _ec2("DescribeTransitGatewayRouteTables", page_size=1000),
    _ec2(
        "SearchTransitGatewayRoutes",
        source="DescribeTransitGatewayRouteTables",
        requests=_tgw_route_searches,
    ),
    # How on-premises networks enter: Site-to-Site VPN (not paged) and virtual private gateways
    _ec2("DescribeVpnConnections", reduce=without_vpn_secrets),
    _ec2("DescribeVpnGateways"),
    # Systems Manager
    # 50 is the API's largest page (the default is smaller): 2,000 calls for 100,000 nodes
    ApiCall("ssm", "DescribeInstanceInformation", "ssm:DescribeInstanceInformation", page_size=50),
    ApiCall("ssm", "GetServiceSetting", "ssm:GetServiceSetting", requests=_service_settings),
    ApiCall("ssm", "GetDocument", "ssm:GetDocument", requests=_session_preferences),
    # Where Run Command and State Manager write output (user buckets, whose Region matters).
    # ListCommands is bounded: the first 5 pages of 50 (SSM keeps 30 days of commands).
    ApiCall("ssm", "ListCommands", "ssm:ListCommands", page_size=50, max_items=250),
    ApiCall("ssm", "ListAssociations", "ssm:ListAssociations", page_size=50),
    # Hybrid nodes: the activations they registered with (docs/hybrid.md)
    ApiCall("ssm", "DescribeActivations", "ssm:DescribeActivations", page_size=50),
    ApiCall(
        "ssm",
        "DescribeAssociation",
        "ssm:DescribeAssociation",
        source="ListAssociations",
        requests=_associations,
    ),
    # KMS: the key Session Manager encrypts sessions with, its key policy and grants
    ApiCall("kms", "DescribeKey", "kms:DescribeKey", source="GetDocument", requests=_session_key),
    ApiCall(
        "kms", "GetKeyPolicy", "kms:GetKeyPolicy", source="DescribeKey", requests=_key_policies
    ),
    ApiCall(
        "kms",
        "ListGrants",
        "kms:ListGrants",
        source="DescribeKey",
        requests=_key_grants,
        page_size=100,
    ),
    # S3: the Region of the buckets Session Manager logs to and commands and associations
    # write output to (a gateway endpoint serves only its own Region): one call per bucket
    ApiCall(
        "s3",
        "GetBucketLocation",
        "s3:GetBucketLocation",
        source="GetDocument",
        requests=_bucket_locations,
        also=("ListCommands", "DescribeAssociation"),
    ),
    # Route 53 Resolver
    ApiCall(
        "route53resolver",
        "ListResolverRules",
        "route53resolver:ListResolverRules",
        page_size=100,
    ),
    ApiCall(
        "route53resolver",
        "ListResolverRuleAssociations",
        "route53resolver:ListResolverRuleAssociations",
        page_size=100,
    ),
    # The endpoints resolvers on premises forward to (inbound), with their addresses
    ApiCall(
        "route53resolver",
        "ListResolverEndpoints",
        "route53resolver:ListResolverEndpoints",
        page_size=100,
    ),
    ApiCall(
        "route53resolver",
        "ListResolverEndpointIpAddresses",
        "route53resolver:ListResolverEndpointIpAddresses",
        source="ListResolverEndpoints",
        requests=_inbound_resolver_endpoints,
        page_size=100,
    ),
    # Global: IAM and Route 53, once per account
    ApiCall(
        "iam",
        "GetAccountAuthorizationDetails",
        "iam:GetAccountAuthorizationDetails",
        scope="global",
        params={"Filter": list(IAM_POLICY_FILTER)},
        page_size=1000,
        reduce=keep_referenced_policies,
    ),
    ApiCall("route53", "ListHostedZones", "route53:ListHostedZones", scope="global", page_size=100),
    ApiCall(
        "route53",
        "GetHostedZone",
        "route53:GetHostedZone",
        scope="global",
        source="ListHostedZones",
        requests=_hosted_zones,
    ),
    ApiCall(
        "route53",
        "ListResourceRecordSets",
        "route53:ListResourceRecordSets",
        scope="global",
        source="ListHostedZones",
        requests=_record_sets,
        page_size=300,
    ),
    # Direct Connect gateways are global: listed once per account, with their associations
    # to virtual private and transit gateways of every Region
    ApiCall(
        "directconnect",
        "DescribeDirectConnectGateways",
        "directconnect:DescribeDirectConnectGateways",
        scope="global",
        page_size=100,
    ),
    ApiCall(
        "directconnect",
        "DescribeDirectConnectGatewayAssociations",
        "directconnect:DescribeDirectConnectGatewayAssociations",
        scope="global",
        source="DescribeDirectConnectGateways",
        requests=_dx_gateways,
        page_size=100,
    ),
    # The account's organization: `aws:PrincipalOrgID` in endpoint, bucket and key policies.
    ORGANIZATION_DESCRIPTION,
)
"""Every operation of a snapshot, in the order the collector runs them."""

REGION_LISTING = ApiCall(
    "ec2", "DescribeRegions", "ec2:DescribeRegions", params={"AllRegions": False}
)
"""Lists the enabled Regions for `--region all` (not part of the snapshot itself)."""

CALLER_IDENTITY = ApiCall("sts", "GetCallerIdentity", "sts:GetCallerIdentity")
"""Finds the account of the credentials. Needs no permission: IAM cannot deny it."""

ASSUME_ROLE = ApiCall("sts", "AssumeRole", "sts:AssumeRole")
"""Used once per `--role-arn`, and once per member account with `--org`; allowed on the
role ARNs, not on `*`."""

ACCOUNT_LISTING = ApiCall(
    "organizations", "ListAccounts", "organizations:ListAccounts", scope="global", page_size=20
)
"""Lists the organization's accounts for `--org` (not part of the snapshot itself). Only
the management account and a delegated administrator may call it (Organizations API
reference, ListAccounts); any other account gets AccessDeniedException."""


def calls_for(scope: Scope, table: Sequence[ApiCall] = CALLS) -> tuple[ApiCall, ...]:
    return tuple(call for call in table if call.scope == scope)
