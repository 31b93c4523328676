"""The calls a service path makes, as IAM requests (action, resource, condition keys):
what the endpoint policy and the role's policies are asked about."""

from __future__ import annotations

from ssmreach.analysis.buckets import AWS_OWNED_RESOURCE_KEYS
from ssmreach.analysis.features import SERVICE_ACTIONS
from ssmreach.analysis.identity import Identity, instance_arn, request_keys
from ssmreach.analysis.network import Node
from ssmreach.analysis.path_context import PathContext, ServiceNeed
from ssmreach.model import aws
from ssmreach.model.estate import Gap
from ssmreach.policy.evaluate import RequestContext

# An endpoint listed without its `OwnerId`: the organization that owns it is not known.
_ENDPOINT_OWNER_NOT_READ = Gap("", "", "ec2", "DescribeVpcEndpoints", "missing")


def requests_for(
    ctx: PathContext, node: Node, need: ServiceNeed, identity: Identity, via: aws.VpcEndpoint | None
) -> list[RequestContext]:
    """The calls `node` makes to `need.service` with `identity`, as policy requests: for S3
    one per bucket, otherwise one per action and resource (the heartbeat on the instance
    itself). `via`: the endpoint the calls go through (it sets the VPC condition keys)."""
    role_arn = identity.role_arn
    estate = ctx.estate
    owner = via.owner_id if via is not None else None
    keys, absent = request_keys(
        node.own,
        role_arn,
        instance_ip=node.ip,
        via_endpoint=via,
        organization=estate.account_data(node.own.account).organization,
        service=need.service,
        endpoint_organization=(
            estate.account_data(owner).organization if owner else _ENDPOINT_OWNER_NOT_READ
        ),
        source_instance=instance_arn(node.instance, node.own, ctx.partition),
        credentials=identity.kind,
    )
    out: list[RequestContext] = []
    if need.service == "s3":
        if need.aws_owned:
            keys = {**keys, **AWS_OWNED_RESOURCE_KEYS}
        objects = need.objects or tuple(f"{bucket}/*" for bucket in need.buckets or ())
        for name in objects:
            out.append(
                RequestContext(
                    action=need.s3_action,
                    resource=f"arn:{ctx.partition}:s3:::{name}",
                    principal_arn=role_arn,
                    principal_account=node.own.account,
                    keys=keys,
                    absent_keys=absent,
                )
            )
        return out
    for action in SERVICE_ACTIONS.get(need.service, ()):
        if action == "ssm:UpdateInstanceInformation":
            resources: tuple[str, ...] = (instance_arn(node.instance, node.own, ctx.partition),)
        elif need.resources is not None:
            resources = need.resources.for_action(action)
        else:
            resources = ("*",)
        for resource in resources:
            out.append(
                RequestContext(
                    action=action,
                    resource=resource,
                    principal_arn=role_arn,
                    principal_account=node.own.account,
                    keys=keys,
                    absent_keys=absent,
                )
            )
    return out
