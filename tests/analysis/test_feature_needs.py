"""The feature table is the one home of what each feature needs."""

from __future__ import annotations

from ssmreach.analysis.features import FEATURES, NEEDS


def test_every_feature_has_its_needs_and_nothing_else_does() -> None:
    assert set(NEEDS) == set(FEATURES)


def test_features_that_read_aws_owned_buckets_need_s3_and_name_the_purpose() -> None:
    for name, needs in NEEDS.items():
        assert ("s3" in needs.services) == (needs.buckets is not None), name
        assert needs.services, name
