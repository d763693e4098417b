"""Load an unmodified CrossGuard pack in-process.

Building ``PolicyPack(...)`` starts a gRPC server and blocks forever, so the pack's
``__main__.py`` runs under ``runpy`` with a capturing class substituted for
``pulumi_policy.PolicyPack`` and ``pulumi_policy.policy.PolicyPack``; both are restored
afterwards. The pack directory's own modules are imported fresh each time (and removed from
``sys.modules`` afterwards) so different pack directories can be loaded in one process.
"""

from __future__ import annotations

import functools
import runpy
import sys
import threading
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pulumi_policy
import pulumi_policy.policy

from aksflow.errors import PolicyError, YamlError
from aksflow.yamlio import read_yaml

_LOCK = threading.Lock()


@dataclass(frozen=True)
class LoadedPack:
    """What the pack's ``__main__.py`` passed to ``PolicyPack``."""

    name: str
    version: str
    policies: tuple[Any, ...]
    enforcement_level: Any  # pulumi_policy.EnforcementLevel
    initial_config: dict[str, Any] | None
    directory: Path


class _Captured(Exception):  # noqa: N818 - control flow, not an error
    """Internal: raised by the capturing PolicyPack so nothing after it runs."""

    def __init__(self, kwargs: dict[str, Any]) -> None:
        super().__init__("captured")
        self.kwargs = kwargs


class _CapturingPolicyPack:
    """Stands in for PolicyPack: records its arguments instead of serving gRPC."""

    def __init__(
        self,
        name: str,
        policies: list[Any],
        enforcement_level: Any = None,
        initial_config: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        raise _Captured(
            {
                "name": name,
                "policies": policies,
                "enforcement_level": enforcement_level,
                "initial_config": initial_config,
            }
        )


def _pack_version(pack_dir: Path) -> str:
    meta = pack_dir / "PulumiPolicy.yaml"
    if not meta.exists():
        raise PolicyError(f"{meta}: not a policy pack (PulumiPolicy.yaml is missing)")
    try:
        # The one YAML reader (go-yaml v3, as the CLI reads it): file, line and key first.
        data = read_yaml(meta)
    except YamlError as exc:
        raise PolicyError(str(exc)) from None
    version = data.get("version") if isinstance(data, dict) else None
    # The SDK reports 0.0.1 unless PulumiPolicy.yaml names a version (as the CLI does).
    return str(version) if version else "0.0.1"


def _local_modules(pack_dir: Path) -> set[str]:
    names = {p.stem for p in pack_dir.glob("*.py") if p.stem != "__main__"}
    names |= {p.parent.name for p in pack_dir.glob("*/__init__.py")}
    return names


def _purge(names: set[str]) -> None:
    for mod in list(sys.modules):
        if mod.split(".", 1)[0] in names:
            del sys.modules[mod]


def _fingerprint(pack_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """Every file of the pack with its size and modification time: what a reload would read."""
    found = []
    for path in sorted(pack_dir.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            stat = path.stat()
            found.append((str(path.relative_to(pack_dir)), stat.st_size, stat.st_mtime_ns))
    return tuple(found)


def load_pack(pack_dir: Path) -> LoadedPack:
    """Run ``pack_dir/__main__.py`` with PolicyPack captured; PolicyError if no policy loads.

    A pack is loaded once per process while its files are unchanged (a fleet preview gates
    every stack with the same pack); policies are stateless validators, so sharing is safe.
    """
    pack_dir = pack_dir.resolve()
    main = pack_dir / "__main__.py"
    if not main.is_file():
        raise PolicyError(f"{main}: policy pack entry point is missing")
    return _load_pack(pack_dir, _fingerprint(pack_dir))


def _load_failure(main: Path, pack_dir: Path, exc: Exception) -> PolicyError:
    """The pack's own file and line that raised (or failed to compile) first, then the rest.

    A SyntaxError names its file; otherwise the innermost traceback frame inside the pack.
    """
    where = f"{main}"
    if isinstance(exc, SyntaxError) and exc.filename:
        where = f"{exc.filename}:{exc.lineno}" if exc.lineno else exc.filename
        text = exc.msg
    else:
        frames = [
            f
            for f in traceback.extract_tb(exc.__traceback__)
            if Path(f.filename).is_relative_to(pack_dir)
        ]
        if frames:
            where = f"{frames[-1].filename}:{frames[-1].lineno}"
        text = str(exc)
    first, *rest = text.splitlines() or [""]
    headline = f"{where}: the policy pack failed to load: {type(exc).__name__}: {first}".rstrip()
    return PolicyError("\n".join([headline, *(f"  {line}" for line in rest)]))


@functools.lru_cache(maxsize=8)
def _load_pack(pack_dir: Path, fingerprint: tuple[tuple[str, int, int], ...]) -> LoadedPack:
    del fingerprint  # part of the cache key only
    main = pack_dir / "__main__.py"
    version = _pack_version(pack_dir)
    local = _local_modules(pack_dir)
    with _LOCK:
        saved = (pulumi_policy.PolicyPack, pulumi_policy.policy.PolicyPack)
        saved_path = list(sys.path)
        _purge(local)
        pulumi_policy.PolicyPack = _CapturingPolicyPack  # type: ignore[misc,assignment]
        pulumi_policy.policy.PolicyPack = _CapturingPolicyPack  # type: ignore[misc,assignment]
        sys.path.insert(0, str(pack_dir))
        captured: dict[str, Any] | None = None
        try:
            runpy.run_path(str(main), run_name="__main__")
        except _Captured as cap:
            captured = cap.kwargs
        except Exception as exc:
            raise _load_failure(main, pack_dir, exc) from exc
        finally:
            pulumi_policy.PolicyPack, pulumi_policy.policy.PolicyPack = saved  # type: ignore[misc]
            sys.path[:] = saved_path
            _purge(local)
    if captured is None:
        raise PolicyError(f"{main}: the pack never constructed a PolicyPack")
    policies = tuple(captured["policies"] or ())
    if not policies:
        raise PolicyError(f"{main}: the policy pack loads no policy")
    names = [p.name for p in policies]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise PolicyError(f"{main}: duplicate policy names {dupes}")
    level = captured["enforcement_level"] or pulumi_policy.EnforcementLevel.ADVISORY
    return LoadedPack(
        name=str(captured["name"]),
        version=version,
        policies=policies,
        enforcement_level=level,
        initial_config=captured["initial_config"],
        directory=pack_dir,
    )
