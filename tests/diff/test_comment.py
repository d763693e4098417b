"""The sticky comment: order, escaping, mermaid, the 65,536-character cap, no secrets."""

from __future__ import annotations

import re

from aksflow.diff.comment import MARKER, code, escape, mermaid_label, render_comment, size
from aksflow.diff.model import DiffReport, PolicyVerdict, Revision, StackDiff, Violation
from aksflow.diff.plan import diff_states
from aksflow.diff.risk import stack_risks
from tests.diff.builders import POOL_T, pool, res, state

BASE = Revision("origin/main", "a" * 40)
HEAD = Revision("HEAD", "b" * 40)


def stack_diff(
    name: str,
    before: dict[str, object],
    after: dict[str, object],
    violations: tuple[Violation, ...] = (),
) -> StackDiff:
    plan = diff_states(name, before, after)
    return StackDiff(
        stack=name,
        environment=name,
        plan=plan,
        head_policy=PolicyVerdict(len(plan.changes), violations),
        base_policy=PolicyVerdict(0, ()),
        risks=stack_risks(name, plan),
    )


def violation(level: str, policy: str = "aks-no-public-ip", message: str = "bad") -> Violation:
    return Violation(
        policy, level, "high", "urn:pulumi:prod::aksflow::x::np", "infra/x.py", 3, message, new=True
    )


def sample() -> DiffReport:
    np = res(POOL_T, "np", pool(), stack="prod")
    replaced = res(POOL_T, "np", pool(vmSize="Standard_D8ds_v5"), stack="prod")
    prod = stack_diff(
        "prod",
        state(np, stack="prod"),
        state(replaced, stack="prod"),
        (violation("advisory", "b-adv"), violation("mandatory", "a-mand")),
    )
    dev = stack_diff("dev", state(), state())
    return DiffReport(BASE, HEAD, (dev, prod))


def test_sections_in_order_and_marker_first() -> None:
    text = render_comment(sample(), provenance="pulumi-azure-native 3.29.0")
    assert text.startswith(MARKER + "\n")
    order = [
        "| Stack |",
        "High-risk changes",
        "Policy violations (head)",
        "<details>",
        "```mermaid",
        "flowchart LR",
    ]
    positions = [text.index(s) for s in order]
    assert positions == sorted(positions)
    assert text.index("a-mand") < text.index("b-adv")  # mandatory first
    assert "| `dev` | no changes | 0 | 0 | 0 | 0 | ✅ 0 mandatory · 0 advisory |" in text
    assert "| `prod` | changed | 0 | 0 | 1 | 0 | ❌ 1 mandatory · 1 advisory |" in text
    assert "mandatory policy violations in prod" in text
    assert '~ vmSize: "Standard_D2ds_v5" → "Standard_D8ds_v5"  [forces replacement]' in text
    assert "out/pr/diff.json" in text


def test_no_changes_anywhere() -> None:
    report = DiffReport(BASE, HEAD, (stack_diff("dev", state(), state()),))
    text = render_comment(report)
    assert "✅ no changes" in text and "No changes." in text and "None:" in text


def test_escaping_of_untrusted_text() -> None:
    assert escape("<img src=x> *bold* @octocat [x](y)") == (
        "&lt;img src=x&gt; \\*bold\\* @\u200boctocat \\[x\\](y)"
    )
    assert code("a`b") == "``a`b``"
    assert code("x|y", cell=True) == "`x\\|y`"
    assert code("line\nbreak") == "`line break`"
    label = mermaid_label('evil"]; click n0 href "javascript:x" <b>#')
    assert '"' not in label and "<" not in label and "#35;" in label


def test_mermaid_ids_and_edges_for_changed_resources() -> None:
    parent = res("aksflow:nodepool:NodePool", "np", {})
    child = res(POOL_T, "np", pool(), deps=[parent["urn"]], parent=parent["urn"])
    text = render_comment(
        DiffReport(BASE, HEAD, (stack_diff("dev", state(), state(parent, child)),))
    )
    block = text[text.index("```mermaid") : text.index("```", text.index("```mermaid") + 3)]
    assert re.search(r'n\d+\["\+ NodePool np"\]:::create', block)
    assert "n1 --> n2" in block or "n0 --> n1" in block or "--> n" in block


def test_huge_plans_are_trimmed_under_the_limit_and_say_where_the_rest_is() -> None:
    pools = [
        res(POOL_T, f"pool{i:04d}", pool(f"pool{i:04d}", vmSize="x" * 80)) for i in range(1500)
    ]
    big = stack_diff("prod", state(), state(*pools))
    small = stack_diff("dev", state(), state(res(POOL_T, "np", pool())))
    text = render_comment(DiffReport(BASE, HEAD, (small, big)))
    assert size(text) <= 65_536
    assert text.startswith(MARKER)
    assert "| `prod` | changed | 1500 |" in text
    assert "Shortened to fit" in text or "do not fit in one comment" in text
    tiny = render_comment(DiffReport(BASE, HEAD, (small, big)), limit=3000)
    assert size(tiny) <= 3000 and tiny.startswith(MARKER)


def test_error_report_has_an_error_section() -> None:
    text = render_comment(
        DiffReport(
            BASE, HEAD, (), error="head HEAD (bbbbbbb): Pulumi.dev.yaml: aksflow:nodePools[0]: bad"
        )
    )
    assert "the preview failed" in text and "#### Error" in text and "aksflow:nodePools[0]" in text
    assert "| Stack |" not in text and "Policy violations" not in text
