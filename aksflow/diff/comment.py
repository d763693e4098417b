"""The one sticky PR comment, in markdown, never longer than GitHub allows.

Order: the hidden marker; a title naming the worst outcome (blocked > high risk > changes > no
changes); a summary table (stack x verdict x create/update/replace/delete + the head's policy
counts); risks, high first; policy changes; new policy findings, each once with every stack it
occurs in, and the findings already on the base folded; then each stack's details folded in
``<details>`` with a mermaid ``flowchart`` of its changed resources and the key properties of
what it creates. When nothing changed anywhere the comment is one line.
When the whole would exceed 65,536 characters the details are shortened, then dropped, and the
comment says where the full report is. Values were redacted by the plan; everything taken from
the PR (names, messages, values) is rendered inside code spans or escaped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from aksflow.diff.model import (
    DiffReport,
    Outcome,
    ResourceChange,
    Revision,
    Risk,
    StackDiff,
)
from aksflow.safety import render as safety

MARKER = "<!-- aksflow:preview -->"
MAX_COMMENT = 65_536
FULL_REPORT = "out/pr/diff.json"
MAX_LIST = 40  # risks / violations listed before "... and N more"
MAX_NODES = 40  # mermaid nodes per stack
MAX_VALUE = 100  # characters of one rendered value
SYMBOL = {"create": "+ ", "update": "~ ", "replace": "+-", "delete": "- "}
ICON = {"high": "🔴", "medium": "🟠"}


def size(text: str) -> int:
    """Length as GitHub may count it (UTF-16 code units: an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def code(text: str, *, cell: bool = False) -> str:
    """``text`` as an inline code span that no backtick, newline or pipe can break out of."""
    text = " ".join(str(text).split("\n"))
    runs = [len(r) for r in re.findall(r"`+", text)]
    fence = "`" * (max(runs, default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text.strip() else ""
    span = f"{fence}{pad}{text}{pad}{fence}"
    return span.replace("|", "\\|") if cell else span


# Mid-line, only these change meaning (a link needs "[", a heading or list a line start).
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def escape(text: str) -> str:
    """Plain text safe in markdown: no HTML, no emphasis, no links, no @mentions."""
    text = " ".join(str(text).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = _MD_SPECIAL.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")


def value(raw: Any) -> str:
    """A JSON value, shortened to :data:`MAX_VALUE` characters."""
    text = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _fence(lines: Sequence[str], lang: str) -> str:
    body = "\n".join(lines)
    runs = [len(r) for r in re.findall(r"`{3,}", body)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{lang}\n{body}\n{fence}"


OUTCOME_ICON: dict[Outcome, str] = {
    "failed": "❌",
    "blocked": "❌",
    "high risk": "🔴",
    "changes": "🟢",
    "no changes": "✅",
}


def _verdict(stack: StackDiff) -> str:
    """The stack's outcome, worst first: blocked > high risk > changes > no changes."""
    outcome = stack.outcome
    note = " (new stack)" if stack.new_stack else ""
    return f"{OUTCOME_ICON[outcome]} {outcome}{note}"


def _policies(stack: StackDiff) -> str:
    policy = stack.head_policy
    return f"{policy.mandatory} mandatory · {policy.advisory} advisory"


def _summary(report: DiffReport) -> list[str]:
    rows = [
        "| Stack | Verdict | Create | Update | Replace | Delete | Policies (head) "
        "| Cost/month (Δ) |",
        "|---|---|--:|--:|--:|--:|---|---|",
    ]
    for stack in report.stacks:
        counts = stack.plan.counts()
        cells = [str(counts[op]) for op in ("create", "update", "replace", "delete")]
        rows.append(
            f"| {code(stack.stack, cell=True)} | {_verdict(stack)} | {' | '.join(cells)} "
            f"| {_policies(stack)} | {safety.cost_cell(stack)} |"
        )
    return rows


def _stacks_with(report: DiffReport, outcome: str) -> str:
    return escape(", ".join(s.stack for s in report.stacks if s.outcome == outcome))


# Which high risk names the title: losing something outranks a weaker gate, which outranks an
# upgrade, which outranks the rest (cost, ...); then the stack latest in promotion order.
TITLE_CATEGORIES = ("delete", "replace", "enforcement", "kubernetesVersion")


def _title_rank(report: DiffReport, risk: Risk) -> tuple[int, int]:
    category = (
        TITLE_CATEGORIES.index(risk.category)
        if risk.category in TITLE_CATEGORIES
        else len(TITLE_CATEGORIES)
    )
    order = [s.stack for s in report.stacks]
    return category, -(order.index(risk.stack) if risk.stack in order else -1)


def title(report: DiffReport) -> str:
    """The headline: the worst outcome across stacks, never a green mark over a high risk."""
    outcome = report.outcome
    icon = OUTCOME_ICON[outcome]
    if outcome == "failed":
        return f"{icon} the preview failed"
    if outcome == "blocked":
        return f"{icon} blocked: mandatory policy violations in {_stacks_with(report, outcome)}"
    if outcome == "high risk":
        high = [r for r in report.risks if r.level == "high"]
        gate = [c for c in report.policy_changes if c.high_risk]
        if high:
            worst_risk = min(high, key=lambda r: _title_rank(report, r))
            first = f"{worst_risk.message.split(':', 1)[0]} in {worst_risk.stack}"
        else:  # only the gate changed: a loosening, or a pack change that may be one
            first = f"policy change: {gate[0].kind} {gate[0].subject}" if gate else "policy change"
        count = len(high) + len(gate)
        more = f" (+{count - 1} more)" if count > 1 else ""
        stacks = _stacks_with(report, outcome)
        where = f" in {stacks}" if stacks else ""
        return f"{icon} high risk{where}: {escape(first)}{more}"
    if outcome == "changes":
        stacks = _stacks_with(report, outcome)
        where = f" in {stacks}" if stacks else " to the policies"
        return f"{icon} changes{where}; policies pass"
    return f"{icon} no changes"


def _revision(revision: Revision) -> str:
    if revision.uncommitted:
        return f"{code(revision.ref)} (uncommitted changes included)"
    return f"{code(revision.ref)} ({revision.short})"


def _revisions(report: DiffReport) -> str:
    return f"{_revision(report.base)} → {_revision(report.head)}"


def _headline(report: DiffReport) -> list[str]:
    lines = [
        f"### aksflow preview: {title(report)}",
        "",
        f"{_revisions(report)}, previewed offline.",
    ]
    if report.reused_base:
        lines[-1] += " The project is identical at both revisions (one preview, reused)."
    return lines


def _capped(items: Sequence[str], what: str) -> list[str]:
    shown = list(items[:MAX_LIST])
    if len(items) > MAX_LIST:
        shown.append(f"- … and {len(items) - MAX_LIST} more {what} (see {code(FULL_REPORT)})")
    return shown


def _risks(report: DiffReport) -> list[str]:
    risks = report.risks
    if not risks:
        return []
    items = [f"- {ICON[r.level]} **{r.level}** {code(r.stack)}: {escape(r.message)}" for r in risks]
    return ["#### ⚠️ Risks", "", *_capped(items, "risks")]


def _policy_changes(report: DiffReport) -> list[str]:
    """Every policy change between base and head; each loosening is high risk."""
    seen: dict[tuple[str, str, str | None, str | None], bool] = {}
    for stack in report.stacks:
        for change in stack.enforcement:
            key = (change.environment, change.policy, change.old, change.new)
            seen[key] = change.loosened
    if not seen:
        return []
    items = [
        f"- {'🔴 **loosened**' if loosened else 'changed'} {code(policy)} in {code(env)}: "
        f"{code(old or 'pack default')} → {code(new or 'pack default')}"
        for (env, policy, old, new), loosened in seen.items()
    ]
    return ["#### Policy changes", "", *_capped(items, "policy changes")]


@dataclass(frozen=True)
class Finding:
    """One violation, the same in every stack listed (same policy, resource and message)."""

    level: str
    policy: str
    resource: str
    message: str
    new: bool
    stacks: tuple[str, ...]
    locations: tuple[str, ...]
    hints: tuple[str, ...] = ()

    @property
    def detail(self) -> str:
        """The finding without the policy's description line (the SDK prepends it)."""
        return self.message.split("\n", 1)[1] if "\n" in self.message else self.message


def _hint_markdown(hint: str) -> str:
    """A hint's `quoted` keys as code spans, the rest escaped (key names come from the PR)."""

    def text(part: str) -> str:  # escape() trims; the spaces around a code span must stay
        lead = " " if part[:1].isspace() else ""
        trail = " " if part[-1:].isspace() and part.strip() else ""
        return lead + escape(part) + trail

    parts = hint.split("`")
    return "".join(code(p) if i % 2 else text(p) for i, p in enumerate(parts))


def _finding_markdown(f: Finding) -> str:
    if not f.hints:
        return escape(f.detail)
    head, sep, fix = f.detail.partition(" Fix: ")
    pack_fix = f" (the policy: {escape(fix.strip().rstrip('.'))})" if sep and fix.strip() else ""
    hints = "; ".join(_hint_markdown(h) for h in f.hints)
    return f"{escape(head)} Fix: {hints}{pack_fix}."


def group_findings(report: DiffReport) -> list[Finding]:
    """The head's violations, one entry per finding with every stack it occurs in."""
    groups: dict[tuple[str, str, str, str, bool], tuple[list[str], list[str], list[str]]] = {}
    for stack in report.stacks:
        for v in stack.head_policy.violations:
            resource = v.urn.rsplit("::", 1)[-1] if v.urn else "(stack)"
            key = (v.level, v.policy, resource, v.message.strip(), v.new)
            stacks, where, hints = groups.setdefault(key, ([], [], []))
            if stack.stack not in stacks:
                stacks.append(stack.stack)
            spot = (f"{v.file}:{v.line}" if v.line else v.file) if v.file else ""
            if spot and spot not in where:
                where.append(spot)
            if v.hint and v.hint not in hints:
                hints.append(v.hint)
    findings = [
        Finding(level, policy, resource, message, new, tuple(s), tuple(w), tuple(h))
        for (level, policy, resource, message, new), (s, w, h) in groups.items()
    ]
    findings.sort(key=lambda f: (f.level != "mandatory", f.policy, f.resource))
    return findings


def _finding(f: Finding) -> str:
    icon = "❌" if f.level == "mandatory" else "⚠️"
    where = ""
    if f.locations:
        where = " at " + ", ".join(code(w) for w in f.locations[:3])
        where += f" (+{len(f.locations) - 3})" if len(f.locations) > 3 else ""
    stacks = ", ".join(f.stacks)
    return (
        f"- {icon} **{f.level}** {code(f.policy)} on {code(f.resource)} ({code(stacks)})"
        f"{where}: {_finding_markdown(f)}"
    )


def _violations(report: DiffReport) -> list[str]:
    """New findings listed; those already on the base folded below them."""
    findings = group_findings(report)
    new = [f for f in findings if f.new]
    old = [f for f in findings if not f.new]
    lines: list[str] = []
    if new:
        shown = _capped([_finding(f) for f in new], "findings")
        lines += [f"#### New policy findings ({len(new)})", "", *shown]
    if old:
        if lines:
            lines.append("")
        lines += [
            "<details>",
            f"<summary>{len(old)} finding{'s' if len(old) != 1 else ''} already on the base"
            "</summary>",
            "",
            *_capped([_finding(f) for f in old], "findings"),
            "",
            "</details>",
        ]
    return lines


def _change_lines(change: ResourceChange, max_props: int | None) -> list[str]:
    lines = [f"{SYMBOL[change.op]} {change.type} {change.name} ({change.op})"]
    lines += [f"      = {label}: {shown}" for label, shown in change.key_properties]
    props = change.properties if max_props is None else change.properties[:max_props]
    for prop in props:
        mark = {"add": "+", "delete": "-", "update": "~"}[prop.kind]
        if prop.kind == "add":
            text = value(prop.new)
        elif prop.kind == "delete":
            text = value(prop.old)
        else:
            text = f"{value(prop.old)} → {value(prop.new)}"
        forced = "  [forces replacement]" if prop.replaces else ""
        lines.append(f"      {mark} {prop.path}: {text}{forced}")
    if max_props is not None and len(change.properties) > max_props:
        lines.append(f"      … {len(change.properties) - max_props} more properties")
    for reason in change.replace_reasons:
        if "unknown at preview" in reason or "provider" in reason:
            lines.append(f"      replaced because {reason}")
    lines += [f"      ! {w}" for w in change.warnings]
    if change.ignored:
        lines.append(f"      (ignoreChanges: {', '.join(change.ignored)})")
    if change.hint:
        lines.append(f"      ! {change.hint}")
    return lines


_MERMAID_ESCAPES = {"#": "#35;", '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;"}


def mermaid_label(text: str) -> str:
    """Text safe inside a quoted mermaid label (``#`` entities; no quotes, tags or newlines)."""
    text = " ".join(str(text).split())
    text = "".join(_MERMAID_ESCAPES.get(ch, ch) for ch in text)
    return text.replace("`", "#96;").replace("|", "#124;")


def mermaid(changes: Sequence[ResourceChange]) -> list[str]:
    """A ``flowchart`` of changed resources, dependencies as edges, one class per operation."""
    shown = list(changes[:MAX_NODES])
    ids = {c.urn: f"n{i}" for i, c in enumerate(shown)}
    lines = ["flowchart LR"]
    for change in shown:
        label = mermaid_label(f"{SYMBOL[change.op].strip()} {change.kind} {change.name}")
        lines.append(f'  {ids[change.urn]}["{label}"]:::{change.op}')
    edges = sorted(
        {
            (ids[dep], ids[c.urn])
            for c in shown
            for dep in (*c.dependencies, *([c.parent] if c.parent else []))
            if dep in ids and dep != c.urn
        }
    )
    lines += [f"  {a} --> {b}" for a, b in edges]
    if len(changes) > MAX_NODES:
        lines.append(f'  more["… {len(changes) - MAX_NODES} more"]')
    lines += [
        "  classDef create fill:#dafbe1,stroke:#1a7f37",
        "  classDef update fill:#fff8c5,stroke:#9a6700",
        "  classDef replace fill:#ffebe9,stroke:#cf222e,stroke-width:2px",
        "  classDef delete fill:#ffebe9,stroke:#82071e,stroke-dasharray:4",
    ]
    return lines


def _details(stack: StackDiff, *, compact: bool) -> str:
    counts = stack.plan.counts()
    summary = (
        f"<b>{escape(stack.stack)}</b>: {stack.status} (+{counts['create']} ~{counts['update']}"
        f" ±{counts['replace']} -{counts['delete']}, {stack.plan.unchanged} unchanged)"
    )
    parts = ["<details>", f"<summary>{summary}</summary>", ""]
    if not stack.plan.has_changes:
        parts.append("No changes.")
    else:
        if not compact:
            parts += [_fence(mermaid(stack.plan.changes), "mermaid"), ""]
        lines: list[str] = []
        changes = stack.plan.changes if not compact else stack.plan.changes[:60]
        for change in changes:
            lines += _change_lines(change, 5 if compact else None)
        if len(changes) < len(stack.plan.changes):
            lines.append(f"… {len(stack.plan.changes) - len(changes)} more resources")
        parts.append(_fence(lines, "diff"))
        if compact:
            parts += ["", f"_Shortened to fit the comment; everything is in {code(FULL_REPORT)}._"]
    parts += ["", "</details>"]
    return "\n".join(parts)


def _footer(report: DiffReport, provenance: str) -> list[str]:
    where = f"the workflow run's artifact ({code(FULL_REPORT)})"
    if report.links.get("run"):
        where = (
            f"[this run's artifacts and step summary]({report.links['run']}) ({code(FULL_REPORT)})"
        )
    return [
        "---",
        f"<sub>Full machine-readable report: {where}. Replacements predicted offline from "
        f"the provider rules{f' of {escape(provenance)}' if provenance else ''}; "
        "values of secrets are never shown.</sub>",
    ]


def _join(blocks: Iterable[Sequence[str] | str]) -> str:
    return "\n\n".join(b if isinstance(b, str) else "\n".join(b) for b in blocks if b) + "\n"


def _nothing_changed(report: DiffReport) -> str:
    stacks = ", ".join(code(s.stack) for s in report.stacks)
    return (
        f"{MARKER}\n**aksflow preview: {title(report)}**: {_revisions(report)} changes no "
        f"resource in {stacks} and no policy.\n"
    )


def render_comment(report: DiffReport, *, provenance: str = "", limit: int = MAX_COMMENT) -> str:
    """The comment body for ``report``; at most ``limit`` characters (UTF-16 units)."""
    if report.outcome == "no changes":
        return _nothing_changed(report)
    head: list[Sequence[str] | str] = [[MARKER], _headline(report)]
    if report.error:  # nothing was diffed: say why, and nothing else
        head.append(["#### Error", "", _fence(report.error.splitlines(), "text")])
        return _join([*head, _footer(report, provenance)])
    from aksflow.diff.policysection import excepted_section, policy_changes_section

    head += [_summary(report), _risks(report)]
    if safety_block := safety.sections(report):
        head.append(safety_block)
    # The gate's own section when it has one (it includes the config levels listed here).
    head += [policy_changes_section(report) or _policy_changes(report), _violations(report)]
    head += [block for block in (excepted_section(report),) if block]
    footer = _footer(report, provenance)
    budget = limit - size(_join([*head, footer])) - 200  # headroom for the notes below
    details: list[str] = []
    omitted: list[str] = []
    for stack in report.stacks:
        for compact in (False, True):
            block = _details(stack, compact=compact)
            if size(block) + 2 <= budget:
                details.append(block)
                budget -= size(block) + 2
                break
        else:
            omitted.append(stack.stack)
    blocks = [*head]
    if details:
        blocks.append(["#### Details", "", *details])
    if omitted:
        blocks.append(
            f"_Details of {', '.join(code(s) for s in omitted)} do not fit in one comment "
            f"(GitHub's limit is {MAX_COMMENT:,} characters); see {code(FULL_REPORT)}._"
        )
    text = _join([*blocks, footer])
    if size(text) > limit:  # only when the summary itself is enormous: keep the start
        note = f"\n\n_Truncated; see {code(FULL_REPORT)}._\n"
        keep = limit - size(note) - 16
        while size(text) > keep:
            text = text[: max(0, len(text) - (size(text) - keep) - 1)]
        text = text[: text.rfind("\n")] + note if "\n" in text else text + note
    return text
