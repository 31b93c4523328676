"""One read: an operation with every page merged, its failure, and the bytes of its file.

`invoke` calls an operation the way the AWS CLI prints it with `--output json` (pages
merged with the botocore paginator, paging tokens and `ResponseMetadata` dropped) and
raises `OperationFailed` with a one-line code and message when it does not answer;
`encode_json` writes the bytes of a snapshot file (timestamps as ISO-8601 strings).
A `CallFailure` is one such failure as the collection reports it: denied, throttled
(`THROTTLING_CODES`, after every retry) or failed.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from botocore import xform_name
from botocore.exceptions import BotoCoreError, ClientError, ParamValidationError

from ssmreach.collect.calls import ApiCall
from ssmreach.collect.readonly import ReadOnlyViolation
from ssmreach.collect.retry_budget import RetryBudgetExceeded, summarise
from ssmreach.model.estate import gap_kind_for

FailureKind = Literal["denied", "throttled", "failed"]

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "BandwidthLimitExceeded",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)


@dataclass(frozen=True, slots=True)
class CallFailure:
    """An operation (or one call of a call list) that did not answer."""

    account: str
    region: str
    service: str
    operation: str
    code: str
    message: str
    kind: FailureKind
    request: Mapping[str, Any] | None = None

    @property
    def api(self) -> str:
        return f"{self.service}:{self.operation}"


# --- JSON -----------------------------------------------------------------------------------


def _json_default(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def encode_json(value: object) -> bytes:
    """The bytes of one snapshot file: indent 1, key order as AWS sent it, UTF-8."""
    return json.dumps(value, indent=1, ensure_ascii=False, default=_json_default).encode("utf-8")


# --- one call ------------------------------------------------------------------------------


class OperationFailed(Exception):
    """An operation that did not answer: its error code and message, each one short line."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code = summarise(code)
        self.message = summarise(message)


def classify(code: str) -> FailureKind:
    if code in THROTTLING_CODES:
        return "throttled"
    return "denied" if gap_kind_for(code) == "denied" else "failed"


def invoke(client: Any, call: ApiCall, params: Mapping[str, Any]) -> dict[str, Any]:
    """One operation with every page merged, as the AWS CLI prints it; raises `OperationFailed`."""
    method = xform_name(call.operation)
    kwargs = copy.deepcopy(dict(params))
    try:
        if client.can_paginate(method):
            config: dict[str, int] = {"PageSize": call.page_size} if call.page_size else {}
            if call.max_items:
                config["MaxItems"] = call.max_items
            paginator = client.get_paginator(method)
            result: dict[str, Any] = paginator.paginate(
                **kwargs, PaginationConfig=config
            ).build_full_result()
        else:
            result = dict(getattr(client, method)(**kwargs))
    except (ReadOnlyViolation, ParamValidationError):
        raise
    except RetryBudgetExceeded as exc:
        raise OperationFailed(exc.code, str(exc)) from None
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise OperationFailed(
            str(error.get("Code") or "Unknown"), str(error.get("Message") or "")
        ) from None
    except BotoCoreError as exc:
        raise OperationFailed(type(exc).__name__, str(exc)) from None
    except Exception as exc:  # an endpoint that answers with something botocore cannot map
        raise OperationFailed(type(exc).__name__, str(exc)) from None
    result.pop("ResponseMetadata", None)
    for token in ("NextToken", "Marker", "NextMarker", "IsTruncated"):
        result.pop(token, None)
    return result
