"""The typed, immutable model of an AWS estate, read from a snapshot (no boto3 here)."""
