"""Property paths in Pulumi's notation: ``agentPoolProfiles[0].count``, ``labels["a.b/c"]``.

A path is a tuple of segments (``str`` keys, ``int`` indices). Patterns from the replacement
table use ``[*]`` for any index. Secret markers are leaves: their content is never a path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

Segment = str | int
Path = tuple[Segment, ...]

SIG_KEY: Final = "4dabf18193072939515e22adb298388d"
SECRET_SIG: Final = "1b47061264138c4ac30d75fd1eb44270"
WILDCARD: Final = "[*]"


class _Missing:
    """The absence of a value (distinct from ``None``, which is JSON null)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()
_IDENT = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def is_secret(value: Any) -> bool:
    """True for a stack-export secret marker (or an unencrypted secret envelope)."""
    return isinstance(value, Mapping) and value.get(SIG_KEY) == SECRET_SIG


def format_path(path: Sequence[Segment]) -> str:
    """``("agentPoolProfiles", 0, "count")`` -> ``agentPoolProfiles[0].count``."""
    out: list[str] = []
    for segment in path:
        if isinstance(segment, int):
            out.append(f"[{segment}]")
        elif segment == WILDCARD:
            out.append(WILDCARD)
        elif _IDENT.match(segment):
            out.append(f".{segment}" if out else segment)
        else:
            out.append(f"[{json.dumps(segment)}]")
    return "".join(out)


_TOKEN = re.compile(r'\[(\*|\d+|"(?:[^"\\]|\\.)*")\]|\.?([A-Za-z_$][A-Za-z0-9_$]*)')


def parse_path(text: str) -> Path:
    """The inverse of :func:`format_path`; ``[*]`` stays the wildcard segment."""
    segments: list[Segment] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"bad property path {text!r} at {pos}")
        bracket, name = match.groups()
        if name is not None:
            segments.append(name)
        elif bracket == "*":
            segments.append(WILDCARD)
        elif bracket.startswith('"'):
            segments.append(json.loads(bracket))
        else:
            segments.append(int(bracket))
        pos = match.end()
    return tuple(segments)


def depth(pattern: Path) -> int:
    """Property depth, not counting array indices: ``a[*].b`` is 2."""
    return sum(1 for s in pattern if isinstance(s, str) and s != WILDCARD)


def get(value: Any, path: Sequence[Segment]) -> Any:
    """The value at a concrete ``path``, or :data:`MISSING`."""
    for segment in path:
        if isinstance(segment, int):
            if not isinstance(value, list) or not -1 < segment < len(value):
                return MISSING
            value = value[segment]
        else:
            if not isinstance(value, Mapping) or is_secret(value) or segment not in value:
                return MISSING
            value = value[segment]
    return value


def leaves(value: Any, prefix: Path = ()) -> Iterator[tuple[Path, Any]]:
    """Every scalar, empty container and secret marker under ``value`` with its path."""
    if isinstance(value, Mapping) and value and not is_secret(value):
        for key in value:
            yield from leaves(value[key], (*prefix, str(key)))
    elif isinstance(value, list) and value:
        for index, item in enumerate(value):
            yield from leaves(item, (*prefix, index))
    else:
        yield prefix, value


def matches(pattern: Sequence[Segment], path: Sequence[Segment]) -> bool:
    """Exact match of equal length; ``[*]`` matches any index."""
    return len(pattern) == len(path) and all(
        p == s or (p == WILDCARD and isinstance(s, int)) for p, s in zip(pattern, path, strict=True)
    )


def under(path: Sequence[Segment], pattern: Sequence[Segment]) -> bool:
    """``path`` is ``pattern`` or lies beneath it."""
    return len(path) >= len(pattern) and matches(pattern, path[: len(pattern)])


def expand(pattern: Sequence[Segment], *documents: Any) -> list[Path]:
    """Concrete paths matching ``pattern`` that exist in any of ``documents`` (sorted, unique)."""
    found: set[Path] = set()

    def walk(value: Any, rest: Sequence[Segment], done: Path) -> None:
        if not rest:
            found.add(done)
            return
        head, tail = rest[0], rest[1:]
        if head == WILDCARD:
            if isinstance(value, list):
                for index, item in enumerate(value):
                    walk(item, tail, (*done, index))
        else:
            child = get(value, (head,))
            if child is not MISSING:
                walk(child, tail, (*done, head))

    for document in documents:
        walk(document, pattern, ())
    return sorted(found, key=format_path)
