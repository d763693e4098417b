"""Renderers for a PolicyReport: rich text, JSON, SARIF 2.1.0 (GitHub code scanning), Markdown."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from aksflow.locate import with_hint

from .report import PolicyReport, Violation

if TYPE_CHECKING:
    from rich.console import Console

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
TOOL_NAME = "aksflow-policy-gate"
TOOL_VERSION = "0.1.0"
# Checkov's mapping (policies.md §6): level and GitHub security-severity per severity.
SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}
SECURITY_SEVERITY = {"critical": "10.0", "high": "8.9", "medium": "6.9", "low": "3.9"}
_ICON = {"mandatory": "❌", "advisory": "⚠️"}


def _detail(v: Violation) -> str:
    """The violation message without the policy description line the SDK prepends."""
    return v.message.split("\n", 1)[1] if "\n" in v.message else v.message


def fingerprint(v: Violation) -> str:
    """Stable across line moves: rule id + URN + the finding (field path, container)."""
    digest = hashlib.sha256(f"{v.policy}\0{v.urn}\0{_detail(v)}".encode()).hexdigest()
    return f"{digest[:32]}:1"


def render_json(report: PolicyReport) -> str:
    """The report as indented JSON."""
    return json.dumps(report.to_json(), indent=2, sort_keys=False)


def render_text(report: PolicyReport, console: Console) -> None:
    """Pulumi-CLI-like "Policies:" section plus a summary line, via rich."""
    from rich.markup import escape

    icon = "❌" if report.mandatory else ("⚠️" if report.violations else "✅")
    console.print("Policies:")
    console.print(f"    {icon} {escape(report.pack)}@v{escape(report.pack_version)}")
    for v in report.violations:
        style = "red" if v.level == "mandatory" else "yellow"
        console.print(
            f"        - [{style}]\\[{v.level}] \\[severity: {v.severity}][/{style}]  "
            f"[bold]{escape(v.policy)}[/bold]  ({escape(v.resource_type or 'stack')})"
        )
        for line in v.message.splitlines():
            console.print(f"          {escape(line)}")
        console.print(f"          [dim]{escape(v.file)}:{v.line}  {escape(v.urn)}[/dim]")
    for v in report.excepted:
        console.print(
            f"        - [dim]\\[excepted] {escape(v.policy)}  "
            f"{escape(v.urn.rsplit('::', 1)[-1] if v.urn else 'stack')}[/dim]"
        )
        if v.exception is not None:
            console.print(f"          [dim]{escape(v.exception.justification)}[/dim]")
    console.print(
        f"{report.evaluated} resource(s) evaluated, {len(report.mandatory)} mandatory and "
        f"{len(report.advisory)} advisory violation(s)"
        + (f", {len(report.excepted)} excepted" if report.excepted else "")
        + (
            f", {report.unknown_skips} policy run(s) skipped on unknown values"
            if report.unknown_skips
            else ""
        )
    )


def render_markdown(report: PolicyReport) -> str:
    """GitHub step-summary / PR-comment Markdown."""
    icon = "❌" if report.mandatory else ("⚠️" if report.violations else "✅")
    title = f"{icon} Policy gate `{report.pack}@v{report.pack_version}`"
    if report.stack:
        title += f" — stack `{report.stack}`"
    lines = [
        f"### {title}",
        "",
        f"{report.evaluated} resources evaluated · **{len(report.mandatory)} mandatory** · "
        f"{len(report.advisory)} advisory",
        "",
    ]
    if report.violations:
        lines += [
            "| | Level | Severity | Policy | Resource | Location | Finding |",
            "|---|---|---|---|---|---|---|",
        ]
        for v in report.violations:
            cells = [
                _ICON.get(v.level, ""),
                v.level,
                v.severity,
                f"`{v.policy}`",
                f"`{v.urn.rsplit('::', 1)[-1]}`" if v.urn else "stack",
                f"`{v.file}:{v.line}`",
                _detail(v),
            ]
            lines.append(
                "| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |"
            )
    if report.excepted:
        lines += ["", f"<details><summary>{len(report.excepted)} excepted</summary>", ""]
        for v in report.excepted:
            why = v.exception.justification if v.exception else ""
            resource = v.urn.rsplit("::", 1)[-1] if v.urn else "stack"
            lines.append(f"- `{v.policy}` on `{resource}`: {why}".replace("\n", " "))
        lines += ["", "</details>"]
    return "\n".join(lines) + "\n"


def to_sarif(report: PolicyReport) -> dict[str, Any]:
    """SARIF 2.1.0 with rule metadata, severities, fingerprints and a location per result."""
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for p in report.policies:
        index[p.name] = len(rules)
        tags = ["security", *(t for t in p.tags if t != "security")]
        rules.append(
            {
                "id": p.name,
                "name": p.name,
                "shortDescription": {"text": p.description},
                "fullDescription": {"text": p.description},
                "help": {
                    "text": f"{p.description} How to fix: {p.remediation or 'see the message.'}",
                    "markdown": f"**{p.name}** ({p.severity}): {p.description}\n\n"
                    f"How to fix: {p.remediation or 'see the message.'}",
                },
                "defaultConfiguration": {"level": SARIF_LEVEL.get(p.severity, "warning")},
                "properties": {
                    "tags": tags,
                    "security-severity": SECURITY_SEVERITY.get(p.severity, "6.9"),
                    "precision": "very-high",
                    "problem.severity": "error" if p.level == "mandatory" else "warning",
                },
            }
        )
    results: list[dict[str, Any]] = []
    for v in (*report.violations, *report.excepted):
        if v.policy not in index:  # a diagnostic from a policy we have no metadata for
            index[v.policy] = len(rules)
            rules.append(
                {
                    "id": v.policy,
                    "shortDescription": {"text": v.policy},
                    "fullDescription": {"text": v.policy},
                    "help": {"text": v.policy},
                    "properties": {"security-severity": SECURITY_SEVERITY.get(v.severity, "6.9")},
                }
            )
        results.append(
            {
                "ruleId": v.policy,
                "ruleIndex": index[v.policy],
                "level": "error"
                if v.level == "mandatory"
                else SARIF_LEVEL.get(v.severity, "warning"),
                "message": {"text": f"{with_hint(_detail(v), v.hint)} ({v.urn or 'stack'})"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": v.file},
                            "region": {"startLine": max(1, v.line)},
                        }
                    }
                ],
                "partialFingerprints": {"primaryLocationLineHash": fingerprint(v)},
                "properties": {"enforcementLevel": v.level, "urn": v.urn, "unknown": v.unknown},
            }
        )
        if v.exception is not None:  # GitHub code scanning shows it as dismissed, not open
            results[-1]["suppressions"] = [
                {
                    "kind": "external",
                    "status": "accepted",
                    "justification": v.exception.justification,
                    "location": {
                        "physicalLocation": {
                            "artifactLocation": {"uri": v.exception.file},
                            "region": {"startLine": max(1, v.exception.line)},
                        }
                    },
                }
            ]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "semanticVersion": TOOL_VERSION,
                "informationUri": "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
                "rules": rules,
            }
        },
        "automationDetails": {"id": f"policy-gate/{report.stack or 'manifests'}/"},
        "results": results,
    }
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(report: PolicyReport) -> str:
    """SARIF as indented JSON text."""
    return json.dumps(to_sarif(report), indent=2)
