"""The probe: what a node itself sees on its way to Systems Manager.

- `node/`: the probe that runs on a node, standard library only, Python 3.8, one module
  per job; exported as one script, and run in process by `ssmreach probe`.
- `controller/`: what runs it from ssmreach (the script builder and export, the
  in-process configuration, Run Command, the snapshot index).
- `document.py`: the `ssmreach.probe/1` format as `check --probe` reads it.
"""
