"""What the path of a service is checked with: the service a feature needs (`ServiceNeed`)
and the per-check state (`PathContext`): the estate, its partition and caches of pure
results (DNS answers, parsed endpoint and key policies, policy evaluations).
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from ssmreach.analysis.dns import DnsAnswer, resolve
from ssmreach.analysis.identity import PolicyCache
from ssmreach.analysis.kms import parse_key_policy
from ssmreach.analysis.legs import Leg
from ssmreach.analysis.resources import CallResources
from ssmreach.model import aws
from ssmreach.model.estate import BucketGone, Estate, Gap, KmsKey, RegionData
from ssmreach.policy.document import (
    Policy,
    PolicyParseError,
    admits_any_principal,
    parse_policy,
    referenced_keys,
)
from ssmreach.policy.evaluate import Decision, Evaluation, RequestContext, evaluate_resource_policy


@dataclass(frozen=True, slots=True)
class RegionMismatch:
    """An association that names a Region (`OutputS3Region`) its output bucket is not in."""

    bucket: str
    named: str  # the Region the association names
    actual: str  # the bucket's Region (GetBucketLocation)
    source: str  # the association, as messages name it


@dataclass(frozen=True, slots=True)
class ServiceNeed:
    """One service a feature needs, with the resources its calls touch."""

    service: str
    buckets: tuple[str, ...] | None = None  # s3: AWS-owned or the user's (None: names unknown)
    s3_action: str = "s3:GetObject"
    resources: CallResources | None = None  # what the actions are called on (None: `*`)
    key_id: str | None = None  # kms: the key as the Session Manager preferences name it
    # s3: the Region of the user's bucket when it is not the node's (or why it is not known)
    bucket_region: str | Gap | BucketGone | None = None
    # s3: what the user's bucket is for, as messages name it
    purpose: str = "session log"
    # s3: the objects the calls write (`bucket/prefix/*`); None: `bucket/*` of each bucket
    objects: tuple[str, ...] | None = None
    # s3: outputs whose OutputS3Region is not their bucket's Region
    region_mismatches: tuple[RegionMismatch, ...] = ()
    aws_owned: bool = False  # s3: the buckets are AWS-owned (outside every customer's org)


class PathContext:
    """Per-check state: the estate, the partition and caches of pure results."""

    def __init__(self, estate: Estate, named_instances: frozenset[str] = frozenset()) -> None:
        self.estate = estate
        self.partition = estate.partition or "aws"
        self.policies = PolicyCache(named_instances)
        # by endpoint and request: the decision, and the caller it was made for
        self._resource_evaluations: dict[tuple[object, ...], tuple[Evaluation, str | None]] = {}
        self._anyone: dict[str, bool] = {}  # by endpoint: its policy admits any principal
        # the endpoint-policy and role steps of a path, by what decides them (path.py)
        self.policy_parts: dict[Hashable, Leg] = {}
        self._dns: dict[tuple[str, str], DnsAnswer] = {}
        self._endpoint_policies: dict[str, Policy | str | None] = {}
        self._endpoint_keys: dict[str, frozenset[str] | None] = {}
        self._key_policies: dict[str, Policy | str | Gap] = {}

    def key_policy(self, key: KmsKey) -> Policy | str | Gap:
        """The parsed key policy of a KMS key (see kms.parse_key_policy), parsed once."""
        cached = self._key_policies.get(key.arn)
        if cached is None:
            cached = self._key_policies[key.arn] = parse_key_policy(key)
        return cached

    def resolve(self, region: RegionData, vpc: aws.Vpc, host: str, service_name: str) -> DnsAnswer:
        key = (vpc.vpc_id, host)
        answer = self._dns.get(key)
        if answer is None:
            answer = self._dns[key] = resolve(self.estate, region, vpc, host, service_name)
        return answer

    def evaluate_endpoint_policy(
        self, endpoint: aws.VpcEndpoint, policy: Policy, req: RequestContext
    ) -> Evaluation:
        eid = endpoint.vpc_endpoint_id
        if eid not in self._endpoint_keys:
            self._endpoint_keys[eid] = referenced_keys([policy])
            self._anyone[eid] = admits_any_principal(policy)
        anyone = self._anyone[eid]
        key = (eid, *self.policies.request_key(req, self._endpoint_keys[eid], principal=not anyone))
        cached = self._resource_evaluations.get(key)
        if cached is not None:
            result, caller = cached
            # A policy that admits anyone decides alike for every caller, but a finding
            # that nothing allows the call names the caller: told anew for another one.
            if result.decision is not Decision.NO_ALLOW or caller == req.principal_arn:
                return result
            return self.policies.neutral(
                evaluate_resource_policy(policy, req, gateway=endpoint.is_gateway), req
            )
        result = self.policies.neutral(
            evaluate_resource_policy(policy, req, gateway=endpoint.is_gateway), req
        )
        self._resource_evaluations[key] = (result, req.principal_arn)
        return result

    def endpoint_policy(self, endpoint: aws.VpcEndpoint) -> Policy | str | None:
        """The parsed endpoint policy; None = full access (no policy); str = why it is unreadable."""
        key = endpoint.vpc_endpoint_id
        if key not in self._endpoint_policies:
            if not endpoint.policy_document:
                self._endpoint_policies[key] = None
            else:
                try:
                    self._endpoint_policies[key] = parse_policy(
                        endpoint.policy_document, f"endpoint policy of {key}"
                    )
                except PolicyParseError as exc:
                    self._endpoint_policies[key] = str(exc)
        return self._endpoint_policies[key]
