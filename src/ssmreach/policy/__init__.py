"""The IAM policy language, evaluated in pure Python (no boto3, no I/O).

`parse_policy` turns a document into statements; `evaluate_identity` and
`evaluate_resource_policy` decide one request as ALLOW, DENY, NO_ALLOW or
UNKNOWN (a condition the snapshot cannot decide).
"""

from ssmreach.policy.conditions import Condition
from ssmreach.policy.document import Policy, PolicyParseError, Statement, parse_policy
from ssmreach.policy.evaluate import (
    Decision,
    Evaluation,
    RequestContext,
    evaluate_identity,
    evaluate_resource_policy,
)
from ssmreach.policy.managed import BUILTIN_SOURCE, builtin_managed_policy
from ssmreach.policy.wildcard import wildcard_match

__all__ = [
    "BUILTIN_SOURCE",
    "Condition",
    "Decision",
    "Evaluation",
    "Policy",
    "PolicyParseError",
    "RequestContext",
    "Statement",
    "builtin_managed_policy",
    "evaluate_identity",
    "evaluate_resource_policy",
    "parse_policy",
    "wildcard_match",
]
