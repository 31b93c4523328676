"""What a Session Manager session needs beyond the message channel: the Region's Session
Manager preferences as the check reads them (`session_preferences`), the services and
resources they add (`session_needs`), and the agent versions they call for
(`session_gates`)."""

from __future__ import annotations

from ssmreach.analysis.features import (
    CLOUDWATCH_STREAMING_MIN,
    KMS_ENCRYPTION_MIN,
    SESSION_MANAGER_MIN,
    SessionPreferences,
    Version,
    format_version,
    session_services,
)
from ssmreach.analysis.path_context import ServiceNeed
from ssmreach.analysis.reasons import reason
from ssmreach.analysis.resources import CallResources, kms_key_resources, log_group_resources
from ssmreach.analysis.verdict import Reason, Severity
from ssmreach.model.estate import Gap, RegionData
from ssmreach.model.preferences import PreferencesError, session_inputs


def session_preferences(region: RegionData) -> SessionPreferences:
    """The Region's Session Manager preferences; the defaults when they were not collected."""
    prefs = region.session_preferences
    gap = prefs if isinstance(prefs, Gap) else region.gap("GetDocument") if prefs is None else None
    if gap is not None and gap.kind == "missing":
        # Not collected (the AWS CLI recipe does not read it): the defaults are assumed and
        # said (README, judgement calls).
        return SessionPreferences(
            read=False,
            code=gap.code,
            note=gap.describe() + "; the defaults (no S3, CloudWatch or KMS) are assumed",
        )
    if gap is not None:
        # Denied or failed: what the preferences add cannot be known.
        return SessionPreferences(
            read=False,
            unknown=True,
            code=gap.code,
            note=gap.describe()
            + "; whether sessions also need S3, CloudWatch Logs or KMS cannot be known",
        )
    if prefs is None or isinstance(prefs, Gap):
        return SessionPreferences()
    try:
        inputs = session_inputs(prefs)
    except PreferencesError as exc:
        return SessionPreferences(
            read=False, note=f"the Session Manager preferences: {exc}; the defaults are assumed"
        )
    return SessionPreferences(
        s3_bucket=str(inputs.get("s3BucketName") or "") or None,
        log_group=str(inputs.get("cloudWatchLogGroupName") or "") or None,
        kms_key=str(inputs.get("kmsKeyId") or "") or None,
        cloudwatch_streaming=bool(inputs.get("cloudWatchStreamingEnabled")),
    )


def session_needs(
    region: RegionData, prefs: SessionPreferences, partition: str, extra: list[Reason]
) -> list[ServiceNeed]:
    """The services of a session: ssm and ssmmessages, and what the preferences add
    (the S3 bucket, the KMS key, the log group), each on its real resource. A note on
    preferences that could not be read goes to `extra`."""
    if not prefs.read and prefs.note:
        severity = Severity.WARNING if prefs.unknown else Severity.INFO
        extra.append(reason(prefs.code, severity, None, prefs.note))
    where = (partition, region.region, region.account)
    needs: list[ServiceNeed] = []
    for svc in session_services(prefs):
        if svc == "s3" and prefs.s3_bucket:
            where_bucket = region.bucket_region(prefs.s3_bucket)
            needs.append(
                ServiceNeed(
                    "s3",
                    (prefs.s3_bucket,),
                    "s3:PutObject",
                    bucket_region=None if where_bucket == region.region else where_bucket,
                )
            )
        elif svc == "kms" and prefs.kms_key:
            described = region.kms_key(prefs.kms_key)
            resources = (
                kms_key_resources(prefs.kms_key, *where)
                if isinstance(described, Gap)
                else CallResources((described.arn,))
            )
            needs.append(ServiceNeed("kms", resources=resources, key_id=prefs.kms_key))
        elif svc == "logs" and prefs.log_group:
            needs.append(
                ServiceNeed("logs", resources=log_group_resources(prefs.log_group, *where))
            )
        else:
            needs.append(ServiceNeed(svc))
    return needs


def session_gates(version: Version | None, iid: str, prefs: SessionPreferences) -> list[Reason]:
    """The agent versions a session needs: Session Manager, and KMS encryption and
    CloudWatch log streaming when the preferences turn them on."""
    if version is None:
        return []
    gates = [(SESSION_MANAGER_MIN, "Session Manager")]
    if prefs.kms_key:
        gates.append((KMS_ENCRYPTION_MIN, "KMS session encryption"))
    if prefs.cloudwatch_streaming:
        gates.append((CLOUDWATCH_STREAMING_MIN, "CloudWatch log streaming"))
    out = []
    for minimum, what in gates:
        if version < minimum:
            out.append(
                reason(
                    "AGENT_TOO_OLD",
                    Severity.WARNING,
                    iid,
                    f"{what} needs agent {format_version(minimum)} or newer; {iid} runs {format_version(version)}",
                    f"Update the SSM agent on {iid} (AWS-UpdateSSMAgent).",
                )
            )
    return out
