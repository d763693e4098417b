"""Wrap the pure rules as CrossGuard policies (the only module that imports pulumi_policy)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from . import aks, hardening, hygiene, ingress, pss, rbac, stack
from .model import NotApplicable, Rule, StackResource, Subject, message

PACK_NAME = "aksflow"
ALL_RULES: tuple[Rule, ...] = (
    *pss.RULES,
    *aks.RULES,
    *rbac.RULES,
    *hardening.RULES,
    *hygiene.RULES,
    *ingress.RULES,
    *stack.RULES,
)
RULES_BY_NAME: Mapping[str, Rule] = {r.name: r for r in ALL_RULES}


def default_level(rule: Rule) -> EnforcementLevel:
    """policies.md §3: Tier 1 mandatory; Tier 2 and 3 advisory unless configured."""
    return EnforcementLevel.MANDATORY if rule.tier == 1 else EnforcementLevel.ADVISORY


def _metadata(rule: Rule) -> dict[str, Any]:
    """What a resource policy and a stack policy built from ``rule`` share."""
    return {
        "name": rule.name,
        "description": rule.description,
        "enforcement_level": default_level(rule),
        "config_schema": PolicyConfigSchema({k: dict(v) for k, v in rule.config.items()})
        if rule.config
        else None,
        "severity": Severity(rule.severity),
        "tags": list(rule.tags),
        "remediation_steps": rule.remediation,
    }


class AksflowResourcePolicy(ResourceValidationPolicy):
    """A ResourceValidationPolicy backed by a :class:`Rule`.

    ``resource_types`` lets a runner route only matching resources to it: for any other type
    ``validate`` returns without reporting, so skipping it is observably identical.
    """

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.resource_types = rule.types
        super().__init__(
            validate=self._validate,
            **_metadata(rule),
        )

    def _validate(self, args: ResourceValidationArgs, report: ReportViolation) -> None:
        if args.resource_type not in self.rule.types:
            return
        subject = Subject(args.resource_type, args.name, args.props)
        try:
            findings = self.rule.run(subject, args.get_config())
        except NotApplicable as na:
            args.not_applicable(na.reason)
            return
        for finding in findings:
            report(message(subject.label, finding), None)


class AksflowStackPolicy(StackValidationPolicy):
    """A StackValidationPolicy backed by a :class:`Rule`."""

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        super().__init__(
            validate=self._validate,
            **_metadata(rule),
        )

    def _validate(self, args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [StackResource(r.resource_type, r.urn, r.name, r.props) for r in args.resources]
        try:
            findings = self.rule.run_stack(resources, args.get_config())
        except NotApplicable as na:
            args.not_applicable(na.reason)
            return
        for finding in findings:
            report(message("stack", finding), finding.urn)


def build_policies(rules: Sequence[Rule] = ALL_RULES) -> list[Any]:
    """The pack's policies, in a stable order."""
    return [AksflowStackPolicy(r) if r.is_stack else AksflowResourcePolicy(r) for r in rules]
