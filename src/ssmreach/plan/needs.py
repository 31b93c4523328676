"""From the check result to needs: per VPC, which instances do not reach which service
privately, and why (pure). Causes only a person can fix become manual steps here."""

from __future__ import annotations

from dataclasses import dataclass, field

from ssmreach.analysis.engine import agent_facts
from ssmreach.analysis.features import channel_options
from ssmreach.analysis.services import service_offered
from ssmreach.analysis.verdict import CheckResult, FeatureResult, Severity, Verdict
from ssmreach.model import aws
from ssmreach.model.estate import RegionData
from ssmreach.plan.changes import Finding
from ssmreach.plan.shared import MANUAL_CODES, MANUAL_ON_PRIVATE, NACL_CODES
from ssmreach.plan.state import PlanState


@dataclass(slots=True)
class Need:
    """One instance that does not reach one service privately."""

    instance: aws.Instance
    findings: list[Finding]


@dataclass(slots=True)
class VpcNeeds:
    region: RegionData
    vpc_id: str
    instances: dict[str, aws.Instance] = field(default_factory=dict)  # every checked one
    needs: dict[str, dict[str, Need]] = field(default_factory=dict)  # service -> instance -> need

    def need(self, service: str, instance: aws.Instance) -> Need:
        by_instance = self.needs.setdefault(service, {})
        found = by_instance.get(instance.instance_id)
        if found is None:
            found = by_instance[instance.instance_id] = Need(instance, [])
        return found

    def findings(self, service: str) -> list[Finding]:
        return [f for n in self.needs.get(service, {}).values() for f in n.findings]

    def codes(self, service: str) -> set[str]:
        return {f.code for f in self.findings(service)}


def _preferred_channel(region: RegionData, instance: aws.Instance) -> str:
    options = channel_options(agent_facts(region, instance), service_offered(region, "ec2messages"))
    return options[0] if options else "ssmmessages"


def collect(state: PlanState, result: CheckResult) -> dict[tuple[str, str, str], VpcNeeds]:
    """The needs of every VPC with checked instances, keyed by (account, region, VPC)."""
    vpcs: dict[tuple[str, str, str], VpcNeeds] = {}
    features = set(state.options.features)
    for fr in result.results:
        if fr.feature not in features:
            continue
        region = state.estate.regions.get((fr.account, fr.region))
        if region is None or not fr.vpc:
            continue
        instance = next((i for i in region.instances if i.instance_id == fr.instance), None)
        if instance is None:
            continue
        # A subnet shared through AWS RAM is changed by its owner: endpoints, groups and
        # routes go to the owner account's VPC (a participant cannot create endpoints in a
        # shared VPC: "This operation does not support shared VPCs").
        network = state.estate.network_of(region, instance.subnet_id or "")
        if network is None:
            for r in fr.reasons:
                if r.code in MANUAL_CODES and r.severity is not Severity.INFO:
                    state.manual.finding(r, fr.instance)
            continue
        vpc = vpcs.setdefault(
            (network.account, fr.region, fr.vpc), VpcNeeds(region=network, vpc_id=fr.vpc)
        )
        vpc.instances[instance.instance_id] = instance
        if fr.verdict is Verdict.PRIVATE:
            # A working path can still carry a step a person must take (an agent update).
            for r in fr.reasons:
                if r.code in MANUAL_ON_PRIVATE:
                    state.manual.finding(r, fr.instance)
            continue
        for r in fr.reasons:
            if r.code in NACL_CODES and r.severity is not Severity.INFO:
                state.nacl_reasons[fr.instance].append(r)
            if r.code in MANUAL_CODES and r.severity is not Severity.INFO:
                state.manual.finding(r, fr.instance)
        _service_needs(vpc, region, instance, fr)
    return vpcs


def _service_needs(
    vpc: VpcNeeds, region: RegionData, instance: aws.Instance, fr: FeatureResult
) -> None:
    """A need per service the feature does not reach privately and a change can fix."""
    for sr in fr.services:
        if sr.verdict is Verdict.PRIVATE:
            continue
        codes = [r.code for r in sr.reasons if r.severity is not Severity.INFO]
        fixable = [c for c in codes if c not in MANUAL_CODES]
        if codes and not fixable:
            continue  # only a person can fix this service's path
        service = sr.service
        if service in ("ssmmessages", "ec2messages"):
            service = _preferred_channel(region, instance)
        need = vpc.need(service, instance)
        for code in fixable or ["INTERNET_PATH"]:
            need.findings.append(Finding(fr.instance, fr.feature, code))
