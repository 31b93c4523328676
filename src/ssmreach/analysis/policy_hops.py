"""The policy steps of a service path (requirements.md §3 steps 5-6), as hops on its leg:
the endpoint policy (`endpoint_policy_hop`), then the role (`iam_hop`): its IAM
policies for the service's calls, kms:Decrypt on the Session Manager key (key policy,
grants and the role together) and s3:GetObject on the AWS-owned buckets.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from ssmreach.analysis.buckets import AWS_OWNED_RESOURCE_KEYS
from ssmreach.analysis.features import SERVICE_ACTIONS
from ssmreach.analysis.iam_fixes import iam_fix
from ssmreach.analysis.identity import INSTANCE_ARN_TEXT, Identity, RolePolicies
from ssmreach.analysis.kms import key_access
from ssmreach.analysis.network import Leg
from ssmreach.analysis.path_context import PathContext, ServiceNeed
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.verdict import Hop, Outcome, Severity
from ssmreach.model import aws
from ssmreach.model.estate import Gap, RegionData
from ssmreach.policy.document import referenced_keys
from ssmreach.policy.evaluate import Decision, Evaluation, RequestContext, evaluate_identity


def _shown(resource: str) -> str:
    """How a request's resource reads in a message: the instance's own ARN reads as such,
    so that one message serves every instance of a group."""
    return "the instance's ARN" if ":instance/i-" in resource else resource


_INSTANCE_ID_IN_ARN = re.compile(r"instance/i-[0-9a-f]+")


def _shown_text(text: str, resource: str) -> str:
    return INSTANCE_ARN_TEXT.sub("the instance's ARN", text) if ":instance/i-" in resource else text


def _quote(evaluation: Evaluation) -> str:
    if evaluation.statement is None:
        return ""
    sid = evaluation.statement.sid or f"#{evaluation.statement.index}"
    return f" (statement {sid} of {evaluation.policy}: {evaluation.statement.source})"


def endpoint_policy_hop(
    leg: Leg,
    ctx: PathContext,
    endpoint: aws.VpcEndpoint,
    requests: Sequence[RequestContext],
    *,
    s3: bool,
    aws_owned: bool = False,
) -> None:
    """Step 5: does the policy of the endpoint the path goes through allow every request
    (for S3: s3:GetObject on each AWS-owned bucket)? The first request it does not allow
    fails the hop; one it cannot decide leaves it UNKNOWN. A policy that shuts out the
    AWS-owned buckets through a resource account or organization condition (a data
    perimeter without their exemption) is `PERIMETER_DENIES_AWS_BUCKETS`."""
    eid = endpoint.vpc_endpoint_id
    policy = ctx.endpoint_policy(endpoint)
    if policy is None:
        leg.add(
            Hop("endpoint-policy", eid, Outcome.PASS, f"{eid} has the default policy (full access)")
        )
        return
    if isinstance(policy, str):
        msg = f"the policy of {eid} cannot be read: {policy}"
        leg.add(
            Hop("endpoint-policy", eid, Outcome.UNKNOWN, msg),
            reason("DATA_MISSING", Severity.WARNING, eid, msg),
        )
        return
    if s3 and not requests:
        msg = f"the AWS-owned bucket names for this Region are not known, so the policy of {eid} cannot be checked"
        leg.add(
            Hop("endpoint-policy", eid, Outcome.UNKNOWN, msg),
            reason("DATA_MISSING", Severity.WARNING, eid, msg),
        )
        return
    unknown: Evaluation | None = None
    for req in requests:
        result = ctx.evaluate_endpoint_policy(endpoint, policy, req)
        if result.decision is Decision.ALLOW:
            continue
        if result.decision is Decision.UNKNOWN:
            unknown = unknown or result
            continue
        target = req.resource if s3 else req.action
        msg = f"the policy of {eid} does not allow {req.action} on {_shown(req.resource)}: {_shown_text(result.explanation, req.resource)}{_quote(result)}"
        code = "S3_BUCKET_NOT_ALLOWED" if s3 else "ENDPOINT_POLICY_DENIED"
        fix = (
            f"Allow s3:GetObject on {target} in the policy of {eid} (one statement listing the AWS-owned buckets of the Region)."
            if s3
            else f"Allow {req.action} in the policy of {eid} for the instance role (or Principal *)."
        )
        perimeter = sorted(
            (referenced_keys([policy]) or frozenset()) & AWS_OWNED_RESOURCE_KEYS.keys()
        )
        if s3 and aws_owned and perimeter:
            code = "PERIMETER_DENIES_AWS_BUCKETS"
            msg += f" (its condition on {', '.join(perimeter)} requires the customer's own account or organization, and the bucket is AWS's)"
            fix = f"Add a statement to the policy of {eid} that allows s3:GetObject on the AWS-owned buckets of the Region ({target}) without the resource condition."
        leg.add(
            Hop("endpoint-policy", eid, Outcome.FAIL, msg),
            reason(code, Severity.ERROR, eid, msg, fix),
        )
        return
    if unknown is not None:
        keys = ", ".join(unknown.unknown_keys) or "a condition"
        msg = f"whether the policy of {eid} allows the call depends on {keys}, which the snapshot cannot decide: {_shown_text(unknown.explanation, requests[0].resource)}"
        code = "S3_BUCKET_NOT_ALLOWED" if s3 else "ENDPOINT_POLICY_DENIED"
        leg.add(
            Hop("endpoint-policy", eid, Outcome.UNKNOWN, msg),
            reason(
                code,
                Severity.WARNING,
                eid,
                msg,
                "Confirm with `ssmreach probe` on a node, or simplify the policy condition.",
            ),
        )
        return
    what = (
        f"s3:GetObject on {len(requests)} AWS-owned bucket(s)"
        if s3
        else ", ".join(r.action for r in requests)
    )
    leg.add(Hop("endpoint-policy", eid, Outcome.PASS, f"the policy of {eid} allows {what}"))


def _key_hop(
    leg: Leg,
    ctx: PathContext,
    region: RegionData,
    key_id: str,
    role: RolePolicies,
    requests: Sequence[RequestContext],
) -> None:
    """kms:Decrypt on the Session Manager key: the key's state, key policy, grants and the
    role's IAM policies together (kms.py)."""
    name = role.role.role_name
    key = region.kms_key(key_id)
    if isinstance(key, Gap):
        for req in requests:
            denied = ctx.policies.evaluate(role, req)
            if denied.decision is Decision.DENY:
                leg.finding(
                    "iam",
                    role.role.arn,
                    Outcome.FAIL,
                    "IAM_ACTION_DENIED",
                    f"role {name} denies kms:Decrypt on {req.resource}: {denied.explanation}",
                    iam_fix(role.role, req.action, req.resource, denied=True),
                )
                return
        leg.finding(
            "key-policy",
            key_id,
            Outcome.UNKNOWN,
            key.code,
            f"whether role {name} may decrypt with the Session Manager key {key_id} cannot be decided: {key.describe()}",
            "Collect the snapshot with kms:DescribeKey, kms:GetKeyPolicy and kms:ListGrants allowed (ssmreach permissions).",
        )
        return
    base = next((r for r in requests if r.resource == key.arn), None)
    if base is None:  # the described key's ARN is what the requests are built on
        base = RequestContext("kms:Decrypt", key.arn, role.role.arn, region.account)
    # The agent calls KMS itself: no AWS service calls on its behalf (kms:ViaService).
    request = dataclasses.replace(
        base,
        keys={**base.keys, "kms:calleraccount": (region.account,)},
        absent_keys=base.absent_keys | {"kms:viaservice", "kms:grantisforawsresource"},
    )
    boundary = evaluate_identity((role.boundary,), request) if role.boundary is not None else None
    access = key_access(
        key, ctx.key_policy(key), request, ctx.policies.evaluate(role, request), boundary, name
    )
    if access.outcome is Outcome.PASS or access.code is None:
        leg.add(Hop("key-policy", key.arn, access.outcome, access.message))
        return
    on_role = access.code == "IAM_ACTION_DENIED"
    fix = access.fix
    if on_role and fix is None:
        fix = iam_fix(role.role, "kms:Decrypt", key.arn, denied=False)
    leg.finding(
        "key-policy",
        key.arn,
        access.outcome,
        access.code,
        access.message,
        fix,
        blame=role.role.arn if on_role else None,
    )


def _aws_bucket_grant_hop(
    leg: Leg,
    ctx: PathContext,
    role: RolePolicies,
    requests: Sequence[RequestContext],
    *,
    through_endpoint: bool,
) -> None:
    """s3:GetObject on the AWS-owned buckets: asked of the role only through an endpoint."""
    name = role.role.role_name
    if not through_endpoint:
        # The AWS-owned buckets are public: over the internet path the agent reads them
        # without a grant; the SSM docs ask for it only when endpoints are used.
        leg.add(
            Hop(
                "iam",
                role.role.arn,
                Outcome.PASS,
                "the AWS-owned buckets are read over the internet path, which needs no grant in the role",
            )
        )
        return
    missing = [r for r in requests if ctx.policies.evaluate(role, r).decision is not Decision.ALLOW]
    if missing:
        msg = (
            f"role {name} does not grant s3:GetObject on {', '.join(r.resource for r in missing[:3])}"
            + (" ..." if len(missing) > 3 else "")
            + " (the SSM docs ask for it when endpoints are used)"
        )
        leg.reasons.append(
            reason(
                "IAM_S3_GRANT_MISSING",
                Severity.WARNING,
                role.role.arn,
                msg,
                f"Grant s3:GetObject on the AWS-owned buckets of the Region to role {name}.",
            )
        )
        leg.hops.append(
            Hop(
                "iam",
                role.role.arn,
                Outcome.PASS,
                msg + "; the agent still reads these public buckets",
            )
        )
    else:
        leg.add(
            Hop(
                "iam",
                role.role.arn,
                Outcome.PASS,
                f"role {name} grants s3:GetObject on the buckets",
            )
        )


def iam_hop(
    leg: Leg,
    ctx: PathContext,
    region: RegionData,
    need: ServiceNeed,
    identity: Identity,
    requests: Sequence[RequestContext],
    *,
    through_endpoint: bool,
) -> None:
    """Step 6: does the role allow every request? The AWS-owned buckets and the Session
    Manager key have their own checks; another form of a resource that is allowed
    counts, an explicit deny of any form does not."""
    role = identity.role
    if role is None:
        return
    name = role.role.role_name
    if need.service == "s3" and need.s3_action == "s3:GetObject":
        _aws_bucket_grant_hop(leg, ctx, role, requests, through_endpoint=through_endpoint)
        return
    if need.service == "kms" and need.key_id is not None:
        _key_hop(leg, ctx, region, need.key_id, role, requests)
        return
    if need.resources is not None and need.resources.unknown:
        msg = f"whether role {name} may call {', '.join(SERVICE_ACTIONS.get(need.service, ()))} cannot be decided: {need.resources.unknown}"
        leg.finding(
            "iam",
            role.role.arn,
            Outcome.UNKNOWN,
            "DATA_MISSING",
            msg,
            "Name the key by its key ARN or key id in the Session Manager preferences, or confirm with the IAM policy simulator.",
        )
        return
    decided = [(req, ctx.policies.evaluate(role, req)) for req in requests]
    for req, result in decided:
        if result.decision is Decision.ALLOW:
            continue
        if result.decision is Decision.NO_ALLOW and any(
            other.action == req.action and r.decision is Decision.ALLOW for other, r in decided
        ):
            # Another form of the resource, which AWS may check instead, is allowed; an
            # explicit deny of any form still stands.
            continue
        if result.decision is Decision.UNKNOWN:
            msg = (
                f"whether role {name} may call {req.action} cannot be decided: "
                f"{_shown_text(result.explanation, req.resource)}"
            )
            leg.finding(
                "iam",
                role.role.arn,
                Outcome.UNKNOWN,
                "IAM_ACTION_DENIED",
                msg,
                "Confirm with IAM policy simulator, or simplify the condition.",
            )
            return
        msg = f"role {name} does not allow {req.action} on {_shown(req.resource)}: {_shown_text(result.explanation, req.resource)}{_quote(result)}"
        leg.add(
            Hop("iam", role.role.arn, Outcome.FAIL, msg),
            reason(
                "IAM_ACTION_DENIED",
                Severity.ERROR,
                role.role.arn,
                msg,
                iam_fix(
                    role.role,
                    req.action,
                    _INSTANCE_ID_IN_ARN.sub("instance/*", req.resource),
                    denied=result.decision is Decision.DENY,
                ),
            ),
        )
        return
    actions = ", ".join(sorted({r.action for r in requests}))
    if need.resources is not None:
        actions += f" on {', '.join(sorted({r.resource for r in requests}))}"
    leg.add(Hop("iam", role.role.arn, Outcome.PASS, f"role {name} allows {actions}"))
