"""The Session Manager preferences document (`SSM-SessionManagerRunShell`), read once.

Both the collector (which reads the KMS key the preferences name) and the analysis (which
adds the services they need) read the document's `inputs` through `session_inputs`.
`GetDocument` returns JSON unless asked otherwise (SSM API reference, `DocumentFormat`).
"""

from __future__ import annotations

import json
from typing import Any


class PreferencesError(ValueError):
    """The preferences document is not a JSON object with an `inputs` object."""


def session_inputs(content: str) -> dict[str, Any]:
    """The `inputs` of a preferences document; `{}` for an empty one.

    Raises `PreferencesError` when the content is not JSON, or `inputs` is not an object.
    """
    if not content.strip():
        return {}
    try:
        document = json.loads(content)
    except ValueError as exc:
        raise PreferencesError(f"the preferences document is not valid JSON ({exc})") from None
    if not isinstance(document, dict):
        raise PreferencesError("the preferences document is not a JSON object")
    inputs = document.get("inputs", {})
    if not isinstance(inputs, dict):
        raise PreferencesError("the preferences document's inputs is not an object")
    return inputs


def session_kms_key(content: str) -> str | None:
    """The `kmsKeyId` the preferences name (an id, ARN or alias), or None."""
    try:
        key = session_inputs(content).get("kmsKeyId")
    except PreferencesError:
        return None
    return key if isinstance(key, str) and key else None


def session_bucket(content: str) -> str | None:
    """The `s3BucketName` the preferences log sessions to, or None."""
    try:
        bucket = session_inputs(content).get("s3BucketName")
    except PreferencesError:
        return None
    return bucket if isinstance(bucket, str) and bucket else None
