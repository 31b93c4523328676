"""IAM policy documents parsed into immutable statements.

Accepts what the AWS APIs hand out: a dict, a JSON string, or a URL-encoded
JSON string (IAM's `GetPolicyVersion` / `GetAccountAuthorizationDetails` style).
Grammar: IAM User Guide, "Grammar of the IAM JSON policy language",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html.
Anything that does not fit raises `PolicyParseError` with a one-line message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal, cast
from urllib.parse import unquote

from ssmreach.policy.conditions import Condition

__all__ = ["Policy", "PolicyParseError", "Statement", "parse_policy"]

_VERSIONS = frozenset({"2012-10-17", "2008-10-17"})
_TOP_LEVEL = frozenset({"Version", "Id", "Statement"})
_ELEMENTS = frozenset(
    {
        "Sid",
        "Effect",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Principal",
        "NotPrincipal",
        "Condition",
    }
)


class PolicyParseError(ValueError):
    """A policy document that is not valid IAM policy JSON (one-line message)."""


@dataclass(frozen=True, slots=True)
class Statement:
    index: int  # position in the policy, 0-based
    sid: str | None
    effect: Literal["Allow", "Deny"]
    actions: tuple[str, ...] | None  # None when the statement uses NotAction
    not_actions: tuple[str, ...] | None
    resources: tuple[str, ...] | None  # None with NotResource; ("*",) when neither is given
    not_resources: tuple[str, ...] | None
    # None = no Principal element; {"*": ("*",)} for "Principal": "*";
    # else {"AWS": (...), "Service": (...), ...}
    principals: Mapping[str, tuple[str, ...]] | None = field(hash=False)
    not_principals: Mapping[str, tuple[str, ...]] | None = field(hash=False)
    conditions: tuple[Condition, ...]
    source: str  # the statement as compact JSON, for quoting in a finding

    @property
    def label(self) -> str:
        """`statement "Sid" (#2)` or `statement #2`, for messages."""
        if self.sid:
            return f'statement "{self.sid}" (#{self.index})'
        return f"statement #{self.index}"


@dataclass(frozen=True, slots=True)
class Policy:
    # e.g. "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore", "endpoint policy of vpce-0ab"
    name: str
    statements: tuple[Statement, ...]
    # The document's Version; policy variables (`${...}`) are only special in "2012-10-17".
    version: str | None = None


def admits_any_principal(policy: Policy) -> bool:
    """Does every statement name every caller ("Principal": "*", or "*" among its AWS
    principals) and none use NotPrincipal? Then who calls never changes what the policy
    decides (IAM User Guide, "AWS JSON policy elements: Principal": "*" is anyone)."""
    return all(
        stmt.not_principals is None
        and stmt.principals is not None
        and ("*" in stmt.principals or "*" in stmt.principals.get("AWS", ()))
        for stmt in policy.statements
    )


def referenced_keys(policies: Iterable[Policy | None]) -> frozenset[str] | None:
    """The condition keys (lower case) that can change what these policies decide.

    None when a statement uses a policy variable (`${...}`), which may read any key.
    Requests that differ only in other keys get the same decision, so evaluations can
    be shared between them.
    """
    keys: set[str] = set()
    for policy in policies:
        for stmt in policy.statements if policy is not None else ():
            if "${" in stmt.source:
                return None
            keys.update(c.key.lower() for c in stmt.conditions)
    return frozenset(keys)


def _load(document: object, name: str) -> dict[str, object]:
    if isinstance(document, bytes | bytearray):
        try:
            document = bytes(document).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise PolicyParseError(
                f"{name}: the document is not UTF-8 text ({exc.reason})"
            ) from None
    if isinstance(document, str):
        text = document.strip()
        if not text.startswith("{") and "%" in text:
            text = unquote(text).strip()
        if not text:
            raise PolicyParseError(f"{name}: the document is empty")
        try:
            document = json.loads(text)
        except json.JSONDecodeError as exc:
            raise PolicyParseError(
                f"{name}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
            ) from None
        except RecursionError:
            raise PolicyParseError(f"{name}: the JSON is nested too deeply to read") from None
    if not isinstance(document, dict):
        raise PolicyParseError(f"{name}: the document must be a JSON object, not {_kind(document)}")
    return cast(dict[str, object], document)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _strings(value: object, where: str) -> tuple[str, ...]:
    """A string or a non-empty list of non-empty strings."""
    items = value if isinstance(value, list) else [value]
    if not items:
        raise PolicyParseError(f"{where} is an empty list")
    out: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise PolicyParseError(f"{where} must hold strings, not {_kind(item)}")
        if not item:
            raise PolicyParseError(f"{where} holds an empty string")
        out.append(item)
    return tuple(out)


def _principal(value: object, where: str) -> Mapping[str, tuple[str, ...]]:
    if value == "*":
        return {"*": ("*",)}
    if not isinstance(value, dict):
        raise PolicyParseError(
            f'{where} must be "*" or an object such as {{"AWS": ...}}, not {_kind(value)}'
        )
    if not value:
        raise PolicyParseError(f"{where} is an empty object")
    return {str(ptype): _strings(ids, f"{where}.{ptype}") for ptype, ids in value.items()}


def _condition_value(value: object, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return json.dumps(value)
    raise PolicyParseError(f"{where} must be a string, number or boolean, not {_kind(value)}")


def _conditions(value: object, where: str) -> tuple[Condition, ...]:
    if not isinstance(value, dict):
        raise PolicyParseError(f"{where} must be an object, not {_kind(value)}")
    out: list[Condition] = []
    for operator, block in value.items():
        if not isinstance(block, dict):
            raise PolicyParseError(
                f"{where}.{operator} must be an object of keys, not {_kind(block)}"
            )
        if not block:
            raise PolicyParseError(f"{where}.{operator} is an empty object")
        for key, raw in block.items():
            items = raw if isinstance(raw, list) else [raw]
            if not items:
                raise PolicyParseError(f"{where}.{operator}.{key} is an empty list")
            values = tuple(_condition_value(item, f"{where}.{operator}.{key}") for item in items)
            out.append(Condition(operator=str(operator), key=str(key), values=values))
    return tuple(out)


def _statement(raw: object, index: int, name: str) -> Statement:
    where = f"{name}: statement #{index}"
    if not isinstance(raw, dict):
        raise PolicyParseError(f"{where} must be an object, not {_kind(raw)}")
    unknown = sorted(str(k) for k in raw if k not in _ELEMENTS)
    if unknown:
        raise PolicyParseError(f"{where} has unknown element(s) {', '.join(unknown)}")
    sid = raw.get("Sid")
    if sid is not None and not isinstance(sid, str):
        raise PolicyParseError(f"{where}: Sid must be a string, not {_kind(sid)}")
    effect = raw.get("Effect")
    if effect not in ("Allow", "Deny"):
        shown = json.dumps(effect) if effect is not None else "missing"
        raise PolicyParseError(f'{where}: Effect must be "Allow" or "Deny" ({shown})')
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyParseError(f"{where} needs exactly one of Action and NotAction")
    if "Resource" in raw and "NotResource" in raw:
        raise PolicyParseError(f"{where} has both Resource and NotResource")
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyParseError(f"{where} has both Principal and NotPrincipal")

    actions = _strings(raw["Action"], f"{where}: Action") if "Action" in raw else None
    not_actions = _strings(raw["NotAction"], f"{where}: NotAction") if "NotAction" in raw else None
    if "NotResource" in raw:
        resources = None
        not_resources: tuple[str, ...] | None = _strings(
            raw["NotResource"], f"{where}: NotResource"
        )
    else:
        resources = _strings(raw["Resource"], f"{where}: Resource") if "Resource" in raw else ("*",)
        not_resources = None
    principals = _principal(raw["Principal"], f"{where}: Principal") if "Principal" in raw else None
    not_principals = (
        _principal(raw["NotPrincipal"], f"{where}: NotPrincipal") if "NotPrincipal" in raw else None
    )
    conditions = _conditions(raw["Condition"], f"{where}: Condition") if "Condition" in raw else ()
    return Statement(
        index=index,
        sid=sid or None,
        effect=cast(Literal["Allow", "Deny"], effect),
        actions=actions,
        not_actions=not_actions,
        resources=resources,
        not_resources=not_resources,
        principals=principals,
        not_principals=not_principals,
        conditions=conditions,
        source=json.dumps(raw, separators=(",", ":"), ensure_ascii=False),
    )


def parse_policy(document: object, name: str) -> Policy:
    """Parse an IAM policy document (dict, JSON text, or URL-encoded JSON text).

    "Statement" may be one object or a list; Action, Resource and the like may be
    a string or a list of strings. A statement without Resource or NotResource
    gets `("*",)` (endpoint and identity policies are read that way).
    """
    data = _load(document, name)
    unknown = sorted(str(k) for k in data if k not in _TOP_LEVEL)
    if unknown:
        raise PolicyParseError(f"{name}: unknown top-level element(s) {', '.join(unknown)}")
    version = data.get("Version")
    if version is not None and version not in _VERSIONS:
        raise PolicyParseError(f"{name}: unsupported Version {json.dumps(version)}")
    if "Statement" not in data:
        raise PolicyParseError(f"{name}: the document has no Statement")
    raw = data["Statement"]
    items = raw if isinstance(raw, list) else [raw]
    statements = tuple(_statement(item, i, name) for i, item in enumerate(items))
    return Policy(
        name=name, statements=statements, version=version if isinstance(version, str) else None
    )
