"""The reason codes (stable public API): one typed catalogue that every consumer reads.

The table follows `check-output.md`; codes are never renamed. Each entry says what the
code means and its generic fix (for `docs/reasons.md`, `ssmreach reasons`, SARIF rules and
the probe), the severities it is raised with, and how the rest of ssmreach treats it:

- `manual`: a plan never fixes it by itself; the text says why a person is needed;
- `nacl`: the plan fixes it with network ACL entries where it knows the path (else manual);
- `manual_on_private`: a plan lists the manual step even when the result is PRIVATE;
- `settleable`: an UNKNOWN the probe settles (the answer or onward path the snapshot lacks);
- `network`: a finding about the network path, which a probe that reached AWS contradicts;
- `side`: `endpoint` when the diagram blames the endpoint's side of the path;
- `probe`: raised by the probe on a node.

Findings carry a specific fix sentence built where the reason is raised; the generic fix
here is the fallback. Adding a code is one entry here (and `docs/reasons.md`, regenerated).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ssmreach.analysis.verdict import Reason, Severity


@dataclass(frozen=True, slots=True)
class ReasonCode:
    code: str
    levels: tuple[Severity, ...]  # the severities it is raised with, the usual one first
    meaning: str
    fix: str
    unknown: bool = False  # it makes the result UNKNOWN (a warning the snapshot cannot settle)
    manual: str = ""  # why a plan leaves it to a person ("" when a plan fixes it)
    nacl: str = ""  # why it stays manual when the plan cannot open the network ACL
    manual_on_private: bool = False
    settleable: bool = False
    network: bool = False
    side: Literal["instance", "endpoint"] = "instance"
    probe: bool = False

    @property
    def severity(self) -> str:
        """As the spec's table writes it: "error / warning", "warning (UNKNOWN)", "info"."""
        text = " / ".join(level.value for level in self.levels)
        return text + " (UNKNOWN)" if self.unknown else text

    @property
    def default_level(self) -> Severity:
        return self.levels[0]


CATALOGUE: tuple[ReasonCode, ...] = (
    ReasonCode(
        "ENDPOINT_MISSING",
        (
            Severity.ERROR,
            Severity.WARNING,
        ),
        "No interface (or gateway, for s3) endpoint for the service serves the instance. Error when there is no internet path either; warning when traffic falls back to the internet.",
        "Create the interface endpoint for the service in the instance's VPC (private DNS on), or the S3 gateway endpoint on the instance's route table.",
        network=True,
    ),
    ReasonCode(
        "ENDPOINT_NOT_AVAILABLE",
        (Severity.ERROR,),
        "The endpoint exists but its State is not available (pendingAcceptance, failed, deleting ...).",
        "Find out why the endpoint is not available (its LastError), then fix or recreate it.",
        manual="the endpoint exists but is not available",
        network=True,
    ),
    ReasonCode(
        "ENDPOINT_NO_SUBNETS",
        (Severity.ERROR,),
        "The interface endpoint has no subnet and no network interface, so nothing answers at the address its name resolves to.",
        "Add one subnet per Availability Zone of the instances to the endpoint.",
        manual="the endpoint exists without subnets; which subnets it gets is the owner's choice",
        network=True,
    ),
    ReasonCode(
        "EC2MESSAGES_NOT_OFFERED",
        (Severity.ERROR,),
        "The node's agent can use only the ec2messages channel (agent older than 3.1.821.0, Windows Server 2012 or older, Nano Server), and the Region offers no ec2messages endpoint service (Regions launched in 2024 or later): Run Command and the features built on it cannot work.",
        "Update the SSM agent to 3.3.40.0 or later out of band (user data, a new AMI, EC2 Instance Connect): AWS-UpdateSSMAgent itself travels over Run Command.",
        manual="the node's agent must be updated out of band (AWS-UpdateSSMAgent travels over Run Command)",
    ),
    ReasonCode(
        "EC2MESSAGES_RETIRED",
        (
            Severity.WARNING,
            Severity.ERROR,
        ),
        "The node's agent relies on the ec2messages channel (older than 3.3.40.0, Windows Server 2012 or older, Nano Server), which AWS retires on 2026-09-30 for such nodes (an AWS Health notice quoted publicly; see ssmreach/data/ssm_facts.json). A warning by default, before and after the date; with --assume-ec2messages retired, an error for agents that have no other channel.",
        "Update the SSM agent to 3.3.40.0 or later (AWS-UpdateSSMAgent while Run Command still works; otherwise out of band).",
        manual="update the SSM agent to 3.3.40.0 or later on these nodes; AWS-UpdateSSMAgent travels over Run Command, so once the channel is gone it must be done out of band",
        manual_on_private=True,
    ),
    ReasonCode(
        "EC2MESSAGES_ENDPOINT_UNUSED",
        (Severity.INFO,),
        "An ec2messages interface endpoint serves no node of the snapshot that needs ec2messages (every node it can serve runs agent 3.3.40.0 or later); the finding gives its monthly cost. Reported once per endpoint, in the report's estate findings, only when every instance is checked.",
        "If no node of another account or on premises uses it, delete the endpoint yourself (ssmreach never deletes).",
        manual="an ec2messages endpoint no node of the snapshot needs; ssmreach never deletes, and nodes it cannot see may use it",
    ),
    ReasonCode(
        "HYBRID_NODES_NOT_CHECKED",
        (Severity.INFO,),
        "The snapshot lists hybrid-activated nodes (`mi-…`) of an account and Region, and the check gives verdicts for EC2 instances only so far: those nodes are named, not judged. Reported once per account and Region, in the report's estate findings, only when every instance is checked.",
        "Check such a node from inside with `ssmreach probe` (docs/hybrid.md) until ssmreach gives hybrid nodes verdicts.",
        manual="hybrid nodes get no verdicts yet, so no plan changes for them",
    ),
    ReasonCode(
        "PRIVATE_DNS_DISABLED",
        (
            Severity.ERROR,
            Severity.WARNING,
        ),
        "The service's endpoint has PrivateDnsEnabled false and no private hosted zone maps the name to it, so the name resolves to public IPs.",
        "Turn on private DNS for the endpoint (or map the name to it with a private hosted zone).",
        network=True,
    ),
    ReasonCode(
        "VPC_DNS_SUPPORT_DISABLED",
        (Severity.ERROR,),
        "The VPC's enableDnsSupport is false: nothing resolves.",
        "Set enableDnsSupport to true on the VPC.",
        network=True,
    ),
    ReasonCode(
        "VPC_DNS_HOSTNAMES_DISABLED",
        (
            Severity.ERROR,
            Severity.WARNING,
        ),
        "enableDnsHostnames is false, so endpoint private DNS does not apply.",
        "Set enableDnsHostnames to true on the VPC.",
        network=True,
    ),
    ReasonCode(
        "CUSTOM_DNS_UNVERIFIED",
        (Severity.WARNING,),
        "The VPC's DHCP options use DNS servers other than AmazonProvidedDNS; their answers are not in the snapshot.",
        "Make the custom DNS servers forward amazonaws.com to the VPC resolver, then confirm with `ssmreach probe` on a node.",
        unknown=True,
        manual="the VPC uses custom DNS servers, which must forward amazonaws.com to the VPC resolver",
        settleable=True,
    ),
    ReasonCode(
        "DNS_FORWARDED",
        (Severity.WARNING,),
        "A Route 53 Resolver FORWARD rule associated with the VPC matches the service name; the answer comes from servers outside the snapshot.",
        "Add a SYSTEM rule for the service name, or confirm the forwarded answer with `ssmreach probe`.",
        unknown=True,
        manual="a Resolver FORWARD rule sends the service name outside the VPC",
        settleable=True,
    ),
    ReasonCode(
        "PHZ_SHADOWS_SERVICE",
        (Severity.ERROR,),
        "A private hosted zone associated with the VPC covers the service name but has no record for it: NXDOMAIN.",
        "Add a record for the service name to the zone (alias to the endpoint), or narrow or disassociate the zone.",
        manual="a private hosted zone shadows the service name; it belongs to someone",
        network=True,
    ),
    ReasonCode(
        "NO_ROUTE",
        (Severity.ERROR,),
        "The instance's route table has no route to the destination (an endpoint in another VPC, or the internet).",
        "Add a route for the destination to the instance's route table.",
        network=True,
    ),
    ReasonCode(
        "ROUTE_BLACKHOLE",
        (Severity.ERROR,),
        "The matching route's state is blackhole (its target is gone).",
        "Replace the route with one whose target exists.",
        manual="a route points at a target that is gone",
        network=True,
    ),
    ReasonCode(
        "PEERING_NOT_ACTIVE",
        (Severity.ERROR,),
        "The route uses a peering connection whose status is not active.",
        "Accept (or recreate) the peering connection.",
        manual="the peering connection is not active",
        network=True,
    ),
    ReasonCode(
        "NO_RETURN_ROUTE",
        (Severity.ERROR,),
        "The endpoint's VPC has no route back to the instance.",
        "Add a route to the instance's subnet in the endpoint subnet's route table.",
        network=True,
    ),
    ReasonCode(
        "SG_EGRESS_DENIED",
        (Severity.ERROR,),
        "None of the instance's security groups allows outbound TCP 443 to the destination.",
        "Add an outbound rule for TCP 443 to the destination (endpoint security group, CIDR or S3 prefix list).",
        network=True,
    ),
    ReasonCode(
        "SG_INGRESS_DENIED",
        (Severity.ERROR,),
        "None of the endpoint's security groups allows inbound TCP 443 from the instance (the VPC default group trap included).",
        "Give the endpoint a security group that allows inbound TCP 443 from the instance subnets.",
        network=True,
        side="endpoint",
    ),
    ReasonCode(
        "NACL_OUTBOUND_DENIED",
        (Severity.ERROR,),
        "A network ACL denies the request on its way out of a subnet.",
        "Add an outbound allow rule for TCP 443 (or the ephemeral return ports) ahead of the deny.",
        nacl="a network ACL denies the traffic and the plan has no path to open in it",
        network=True,
    ),
    ReasonCode(
        "NACL_INBOUND_DENIED",
        (Severity.ERROR,),
        "A network ACL denies the request, or its return traffic (ephemeral ports 1024-65535), on the way into a subnet.",
        "Add an inbound allow rule for the return ports 1024-65535 (or TCP 443 at the endpoint) ahead of the deny.",
        nacl="a network ACL denies the traffic and the plan has no path to open in it",
        network=True,
    ),
    ReasonCode(
        "NAT_NO_INTERNET",
        (Severity.ERROR,),
        "The route goes to a NAT gateway that is not available, is private, or whose subnet has no route to an internet gateway.",
        "Use an available public NAT gateway in a subnet that routes 0.0.0.0/0 to an internet gateway, or add endpoints.",
        network=True,
    ),
    ReasonCode(
        "NO_PUBLIC_IP",
        (Severity.ERROR,),
        "The route goes straight to an internet gateway but the instance has no public IPv4 address.",
        "Add VPC endpoints (recommended), route through a NAT gateway, or give the instance a public IP.",
        network=True,
    ),
    ReasonCode(
        "EGRESS_UNMODELED",
        (Severity.WARNING,),
        "The route goes to a transit gateway, virtual private gateway, network interface or appliance whose onward path is not in the snapshot.",
        "Confirm the onward path with `ssmreach probe`, or add VPC endpoints in the instance's VPC.",
        unknown=True,
        manual="the path leaves through a device the snapshot does not model",
        settleable=True,
    ),
    ReasonCode(
        "INTERNET_PATH",
        (Severity.INFO,),
        "The service is reached over the internet (explains INTERNET).",
        "Add the VPC endpoint for the service to keep the traffic private.",
    ),
    ReasonCode(
        "ENDPOINT_POLICY_DENIED",
        (Severity.ERROR,),
        "The endpoint policy does not allow an action the feature needs.",
        "Allow the action in the endpoint policy for the instance role (or Principal *).",
        side="endpoint",
    ),
    ReasonCode(
        "S3_BUCKET_NOT_ALLOWED",
        (Severity.ERROR,),
        "The S3 endpoint policy does not allow s3:GetObject on an AWS-owned bucket the feature needs.",
        "Allow s3:GetObject on arn:aws:s3:::BUCKET/* for the AWS-owned buckets in the S3 endpoint policy.",
        side="endpoint",
    ),
    ReasonCode(
        "PERIMETER_DENIES_AWS_BUCKETS",
        (Severity.ERROR,),
        "The S3 endpoint policy is a data perimeter (a condition on aws:ResourceOrgID, aws:ResourceOrgPaths or aws:ResourceAccount requiring the customer's organization or accounts) without an exemption for the AWS-owned Systems Manager buckets, which belong to AWS: the agent's downloads from them are denied.",
        "Add a statement allowing s3:GetObject on the Region's AWS-owned Systems Manager buckets (named in the finding) without the resource condition.",
        side="endpoint",
    ),
    ReasonCode(
        "S3_BUCKET_NOT_FOUND",
        (Severity.ERROR,),
        "A bucket the feature writes to (the Session Manager log bucket, a Run Command or State Manager output bucket) does not exist: GetBucketLocation answered NoSuchBucket.",
        "Create the bucket in the instance's Region, or point the preferences, command or association at a bucket that exists.",
        manual="which bucket the output goes to is its owner's choice",
    ),
    ReasonCode(
        "S3_BUCKET_OTHER_REGION",
        (
            Severity.ERROR,
            Severity.WARNING,
        ),
        "A bucket the feature uses is in another Region: gateway endpoints never reach it, so it needs an internet path.",
        "Use a bucket in the instance's Region, or keep an internet path for it.",
        manual="a bucket in another Region is never reached through a gateway endpoint",
    ),
    ReasonCode(
        "S3_OUTPUT_REGION_MISMATCH",
        (Severity.ERROR,),
        "A State Manager association names an OutputS3Region that is not the Region its output bucket is in (GetBucketLocation): the agent addresses the bucket in the wrong Region and S3 refuses the upload. (Systems Manager ignores a Run Command command's OutputS3Region, so commands never raise it.)",
        "Set the association's OutputS3Region to the bucket's Region, or leave it out.",
        manual="the association's output location is its owner's setting",
    ),
    ReasonCode(
        "OUTPUT_TARGET_UNRESOLVED",
        (Severity.INFO,),
        "A command or association writes output to an S3 bucket and targets nodes in a way the snapshot cannot resolve (a resource group, parameter values, or targets that agree only in part): whether it runs on this node is not known, so the bucket's path is not checked and the verdict is unchanged.",
        "Check the bucket's path for the nodes it targets, or target them by instance id or tag.",
    ),
    ReasonCode(
        "GATEWAY_ENDPOINT_NOT_ROUTED",
        (
            Severity.ERROR,
            Severity.WARNING,
        ),
        "An S3 gateway endpoint exists in the VPC but is not associated with the instance's route table.",
        "Associate the S3 gateway endpoint with the instance's route table.",
        network=True,
    ),
    ReasonCode(
        "NO_INSTANCE_PROFILE",
        (Severity.ERROR,),
        "No instance profile and no Default Host Management Configuration.",
        "Attach an instance profile whose role has AmazonSSMManagedInstanceCore, or turn on Default Host Management Configuration.",
        manual="the instance needs an instance profile (or Default Host Management Configuration); a plan does not change identities",
    ),
    ReasonCode(
        "IAM_ACTION_DENIED",
        (Severity.ERROR,),
        "The instance role does not allow an action the feature needs.",
        "Attach AmazonSSMManagedInstanceCore (or a policy allowing the action) to the instance role.",
        manual="the instance role does not allow the call; a plan does not change IAM policies",
    ),
    ReasonCode(
        "KMS_KEY_POLICY_DENIED",
        (
            Severity.ERROR,
            Severity.WARNING,
        ),
        "The key policy of the Session Manager KMS key neither allows the instance role nor lets the account's IAM policies decide, and no grant covers the role; or it denies kms:Decrypt explicitly. A warning when a condition the snapshot cannot decide is what matters.",
        "Add a statement to the key policy that allows kms:Decrypt to the instance role, or one that lets IAM decide (Principal: the account's root ARN).",
        unknown=True,
        manual="the KMS key policy does not let the instance role decrypt; a plan does not change key policies",
    ),
    ReasonCode(
        "KMS_KEY_NOT_USABLE",
        (Severity.ERROR,),
        "The Session Manager KMS key cannot decrypt: it is disabled, pending deletion or import, or it is not a symmetric ENCRYPT_DECRYPT key.",
        "Enable the key (or cancel its deletion), or name a usable symmetric key in the Session Manager preferences.",
        manual="the Session Manager KMS key is disabled, pending deletion or not symmetric; its owner decides",
    ),
    ReasonCode(
        "IAM_S3_GRANT_MISSING",
        (Severity.WARNING,),
        "The role does not grant s3:GetObject on the AWS-owned buckets, as the SSM docs ask when endpoints are used.",
        "Grant s3:GetObject on the AWS-owned buckets of the Region to the instance role.",
        manual="the instance role lacks s3:GetObject on the AWS-owned buckets; a plan does not change IAM policies",
    ),
    ReasonCode(
        "IPV6_ONLY_NO_PATH",
        (Severity.ERROR,),
        "The instance is in an IPv6-only subnet and nothing carries its IPv6 traffic to the service: no endpoint that answers over IPv6, no NAT64 route (64:ff9b::/96 to a NAT gateway, with DNS64 on the subnet), and no ::/0 route to an egress-only or internet gateway (or an agent too old for the dual-stack service names).",
        "Give the service's interface endpoint the dualstack IP address type and DNS record IP type, or turn on DNS64 and route 64:ff9b::/96 to a NAT gateway.",
        network=True,
    ),
    ReasonCode(
        "ENDPOINT_IPV4_ONLY",
        (Severity.ERROR,),
        "The interface endpoint the instance's DNS names has the ipv4 IP address type: its network interfaces have no IPv6 address, and the instance is in an IPv6-only subnet. (Where DNS64 and a NAT64 route may carry the request to the endpoint's IPv4 address, a path the check does not follow, the result is UNKNOWN with EGRESS_UNMODELED instead.)",
        "Change the endpoint to the dualstack IP address type with the dualstack DNS record IP type (its subnets need IPv6 CIDRs; the service must list ipv6 in SupportedIpAddressTypes).",
        manual="changing an existing endpoint's IP address type is left to its owner",
        side="endpoint",
        network=True,
    ),
    ReasonCode(
        "ENDPOINT_DNS_RECORDS_IPV4",
        (Severity.ERROR,),
        "The endpoint serves IPv6, but its DNS record IP type publishes no AAAA record for the service's default name (ipv4, or service-defined, which gives AAAA only to the endpoint's own vpce names): an instance in an IPv6-only subnet gets only IPv4 answers.",
        "Set the endpoint's DNS record IP type to dualstack (or ipv6).",
        manual="changing an existing endpoint's DNS options is left to its owner",
        side="endpoint",
        network=True,
    ),
    ReasonCode(
        "SERVICE_NO_IPV6",
        (Severity.ERROR, Severity.INFO),
        "The endpoint service does not list ipv6 in SupportedIpAddressTypes (DescribeVpcEndpointServices): no interface endpoint of it can serve an instance in an IPv6-only subnet. Info when another path (NAT64) serves the instance.",
        "Reach the service through NAT64 (DNS64 on the subnet, 64:ff9b::/96 to a NAT gateway), or run the instance in a dual-stack subnet.",
        manual="the service does not offer IPv6 endpoints in this Region",
    ),
    ReasonCode(
        "AGENT_DUALSTACK_UNVERIFIED",
        (Severity.WARNING,),
        "The only path from the instance's IPv6-only subnet is over IPv6 to the service's public dual-stack names (ssm.REGION.api.aws, s3.dualstack.REGION.amazonaws.com): the agent asks those only with UseDualStackEndpoint set in amazon-ssm-agent.json (agent 3.3.3270.0 or later), which is on the node, not in the snapshot.",
        'Set {"Agent": {"UseDualStackEndpoint": true}} in /etc/amazon/ssm/amazon-ssm-agent.json and restart the agent, or create dual-stack interface endpoints; `ssmreach probe` reads the setting.',
        unknown=True,
        manual="the agent's configuration is on the node",
        settleable=True,
    ),
    ReasonCode(
        "IMDS_IPV6_DISABLED",
        (Severity.ERROR,),
        'The instance is in an IPv6-only subnet and MetadataOptions.HttpProtocolIpv6 is disabled: the instance metadata service answers only at 169.254.169.254, which the instance cannot reach, so the agent gets no identity or credentials (EC2 user guide, "Configure the instance metadata options": the IPv6 endpoint [fd00:ec2::254] is off by default, even in an IPv6-only subnet).',
        "Enable the IPv6 metadata endpoint: aws ec2 modify-instance-metadata-options --instance-id ID --http-protocol-ipv6 enabled.",
        manual="turning on the IPv6 metadata endpoint changes the instance",
    ),
    ReasonCode(
        "NAT64_PATH",
        (Severity.INFO,),
        "The instance is in an IPv6-only subnet with DNS64: its requests to the service's IPv4 addresses go to 64:ff9b::/96, which the route table sends to a NAT gateway that translates them to IPv4 and on to the internet.",
        "To keep the traffic private, give the service's interface endpoint the dualstack IP address type and DNS record IP type.",
    ),
    ReasonCode(
        "IMDS_DISABLED",
        (Severity.ERROR,),
        "MetadataOptions.HttpEndpoint is disabled, so the agent gets no identity or credentials.",
        "Enable the instance metadata service (HttpEndpoint=enabled).",
        manual="the instance metadata service is off; turning it on changes the instance",
    ),
    ReasonCode(
        "AGENT_OFFLINE",
        (Severity.INFO,),
        "SSM reports the instance ConnectionLost, or does not list it.",
        "Once the path is fixed, restart the SSM agent (or the instance) and watch it come Online.",
    ),
    ReasonCode(
        "AGENT_TOO_OLD",
        (Severity.WARNING,),
        "The agent version lacks the feature.",
        "Update the SSM agent (AWS-UpdateSSMAgent).",
        manual="the SSM agent must be updated on the node",
    ),
    ReasonCode(
        "ENDPOINT_OTHER_AZ",
        (Severity.WARNING,),
        "The endpoint has no working network interface in the instance's Availability Zone; traffic crosses zones (cross-AZ charges, and the node depends on another zone).",
        "Add the instance's Availability Zone (one subnet) to the endpoint.",
    ),
    ReasonCode(
        "DATA_MISSING",
        (Severity.WARNING,),
        "An operation that the check needs is not in the snapshot.",
        "Collect the snapshot again with the permissions from `ssmreach permissions`.",
        unknown=True,
        manual="the snapshot lacks data the check needs",
    ),
    ReasonCode(
        "SHARED_SUBNET_OWNER_NOT_COLLECTED",
        (Severity.WARNING,),
        "The instance is in a subnet shared with its account through AWS RAM; the owner account, which holds the subnet's route tables, network ACLs and endpoints, is not in the snapshot.",
        "Collect the owner account too (`--role-arn` for its role, or `ssmreach snapshot --org`).",
        unknown=True,
        manual="the subnet's owner account must be collected",
    ),
    ReasonCode(
        "READ_DENIED",
        (Severity.WARNING,),
        "That operation was denied (*.error.json).",
        "Grant the read permission from `ssmreach permissions` and collect again.",
        unknown=True,
        manual="reading the data the check needs was denied",
    ),
    ReasonCode(
        "MODEL_PROBE_MISMATCH",
        (
            Severity.ERROR,
            Severity.WARNING,
        ),
        "What `ssmreach probe` saw on the node contradicts the snapshot model for a service (e.g. the model says PRIVATE through an endpoint but the node resolves the name to public addresses, or the model says BLOCKED but the node reached AWS). Error when the node cannot reach a service the model thought reachable; warning otherwise.",
        "Find which side is stale: take a fresh snapshot, then look at what the node really uses (hosts file, local resolver, proxy, agent endpoint overrides).",
        probe=True,
    ),
    ReasonCode(
        "PROBE_VERIFIED",
        (Severity.INFO,),
        "A probe on the node settled what the snapshot could not decide (custom or forwarded DNS, egress through an appliance): the name resolved, and TCP 443, TLS and an HTTPS answer worked.",
        "Nothing to change; run `ssmreach probe` again after DNS or network changes.",
        probe=True,
    ),
    ReasonCode(
        "PROBE_DNS_FAILED",
        (Severity.ERROR,),
        "On the node the service name did not resolve (NXDOMAIN, no address, or the resolver timed out).",
        "Make the node's resolvers answer the service name: forward amazonaws.com to the VPC resolver (or a Resolver inbound endpoint), or fix the private hosted zone.",
        probe=True,
    ),
    ReasonCode(
        "PROBE_TCP_FAILED",
        (Severity.ERROR,),
        "On the node TCP 443 to the service's address (or to the proxy) was refused or timed out.",
        "Allow TCP 443 from the node to the address: security groups, network ACLs, routes, and the host firewall.",
        probe=True,
    ),
    ReasonCode(
        "PROBE_TLS_FAILED",
        (
            Severity.ERROR,
            Severity.WARNING,
        ),
        "The TLS handshake with the service failed or its certificate did not validate (error); or it validated with an issuer that is not an AWS certificate authority, the mark of a TLS-inspecting proxy (warning).",
        "Exempt the AWS service names from TLS inspection, and make sure the node trusts Amazon Root CA 1 and the Starfield roots.",
        probe=True,
    ),
    ReasonCode(
        "PROBE_HTTP_FAILED",
        (Severity.ERROR,),
        "TLS worked but no HTTP answer came back in time (an appliance or proxy that accepts connections and then drops them).",
        "Find the appliance or proxy between the node and the service and let HTTPS to the AWS service names through.",
        probe=True,
    ),
    ReasonCode(
        "PROBE_IMDS_FAILED",
        (Severity.ERROR,),
        "On an EC2 node the instance metadata service did not answer, with or without an IMDSv2 token: the agent gets no identity or credentials.",
        "Check the metadata options (HttpEndpoint; HttpPutResponseHopLimit 2 for containers), host firewall rules for 169.254.169.254, and NO_PROXY.",
        probe=True,
    ),
    ReasonCode(
        "PROXY_IMDS_NOT_EXCLUDED",
        (Severity.WARNING,),
        "An HTTP(S) proxy is set for the node or the agent, but NO_PROXY does not contain 169.254.169.254, so metadata calls go to the proxy.",
        "Add 169.254.169.254 to NO_PROXY / no_proxy wherever the proxy is set for the agent.",
        probe=True,
    ),
    ReasonCode(
        "AGENT_NOT_RUNNING",
        (Severity.ERROR,),
        "On the node the SSM agent is not installed, or its service is not active.",
        "Install or start the agent: systemctl enable --now amazon-ssm-agent (snap start amazon-ssm-agent; Start-Service AmazonSSMAgent on Windows).",
        probe=True,
    ),
    ReasonCode(
        "CLOCK_SKEW",
        (Severity.WARNING,),
        "The node's clock differs from the Date header of an AWS service by more than 5 minutes; AWS rejects signed requests that far off.",
        "Synchronise the clock (chrony with the Amazon Time Sync Service at 169.254.169.123).",
        probe=True,
    ),
)

BY_CODE = {r.code: r for r in CATALOGUE}


def codes_where(test: str) -> frozenset[str]:
    """The codes whose boolean or text field `test` is set (`"network"`, `"manual"`, ...)."""
    return frozenset(r.code for r in CATALOGUE if getattr(r, test))


def reason(
    code: str, severity: Severity, resource: str | None, message: str, fix: str | None = None
) -> Reason:
    """Build a reason; the code must be in the catalogue (a typo is a bug, caught at once)."""
    entry = BY_CODE[code]
    return Reason(
        code=code, severity=severity, resource=resource, message=message, fix=fix or entry.fix
    )


def reference_markdown() -> str:
    """The reason-code reference page (docs/reasons.md is this text; a test keeps it in sync)."""
    lines = [
        "# Reason codes",
        "",
        "Every finding of `ssmreach check` carries one of these codes. Codes are stable API:",
        "they are never renamed. `ENDPOINT_OTHER_AZ`, `ENDPOINT_NO_SUBNETS`, the `EC2MESSAGES_*` codes,",
        "`S3_OUTPUT_REGION_MISMATCH`, `OUTPUT_TARGET_UNRESOLVED`, the IPv6 codes (`IPV6_ONLY_NO_PATH`,",
        "`ENDPOINT_IPV4_ONLY`, `ENDPOINT_DNS_RECORDS_IPV4`, `SERVICE_NO_IPV6`, `AGENT_DUALSTACK_UNVERIFIED`,",
        "`IMDS_IPV6_DISABLED`, `NAT64_PATH`) and the probe codes (`MODEL_PROBE_MISMATCH`,",
        "`PROBE_*`, `PROXY_IMDS_NOT_EXCLUDED`, `AGENT_NOT_RUNNING`, `CLOCK_SKEW`) are additions",
        "to the spec's table.",
        "Regenerate this page with `python -m ssmreach.analysis.reasons > docs/reasons.md`.",
        "",
        "| code | severity | when | generic fix |",
        "|---|---|---|---|",
    ]
    for entry in CATALOGUE:
        lines.append(f"| `{entry.code}` | {entry.severity} | {entry.meaning} | {entry.fix} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(reference_markdown(), end="")
