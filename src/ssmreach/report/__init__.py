"""Renderings of a `CheckResult`: JSON (the stable machine interface) and text for people."""
