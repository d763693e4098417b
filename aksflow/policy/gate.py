"""The fail-closed policy gate: evaluate a stack export (or manifests) against the pack.

``evaluate_state`` is what the preview engine calls after each stack (contracts.md). It raises
:class:`~aksflow.errors.PolicyError` (exit 2) when the pack loads no policy, when nothing was
evaluated, or when a policy raises; config problems are :class:`~aksflow.errors.ConfigError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aksflow.errors import PolicyError

from .config import pss_overrides, read_config_file, reconcile
from .engine import Analyzer, FastAnalyzer, Outcome, Resource, check_export
from .exceptions import PolicyException, apply_exceptions, check_policies, target_of
from .loader import LoadedPack, load_pack
from .report import PolicyInfo, PolicyReport, Violation

_SOURCE_RE = re.compile(r"^project:///(?P<path>[^#]+)(?:#(?P<line>\d+)(?:,\d+)?)?$")
_SKIP_TYPES = ("pulumi:pulumi:Stack",)


@dataclass(frozen=True)
class Location:
    """A repo-relative file and 1-based line."""

    file: str
    line: int


def parse_source_position(text: Any) -> Location | None:
    """``project:///infra/x.py#42,9`` -> Location("infra/x.py", 42)."""
    if not isinstance(text, str):
        return None
    m = _SOURCE_RE.match(text)
    if not m:
        return None
    return Location(m.group("path"), int(m.group("line") or 1))


def _name_of(urn: str) -> str:
    return urn.rsplit("::", 1)[-1]


def resources_from_state(
    state: Mapping[str, Any], *, source: str = "state"
) -> tuple[list[Resource], dict[str, Location], str]:
    """Resources, their locations and the stack name from a stack export (v3; ours or the CLI's)."""
    deployment = state.get("deployment", state) if isinstance(state, Mapping) else None
    raw = deployment.get("resources") if isinstance(deployment, Mapping) else None
    if not isinstance(raw, list):
        raise PolicyError(f"{source}: not a stack export (deployment.resources is missing)")
    check_export(state, source)
    by_urn: dict[str, Mapping[str, Any]] = {}
    for i, r in enumerate(raw):
        if not isinstance(r, Mapping) or not isinstance(r.get("urn"), str):
            raise PolicyError(f"{source}: deployment.resources[{i}] has no urn")
        by_urn[r["urn"]] = r
    providers: dict[str, Resource] = {}
    for urn, r in by_urn.items():
        if str(r.get("type", "")).startswith("pulumi:providers:"):
            providers[urn] = Resource(
                urn, str(r["type"]), _name_of(urn), dict(r.get("inputs") or {})
            )
    stack = ""
    resources: list[Resource] = []
    locations: dict[str, Location] = {}
    for urn, r in by_urn.items():
        rtype = str(r.get("type", ""))
        if rtype == "pulumi:pulumi:Stack":
            stack = urn.split("::", 1)[0].rsplit(":", 1)[-1]
        if rtype in _SKIP_TYPES or rtype.startswith("pulumi:providers:") or r.get("delete"):
            continue
        prov_ref = r.get("provider")
        provider = None
        if isinstance(prov_ref, str) and "::" in prov_ref:
            provider = providers.get(prov_ref.rsplit("::", 1)[0])
        resources.append(
            Resource(
                urn=urn,
                type=rtype,
                name=_name_of(urn),
                inputs=dict(r.get("inputs") or {}),
                outputs=dict(r.get("outputs") or {}),
                parent=str(r.get("parent") or ""),
                dependencies=tuple(r.get("dependencies") or ()),
                property_dependencies=dict(r.get("propertyDependencies") or {}),
                provider=provider,
                protect=bool(r.get("protect", False)),
                ignore_changes=tuple(r.get("ignoreChanges") or ()),
            )
        )
        loc = _locate(urn, by_urn)
        if loc:
            locations[urn] = loc
    if not stack and resources:
        stack = resources[0].urn.split("::", 1)[0].rsplit(":", 1)[-1]
    return resources, locations, stack


def _locate(urn: str, by_urn: Mapping[str, Mapping[str, Any]]) -> Location | None:
    """The resource's sourcePosition, else the nearest ancestor's."""
    seen: set[str] = set()
    current: str | None = urn
    while current and current not in seen:
        seen.add(current)
        r = by_urn.get(current)
        if r is None:
            return None
        loc = parse_source_position(r.get("sourcePosition"))
        if loc:
            return loc
        current = r.get("parent")
    return None


def prepare(
    pack_dir: Path, policy_config: Path, pss_level: str | None, *, fast: bool = False
) -> tuple[LoadedPack, Analyzer]:
    """Load the pack, reconcile the config and configure the analyzer (servicer unless fast)."""
    pack = load_pack(pack_dir)
    raw = read_config_file(policy_config)
    settings = reconcile(
        pack, raw, source=str(policy_config), overrides=pss_overrides(pack, pss_level)
    )
    analyzer = FastAnalyzer(pack, settings) if fast else Analyzer(pack, settings)
    if not analyzer.enabled:
        raise PolicyError(f"{policy_config}: every policy of pack {pack.name} is disabled")
    return pack, analyzer


def run(
    analyzer: Analyzer,
    resources: Sequence[Resource],
    locations: Mapping[str, Location],
    *,
    fallback: Location,
    stack: str = "",
    exceptions: Sequence[PolicyException] = (),
    environment: str = "",
    today: dt.date | None = None,
) -> PolicyReport:
    """Analyze every resource, then the stack, and build the report (fail closed).

    ``exceptions`` in scope for ``stack``/``environment`` move the findings they cover to
    ``excepted``; an expired one in scope adds a mandatory finding naming its owner.
    """
    check_policies(exceptions, (p.name for p in analyzer.pack.policies), analyzer.pack.name)
    out = Outcome()
    analyzer.analyze(resources, out)
    evaluated = sum(out.evaluated.values())
    if evaluated == 0:
        raise PolicyError(
            f"no resource was evaluated: none of the {len(resources)} resource(s) has a type "
            f"that an enabled policy of pack {analyzer.pack.name} applies to"
        )
    analyzer.analyze_stack(resources, out)
    types = {r.urn: r.type for r in resources}
    violations = []
    for d in out.diagnostics:
        loc = locations.get(d.urn) or locations.get(d.resource_urn) or fallback
        violations.append(
            Violation(
                policy=d.policy,
                level=d.level,
                severity=d.severity,
                urn=d.urn,
                file=loc.file,
                line=loc.line,
                message=d.message,
                resource_type=types.get(d.urn, ""),
                unknown=d.unknown,
            )
        )
    excepted: tuple[Violation, ...] = ()
    if exceptions:
        targets = {
            r.urn: target_of(stack, environment or stack, r.urn, r.type, r.inputs)
            for r in resources
        }
        applied = apply_exceptions(
            violations,
            targets,
            exceptions,
            stack=stack,
            environment=environment or stack,
            today=today,
        )
        violations = [*applied.active, *applied.expired]
        excepted = tuple(sorted(applied.excepted, key=Violation.sort_key))
    violations.sort(key=Violation.sort_key)
    pack = analyzer.pack
    infos = tuple(
        PolicyInfo(
            name=p.name,
            description=p.description,
            severity=analyzer.severity[p.name],
            level=analyzer.settings[p.name].level,
            tags=tuple(p.tags or ()),
            remediation=p.remediation_steps or "",
        )
        for p in pack.policies
    )
    return PolicyReport(
        evaluated=evaluated,
        violations=tuple(violations),
        pack=pack.name,
        pack_version=pack.version,
        policies=infos,
        resources_by_type=tuple(sorted(out.evaluated.items())),
        not_applicable=tuple(sorted(out.not_applicable.items())),
        unknown_skips=sum(1 for v in violations if v.unknown),
        stack=stack,
        excepted=excepted,
    )


def evaluate_state(
    state: Mapping[str, Any],
    *,
    policy_config: Path,
    pack_dir: Path,
    project_dir: Path | None = None,
    pss_level: str | None = None,
    source: str = "state",
    exceptions: Sequence[PolicyException] = (),
    environment: str = "",
) -> PolicyReport:
    """Evaluate a Pulumi stack export (v3) against the pack with an environment's config.

    Violations are located by the resource's ``sourcePosition`` (or its nearest ancestor's);
    otherwise at ``Pulumi.yaml`` line 1. Raises PolicyError / ConfigError (fail closed).
    """
    resources, locations, stack = resources_from_state(state, source=source)
    _, analyzer = prepare(pack_dir, policy_config, pss_level)
    fallback_file = "Pulumi.yaml"
    if project_dir is not None and stack and (project_dir / f"Pulumi.{stack}.yaml").is_file():
        fallback_file = f"Pulumi.{stack}.yaml"
    return run(
        analyzer,
        resources,
        locations,
        fallback=Location(fallback_file, 1),
        stack=stack,
        exceptions=exceptions,
        environment=environment,
    )


def analyze_manifests(
    paths: Sequence[Path],
    *,
    policy_config: Path,
    pack_dir: Path,
    pss_level: str | None = None,
    root: Path | None = None,
    fast: bool = True,
    on_skip: Callable[[str], None] | None = None,
    exceptions: Sequence[PolicyException] = (),
    environment: str = "",
) -> PolicyReport:
    """Evaluate plain Kubernetes manifests (files or directories).

    ``fast`` uses :class:`~aksflow.policy.engine.FastAnalyzer` (same results as the servicer,
    asserted by tests); ``fast=False`` drives the servicer as ``evaluate_state`` always does.
    ``on_skip`` receives each file skipped because it holds no Kubernetes object.
    """
    from .manifests import resources_from_manifests  # local: manifests imports Location

    skipped: list[str] = []

    def skip(name: str) -> None:
        skipped.append(name)
        if on_skip is not None:
            on_skip(name)

    resources, locations = resources_from_manifests(paths, root=root, on_skip=skip)
    if not resources:
        where = ", ".join(str(p) for p in paths)
        note = f" ({len(skipped)} file(s) without one skipped)" if skipped else ""
        raise PolicyError(f"{where}: no Kubernetes object found{note}")
    _, analyzer = prepare(pack_dir, policy_config, pss_level, fast=fast)
    fallback = next(iter(locations.values()))
    return run(
        analyzer,
        resources,
        locations,
        fallback=fallback,
        stack="manifests",
        exceptions=exceptions,
        environment=environment,
    )
