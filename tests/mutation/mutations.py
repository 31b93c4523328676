"""A deterministic corpus of data-quality mutations of the example snapshots, plans and probes.

Every mutation damages the *form* of the data, never its meaning: a file removed, denied,
truncated or undecodable; a key that AWS always returns deleted; a value of the wrong type;
a CIDR or a port that cannot be; a record listed twice; an unknown key added. No mutation
flips an allow into a deny or moves a resource, so a correct reader either refuses the
input with one clear line (exit 2), or gives the verdicts of the unmutated input, or makes
the verdicts the damage touches UNKNOWN with a reason that names the missing data.

A mutation is plain data: the files it writes (or deletes) relative to its base folder.
`materialize` builds the mutated folder next to the others with symbolic links to every
file the mutation leaves alone, so a corpus of a thousand snapshots costs little disk.
The choices are made with `random.Random` seeded per (base, file, family): the corpus is
the same on every run and on every machine, and adding a family does not reshuffle others.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import os
import random
import re
import urllib.parse
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from paths import EXAMPLES

SEED = 20261128
SNAPSHOTS = ("default-sg-trap", "partly-private")
MANIFEST = "manifest.json"

JsonPath = tuple[str | int, ...]
Json = Any


def examples_root() -> Path:
    """The example snapshots of the repository."""
    return EXAMPLES


# --- the mutation record -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mutation:
    """One damaged copy of a base input.

    `writes` maps paths relative to the base folder to their new bytes (None: the file is
    deleted). `operation` is the AWS operation of the damaged file (None for the manifest,
    plans and probes); `resources` the ids of the records the damage is in, outermost first.
    `must_be_unchanged`: the damage is one the format says to ignore (an unknown key), so
    anything but the unmutated result is a failure.
    """

    id: str
    kind: str
    base: str
    file: str
    detail: str
    writes: tuple[tuple[str, bytes | None], ...]
    operation: str | None = None
    resources: tuple[str, ...] = ()
    must_be_unchanged: bool = False

    def materialize(self, source: Path, dest: Path) -> Path:
        """Write the mutated copy of `source` at `dest` (links for untouched files)."""
        written = dict(self.writes)
        dest.mkdir(parents=True)
        for path in sorted(p for p in source.rglob("*") if p.is_file()):
            rel = path.relative_to(source).as_posix()
            if rel in written:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(path, target)
        for rel, body in self.writes:
            if body is None:
                continue
            target = dest / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(body)
        return dest


# --- JSON paths ----------------------------------------------------------------------------------

STAR = "*"
_TOKEN = re.compile(r"\[\*\]|[^.\[\]]+")

# Keys that name the record they sit in, most specific first.
ID_KEYS = (
    "InstanceId",
    "GroupId",
    "NetworkAclId",
    "RouteTableId",
    "SubnetId",
    "VpcEndpointId",
    "NetworkInterfaceId",
    "NatGatewayId",
    "InternetGatewayId",
    "DhcpOptionsId",
    "PrefixListId",
    "VpcPeeringConnectionId",
    "VpcId",
    "RoleName",
    "Arn",
    "SettingId",
    "Id",
)


def _tokens(pattern: str) -> list[str]:
    return [STAR if t == "[*]" else t for t in _TOKEN.findall(pattern)]


def match(doc: Json, pattern: str) -> list[JsonPath]:
    """Every concrete path of `pattern` (`Groups[*].IpPermissions[*].IpProtocol`) in `doc`."""
    found: list[JsonPath] = []

    def walk(node: Json, rest: list[str], path: JsonPath) -> None:
        if not rest:
            found.append(path)
            return
        head, tail = rest[0], rest[1:]
        if head == STAR:
            if isinstance(node, list):
                for index, item in enumerate(node):
                    walk(item, tail, (*path, index))
        elif isinstance(node, dict) and head in node:
            walk(node[head], tail, (*path, head))

    walk(doc, _tokens(pattern), ())
    return found


def positions(doc: Json, path: JsonPath = ()) -> Iterator[tuple[JsonPath, Json]]:
    """Every (path, value) of a decoded JSON document, the root first."""
    yield path, doc
    if isinstance(doc, dict):
        for key, value in doc.items():
            yield from positions(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from positions(value, (*path, index))


def get(doc: Json, path: JsonPath) -> Json:
    for step in path:
        doc = doc[step]
    return doc


def put(doc: Json, path: JsonPath, value: Json) -> None:
    get(doc, path[:-1])[path[-1]] = value


def delete(doc: Json, path: JsonPath) -> None:
    del get(doc, path[:-1])[path[-1]]


Edit = Callable[[Json], str]  # edits a document in place and says what it did


def putting(path: JsonPath, value: Json, detail: str) -> Edit:
    """The edit that sets `path` to `value`, described as `detail`."""

    def edit(doc: Json) -> str:
        put(doc, path, value)
        return detail

    return edit


def deleting(path: JsonPath, detail: str) -> Edit:
    """The edit that deletes `path`, described as `detail`."""

    def edit(doc: Json) -> str:
        delete(doc, path)
        return detail

    return edit


def show(path: JsonPath) -> str:
    text = ""
    for step in path:
        text += f"[{step}]" if isinstance(step, int) else (f".{step}" if text else step)
    return text or "(top level)"


def resources_of(doc: Json, path: JsonPath) -> tuple[str, ...]:
    """The ids of the records on `path`, outermost first (the damaged one is the last)."""
    found: list[str] = []
    node = doc
    for step in (None, *path):
        if step is not None:
            try:
                node = node[step]
            except (KeyError, IndexError, TypeError):
                break
        if isinstance(node, dict):
            for key in ID_KEYS:
                value = node.get(key)
                if isinstance(value, str) and value and value not in found:
                    found.append(value)
                    break
    return tuple(found)


def in_policy(path: JsonPath) -> bool:
    """Whether `path` lies inside an embedded IAM policy document."""
    return any(step in POLICY_KEYS for step in path)


def dump(doc: Json, raw: Mapping[str, bytes] | None = None) -> bytes:
    """The document as the AWS CLI writes it; `raw` replaces marker strings by raw bytes."""
    body = json.dumps(doc, indent=1).encode()
    for marker, value in (raw or {}).items():
        body = body.replace(json.dumps(marker).encode(), value)
    return body


def struct_keys(module: Any) -> frozenset[str]:
    """The JSON keys the msgspec structs of `module` decode (what the reader looks at)."""
    keys: set[str] = set()
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, msgspec.Struct):
            keys.update(f.encode_name for f in msgspec.structs.fields(value))
    return frozenset(keys)


# --- value families ------------------------------------------------------------------------------

ERROR_CODES = ("AccessDenied", "UnauthorizedOperation", "Throttling", "InternalError")
BAD_CIDRS = (
    "10.0.0.0/33",
    "300.1.1.1/16",
    "abc",
    "",
    "10.0.0.1/16",
    "10.0.0.0/-1",
    "::/0",
    " 10.0.0.0/16",
    "0.0.0.0/0/0",
    "10.0.0.0/16\n",
)
BAD_PORTS = (70000, 65536, -5, 2**31)
HUGE = (10**30, 2**64, -(2**63) - 1, 1e308, 10**400)
HUGE_RAW = (b"1e400", b"-1e400", b"1" + b"0" * 5000)
INVALID_UTF8 = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80")
BOM = b"\xef\xbb\xbf"
DEPTHS = (1000, 1500, 5000, 100_000)
EXTRA_VALUES: tuple[Json, ...] = (
    "ssmreach-mutation",
    42,
    None,
    True,
    [],
    [{"Key": "x"}],
    {"Nested": {"Deeper": [1, 2, 3]}},
)
CIDR_KEYS = frozenset({"CidrBlock", "CidrIp", "DestinationCidrBlock", "CidrIpv6"})
PORT_KEYS = frozenset({"FromPort", "ToPort", "From", "To"})
WRONG_TYPE_KINDS = (
    "wrong-type:string-for-list",
    "wrong-type:object-for-list",
    "wrong-type:number-for-string",
    "wrong-type:list-for-string",
    "wrong-type:string-for-number",
    "wrong-type:string-for-bool",
    "wrong-type:list-for-object",
    "wrong-type:null",
)

# Keys that AWS returns in every answer of the operation (not: ones it omits when empty or
# unset, such as IamInstanceProfile). Deleting one is damage, not an estate without it.
# `PrivateDnsEnabled` is left out on purpose: the snapshot spec gives it a default (false).
ALWAYS_RETURNED: dict[str, tuple[str, ...]] = {
    "DescribeVpcs": (
        "Vpcs",
        "Vpcs[*].VpcId",
        "Vpcs[*].CidrBlock",
        "Vpcs[*].DhcpOptionsId",
        "Vpcs[*].CidrBlockAssociationSet",
        "Vpcs[*].CidrBlockAssociationSet[*].CidrBlock",
        "Vpcs[*].OwnerId",
    ),
    "DescribeSubnets": (
        "Subnets",
        "Subnets[*].SubnetId",
        "Subnets[*].VpcId",
        "Subnets[*].CidrBlock",
        "Subnets[*].AvailabilityZone",
        "Subnets[*].MapPublicIpOnLaunch",
    ),
    "DescribeRouteTables": (
        "RouteTables",
        "RouteTables[*].RouteTableId",
        "RouteTables[*].VpcId",
        "RouteTables[*].Routes",
        "RouteTables[*].Associations",
        "RouteTables[*].Associations[*].Main",
        "RouteTables[*].Associations[*].SubnetId",
        "RouteTables[*].Associations[*].AssociationState",
        "RouteTables[*].Routes[*].DestinationCidrBlock",
        "RouteTables[*].Routes[*].DestinationPrefixListId",
        "RouteTables[*].Routes[*].GatewayId",
        "RouteTables[*].Routes[*].NatGatewayId",
        "RouteTables[*].Routes[*].State",
    ),
    "DescribeSecurityGroups": (
        "SecurityGroups",
        "SecurityGroups[*].GroupId",
        "SecurityGroups[*].GroupName",
        "SecurityGroups[*].VpcId",
        "SecurityGroups[*].IpPermissions",
        "SecurityGroups[*].IpPermissionsEgress",
        "SecurityGroups[*].IpPermissions[*].IpProtocol",
        "SecurityGroups[*].IpPermissions[*].IpRanges",
        "SecurityGroups[*].IpPermissions[*].UserIdGroupPairs",
        "SecurityGroups[*].IpPermissions[*].UserIdGroupPairs[*].GroupId",
        "SecurityGroups[*].IpPermissions[*].FromPort",
        "SecurityGroups[*].IpPermissions[*].ToPort",
        "SecurityGroups[*].IpPermissions[*].IpRanges[*].CidrIp",
        "SecurityGroups[*].IpPermissionsEgress[*].IpProtocol",
        "SecurityGroups[*].IpPermissionsEgress[*].IpRanges",
        "SecurityGroups[*].IpPermissionsEgress[*].IpRanges[*].CidrIp",
    ),
    "DescribeNetworkAcls": (
        "NetworkAcls",
        "NetworkAcls[*].NetworkAclId",
        "NetworkAcls[*].VpcId",
        "NetworkAcls[*].IsDefault",
        "NetworkAcls[*].Entries",
        "NetworkAcls[*].Associations",
        "NetworkAcls[*].Associations[*].SubnetId",
        "NetworkAcls[*].Entries[*].RuleAction",
        "NetworkAcls[*].Entries[*].RuleNumber",
        "NetworkAcls[*].Entries[*].Protocol",
        "NetworkAcls[*].Entries[*].Egress",
        "NetworkAcls[*].Entries[*].CidrBlock",
    ),
    "DescribeNetworkInterfaces": (
        "NetworkInterfaces",
        "NetworkInterfaces[*].NetworkInterfaceId",
        "NetworkInterfaces[*].SubnetId",
        "NetworkInterfaces[*].VpcId",
        "NetworkInterfaces[*].AvailabilityZone",
        "NetworkInterfaces[*].PrivateIpAddress",
        "NetworkInterfaces[*].PrivateIpAddresses",
        "NetworkInterfaces[*].Groups",
        "NetworkInterfaces[*].Groups[*].GroupId",
        "NetworkInterfaces[*].InterfaceType",
    ),
    "DescribeVpcEndpoints": (
        "VpcEndpoints",
        "VpcEndpoints[*].VpcEndpointId",
        "VpcEndpoints[*].VpcEndpointType",
        "VpcEndpoints[*].VpcId",
        "VpcEndpoints[*].ServiceName",
        "VpcEndpoints[*].State",
        "VpcEndpoints[*].PolicyDocument",
        "VpcEndpoints[*].RouteTableIds",
        "VpcEndpoints[*].SubnetIds",
        "VpcEndpoints[*].Groups",
        "VpcEndpoints[*].NetworkInterfaceIds",
        "VpcEndpoints[*].DnsEntries",
    ),
    "DescribeVpcEndpointServices": (
        "ServiceNames",
        "ServiceDetails",
        "ServiceDetails[*].ServiceName",
        "ServiceDetails[*].ServiceType",
        "ServiceDetails[*].AvailabilityZones",
        "ServiceDetails[*].BaseEndpointDnsNames",
    ),
    "DescribeDhcpOptions": (
        "DhcpOptions",
        "DhcpOptions[*].DhcpOptionsId",
        "DhcpOptions[*].DhcpConfigurations",
        "DhcpOptions[*].DhcpConfigurations[*].Key",
        "DhcpOptions[*].DhcpConfigurations[*].Values",
        "DhcpOptions[*].DhcpConfigurations[*].Values[*].Value",
    ),
    "DescribeVpcPeeringConnections": ("VpcPeeringConnections",),
    "DescribeNatGateways": (
        "NatGateways",
        "NatGateways[*].NatGatewayId",
        "NatGateways[*].SubnetId",
        "NatGateways[*].VpcId",
        "NatGateways[*].State",
        "NatGateways[*].ConnectivityType",
        "NatGateways[*].NatGatewayAddresses",
    ),
    "DescribeInternetGateways": (
        "InternetGateways",
        "InternetGateways[*].InternetGatewayId",
        "InternetGateways[*].Attachments",
        "InternetGateways[*].Attachments[*].State",
        "InternetGateways[*].Attachments[*].VpcId",
    ),
    "DescribePrefixLists": (
        "PrefixLists",
        "PrefixLists[*].PrefixListId",
        "PrefixLists[*].PrefixListName",
        "PrefixLists[*].Cidrs",
    ),
    "DescribeInstances": (
        "Reservations",
        "Reservations[*].Instances",
        "Reservations[*].Instances[*].InstanceId",
        "Reservations[*].Instances[*].State",
        "Reservations[*].Instances[*].State.Name",
        "Reservations[*].Instances[*].SubnetId",
        "Reservations[*].Instances[*].VpcId",
        "Reservations[*].Instances[*].PrivateIpAddress",
        "Reservations[*].Instances[*].Placement",
        "Reservations[*].Instances[*].Placement.AvailabilityZone",
        "Reservations[*].Instances[*].SecurityGroups",
        "Reservations[*].Instances[*].SecurityGroups[*].GroupId",
        "Reservations[*].Instances[*].NetworkInterfaces",
        "Reservations[*].Instances[*].NetworkInterfaces[*].Groups",
        "Reservations[*].Instances[*].NetworkInterfaces[*].SubnetId",
        "Reservations[*].Instances[*].MetadataOptions",
        "Reservations[*].Instances[*].MetadataOptions.HttpEndpoint",
        "Reservations[*].Instances[*].MetadataOptions.HttpTokens",
        "Reservations[*].Instances[*].PlatformDetails",
        "Reservations[*].Instances[*].IamInstanceProfile.Arn",
    ),
    "DescribeVpcAttribute": (
        "[*].Request",
        "[*].Response",
        "[*].Request.VpcId",
        "[*].Request.Attribute",
        "[*].Response.EnableDnsSupport",
        "[*].Response.EnableDnsHostnames",
        "[*].Response.EnableDnsSupport.Value",
        "[*].Response.EnableDnsHostnames.Value",
    ),
    "DescribeInstanceInformation": (
        "InstanceInformationList",
        "InstanceInformationList[*].InstanceId",
        "InstanceInformationList[*].PingStatus",
        "InstanceInformationList[*].AgentVersion",
        "InstanceInformationList[*].PlatformType",
        "InstanceInformationList[*].PlatformName",
        "InstanceInformationList[*].ResourceType",
    ),
    "GetServiceSetting": (
        "[*].Request",
        "[*].Response",
        "[*].Request.SettingId",
        "[*].Response.ServiceSetting",
        "[*].Response.ServiceSetting.SettingValue",
        "[*].Response.ServiceSetting.SettingId",
    ),
    "ListResolverRules": (
        "ResolverRules",
        "ResolverRules[*].Id",
        "ResolverRules[*].DomainName",
        "ResolverRules[*].RuleType",
        "ResolverRules[*].Status",
    ),
    "ListResolverRuleAssociations": ("ResolverRuleAssociations",),
    "GetAccountAuthorizationDetails": (
        "RoleDetailList",
        "Policies",
        "RoleDetailList[*].RoleName",
        "RoleDetailList[*].Arn",
        "RoleDetailList[*].InstanceProfileList",
        "RoleDetailList[*].InstanceProfileList[*].Arn",
        "RoleDetailList[*].RolePolicyList",
        "RoleDetailList[*].RolePolicyList[*].PolicyDocument",
        "RoleDetailList[*].AttachedManagedPolicies",
        "RoleDetailList[*].AttachedManagedPolicies[*].PolicyArn",
        "Policies[*].Arn",
        "Policies[*].DefaultVersionId",
        "Policies[*].PolicyVersionList",
        "Policies[*].PolicyVersionList[*].Document",
        "Policies[*].PolicyVersionList[*].IsDefaultVersion",
    ),
    "ListHostedZones": ("HostedZones",),
}

# Keys whose value is an IAM policy document (its own language: unknown elements are errors).
POLICY_KEYS = frozenset({"PolicyDocument", "Document", "AssumeRolePolicyDocument"})

# Policy documents embedded in a response, and the other forms AWS tools write them in.
EMBEDDED_POLICIES = (
    "VpcEndpoints[*].PolicyDocument",
    "RoleDetailList[*].RolePolicyList[*].PolicyDocument",
    "Policies[*].PolicyVersionList[*].Document",
)


# --- building blocks -----------------------------------------------------------------------------


class _Builder:
    """Collects the mutations of one base, numbering them in the order they are made."""

    def __init__(self, base: str, prefix: str) -> None:
        self.base = base
        self.prefix = prefix
        self.items: list[Mutation] = []

    def add(
        self,
        kind: str,
        file: str,
        detail: str,
        writes: Mapping[str, bytes | None],
        *,
        operation: str | None = None,
        resources: tuple[str, ...] = (),
        must_be_unchanged: bool = False,
    ) -> None:
        self.items.append(
            Mutation(
                id=f"{self.prefix}-{len(self.items) + 1:04d}",
                kind=kind,
                base=self.base,
                file=file,
                detail=detail,
                writes=tuple(sorted(writes.items())),
                operation=operation,
                resources=resources,
                must_be_unchanged=must_be_unchanged,
            )
        )


def _rng(*parts: object) -> random.Random:
    return random.Random("/".join(str(p) for p in (SEED, *parts)))


def _sample(rng: random.Random, items: list[Any], count: int) -> list[Any]:
    return list(items) if len(items) <= count else rng.sample(items, count)


def _initials(name: str) -> str:
    return "".join(part[0] for part in re.split(r"[-_]", name) if part)


def _truncations(body: bytes, rng: random.Random, count: int) -> list[int]:
    stripped = body.rstrip()
    if len(stripped) < 2:
        return [0]
    cuts = {rng.randrange(1, len(stripped)) for _ in range(count)}
    return sorted(cuts)


def _invalid_utf8(doc: Json, body: bytes, rng: random.Random) -> tuple[bytes, str]:
    strings = [p for p, v in positions(doc) if p and isinstance(v, str) and v]
    bad = rng.choice(INVALID_UTF8)
    if not strings:
        return bad + body, f"{bad!r} before the document"
    path = rng.choice(strings)
    value: str = get(doc, path)
    cut = rng.randrange(0, len(value) + 1)
    marker = "@@ssmreach-mutation-utf8@@"
    mutated = copy.deepcopy(doc)
    put(mutated, path, marker)
    encoded = json.dumps(value[:cut]).encode()[:-1] + bad + json.dumps(value[cut:]).encode()[1:]
    return dump(mutated, {marker: encoded}), f"{bad!r} inside {show(path)}"


def _deep(doc: Json, rng: random.Random, depth: int) -> tuple[bytes, str]:
    inner = [p for p, v in positions(doc) if p]
    nested = b"[" * depth + b"]" * depth
    if not inner:
        return nested, f"the document replaced by lists nested {depth} deep"
    path = rng.choice(inner)
    marker = "@@ssmreach-mutation-deep@@"
    mutated = copy.deepcopy(doc)
    put(mutated, path, marker)
    return dump(mutated, {marker: nested}), f"{show(path)} replaced by lists nested {depth} deep"


def _wrong_top(doc: Json) -> tuple[Json, str]:
    if isinstance(doc, dict):
        return [doc], "the object wrapped in a list"
    return {"Items": doc}, "the list wrapped in an object"


def _wrong_type(value: Json, rng: random.Random) -> tuple[str, Json] | None:
    """A wrong-type replacement for `value`, and its kind; None when none applies."""
    if rng.random() < 0.2:
        return "wrong-type:null", None
    if isinstance(value, bool):
        return "wrong-type:string-for-bool", rng.choice(["true", "false", "yes"])
    if isinstance(value, list):
        return rng.choice(
            [
                ("wrong-type:string-for-list", "not-a-list"),
                ("wrong-type:object-for-list", {}),
                ("wrong-type:object-for-list", {"0": value[0] if value else "x"}),
            ]
        )
    if isinstance(value, dict):
        return "wrong-type:list-for-object", rng.choice([[], [value], "not-an-object"])
    if isinstance(value, str):
        return rng.choice(
            [
                ("wrong-type:number-for-string", rng.choice([0, 42, -1, 3.5])),
                ("wrong-type:list-for-string", [value]),
            ]
        )
    if isinstance(value, int | float):
        return "wrong-type:string-for-number", str(value)
    return None


# --- snapshots -----------------------------------------------------------------------------------


def _operation_files(root: Path) -> list[str]:
    return sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.json")
        if p.is_file() and p.name != MANIFEST and p.parent != root
    )


def _operation(rel: str) -> str:
    return Path(rel).name.removesuffix(".json")


def _file_level(b: _Builder, rel: str, body: bytes, doc: Json) -> None:
    op = _operation(rel)
    rng = _rng(b.base, rel, "file")
    b.add("remove-file", rel, "file deleted (operation not collected)", {rel: None}, operation=op)
    for code in ERROR_CODES:
        error = json.dumps({"Error": {"Code": code, "Message": f"mutation: {code}"}}).encode()
        b.add(
            f"error-file:{code}",
            rel,
            f"replaced by {op}.error.json ({code})",
            {rel: None, rel.removesuffix(".json") + ".error.json": error},
            operation=op,
        )
    for cut in _truncations(body, rng, 2):
        b.add("truncate", rel, f"cut after byte {cut}", {rel: body[:cut]}, operation=op)
    b.add("empty-file", rel, "zero bytes", {rel: b""}, operation=op)
    mutated, where = _invalid_utf8(doc, body, rng)
    b.add("invalid-utf8", rel, where, {rel: mutated}, operation=op)
    b.add("utf8-bom", rel, "UTF-8 byte order mark first", {rel: BOM + body}, operation=op)
    for depth in sorted(set(rng.sample(DEPTHS, 2))):
        mutated, where = _deep(doc, rng, depth)
        b.add("deep-nesting", rel, where, {rel: mutated}, operation=op)
    # deep nesting under a key the reader does not decode (it still has to skip it)
    holder: JsonPath = () if isinstance(doc, dict) else (0,) if doc else ()
    if isinstance(get(doc, holder), dict):
        marker = "@@ssmreach-mutation-deep@@"
        mutated_doc = copy.deepcopy(doc)
        get(mutated_doc, holder)["SsmreachDeep"] = marker
        depth = rng.choice(DEPTHS)
        b.add(
            "deep-nesting",
            rel,
            f"{show(holder)} gets unknown key SsmreachDeep, lists nested {depth} deep",
            {rel: dump(mutated_doc, {marker: b"[" * depth + b"]" * depth})},
            operation=op,
        )
    wrapped, where = _wrong_top(doc)
    b.add("wrong-top-type", rel, where, {rel: dump(wrapped)}, operation=op)
    scalar = rng.choice([None, "text", 0, True])
    b.add(
        "wrong-top-type",
        rel,
        f"the document replaced by {json.dumps(scalar)}",
        {rel: dump(scalar)},
        operation=op,
    )


def _edit(
    b: _Builder,
    kind: str,
    rel: str,
    doc: Json,
    path: JsonPath,
    change: Edit,
    *,
    raw: Mapping[str, bytes] | None = None,
    must_be_unchanged: bool = False,
) -> None:
    """A mutation that edits a deep copy of `doc` (`change` does it and says what it did)."""
    mutated = copy.deepcopy(doc)
    detail = change(mutated)
    b.add(
        kind,
        rel,
        detail,
        {rel: dump(mutated, raw)},
        operation=_operation(rel),
        resources=resources_of(doc, path),
        must_be_unchanged=must_be_unchanged,
    )


def _field_level(b: _Builder, rel: str, doc: Json, modelled: frozenset[str]) -> None:
    op = _operation(rel)
    rng = _rng(b.base, rel, "field")
    every = [(p, v) for p, v in positions(doc) if p]

    # keys that AWS always returns, deleted
    for pattern in ALWAYS_RETURNED.get(op, ()):
        for path in _sample(rng, match(doc, pattern), 3):
            _edit(
                b,
                "delete-required-key",
                rel,
                doc,
                path,
                deleting(path, f"{show(path)} deleted"),
            )

    # values of the wrong type, mostly on keys the reader decodes
    keyed = [(p, v) for p, v in every if isinstance(p[-1], str)]
    preferred = [(p, v) for p, v in keyed if p[-1] in modelled]
    picks = _sample(rng, preferred, 6) + _sample(rng, keyed, 2)
    for path, value in picks:
        wrong = _wrong_type(value, rng)
        if wrong is None:
            continue
        kind, replacement = wrong

        def set_wrong(d: Json, p: JsonPath = path, r: Json = replacement) -> str:
            put(d, p, r)
            return f"{show(p)} = {json.dumps(r)[:40]}"

        _edit(b, kind, rel, doc, path, set_wrong)

    # CIDRs that cannot be
    cidrs = [
        p
        for p, v in every
        if isinstance(v, str)
        and (p[-1] in CIDR_KEYS or (isinstance(p[-1], int) and len(p) > 1 and p[-2] == "Cidrs"))
    ]
    for path in cidrs:
        for bad in rng.sample(BAD_CIDRS, 2):
            _edit(
                b,
                "bad-cidr",
                rel,
                doc,
                path,
                putting(path, bad, f"{show(path)} = {json.dumps(bad)}"),
            )

    # ports outside 0-65535, and ranges that end before they start
    ports = [p for p, v in every if p[-1] in PORT_KEYS and isinstance(v, int)]
    for path in ports:
        for bad_port in rng.sample(BAD_PORTS, 2):
            _edit(
                b,
                "bad-port",
                rel,
                doc,
                path,
                putting(path, bad_port, f"{show(path)} = {bad_port}"),
            )
    for path, value in every:
        if isinstance(value, dict) and isinstance(value.get("FromPort"), int):
            if not isinstance(value.get("ToPort"), int):
                continue

            def reverse(d: Json, p: JsonPath = path) -> str:
                rule = get(d, p)
                rule["FromPort"] = rule["ToPort"] + 1
                return f"{show(p)}: FromPort {rule['FromPort']} > ToPort {rule['ToPort']}"

            _edit(b, "ports-reversed", rel, doc, path, reverse)

    # huge numbers
    numbers = [(p, v) for p, v in every if isinstance(v, int | float) and not isinstance(v, bool)]
    for path, _ in _sample(rng, numbers, 4):
        if rng.random() < 0.4:
            raw = rng.choice(HUGE_RAW)
            marker = "@@ssmreach-mutation-number@@"
            _edit(
                b,
                "huge-number",
                rel,
                doc,
                path,
                putting(path, marker, f"{show(path)} = {raw[:12].decode()}"),
                raw={marker: raw},
            )
        else:
            huge = rng.choice(HUGE)
            _edit(
                b,
                "huge-number",
                rel,
                doc,
                path,
                putting(path, huge, f"{show(path)} = {str(huge)[:12]}"),
            )

    # the same record twice in one list
    lists = [p for p, v in positions(doc) if isinstance(v, list) and v and isinstance(v[0], dict)]
    for path in _sample(rng, lists, 3):
        index = rng.randrange(len(get(doc, path)))

        def duplicate(d: Json, p: JsonPath = path, i: int = index) -> str:
            items = get(d, p)
            items.insert(i + 1, copy.deepcopy(items[i]))
            return f"{show((*p, i))} listed twice"

        _edit(b, "duplicate-record", rel, doc, (*path, index), duplicate)

    # unknown keys: must be ignored
    # (inside an IAM policy document an unknown element is an error of the policy language,
    # which AWS itself refuses: there it is damage like any other, not a key to ignore)
    objects = [p for p, v in positions(doc) if isinstance(v, dict)]
    api_objects = [p for p in objects if not in_policy(p)]
    policy_objects = [p for p in objects if in_policy(p)]
    picks = [(p, "extra-key") for p in _sample(rng, api_objects, 3)]
    picks += [(p, "embedded-policy:unknown-element") for p in _sample(rng, policy_objects, 1)]
    for path, kind in picks:
        name = rng.choice(["SsmreachMutationExtra", "FutureAwsField", "Ipv6Native", "x-extra"])
        value = rng.choice(EXTRA_VALUES)

        def extra(d: Json, p: JsonPath = path, k: str = name, v: Json = value) -> str:
            get(d, p)[k] = copy.deepcopy(v)
            return f"{show(p)} gets unknown key {k} = {json.dumps(v)[:30]}"

        _edit(b, kind, rel, doc, path, extra, must_be_unchanged=kind == "extra-key")
    objects = api_objects
    variants = [(p, k) for p in objects for k in get(doc, p) if k in modelled and k.lower() != k]
    for path, key in _sample(rng, variants, 1):
        value = get(doc, (*path, key))
        twisted: Json = (
            [] if isinstance(value, list) else (not value if isinstance(value, bool) else "x")
        )

        def case_variant(d: Json, p: JsonPath = path, k: str = key, v: Json = twisted) -> str:
            get(d, p)[k.lower()] = v
            return f"{show(p)} gets {k.lower()} = {json.dumps(v)} (case variant of {k})"

        _edit(b, "extra-key:case-variant", rel, doc, path, case_variant, must_be_unchanged=True)

    # failed calls inside a call list
    if isinstance(doc, list):
        calls = [i for i, c in enumerate(doc) if isinstance(c, dict) and "Response" in c]
        for index in _sample(rng, calls, 2):
            code = rng.choice(ERROR_CODES)

            def fail_call(d: Json, i: int = index, c: str = code) -> str:
                del d[i]["Response"]
                d[i]["Error"] = {"Code": c, "Message": f"mutation: {c}"}
                return f"call [{i}] answered Error {c}"

            _edit(b, f"call-error:{code}", rel, doc, (index,), fail_call)

    # embedded policy documents in other forms, or broken
    for pattern in EMBEDDED_POLICIES:
        for path in _sample(rng, match(doc, pattern), 2):
            value = get(doc, path)
            text = value if isinstance(value, str) else json.dumps(value)
            forms: list[tuple[str, Json]] = [
                ("embedded-policy:truncated", text[: max(1, len(text) // 2)]),
                ("embedded-policy:garbage", "not a policy"),
                ("embedded-policy:deep", '{"Statement": ' + "[" * 3000 + "]" * 3000 + "}"),
            ]
            if isinstance(value, dict):
                forms.append(("embedded-policy:url-encoded", urllib.parse.quote(text)))
                forms.append(("embedded-policy:json-string", text))
            for kind, form in forms:
                _edit(
                    b,
                    kind,
                    rel,
                    doc,
                    path,
                    putting(path, form, f"{show(path)} = {json.dumps(form)[:40]}"),
                )


def _manifest_level(b: _Builder, body: bytes, doc: Json) -> None:
    rng = _rng(b.base, MANIFEST)
    rel = MANIFEST

    def with_(key: str, value: Json) -> bytes:
        mutated = copy.deepcopy(doc)
        mutated[key] = value
        return dump(mutated)

    def without(key: str) -> bytes:
        mutated = copy.deepcopy(doc)
        mutated.pop(key, None)
        return dump(mutated)

    b.add("manifest-removed", rel, "manifest.json deleted", {rel: None})
    for cut in _truncations(body, rng, 2):
        b.add("manifest-broken", rel, f"cut after byte {cut}", {rel: body[:cut]})
    b.add("manifest-broken", rel, "zero bytes", {rel: b""})
    mutated, where = _invalid_utf8(doc, body, rng)
    b.add("manifest-broken", rel, f"invalid UTF-8: {where}", {rel: mutated})
    b.add("manifest-broken", rel, "UTF-8 byte order mark first", {rel: BOM + body})
    mutated, where = _deep(doc, rng, rng.choice(DEPTHS))
    b.add("manifest-broken", rel, where, {rel: mutated})
    b.add("manifest-broken", rel, "the object wrapped in a list", {rel: dump([doc])})
    b.add("manifest-broken", rel, "null", {rel: b"null"})
    formats: list[Json] = [
        "ssmreach-snapshot/2",
        "ssmreach-snapshot",
        "snapshot/1",
        "",
        "SSMREACH-SNAPSHOT/1",
        1,
        None,
        ["ssmreach-snapshot/1"],
    ]
    for format_ in formats:
        b.add(
            "manifest-format",
            rel,
            f"format = {json.dumps(format_)}",
            {rel: with_("format", format_)},
        )
    b.add("manifest-format", rel, "format deleted", {rel: without("format")})
    fields: list[tuple[str, Json]] = [
        ("created", "yesterday"),
        ("created", ""),
        ("created", 12345),
        ("created", "2026-13-45T99:00:00Z"),
        ("created", None),
        ("created", "2026-11-28"),
        ("accounts", "111122223333"),
        ("accounts", [111122223333]),
        ("regions", "us-east-1"),
        ("regions", [42]),
        ("partition", 7),
        ("collector", {"name": 1}),
        ("collector", "ssmreach"),
    ]
    for key, value in fields:
        b.add(
            "manifest-field",
            rel,
            f"{key} = {json.dumps(value)}",
            {rel: with_(key, value)},
        )
    for key in ("created", "partition", "accounts", "regions"):
        b.add("manifest-field", rel, f"{key} deleted", {rel: without(key)})
    b.add(
        "extra-key",
        rel,
        "manifest gets unknown key comment",
        {rel: with_("comment", {"by": "a person", "n": [1]})},
        must_be_unchanged=True,
    )


def snapshot_mutations(name: str, root: Path | None = None) -> list[Mutation]:
    """Every mutation of one example snapshot."""
    from ssmreach.model import aws

    folder = (root or examples_root()) / name
    modelled = struct_keys(aws)
    b = _Builder(name, _initials(name))
    manifest = (folder / MANIFEST).read_bytes()
    _manifest_level(b, manifest, json.loads(manifest))
    for rel in _operation_files(folder):
        body = (folder / rel).read_bytes()
        doc = json.loads(body)
        _file_level(b, rel, body, doc)
        _field_level(b, rel, doc, modelled)
    return b.items


def snapshot_corpus(root: Path | None = None) -> list[Mutation]:
    """The whole snapshot corpus: every example's mutations."""
    return [m for name in SNAPSHOTS for m in snapshot_mutations(name, root)]


# --- plans ---------------------------------------------------------------------------------------

PLAN_FILE = "plan.json"
DANGLING = "ssmreach-mutation-dangling"
# Fields of changes that may hold a `${change-id}` reference to another change's resource.
REFERABLE = (
    "group_id",
    "endpoint_id",
    "vpc_id",
    "security_group_ids",
    "add_group_ids",
    "source_group_ids",
    "destination_group_ids",
)


def _required_fields(kind: str) -> list[str]:
    from ssmreach.plan import changes

    cls = getattr(changes, kind, None)
    if not (isinstance(cls, type) and issubclass(cls, msgspec.Struct)):
        return []
    return [f.encode_name for f in msgspec.structs.fields(cls) if f.required]


def plan_mutations(name: str, body: bytes) -> list[Mutation]:
    """Mutations of one plan file (`ssmreach plan --format json` output)."""
    from ssmreach.plan import plan as plan_module

    doc = json.loads(body)
    rel = PLAN_FILE
    rng = _rng("plan", name)
    b = _Builder(name, "plan-" + _initials(name))

    def edited(kind: str, path: JsonPath, change: Edit, **kw: Any) -> None:
        mutated = copy.deepcopy(doc)
        detail = change(mutated)
        b.add(kind, rel, detail, {rel: dump(mutated)}, resources=_change_id(doc, path), **kw)

    for cut in _truncations(body, rng, 3):
        b.add("truncate", rel, f"cut after byte {cut}", {rel: body[:cut]})
    b.add("empty-file", rel, "zero bytes", {rel: b""})
    b.add("utf8-bom", rel, "UTF-8 byte order mark first", {rel: BOM + body})
    mutated, where = _invalid_utf8(doc, body, rng)
    b.add("invalid-utf8", rel, where, {rel: mutated})
    for depth in (1000, 100_000):
        mutated, where = _deep(doc, rng, depth)
        b.add("deep-nesting", rel, where, {rel: mutated})
    b.add("deep-nesting", rel, "the whole file nested lists", {rel: b"[" * 5000 + b"]" * 5000})
    wrapped, where = _wrong_top(doc)
    b.add("wrong-top-type", rel, where, {rel: dump(wrapped)})
    b.add("wrong-top-type", rel, "the document replaced by null", {rel: b"null"})

    # top-level keys
    for field in msgspec.structs.fields(plan_module.Plan):
        key = field.encode_name
        if key in doc:
            edited("delete-required-key", (), deleting((key,), f"{key} deleted"))
    for format_ in ("ssmreach-plan/2", "ssmreach-check/1", 1):
        edited("plan-format", (), putting(("format",), format_, f"format = {format_!r}"))

    changes = doc.get("changes") or []
    first_of_kind: dict[str, int] = {}
    for index, change in enumerate(changes):
        first_of_kind.setdefault(change["type"], index)
    for kind_name, index in sorted(first_of_kind.items()):
        base: JsonPath = ("changes", index)
        for key in ["type", "id", "account", "region", *_required_fields(kind_name)]:
            if key in changes[index]:
                edited(
                    "delete-required-key",
                    base,
                    deleting((*base, key), f"{show((*base, key))} deleted ({kind_name})"),
                )
        for type_ in ("DeleteVpc", "", "createSecurityGroup", 7, None):
            edited(
                "unknown-change-kind",
                base,
                putting((*base, "type"), type_, f"{show((*base, 'type'))} = {type_!r}"),
            )
        for key in REFERABLE:
            current = changes[index].get(key)
            if isinstance(current, str):
                target: JsonPath = (*base, key)
            elif isinstance(current, list) and current:
                target = (*base, key, 0)
            else:
                continue
            edited(
                "dangling-ref",
                base,
                putting(target, "${" + DANGLING + "}", f"{show(target)} = ${{{DANGLING}}}"),
            )
        depends_on: JsonPath = (*base, "depends_on")
        edited(
            "dangling-ref",
            base,
            putting(depends_on, [DANGLING], f"{show(depends_on)} = [{DANGLING!r}]"),
        )
        for key, value in changes[index].items():
            path = (*base, key)
            if key in ("port", "from_port", "to_port"):
                for bad in (70000, -5):
                    edited("bad-port", base, putting(path, bad, f"{show(path)} = {bad}"))
            if key in ("cidr", "destination_cidr") or (key == "cidrs" and value):
                cidr: JsonPath = path if key != "cidrs" else (*path, 0)
                for bad_cidr in rng.sample(BAD_CIDRS, 2):
                    edited(
                        "bad-cidr",
                        base,
                        putting(cidr, bad_cidr, f"{show(cidr)} = {json.dumps(bad_cidr)}"),
                    )
        if isinstance(changes[index].get("from_port"), int):

            def reverse(d: Json, p: JsonPath = base) -> str:
                get(d, p)["from_port"] = get(d, p)["to_port"] + 1
                return f"{show(p)}: from_port > to_port"

            edited("ports-reversed", base, reverse)

        def duplicate(d: Json, i: int = index) -> str:
            d["changes"].insert(i + 1, copy.deepcopy(d["changes"][i]))
            return f"changes[{i}] listed twice"

        edited("duplicate-record", base, duplicate)

    every = [(p, v) for p, v in positions(doc) if p and isinstance(p[-1], str)]
    for path, value in _sample(rng, every, 12):
        wrong = _wrong_type(value, rng)
        if wrong is None:
            continue
        kind, replacement = wrong
        edited(
            kind,
            path,
            putting(path, replacement, f"{show(path)} = {json.dumps(replacement)[:40]}"),
        )
    numbers = [
        (p, v) for p, v in positions(doc) if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    for path, _ in _sample(rng, numbers, 3):
        huge = rng.choice(HUGE)
        edited("huge-number", path, putting(path, huge, f"{show(path)} = {str(huge)[:12]}"))
    objects = [p for p, v in positions(doc) if isinstance(v, dict)]
    for path in _sample(rng, objects, 4):
        edited(
            "extra-key",
            path,
            putting(
                (*path, "x_ssmreach_mutation"),
                {"note": [1, "a"]},
                f"{show(path)} gets unknown key x_ssmreach_mutation",
            ),
            must_be_unchanged=True,
        )
    return b.items


def _change_id(doc: Json, path: JsonPath) -> tuple[str, ...]:
    if len(path) >= 2 and path[0] == "changes":
        change = get(doc, path[:2])
        if isinstance(change, dict) and isinstance(change.get("id"), str):
            return (str(change["id"]),)
    return ()


# --- probe documents -----------------------------------------------------------------------------

PROBE_FILE = "probe.json"


def _snapshot_facts(folder: Path) -> tuple[dict[str, str], dict[str, tuple[str, str]]]:
    """Instance ids by Name tag, and (endpoint id, one ENI address) by service name."""
    region = next(p for p in sorted(folder.glob("*/*")) if p.name != "global")
    instances: dict[str, str] = {}
    doc = json.loads((region / "ec2" / "DescribeInstances.json").read_bytes())
    for reservation in doc["Reservations"]:
        for instance in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            instances[tags.get("Name", instance["InstanceId"])] = instance["InstanceId"]
    enis = json.loads((region / "ec2" / "DescribeNetworkInterfaces.json").read_bytes())
    address = {e["NetworkInterfaceId"]: e["PrivateIpAddress"] for e in enis["NetworkInterfaces"]}
    endpoints: dict[str, tuple[str, str]] = {}
    doc = json.loads((region / "ec2" / "DescribeVpcEndpoints.json").read_bytes())
    for ep in doc["VpcEndpoints"]:
        service = ep["ServiceName"].rsplit(".", 1)[-1]
        eni = next(iter(ep.get("NetworkInterfaceIds") or []), None)
        endpoints[service] = (ep["VpcEndpointId"], address.get(eni or "", "52.94.0.10"))
    return instances, endpoints


def _probe_service(
    service: str, verdict: str, *, via: str | None, address: str, kind: str
) -> dict[str, Json]:
    host = f"{service}.us-east-1.amazonaws.com"
    hops: list[dict[str, Json]] = [
        {
            "step": "dns",
            "resource": via,
            "result": "pass",
            "detail": f"{host} resolves to {address} ({kind})",
        }
    ]
    reasons: list[dict[str, Json]] = []
    if verdict == "BLOCKED":
        hops.append(
            {
                "step": "tcp",
                "resource": address,
                "result": "fail",
                "detail": f"{address}:443 timed out",
            }
        )
        reasons.append(
            {
                "code": "PROBE_TCP_FAILED",
                "severity": "error",
                "resource": address,
                "message": f"{address}:443 timed out",
            }
        )
    else:
        hops += [
            {
                "step": "tcp",
                "resource": address,
                "result": "pass",
                "detail": f"{address}:443 connected",
            },
            {"step": "tls", "resource": address, "result": "pass", "detail": "certificate valid"},
            {"step": "https", "resource": address, "result": "pass", "detail": "HTTP 404 from AWS"},
        ]
        if verdict == "INTERNET":
            reasons.append(
                {
                    "code": "INTERNET_PATH",
                    "severity": "info",
                    "resource": address,
                    "message": f"{host} resolves to the public address {address}",
                }
            )
    return {
        "service": service,
        "host": host,
        "verdict": verdict,
        "via": via if verdict == "PRIVATE" else None,
        "override": False,
        "addresses": [{"address": address, "kind": kind, "endpoint": via}],
        "connected": address if verdict != "BLOCKED" else None,
        "proxy": None,
        "tls": {"version": "TLSv1.3", "issuer": "Amazon RSA 2048 M01"}
        if verdict != "BLOCKED"
        else None,
        "http": {"status": 404, "skew_seconds": 0.4} if verdict != "BLOCKED" else None,
        "hops": hops,
        "reasons": reasons,
    }


def _probe_document(instance: str, services: list[dict[str, Json]]) -> dict[str, Json]:
    worst = "PRIVATE"
    for name in ("INTERNET", "UNKNOWN", "BLOCKED"):
        if any(s["verdict"] == name for s in services):
            worst = name
    return {
        "format": "ssmreach.probe/1",
        "probe": {
            "version": "0.1.0",
            "started": "2026-11-28T12:05:00Z",
            "seconds": 1.7,
            "timeout": 20.0,
            "python": "3.11.9",
            "platform": "linux",
            "features": ["core", "run-command", "session-manager", "patch-manager", "agent-update"],
        },
        "node": {
            "instance": instance,
            "kind": "ec2",
            "region": "us-east-1",
            "account": "111122223333",
            "vpc_cidrs": ["10.0.0.0/16"],
            "imds": {"reachable": True, "v2_token": True},
            "role": {"name": "ssm-core", "credentials": "ok", "expires": "2026-11-28T18:00:00Z"},
            "registration": None,
            "resolvers": {"servers": ["10.0.0.2"]},
            "proxy": {},
            "agent": {"state": "running", "version": "3.3.1142.0"},
            "clock": {"skew_seconds": 0.4, "against": "ssm.us-east-1.amazonaws.com"},
        },
        "verdict": worst,
        "reasons": [],
        "services": services,
    }


def probe_bases(root: Path | None = None) -> dict[str, tuple[str, list[dict[str, Json]]]]:
    """Probe files (a list of documents each) by name, with the snapshot they belong to.

    `*-agrees`: what the node sees is what the model says. `*-disagrees`: the node sees
    something else, so the probe decides verdicts (a mutation that drops it changes them).
    """
    folder = root or examples_root()
    trap_instances, trap_eps = _snapshot_facts(folder / "default-sg-trap")
    pp_instances, pp_eps = _snapshot_facts(folder / "partly-private")

    def private(eps: dict[str, tuple[str, str]], service: str) -> dict[str, Json]:
        endpoint, address = eps[service]
        return _probe_service(service, "PRIVATE", via=endpoint, address=address, kind="vpc")

    def s3_private(eps: dict[str, tuple[str, str]]) -> dict[str, Json]:
        endpoint, _ = eps["s3"]
        return _probe_service("s3", "PRIVATE", via=endpoint, address="52.216.10.1", kind="public")

    def public(service: str, verdict: str = "INTERNET") -> dict[str, Json]:
        return _probe_service(service, verdict, via=None, address="52.94.1.20", kind="public")

    trap_private = [private(trap_eps, s) for s in ("ssm", "ssmmessages", "ec2messages")]
    trap_private.append(s3_private(trap_eps))
    trap_blocked = [
        _probe_service(s, "BLOCKED", via=trap_eps[s][0], address=trap_eps[s][1], kind="vpc")
        for s in ("ssm", "ssmmessages", "ec2messages")
    ]
    pp_web = pp_instances["web"]
    return {
        "trap-agrees": (
            "default-sg-trap",
            [
                _probe_document(trap_instances["web"], trap_blocked),
                _probe_document(trap_instances["ops"], trap_private),
            ],
        ),
        "trap-disagrees": (
            "default-sg-trap",
            [_probe_document(trap_instances["web"], trap_private)],
        ),
        "pp-agrees": (
            "partly-private",
            [
                _probe_document(
                    pp_web,
                    [
                        private(pp_eps, "ssm"),
                        public("ssmmessages"),
                        public("ec2messages"),
                        public("s3"),
                    ],
                )
            ],
        ),
        "pp-disagrees": (
            "partly-private",
            [
                _probe_document(
                    pp_web,
                    [
                        private(pp_eps, "ssm"),
                        public("ssmmessages", "BLOCKED"),
                        public("ec2messages", "BLOCKED"),
                        public("s3"),
                    ],
                )
            ],
        ),
    }


def probe_mutations(name: str, docs: list[dict[str, Json]]) -> list[Mutation]:
    """Mutations of one probe file (a JSON list of `ssmreach.probe/1` documents)."""
    from ssmreach.probe import document

    rel = PROBE_FILE
    body = dump(docs)
    rng = _rng("probe", name)
    b = _Builder(name, "probe-" + _initials(name))
    modelled = struct_keys(document)

    def edited(kind: str, change: Edit, **kw: Any) -> None:
        mutated = copy.deepcopy(docs)
        detail = change(mutated)
        b.add(kind, rel, detail, {rel: dump(mutated)}, **kw)

    for cut in _truncations(body, rng, 3):
        b.add("truncate", rel, f"cut after byte {cut}", {rel: body[:cut]})
    b.add("empty-file", rel, "zero bytes", {rel: b""})
    b.add("utf8-bom", rel, "UTF-8 byte order mark first", {rel: BOM + body})
    mutated, where = _invalid_utf8(docs, body, rng)
    b.add("invalid-utf8", rel, where, {rel: mutated})
    for depth in (500, 950, 1500, 100_000):
        mutated, where = _deep(docs, rng, depth)
        b.add("deep-nesting", rel, where, {rel: mutated})
    b.add("wrong-top-type", rel, "a number", {rel: b"42"})
    b.add("wrong-top-type", rel, "a string", {rel: b'"ssmreach.probe/1"'})
    b.add("wrong-top-type", rel, "a list of lists", {rel: dump([docs])})
    packed = base64.b64encode(gzip.compress(body))
    b.add("compressed-truncated", rel, "base64 gzip cut in half", {rel: packed[: len(packed) // 2]})
    b.add(
        "compressed-truncated",
        rel,
        "gzip stream cut in half",
        {rel: base64.b64encode(gzip.compress(body)[: len(gzip.compress(body)) // 2])},
    )
    b.add(
        "compressed-garbage", rel, "base64 of non-gzip", {rel: base64.b64encode(b"not gzip at all")}
    )

    required = [
        "[*].format",
        "[*].node",
        "[*].node.instance",
        "[*].services",
        "[*].services[*].service",
        "[*].services[*].host",
        "[*].services[*].verdict",
        "[*].services[*].hops",
        "[*].services[*].hops[*].step",
        "[*].services[*].hops[*].result",
        "[*].services[*].reasons[*].code",
        "[*].services[*].reasons[*].severity",
        "[*].services[*].reasons[*].message",
        "[*].services[*].addresses[*].kind",
        "[*].verdict",
    ]
    for pattern in required:
        for path in _sample(rng, match(docs, pattern), 2):
            edited("delete-required-key", deleting(path, f"{show(path)} deleted"))
    for pattern, values in (
        ("[*].services[*].verdict", ["private", "MAYBE", ""]),
        ("[*].services[*].hops[*].result", ["ok", "PASS"]),
        ("[*].services[*].reasons[*].severity", ["fatal"]),
        ("[*].format", ["ssmreach.probe/2", "ssmreach.check/1"]),
    ):
        for path in _sample(rng, match(docs, pattern), 1):
            for value in values:
                edited("bad-enum", putting(path, value, f"{show(path)} = {value!r}"))
    keyed = [(p, v) for p, v in positions(docs) if p and isinstance(p[-1], str)]
    preferred = [(p, v) for p, v in keyed if p[-1] in modelled]
    for path, value in _sample(rng, preferred, 10):
        wrong = _wrong_type(value, rng)
        if wrong is None:
            continue
        kind, replacement = wrong
        edited(kind, putting(path, replacement, f"{show(path)} = {json.dumps(replacement)[:40]}"))
    for path in _sample(rng, match(docs, "[*].services"), 2):

        def duplicate(d: Json, p: JsonPath = path) -> str:
            get(d, p).insert(1, copy.deepcopy(get(d, p)[0]))
            return f"{show(p)}[0] listed twice"

        edited("duplicate-record", duplicate)

    def duplicate_last(d: Json) -> str:
        d.append(copy.deepcopy(d[-1]))
        return "last document listed twice"

    edited("duplicate-record", duplicate_last)
    numbers = [
        (p, v) for p, v in positions(docs) if isinstance(v, int | float) and not isinstance(v, bool)
    ]
    for path, _ in _sample(rng, numbers, 3):
        huge = rng.choice(HUGE)
        edited("huge-number", putting(path, huge, f"{show(path)} = {str(huge)[:12]}"))
    objects = [p for p, v in positions(docs) if isinstance(v, dict)]
    for path in _sample(rng, objects, 4):
        edited(
            "extra-key",
            putting((*path, "x_future"), {"n": [1]}, f"{show(path)} gets unknown key x_future"),
            must_be_unchanged=True,
        )
    return b.items
