"""Check before deploy: a Terraform plan (`terraform show -json`) laid over a snapshot.

`plan_document` decodes the plan, `references` follows values known only after apply to
the resources they come from, `translate` turns each planned AWS resource into the API
records a snapshot would hold once it exists, and `overlay` writes those records into
a `RawSnapshot`, which the one reader then parses like any other.
"""
