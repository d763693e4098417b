"""The sticky comment: order, escaping, mermaid, the 65,536-character cap, no secrets."""

from __future__ import annotations

import dataclasses
import re

from aksflow.diff.comment import MARKER, code, escape, mermaid_label, render_comment, size
from aksflow.diff.model import (
    DiffReport,
    EnforcementChange,
    PolicyVerdict,
    Revision,
    Risk,
    StackDiff,
    Violation,
)
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
        "#### ⚠️ Risks",
        "#### New policy findings",
        "<details>",
        "```mermaid",
        "flowchart LR",
    ]
    positions = [text.index(s) for s in order]
    assert positions == sorted(positions)
    assert text.index("a-mand") < text.index("b-adv")  # mandatory first
    assert "| `dev` | ✅ no changes | 0 | 0 | 0 | 0 | 0 mandatory · 0 advisory |" in text
    assert "| `prod` | ❌ blocked | 0 | 0 | 1 | 0 | 1 mandatory · 1 advisory |" in text
    assert "### aksflow preview: ❌ blocked: mandatory policy violations in prod" in text
    assert '~ vmSize: "Standard_D2ds_v5" → "Standard_D8ds_v5"  [forces replacement]' in text
    assert "out/pr/diff.json" in text


def test_no_changes_anywhere_is_one_line() -> None:
    report = DiffReport(BASE, HEAD, (stack_diff("dev", state(), state()),))
    text = render_comment(report)
    marker, line = text.splitlines()
    assert marker == MARKER
    assert line.startswith("**aksflow preview: ✅ no changes**")
    assert "no resource in `dev` and no policy" in line


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
    assert "| `prod` | 🟢 changes | 1500 |" in text
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


def _pool_replace(name: str) -> StackDiff:
    np = res(POOL_T, "np", pool(), stack=name)
    replaced = res(POOL_T, "np", pool(vmSize="Standard_D8ds_v5"), stack=name)
    return stack_diff(name, state(np, stack=name), state(replaced, stack=name))


def test_a_pool_replace_leads_with_high_risk_never_a_green_mark() -> None:
    dev = stack_diff("dev", state(), state())
    text = render_comment(DiffReport(BASE, HEAD, (dev, _pool_replace("prod"))))
    headline = text.splitlines()[2]
    assert headline.startswith("### aksflow preview: 🔴 high risk in prod: replaces node pool np")
    assert "✅" not in headline
    assert "| `prod` | 🔴 high risk |" in text and "| `dev` | ✅ no changes |" in text


def test_outcome_order_blocked_over_high_risk_over_changes() -> None:
    created = stack_diff("dev", state(), state(res(POOL_T, "np", pool())))
    assert created.outcome == "changes"
    risky = _pool_replace("staging")
    blocked = dataclasses.replace(
        _pool_replace("prod"), head_policy=PolicyVerdict(1, (violation("mandatory"),))
    )
    assert risky.outcome == "high risk" and blocked.outcome == "blocked"
    assert DiffReport(BASE, HEAD, (created, risky)).outcome == "high risk"
    assert DiffReport(BASE, HEAD, (created, risky, blocked)).outcome == "blocked"
    assert DiffReport(BASE, HEAD, (created,)).outcome == "changes"


def test_a_loosened_policy_alone_is_high_risk_not_no_changes() -> None:
    loosened = EnforcementChange("prod", "pss-privileged", "mandatory", "advisory")
    plan = diff_states("prod", state(), state())
    prod = StackDiff(
        "prod",
        "prod",
        plan,
        PolicyVerdict(0, ()),
        PolicyVerdict(0, ()),
        risks=stack_risks("prod", plan, (loosened,)),
        enforcement=(loosened,),
    )
    text = render_comment(DiffReport(BASE, HEAD, (prod,)))
    assert text.splitlines()[2].startswith("### aksflow preview: 🔴 high risk in prod")
    policy_changes = text.index("#### Policy changes")
    assert "🔴 **loosened** `pss-privileged` in `prod`" in text[policy_changes:]


def test_findings_are_grouped_across_stacks_and_old_ones_folded() -> None:
    def at(stack: str, policy: str, new: bool) -> Violation:
        urn = f"urn:pulumi:{stack}::aksflow::kubernetes:apps/v1:Deployment::web:web/web"
        return Violation(policy, "advisory", "low", urn, "apps/web/x.yaml", 4, "msg", new=new)

    stacks = tuple(
        dataclasses.replace(
            stack_diff(name, state(), state(res(POOL_T, "np", pool()))),
            head_policy=PolicyVerdict(1, (at(name, "fresh", True), at(name, "stale", False))),
        )
        for name in ("dev", "staging", "prod")
    )
    text = render_comment(DiffReport(BASE, HEAD, stacks))
    fresh = [line for line in text.splitlines() if "`fresh`" in line]
    assert fresh == [
        "- ⚠️ **advisory** `fresh` on `web:web/web` (`dev, staging, prod`) at "
        "`apps/web/x.yaml:4`: msg"
    ]
    assert "#### New policy findings (1)" in text
    folded = text.index("<summary>1 finding already on the base</summary>")
    assert text.index("`stale`") > folded > text.index("`fresh`")


def test_created_resources_show_their_key_properties() -> None:
    gpu = pool("npgpu01", vmSize="Standard_NC6s_v3", availabilityZones=["1", "2"])
    gpu["nodeTaints"] = ["sku=gpu:NoSchedule"]
    text = render_comment(
        DiffReport(BASE, HEAD, (stack_diff("dev", state(), state(res(POOL_T, "npgpu01", gpu))),))
    )
    assert "      = vmSize: Standard_NC6s_v3" in text
    assert "      = zones: 1, 2" in text and "      = taints: sku=gpu:NoSchedule" in text


def test_a_multi_line_error_is_kept_whole() -> None:
    error = "head HEAD (bbbbbbb): apps/web: helm template failed\nline two\n  line three"
    text = render_comment(DiffReport(BASE, HEAD, (), error=error))
    assert "helm template failed\nline two\n  line three\n" in text


def test_stack_names_in_the_title_are_escaped() -> None:
    hostile = "x<img src=y>@team"
    text = render_comment(DiffReport(BASE, HEAD, (_pool_replace(hostile),)))
    title = text.splitlines()[2]
    assert "<img" not in title and "&lt;img" in title and "@\u200bteam" in title


def test_the_title_names_the_worst_high_risk_a_replace_in_prod_before_a_cost() -> None:
    dev = stack_diff("dev", state(), state(res(POOL_T, "np", pool())))
    cost = Risk("high", "dev", "cost", "raises the monthly estimate by 900 USD: over the limit")
    dev = dataclasses.replace(dev, risks=(cost,))
    text = render_comment(DiffReport(BASE, HEAD, (dev, _pool_replace("prod"))))
    assert text.splitlines()[2] == (
        "### aksflow preview: 🔴 high risk in dev, prod: replaces node pool np in prod (+1 more)"
    )


def test_a_pack_change_alone_is_high_risk_never_a_one_line_no_changes() -> None:
    from aksflow.diff.model import PolicyChange

    change = PolicyChange("code", "policies/aksflow_policies/pss.py", None, "a", "b", None)
    report = DiffReport(
        BASE, HEAD, (stack_diff("dev", state(), state()),), policy_changes=(change,)
    )
    assert report.outcome == "high risk"
    text = render_comment(report)
    assert text.splitlines()[2] == (
        "### aksflow preview: 🔴 high risk: policy change: code policies/aksflow\\_policies/pss.py"
    )
    tightened = PolicyChange("level", "pss-privileged", "prod", "advisory", "mandatory", False)
    report = DiffReport(
        BASE, HEAD, (stack_diff("dev", state(), state()),), policy_changes=(tightened,)
    )
    assert report.outcome == "changes"
    assert "🟢 changes to the policies; policies pass" in render_comment(report)
