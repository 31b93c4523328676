"""IAM wildcard matching: `*` and `?`, nothing else.

IAM patterns know two special characters (IAM User Guide, "IAM JSON policy
elements: Resource", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html,
and "Condition operators", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html):

- `*` matches any run of characters, including the empty run;
- `?` matches exactly one character.

Every other character is literal, so `.`, `+`, `[` or `\\` never act as regular
expression syntax. Action names are compared case-insensitively, resources and
ARNs case-sensitively; the caller says which.
"""

from __future__ import annotations

import re

__all__ = ["arn_match", "has_wildcard", "is_account_id", "wildcard_match"]

_ACCOUNT_ID = re.compile(r"\d{12}")


def _same(a: str, b: str, case_sensitive: bool) -> bool:
    if a == b:
        return True
    # Compare one code point at a time so that `?` keeps meaning "one character"
    # even for characters whose case mapping is longer than one code point.
    return not case_sensitive and a.casefold() == b.casefold()


def wildcard_match(pattern: str, value: str, *, case_sensitive: bool) -> bool:
    """True when `value` matches the IAM `pattern` as a whole.

    Greedy scan with one backtracking point (the last `*` seen): linear in the
    common case, O(len(pattern) * len(value)) at worst, never exponential.
    """
    p = v = 0
    star = -1  # index in pattern of the last `*`
    mark = 0  # position in value where that `*` started matching
    np, nv = len(pattern), len(value)
    while v < nv:
        if p < np and pattern[p] == "*":
            star, mark = p, v
            p += 1
        elif p < np and (pattern[p] == "?" or _same(pattern[p], value[v], case_sensitive)):
            p += 1
            v += 1
        elif star >= 0:
            # Let the last `*` swallow one more character and retry.
            mark += 1
            v = mark
            p = star + 1
        else:
            return False
    while p < np and pattern[p] == "*":
        p += 1
    return p == np


def has_wildcard(pattern: str) -> bool:
    """True when `pattern` holds `*` or `?`."""
    return "*" in pattern or "?" in pattern


def arn_match(pattern: str, value: str) -> bool:
    """Case-sensitive match of an ARN against an ARN pattern.

    Follows the IAM rule for resource ARNs and the `Arn*` condition operators:
    the six colon-separated parts (`arn:partition:service:region:account:resource`)
    are matched one by one, `*` and `?` work inside each part, and the resource
    part keeps its own colons. A `*` that ends the pattern early ("If the `*`
    wildcard is the last character of a resource ARN segment, it can expand to
    match beyond the colon boundaries", IAM User Guide, Resource element) also
    covers the remaining parts, so `arn:aws:s3:::*` and `arn:aws:*` both work.
    A pattern or value that is not an ARN is compared as a plain wildcard string.
    """
    if pattern == "*":
        return True
    parts = pattern.split(":", 5)
    vparts = value.split(":", 5)
    if parts[0] != "arn" or vparts[0] != "arn" or len(vparts) != 6:
        return wildcard_match(pattern, value, case_sensitive=True)
    if len(parts) == 6:
        return all(
            wildcard_match(p, v, case_sensitive=True) for p, v in zip(parts, vparts, strict=True)
        )
    if not parts[-1].endswith("*"):
        return False
    last = len(parts) - 1
    head_ok = all(
        wildcard_match(p, v, case_sensitive=True)
        for p, v in zip(parts[:last], vparts[:last], strict=True)
    )
    return head_ok and wildcard_match(parts[last], ":".join(vparts[last:]), case_sensitive=True)


def is_account_id(text: str) -> bool:
    """True for a bare 12-digit AWS account ID."""
    return _ACCOUNT_ID.fullmatch(text) is not None
