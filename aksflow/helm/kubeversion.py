"""Kubernetes versions for Helm's ``Capabilities.KubeVersion`` and ``Chart.yaml`` ``kubeVersion``.

``helm template --kube-version`` checks the chart's ``kubeVersion`` constraint before rendering;
helm-python-sdk's render does not, so the renderer checks it here with the subset of
Masterminds/semver constraint syntax charts use: ``||`` alternatives, comma- or space-separated
comparisons (``>= <= > < = !=``), ``~`` and ``^`` ranges, ``x``/``*`` wildcards and hyphen ranges.
Pre-release suffixes such as ``-0`` (``>=1.29.0-0``, which admits cloud providers' pre-release
builds) are ignored: a cluster version is always a release.
"""

from __future__ import annotations

import re

from aksflow.errors import RenderError

_VERSION = re.compile(r"^v?(\d+)(?:\.(\d+|x|X|\*))?(?:\.(\d+|x|X|\*))?(?:[-+][0-9A-Za-z.+-]*)?$")
_COMPARISON = re.compile(r"^(>=|<=|!=|=>|=<|>|<|=|~>|~|\^)?\s*(\S+)$")

Version = tuple[int, int, int]


def normalize(kube_version: str) -> str:
    """``"1.34"`` -> ``"v1.34.0"``: the form ``helm template --kube-version`` reports."""
    major, minor, patch = parse(kube_version)
    return f"v{major}.{minor}.{patch}"


def parse(text: str) -> Version:
    """A full version; missing parts are 0. Raises :class:`RenderError` if malformed."""
    match = _VERSION.match(text.strip())
    if match is None or any(part in ("x", "X", "*") for part in match.groups() if part):
        raise RenderError(f"kube version {text!r} is not a version such as 1.34 or 1.34.2")
    return (int(match[1]), int(match[2] or 0), int(match[3] or 0))


def satisfies(version: str, constraint: str) -> bool:
    """Whether ``version`` meets a ``Chart.yaml`` ``kubeVersion`` constraint."""
    current = parse(version)
    alternatives = [alt.strip() for alt in constraint.split("||")]
    return any(_all_hold(current, alt) for alt in alternatives if alt)


def _all_hold(current: Version, conjunction: str) -> bool:
    # Hyphen ranges first ("1.2 - 1.4"), then the comparisons separated by commas or spaces.
    conjunction = re.sub(r"(\S+)\s+-\s+(\S+)", r">=\1 <=\2", conjunction)
    conjunction = re.sub(r"(>=|<=|!=|=>|=<|>|<|=|~>|~|\^)\s+", r"\1", conjunction)
    terms = [term for term in re.split(r"[\s,]+", conjunction) if term]
    return all(_holds(current, term) for term in terms)


def _holds(current: Version, term: str) -> bool:
    match = _COMPARISON.match(term)
    version = _VERSION.match(match[2]) if match else None
    if match is None or version is None:
        raise RenderError(f"kubeVersion constraint term {term!r} is not understood")
    op = match[1] or "="
    parts = [version[1], version[2], version[3]]
    wild = next((i for i, part in enumerate(parts) if part is None or part in "xX*"), 3)
    floor = tuple(int(part) if i < wild else 0 for i, part in enumerate(parts))
    low: Version = (floor[0], floor[1], floor[2])
    if op in ("~", "~>"):
        # ~1.2.3 := >=1.2.3 <1.3.0; ~1 := >=1.0.0 <2.0.0
        high = (low[0] + 1, 0, 0) if wild <= 1 else (low[0], low[1] + 1, 0)
        return low <= current < high
    if op == "^":
        high = (low[0] + 1, 0, 0) if low[0] > 0 or wild <= 1 else (0, low[1] + 1, 0)
        return low <= current < high
    if wild < 3 and op in ("=", "!="):
        inside = current[:wild] == low[:wild]
        return inside if op == "=" else not inside
    return {
        "=": current == low,
        "!=": current != low,
        ">": current > low if wild == 3 else current[:wild] > low[:wild],
        "<": current < low,
        ">=": current >= low,
        "=>": current >= low,
        "<=": current <= low if wild == 3 else current[:wild] <= low[:wild],
        "=<": current <= low if wild == 3 else current[:wild] <= low[:wild],
    }[op]
