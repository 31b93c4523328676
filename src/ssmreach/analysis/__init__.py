"""Pure reachability analysis over the typed estate: no I/O, no boto3."""
