"""AWS-owned bucket names per Region (requirements.md section 2)."""

from __future__ import annotations

import pytest

from ssmreach.analysis.buckets import aws_owned_buckets, bucket_object_arn, bucket_table


def test_us_east_1() -> None:
    assert aws_owned_buckets("us-east-1", "agent-update") == (
        "amazon-ssm-us-east-1",
        "aws-ssm-us-east-1",
    )
    assert aws_owned_buckets("us-east-1", "patch-manager") == (
        "aws-ssm-us-east-1",
        "patch-baseline-snapshot-us-east-1",
        "aws-patch-manager-us-east-1-1970c647d",
    )
    assert aws_owned_buckets("us-east-1", "windows-documents") == (
        "aws-windows-downloads-us-east-1",
    )


def test_us_east_2_matches_the_documented_example() -> None:
    assert aws_owned_buckets("us-east-2", "patch-manager") == (
        "aws-ssm-us-east-2",
        "patch-baseline-snapshot-us-east-2",
        "aws-patch-manager-us-east-2-552881074",
    )


def test_me_south_1_exception() -> None:
    assert aws_owned_buckets("me-south-1", "patch-manager") == (
        "patch-baseline-snapshot-me-south-1-uduvl7q8",
        "aws-patch-manager-me-south-1-a53fc9dce",
    )
    assert aws_owned_buckets("me-south-1", "agent-update") == (
        "amazon-ssm-me-south-1",
        "aws-ssm-me-south-1",
    )


@pytest.mark.parametrize(
    ("region", "snapshot"),
    [
        ("af-south-1", "patch-baseline-snapshot-af-south-1-tbxdb5b9"),
        ("ap-south-2", "patch-baseline-snapshot-ap-south-2-50209442"),
        ("ap-southeast-3", "patch-baseline-snapshot-ap-southeast-3-be0a3174"),
        ("ap-southeast-4", "patch-baseline-snapshot-ap-southeast-4-dc6f76ce"),
        ("eu-south-2", "patch-baseline-snapshot-eu-south-2-df2c9d70"),
    ],
)
def test_suffixed_snapshot_regions(region: str, snapshot: str) -> None:
    buckets = aws_owned_buckets(region, "patch-manager")
    assert buckets is not None
    assert buckets[0] == f"aws-ssm-{region}"
    assert buckets[1] == snapshot
    assert buckets[2].startswith(f"aws-patch-manager-{region}-")


@pytest.mark.parametrize(
    "region", ["ap-southeast-5", "mx-central-1", "cn-north-1", "us-gov-west-1"]
)
def test_unlisted_region_patch_buckets_unknown(region: str) -> None:
    assert aws_owned_buckets(region, "patch-manager") is None
    # the plain-pattern buckets are still named
    assert aws_owned_buckets(region, "agent-update") == (
        f"amazon-ssm-{region}",
        f"aws-ssm-{region}",
    )


def test_table_covers_the_29_listed_regions_and_is_consistent() -> None:
    table = bucket_table()
    assert len(table.patch_manager_suffix) == 29
    assert set(table.snapshot_suffix) <= set(table.patch_manager_suffix)
    assert len(table.snapshot_suffix) == 6
    me = table.exceptions["me-south-1"]["patch-manager"]
    assert me == (
        f"patch-baseline-snapshot-me-south-1-{table.snapshot_suffix['me-south-1']}",
        f"aws-patch-manager-me-south-1-{table.patch_manager_suffix['me-south-1']}",
    )
    assert table.sources and all(
        url.startswith("https://docs.aws.amazon.com/") for url in table.sources
    )
    assert table.date


def test_bad_input() -> None:
    with pytest.raises(ValueError, match="Region"):
        aws_owned_buckets("US East", "agent-update")
    with pytest.raises(ValueError, match="purpose"):
        aws_owned_buckets("us-east-1", "distributor")  # type: ignore[arg-type]


def test_bucket_object_arn() -> None:
    assert bucket_object_arn("aws-ssm-us-east-1") == "arn:aws:s3:::aws-ssm-us-east-1/*"
    assert (
        bucket_object_arn("aws-ssm-cn-north-1", "aws-cn") == "arn:aws-cn:s3:::aws-ssm-cn-north-1/*"
    )
    with pytest.raises(ValueError):
        bucket_object_arn("arn:aws:s3:::x")
