"""The comment's policy sections: every change to what the gate enforces, and excepted findings.

Both return markdown lines (empty when there is nothing to say) for
:func:`aksflow.diff.comment.render_comment` to place. Everything taken from the pull request is
escaped or put in code spans with the comment's own helpers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aksflow.diff.comment import code, escape
from aksflow.diff.model import DiffReport, PolicyChange

_KIND = {"level": "level", "settings": "settings", "code": "pack code", "exception": "exception"}


def _change(change: PolicyChange) -> str:
    icon = (
        "🔴 **loosens**" if change.loosened else ("🔴 **may loosen**" if change.high_risk else "🟢")
    )
    where = f" in {code(change.environment)}" if change.environment else ""
    if change.kind == "level":
        old = code(change.old) if change.old else "not in the pack"
        new = code(change.new) if change.new else "removed from the pack"
        text = f"{code(change.subject)}{where}: {old} → {new}"
    elif change.kind == "settings":
        text = (
            f"{code(change.subject)}{where}: {code(change.old or 'unset')} → "
            f"{code(change.new or 'unset')}"
        )
    elif change.kind == "code":
        text = f"{code(change.subject)} changed: this PR is judged with the base's rules"
    elif change.new is not None:
        text = f"{code(change.subject)} for {code(change.new)}{where}"
    else:
        text = f"{code(change.subject)} for {code(change.old or '')}{where} removed"
    detail = f" — {escape(change.detail)}" if change.detail and change.kind != "code" else ""
    return f"- {icon} {_KIND[change.kind]}: {text}{detail}"


def _configured(report: DiffReport) -> list[PolicyChange]:
    """Config-file level changes the effective levels do not show (``all``, or no report)."""
    shown = {(c.environment, c.subject) for c in report.policy_changes if c.kind == "level"}
    out: dict[tuple[str, str], PolicyChange] = {}
    for stack in report.stacks:
        for e in stack.enforcement:
            if (e.environment, e.policy) not in shown:
                out[(e.environment, e.policy)] = PolicyChange(
                    "level", e.policy, e.environment, e.old, e.new, e.loosened, "configured"
                )
    return list(out.values())


def policy_changes_section(report: DiffReport) -> list[str]:
    """``#### Policy changes``: one line per change, loosenings first; [] when none."""
    changes = [*report.policy_changes, *_configured(report)]
    if not report.policy_changes:
        return []
    ordered = sorted(changes, key=lambda c: not c.high_risk)
    return [
        "#### Policy changes",
        "",
        "The head is judged by the base's pack and exceptions, each policy at the stricter of "
        "the base's and the head's level: a tightening applies now, a loosening once merged.",
        "",
        *(_change(c) for c in ordered),
    ]


def _excepted(stack: str, v: Any) -> str:
    resource = v.urn.rsplit("::", 1)[-1] if v.urn else "(stack)"
    exc: Mapping[str, Any] = v.exception or {}
    where = f"{exc.get('file', '')}:{exc.get('line', '')}"
    return (
        f"- {code(v.policy)} on {code(resource)} ({code(stack)}): {escape(exc.get('reason', ''))}"
        f" — owner {escape(exc.get('owner', ''))}, expires {code(exc.get('expires', ''))}, "
        f"{code(where)}"
    )


def excepted_section(report: DiffReport) -> list[str]:
    """Excepted findings, folded; [] when none."""
    found = [(s.stack, v) for s in report.stacks for v in s.head_policy.excepted]
    if not found:
        return []
    return [
        "<details>",
        f"<summary>Excepted findings ({len(found)}): covered by a reviewed exception in "
        "the base's <code>policies/exceptions.yaml</code></summary>",
        "",
        *(_excepted(stack, v) for stack, v in found),
        "",
        "</details>",
    ]
