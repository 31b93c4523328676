"""What runs the node probe from ssmreach: the script builder and export, `ssmreach probe`
in process, Run Command (`--via-ssm`), and what a snapshot tells the probe."""
