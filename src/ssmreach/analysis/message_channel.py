"""The message channel of a node when ec2messages is at stake: the retirement of
ec2messages on a node that relies on it (`with_retirement`), and no channel at all when
the agent can use only ec2messages and it is not there (`no_channel`)."""

from __future__ import annotations

from datetime import date

import msgspec

from ssmreach.analysis.features import CHANNEL_EITHER, format_version
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.retirement import Assumption, ec2messages_retirement
from ssmreach.analysis.services import endpoint_service_name
from ssmreach.analysis.verdict import Hop, Outcome, ServiceResult, Severity, Verdict, worst
from ssmreach.model.estate import RegionData


def with_retirement(
    result: ServiceResult, region: RegionData, assumption: Assumption, as_of: date
) -> ServiceResult:
    """The ec2messages retirement on a node that relies on it (retirement.py), judged on
    the day `as_of`."""
    if assumption == "available":
        return result
    fact = ec2messages_retirement()
    service_name = endpoint_service_name(region.region, "ec2messages")
    who = (
        f"the node's agent (older than {fact.fixed_in_text}, or Windows Server 2012 or older, "
        "or Nano Server) relies on the ec2messages channel"
    )
    if assumption == "retired":
        msg = f"{who}; ec2messages is assumed retired (--assume-ec2messages retired), and whether this agent moves to ssmmessages is not known"
        verdict = worst([result.verdict, Verdict.UNKNOWN])
    elif as_of < fact.date:
        msg = f"{who}, which AWS retires on {fact.date.isoformat()} for nodes that rely solely on it ({fact.source})"
        verdict = result.verdict
    else:
        msg = f"{who}; since {fact.date.isoformat()} AWS may no longer serve it to such nodes (an AWS Health notice quoted at {fact.source}; not confirmed by AWS documentation)"
        verdict = result.verdict
    found = reason(
        "EC2MESSAGES_RETIRED",
        Severity.WARNING,
        service_name,
        msg,
        f"Update the SSM agent to {fact.fixed_in_text} or later: AWS-UpdateSSMAgent while Run Command still works, otherwise out of band (user data, a new AMI).",
    )
    return msgspec.structs.replace(result, verdict=verdict, reasons=(*result.reasons, found))


def no_channel(region: RegionData, offered: bool | None) -> ServiceResult:
    """The agent can use only ec2messages, which this Region does not offer (or which is
    assumed retired): no channel (requirements.md section 1). Never fall back to
    ssmmessages, which the agent lacks. `offered`: whether the Region offers ec2messages."""
    service_name = endpoint_service_name(region.region, "ec2messages")
    only = (
        "the agent can use only the ec2messages channel (older than "
        f"{format_version(CHANNEL_EITHER)}, Windows Server 2012 or older, or Nano Server)"
    )
    if offered is False:
        found = reason(
            "EC2MESSAGES_NOT_OFFERED",
            Severity.ERROR,
            service_name,
            f"{only}, and {region.region} offers no {service_name} endpoint service",
        )
    else:
        fact = ec2messages_retirement()
        found = reason(
            "EC2MESSAGES_RETIRED",
            Severity.ERROR,
            service_name,
            f"{only}, which is assumed retired since {fact.date.isoformat()} (--assume-ec2messages retired)",
            f"Update the SSM agent to {fact.fixed_in_text} or later out of band (user data, a new AMI, EC2 Instance Connect): AWS-UpdateSSMAgent itself travels over Run Command.",
        )
    hop = Hop("channel", service_name, Outcome.FAIL, found.message)
    return ServiceResult("ec2messages", None, Verdict.BLOCKED, None, (found,), (hop,))
