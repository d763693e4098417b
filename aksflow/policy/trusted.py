"""The verdict on a pull request's head, decided by the base revision's rules.

``aksflow diff`` runs this in a process of its own, with the BASE revision's ``aksflow`` on
``sys.path`` and the base's pack (``aksflow policy verdict``). The head's program ran in another
process and left only data: its stack export and its own policy report. Here:

- every policy's level is the **stricter** of the base's (base pack + base config for the
  stack's base environment) and the head's (as the head's report states it): a tightening
  takes effect at once, a loosening only once it is on the base branch;
- the base's pack, with those levels and the base's settings, evaluates the head's state;
- the head's own findings (its pack and config) are added, at the stricter level, so a
  tightened or new rule also takes effect at once. They can only add findings: whatever the
  head's process wrote, it cannot remove one the base's rules report;
- the base's ``policies/exceptions.yaml`` is applied (an exception added by the pull request
  itself is pending: it is not read here).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from aksflow.errors import AksflowError, PolicyError

from .config import PolicySettings, read_config_file, read_json_object, reconcile
from .engine import Analyzer
from .exceptions import (
    FILE_NAME,
    apply_exceptions,
    check_policies,
    load_exceptions,
    target_of,
)
from .gate import Location, resources_from_state, run
from .loader import LoadedPack, load_pack
from .report import PolicyReport, Violation

REQUEST_VERSION = 1
# remediate is mandatory that also fixes: as strict as mandatory for a gate.
LEVEL_RANK = {"disabled": 0, "advisory": 1, "mandatory": 2, "remediate": 2}


def stricter(base: str, head: str | None) -> str:
    """The stricter of two enforcement levels (the base's on a tie, or when head is unknown)."""
    if head is None or head not in LEVEL_RANK:
        return base
    return head if LEVEL_RANK[head] > LEVEL_RANK.get(base, 0) else base


@dataclass(frozen=True)
class StackRequest:
    """One stack to judge: the head's state and report, and the environment it is judged as."""

    stack: str
    environment: str  # the base's environment for the stack (the head's for a new stack)
    state: Path
    head_report: Path

    def to_json(self) -> dict[str, str]:
        return {
            "stack": self.stack,
            "environment": self.environment,
            "state": str(self.state),
            "headReport": str(self.head_report),
        }


def write_request(path: Path, project: Path, stacks: Sequence[StackRequest]) -> None:
    """The request file ``aksflow policy verdict`` reads (written by ``aksflow diff``)."""
    doc = {
        "version": REQUEST_VERSION,
        "project": str(project),
        "stacks": [s.to_json() for s in stacks],
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def read_request(path: Path) -> tuple[Path, list[StackRequest]]:
    """The base project and the stacks of a request file (PolicyError if malformed)."""
    doc = read_json_object(path, "verdict request")
    if doc.get("version") != REQUEST_VERSION:
        raise PolicyError(
            f"{path}: verdict request version {doc.get('version')!r}, this aksflow reads "
            f"{REQUEST_VERSION} (the base revision's aksflow is older or newer than the caller)"
        )
    if not isinstance(doc.get("project"), str):
        raise PolicyError(f"{path}: project: missing or not a string (a malformed verdict request)")
    if not isinstance(doc.get("stacks"), list):
        raise PolicyError(f"{path}: stacks: missing or not a list (a malformed verdict request)")
    stacks = []
    for index, entry in enumerate(doc["stacks"]):
        where = f"{path}: stacks[{index}]"
        if not isinstance(entry, dict):
            raise PolicyError(f"{where}: must be an object (a malformed verdict request)")
        for key in ("stack", "environment", "state", "headReport"):
            if not isinstance(entry.get(key), str):
                raise PolicyError(
                    f"{where}.{key}: missing or not a string (a malformed verdict request)"
                )
        stacks.append(
            StackRequest(
                entry["stack"],
                entry["environment"],
                Path(entry["state"]),
                Path(entry["headReport"]),
            )
        )
    return Path(doc["project"]), stacks


def _head_findings(doc: Mapping[str, Any], source: str) -> tuple[dict[str, str], list[Violation]]:
    """The head's reconciled levels and every finding it reported (excepted ones included)."""
    where = "policies"
    try:
        levels = {}
        for index, p in enumerate(doc.get("policies") or ()):
            where = f"policies[{index}]"
            levels[str(p["name"])] = str(p["level"])
        findings = []
        for key in ("violations", "excepted"):
            for index, v in enumerate(doc.get(key) or ()):
                where = f"{key}[{index}]"
                findings.append(
                    Violation(
                        policy=str(v["policy"]),
                        level=str(v["level"]),
                        severity=str(v.get("severity") or "medium"),
                        urn=str(v.get("urn") or ""),
                        file=str(v.get("file") or ""),
                        line=int(v.get("line") or 1),
                        message=str(v.get("message") or ""),
                        resource_type=str(v.get("type") or ""),
                        unknown=bool(v.get("unknown", False)),
                        hint=str(v.get("hint") or ""),
                    )
                )
    except KeyError as exc:
        raise PolicyError(
            f"{source}: {where}.{exc.args[0]}: missing (the head's policy report is malformed)"
        ) from None
    except (TypeError, ValueError, AttributeError) as exc:
        raise PolicyError(
            f"{source}: {where}: the head's policy report is malformed ({type(exc).__name__}: "
            f"{' '.join(str(exc).split())})"
        ) from None
    return levels, findings


def merged_settings(
    pack: LoadedPack, base: Mapping[str, PolicySettings], head_levels: Mapping[str, str]
) -> dict[str, PolicySettings]:
    """The base's settings with each level raised to the head's where the head is stricter."""
    return {
        name: PolicySettings(stricter(s.level, head_levels.get(name)), s.properties)
        for name, s in base.items()
    }


def _reported_level(level: str) -> str:
    return "mandatory" if level == "remediate" else level


def union(
    trusted: Iterable[Violation], head: Iterable[Violation], levels: Mapping[str, str]
) -> list[Violation]:
    """The trusted findings plus the head's own ones they lack, at the stricter level.

    A trusted finding the head reported too keeps the head's location and fix hint (the stack
    or values file line that sets the value): presentation only, never the verdict.
    """
    head = list(head)
    located = {(v.policy, v.urn, v.message): v for v in head}
    out = []
    for v in trusted:
        twin = located.get((v.policy, v.urn, v.message))
        out.append(replace(v, file=twin.file, line=twin.line, hint=twin.hint) if twin else v)
    seen = {(v.policy, v.urn, v.message) for v in out}
    for v in head:
        if (v.policy, v.urn, v.message) in seen:
            continue
        seen.add((v.policy, v.urn, v.message))
        level = v.level
        if not v.unknown and v.policy in levels:
            level = _reported_level(stricter(levels[v.policy], v.level))
            if level == "disabled":
                continue
        out.append(replace(v, level=level, exception=None))
    return out


def config_path(project: Path, environment: str) -> Path:
    """The environment's policy config (``environments.yaml`` ``policyConfig``, else the default
    ``policies/config/<environment>.json``)."""
    from aksflow.environments import load_environments
    from aksflow.errors import ProjectError

    try:
        declared = load_environments(project).get(environment)
    except ProjectError:  # no environments.yaml: every environment has the default config
        declared = None
    relative = declared.policy_config if declared else f"policies/config/{environment}.json"
    return project / relative


def judge_stack(
    pack: LoadedPack,
    request: StackRequest,
    project: Path,
    exceptions_file: Path,
) -> PolicyReport:
    """The trusted report on one stack of the head."""
    config = config_path(project, request.environment)
    raw = read_config_file(config) if config.is_file() else {}
    base = reconcile(pack, raw, source=str(config))
    state = read_json_object(request.state, "the head's stack export")
    head_levels, head_findings = _head_findings(
        read_json_object(request.head_report, "the head's policy report"), str(request.head_report)
    )
    settings = merged_settings(pack, base, head_levels)
    analyzer = Analyzer(pack, settings)
    if not analyzer.enabled:
        raise PolicyError(f"{config}: every policy of pack {pack.name} is disabled")
    resources, locations, stack = resources_from_state(state, source=str(request.state))
    fallback = "Pulumi.yaml"
    if (project / f"Pulumi.{request.stack}.yaml").is_file():
        fallback = f"Pulumi.{request.stack}.yaml"
    trusted = run(
        analyzer, resources, locations, fallback=Location(fallback, 1), stack=request.stack
    )
    levels = {name: s.level for name, s in settings.items()}
    findings = union(trusted.violations, head_findings, levels)
    exceptions = load_exceptions(exceptions_file, source=f"policies/{FILE_NAME}")
    check_policies(exceptions, (p.name for p in pack.policies), pack.name)
    targets = {
        r.urn: target_of(request.stack, request.environment, r.urn, r.type, r.inputs)
        for r in resources
    }
    applied = apply_exceptions(
        findings, targets, exceptions, stack=request.stack, environment=request.environment
    )
    violations = sorted([*applied.active, *applied.expired], key=Violation.sort_key)
    return replace(
        trusted,
        violations=tuple(violations),
        excepted=tuple(sorted(applied.excepted, key=Violation.sort_key)),
        unknown_skips=sum(1 for v in violations if v.unknown),
        stack=stack or request.stack,
    )


def judge(request_file: Path, out_dir: Path) -> int:
    """Judge every stack of the request; write ``out_dir/<stack>/policy.json`` and
    ``out_dir/verdict.json``; return 1 when any mandatory finding remains, else 0."""
    import aksflow

    project, stacks = read_request(request_file)
    pack = load_pack(project / "policies")
    exceptions_file = project / "policies" / FILE_NAME
    worst = 0
    summary: dict[str, Any] = {
        "aksflow": str(Path(aksflow.__file__).resolve().parent),
        "pack": str(pack.directory),
        "stacks": {},
    }
    for request in stacks:
        try:
            report = judge_stack(pack, request, project, exceptions_file)
        except AksflowError as exc:
            raise type(exc)(f"stack {request.stack}: {exc}") from None
        target = out_dir / request.stack
        target.mkdir(parents=True, exist_ok=True)
        (target / "policy.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
        summary["stacks"][request.stack] = len(report.mandatory)
        worst = max(worst, 1 if report.mandatory else 0)
    (out_dir / "verdict.json").write_text(json.dumps(summary, indent=2) + "\n")
    return worst
