"""The one YAML (and JSON) reader: stack files, values files, app declarations, manifests.

Values mean what the Pulumi CLI makes of them. The CLI reads stack files with go-yaml v3,
which follows YAML 1.2 for plain scalars: ``yes``/``no``/``on``/``off`` are strings,
``1:20`` is a string (no sexagesimals), ``0o17`` and ``0x1F`` are integers, and, as go-yaml
v3 keeps for compatibility, so are 1.1 octals (``017``) and digits with underscores
(``1_000``). :func:`_resolve` is a port of ``resolve()`` in go-yaml v3 ``resolve.go``
(v3.0.1); merge keys (``<<``) and the duplicate-key and excessive-aliasing rules follow
``decode.go`` (``mapping``, ``merge``, ``unmarshal``/``allowedAliasRatio``). Timestamps stay
the strings they are written as (``sigs.k8s.io/yaml`` and Pulumi's ``config.Value`` both keep
the text), so every result is plain JSON data. Kubernetes manifests are read by the cluster's
tools through ``sigs.k8s.io/yaml`` (go-yaml v2), where ``yes``/``no``/``on``/``off`` are
booleans: ``parse_documents(..., kubernetes=True)`` reads them so, and the gate sees what the
cluster would get.

Hostile input fails closed with :class:`~aksflow.errors.YamlError` (exit 2), naming the file,
line and key path:

- duplicate keys and non-string keys (``1: x``, ``true: x``, ``[a]: x``);
- alias bombs ("billion laughs"): the alias-expansion ratio is checked as go-yaml checks it,
  in O(1) per alias, before anything is expanded;
- nesting deeper than :attr:`Limits.max_depth` (counting what aliases expand to) and
  documents larger than :attr:`Limits.max_bytes`;
- bytes that are not UTF-8 text (a binary file).

Parsing is libyaml's event stream (PyYAML's C ``CParser``); the tree is built here with an
explicit stack, never by recursion, so a document nested 100,000 deep ends in a clear error
after ``max_depth`` levels instead of exhausting the C stack. The cost is linear in the size
of the input.

API: :func:`read_yaml` / :func:`parse_yaml` for a one-document file, :func:`read_documents` /
:func:`parse_documents` for multi-document streams (each :class:`Document` with its line),
:func:`parse_json` for JSON with the same limits.
"""

from __future__ import annotations

import base64
import binascii
import copy
import json
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from yaml._yaml import CParser

from aksflow.errors import YamlError

__all__ = [
    "CONFIG_LIMITS",
    "MANIFEST_LIMITS",
    "Document",
    "Limits",
    "parse_documents",
    "parse_json",
    "parse_yaml",
    "read_documents",
    "read_json",
    "read_yaml",
    "yaml_error",
]


@dataclass(frozen=True)
class Limits:
    """Bounds on one input. Exceeding one is an input error, never a hang or a crash."""

    max_bytes: int = 8 * 1024 * 1024
    """Size of the whole file or text, in bytes."""
    max_depth: int = 128
    """Nested mappings/sequences, counting what aliases expand to. Deep enough for any
    Kubernetes object or CRD schema; shallow enough for every recursive consumer."""


CONFIG_LIMITS = Limits()
"""Stack files, ``Pulumi.yaml``, app declarations, values files, policy configs."""
MANIFEST_LIMITS = Limits(max_bytes=512 * 1024 * 1024)
"""Kubernetes manifests and stack exports given to ``policy analyze`` (linear in size)."""


@dataclass(frozen=True)
class Document:
    """One document of a YAML stream: its value and the 1-based line where its content starts."""

    value: Any
    line: int


# --- scalar resolution: go-yaml v3 resolve.go ---------------------------------------------

_STR = "!!str"
_INT = "!!int"
_FLOAT = "!!float"
_BOOL = "!!bool"
_NULL = "!!null"
_TIMESTAMP = "!!timestamp"
_BINARY = "!!binary"
_MERGE = "!!merge"
_LONG_PREFIX = "tag:yaml.org,2002:"
_RESOLVABLE = frozenset(("", _STR, _BOOL, _INT, _FLOAT, _NULL, _TIMESTAMP))

# resolveTable: the first character hints what a plain scalar may be.
_HINT: dict[str, str] = {"+": "S", "-": "S", ".": "."}
_HINT.update(dict.fromkeys("0123456789", "D"))
_HINT.update(dict.fromkeys("yYnNtTfFoO~", "M"))

# resolveMap
_MAP: dict[str, tuple[str, Any]] = {}
for _tag, _value, _spellings in (
    (_BOOL, True, ("true", "True", "TRUE")),
    (_BOOL, False, ("false", "False", "FALSE")),
    (_NULL, None, ("", "~", "null", "Null", "NULL")),
    (_FLOAT, math.nan, (".nan", ".NaN", ".NAN")),
    (_FLOAT, math.inf, (".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF")),
    (_FLOAT, -math.inf, ("-.inf", "-.Inf", "-.INF")),
    (_MERGE, "<<", ("<<",)),
):
    for _spelling in _spellings:
        _MAP[_spelling] = (_tag, _value)

# go-yaml v2 resolve.go, which sigs.k8s.io/yaml (kubectl, Helm, pulumi-kubernetes) uses to read
# manifests: YAML 1.1 booleans. `privileged: on` is true for the cluster, so for the gate too.
_MAP_V2 = dict(_MAP)
_MAP_V2.update(dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "on", "On", "ON"), (_BOOL, True)))
_MAP_V2.update(dict.fromkeys(("n", "N", "no", "No", "NO", "off", "Off", "OFF"), (_BOOL, False)))

_YAML_STYLE_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
# What strconv.ParseFloat accepts after a leading '.' (decimal only, no underscores).
_DOT_FLOAT = re.compile(r"\.[0-9]+([eE][-+]?[0-9]+)?")
# allowedTimestampFormats: 2006-1-2T15:4:5.999999999Z07:00 (also 't'), "2006-1-2 15:4:5.9", 2006-1-2
_TIMESTAMP_RE = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:[Tt][0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?(?:Z|[-+][0-9]{2}:[0-9]{2})"
    r"| [0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]+)?)?"
)
_DIGITS = {2: frozenset("01"), 8: frozenset("01234567"), 10: frozenset("0123456789")}
_DIGITS[16] = frozenset("0123456789abcdefABCDEF")
_INT64 = (-(2**63), 2**63 - 1)
_UINT64_MAX = 2**64 - 1


def _digits(text: str, base: int) -> int | None:
    if not text or not set(text) <= _DIGITS[base]:
        return None
    return int(text, base)


def _go_parse_int(text: str) -> int | None:
    """strconv.ParseInt(text, 0, 64), else ParseUint(text, 0, 64): None when both fail."""
    sign = 1
    body = text
    if body[:1] in ("+", "-"):
        sign = -1 if body[0] == "-" else 1
        body = body[1:]
    if len(body) > 1 and body[0] == "0":
        prefix = body[1].lower()
        base, digits = {"x": (16, body[2:]), "o": (8, body[2:]), "b": (2, body[2:])}.get(
            prefix, (8, body[1:])
        )
    else:
        base, digits = 10, body
    magnitude = _digits(digits, base)
    if magnitude is None:
        return None
    value = sign * magnitude
    if _INT64[0] <= value <= _INT64[1]:
        return value
    # ParseUint takes no sign at all.
    if text[:1] not in ("+", "-") and value <= _UINT64_MAX:
        return value
    return None


def _go_parse_float(text: str) -> float | None:
    value = float(text)
    return None if math.isinf(value) else value  # ParseFloat: out of range is an error


def _resolve_plain(value: str, table: dict[str, tuple[str, Any]] = _MAP) -> tuple[str, Any]:
    """resolve("", value): the tag and value of a plain, untagged scalar."""
    hint = _HINT.get(value[:1], "N") if value else "N"
    if hint == "N" and value:
        return _STR, value
    found = table.get(value)
    if found is not None:
        return found
    if hint == ".":
        if _DOT_FLOAT.fullmatch(value):
            number = _go_parse_float(value)
            if number is not None:
                return _FLOAT, number
    elif hint in ("D", "S"):
        if _TIMESTAMP_RE.fullmatch(value):
            return _TIMESTAMP, value
        plain = value.replace("_", "")
        if plain:
            integer = _go_parse_int(plain)
            if integer is not None:
                return _INT, integer
            if _YAML_STYLE_FLOAT.fullmatch(plain):
                number = _go_parse_float(plain)
                if number is not None:
                    return _FLOAT, number
            # go-yaml's explicit "0b"/"0o" branches only repeat what ParseInt base 0 did.
    return _STR, value


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_LONG_PREFIX) :] if tag.startswith(_LONG_PREFIX) else tag


def _resolve_tagged(tag: str, value: str, table: dict[str, tuple[str, Any]] = _MAP) -> Any:
    """resolve(tag, value) for an explicit tag, with its "cannot decode" rule."""
    if tag == _BINARY:
        try:
            data = base64.b64decode(value.replace("\n", "").replace(" ", ""), validate=True)
        except (binascii.Error, ValueError):
            raise _ProblemError("!!binary value contains invalid base64 data") from None
        return data.decode("utf-8", errors="replace")
    if tag not in _RESOLVABLE:
        return value  # an application tag (!foo): the text, as go-yaml returns it
    if tag == _STR:
        return value
    rtag, resolved = _resolve_plain(value, table)
    if rtag == tag:
        return resolved
    if tag == _FLOAT and rtag == _INT:
        return float(resolved)
    raise _ProblemError(f"cannot decode {rtag} `{value}` as a {tag}")


class _ProblemError(Exception):
    """A problem at the current event; turned into a YamlError with file, line and key."""


# --- the tree builder -----------------------------------------------------------------------


class _Frame:
    """An open mapping or sequence."""

    __slots__ = ("anchor", "container", "depth", "height", "key", "key_line", "merges", "nodes")

    def __init__(self, container: Any, depth: int, anchor: str | None) -> None:
        self.container = container
        self.depth = depth
        self.anchor = anchor
        self.height = 1
        self.nodes = 1
        self.key: Any = _NO_KEY
        self.key_line = 0
        self.merges: list[tuple[Any, int]] | None = None


_NO_KEY = object()
_MERGE_KEY = object()


@dataclass
class _Anchor:
    value: Any
    nodes: int
    height: int


class _Builder:
    """Builds one document from libyaml events, enforcing every rule of the module docstring."""

    def __init__(self, source: str, limits: Limits, table: dict[str, tuple[str, Any]]) -> None:
        self.source = source
        self.limits = limits
        self.table = table
        self.stack: list[_Frame] = []
        self.anchors: dict[str, _Anchor | None] = {}  # None: still open (a cycle if used)
        self.decode_count = 0
        self.alias_count = 0
        self.line = 0
        self.root: Any = None
        self.keys_seen: list[dict[str, int]] = []

    # errors ---------------------------------------------------------------------------------
    def path(self) -> str:
        """The key path of the current event, ``spec.containers[0].image``; long paths elided."""
        parts: list[str] = []
        for frame in self.stack:
            key = frame.key
            if isinstance(frame.container, list):
                parts.append(f"[{len(frame.container)}]")
            elif key is _MERGE_KEY:
                parts.append(".<<")
            elif key is not _NO_KEY:
                parts.append(f".{key}")
        if len(parts) > 12:
            parts = [*parts[:4], f".…({len(parts) - 8} more)…", *parts[-4:]]
        return "".join(parts).removeprefix(".")

    def fail(self, problem: str) -> YamlError:
        where = self.path()
        head = f"{self.source}:{self.line}"
        return YamlError(f"{head}: {where}: {problem}" if where else f"{head}: {problem}")

    # counting (go-yaml decode.go unmarshal/allowedAliasRatio) ------------------------------
    def _check_aliasing(self) -> None:
        decoded, aliased = self.decode_count, self.alias_count
        if aliased > 100 and decoded > 1000 and aliased / decoded > _allowed_alias_ratio(decoded):
            raise _ProblemError("document contains excessive aliasing (an alias bomb?)")

    # events ---------------------------------------------------------------------------------
    def open(self, container: Any, anchor: str | None) -> None:
        depth = len(self.stack) + 1
        if depth > self.limits.max_depth:
            raise _ProblemError(f"nested deeper than {self.limits.max_depth} levels")
        self.decode_count += 1
        if anchor is not None:
            self.anchors[anchor] = None
        self.stack.append(_Frame(container, depth, anchor))
        if isinstance(container, dict):
            self.keys_seen.append({})

    def close(self) -> None:
        frame = self.stack.pop()
        container = frame.container
        if isinstance(container, dict):
            self.keys_seen.pop()
            if frame.merges:
                self.stack.append(frame)  # for the key path of a merge error
                _merge(container, frame.merges, self)
                self.stack.pop()
        if frame.anchor is not None:
            self.anchors[frame.anchor] = _Anchor(container, frame.nodes, frame.height)
        self.add(container, frame.nodes, frame.height, is_merge_key=False)

    def scalar(self, value: str, tag: str | None, style: str | None, anchor: str | None) -> None:
        self.decode_count += 1
        is_merge = False
        if tag is None or tag == "!":
            if style:  # quoted or block: a string (Node.indicatedString)
                resolved: Any = value
            elif value == "<<":  # parser.scalar: a plain << is the merge key
                resolved, is_merge = value, True
            else:
                rtag, resolved = _resolve_plain(value, self.table)
                if rtag == _TIMESTAMP:
                    resolved = value
        else:
            short = _short_tag(tag)
            is_merge = short == _MERGE and value == "<<"
            resolved = "<<" if is_merge else _resolve_tagged(short, value, self.table)
        if anchor is not None:
            self.anchors[anchor] = _Anchor(resolved, 1, 0)
        self.add(resolved, 1, 0, is_merge_key=is_merge)

    def alias(self, name: str) -> None:
        if name not in self.anchors:
            raise _ProblemError(f"unknown anchor '{name}' referenced")
        anchor = self.anchors[name]
        if anchor is None:
            raise _ProblemError(f"anchor '{name}' value contains itself")
        self.decode_count += 1 + anchor.nodes
        self.alias_count += anchor.nodes
        self._check_aliasing()
        if anchor.height and len(self.stack) + anchor.height > self.limits.max_depth:
            raise _ProblemError(
                f"alias '{name}' expands deeper than {self.limits.max_depth} levels"
            )
        value = copy.deepcopy(anchor.value) if anchor.height else anchor.value
        self.add(value, 1 + anchor.nodes, anchor.height, is_merge_key=False)

    def add(self, value: Any, nodes: int, height: int, *, is_merge_key: bool) -> None:
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        frame.nodes += nodes
        if height + 1 > frame.height:
            frame.height = height + 1
        container = frame.container
        if isinstance(container, list):
            container.append(value)
            return
        key = frame.key
        if key is _NO_KEY:
            self._take_key(frame, value, is_merge_key)
            return
        frame.key = _NO_KEY
        if key is _MERGE_KEY:
            if frame.merges is None:
                frame.merges = []
            frame.merges.append((value, self.line))
        else:
            container[key] = value

    def _take_key(self, frame: _Frame, key: Any, is_merge_key: bool) -> None:
        if is_merge_key:
            spelled = "<<"
        elif isinstance(key, str):
            spelled = key
        else:
            raise _ProblemError(
                f"key {_describe_key(key)} is not a string (quote it, or a Kubernetes "
                "or Pulumi reader rejects or rewrites it)"
            )
        seen = self.keys_seen[-1]
        first = seen.get(spelled)
        if first is not None:
            frame.key = spelled
            raise _ProblemError(f"mapping key {spelled!r} already defined at line {first}")
        seen[spelled] = self.line
        frame.key = _MERGE_KEY if is_merge_key else spelled
        frame.key_line = self.line

    def open_key_collection(self) -> None:
        frame = self.stack[-1] if self.stack else None
        if frame is not None and isinstance(frame.container, dict) and frame.key is _NO_KEY:
            raise _ProblemError("a mapping or sequence used as a key (keys must be strings)")


def _allowed_alias_ratio(decode_count: int) -> float:
    """go-yaml v3 decode.go allowedAliasRatio."""
    low, high = 400_000, 4_000_000
    if decode_count <= low:
        return 0.99
    if decode_count >= high:
        return 0.10
    return 0.99 - 0.89 * ((decode_count - low) / (high - low))


def _merge(target: dict[str, Any], merges: list[tuple[Any, int]], builder: _Builder) -> None:
    """go-yaml decode.go merge: explicit keys win, then earlier merged maps over later ones."""
    for value, _line in merges:
        sources = value if isinstance(value, list) else [value]
        for source in sources:
            if not isinstance(source, dict):
                raise _ProblemError("map merge requires map or sequence of maps as the value")
            for key, item in source.items():
                if key not in target:
                    target[key] = item


def _describe_key(key: Any) -> str:
    if key is None:
        return "null"
    if isinstance(key, bool):
        return "true" if key else "false"
    if isinstance(key, dict | list):
        return "of a mapping or sequence"
    return repr(key)


def _decode(data: bytes | str, source: str, limits: Limits) -> str:
    size = len(data.encode("utf-8", "surrogatepass")) if isinstance(data, str) else len(data)
    if size > limits.max_bytes:
        raise YamlError(
            f"{source}: {size:,} bytes is larger than the limit of {limits.max_bytes:,} bytes"
        )
    if isinstance(data, str):
        text = data
    else:
        try:
            if data.startswith((b"\xff\xfe", b"\xfe\xff")):
                text = data.decode("utf-16")
            else:
                text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise YamlError(
                f"{source}: not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r});"
                " is it a binary file?"
            ) from None
    if "\x00" in text:
        raise YamlError(f"{source}: contains NUL bytes; is it a binary file?")
    return text


def parse_documents(
    data: bytes | str,
    source: str | Path,
    *,
    limits: Limits = CONFIG_LIMITS,
    kubernetes: bool = False,
) -> Iterator[Document]:
    """Every document of a YAML stream, in order, each with the line its content starts on.

    ``source`` names the input in every error. Empty documents are yielded as ``None``.
    ``kubernetes=True`` reads booleans as the cluster's tools do (go-yaml v2, through
    sigs.k8s.io/yaml): ``yes``/``no``/``on``/``off``/``y``/``n`` are booleans in manifests.
    """
    name = str(source)
    text = _decode(data, name, limits)
    parser = CParser(text)
    table = _MAP_V2 if kubernetes else _MAP
    builder = _Builder(name, limits, table)
    ev = yaml.events
    scalar_event, alias_event = ev.ScalarEvent, ev.AliasEvent
    mapping_start, mapping_end = ev.MappingStartEvent, ev.MappingEndEvent
    sequence_start, sequence_end = ev.SequenceStartEvent, ev.SequenceEndEvent
    document_start, document_end = ev.DocumentStartEvent, ev.DocumentEndEvent
    doc_line = 0
    try:
        while True:
            try:
                event: Any = parser.get_event()
            except yaml.MarkedYAMLError as exc:
                mark = exc.problem_mark or exc.context_mark
                if mark is not None:
                    builder.line = mark.line + 1
                problem = exc.problem or exc.context or "invalid YAML"
                raise builder.fail(f"invalid YAML: {problem}") from None
            except yaml.YAMLError as exc:
                raise builder.fail(f"invalid YAML: {exc}") from None
            if event is None:
                return
            kind = type(event)
            builder.line = event.start_mark.line + 1
            try:
                if kind is scalar_event:
                    builder.scalar(event.value, event.tag, event.style, event.anchor)
                elif kind is mapping_start:
                    builder.open_key_collection()
                    builder.open({}, event.anchor)
                elif kind is mapping_end or kind is sequence_end:
                    builder.close()
                elif kind is sequence_start:
                    builder.open_key_collection()
                    builder.open([], event.anchor)
                elif kind is alias_event:
                    builder.alias(event.anchor)
                elif kind is document_start:
                    builder = _Builder(name, limits, table)
                    doc_line = 0
                elif kind is document_end:
                    yield Document(builder.root, doc_line or builder.line)
                if not doc_line and kind is not document_start and kind is not document_end:
                    doc_line = builder.line
            except _ProblemError as problem:
                raise builder.fail(str(problem)) from None
    finally:
        parser.dispose()


def parse_yaml(data: bytes | str, source: str | Path, *, limits: Limits = CONFIG_LIMITS) -> Any:
    """The value of a one-document YAML text (``None`` when empty); more documents are an error."""
    documents = parse_documents(data, source, limits=limits)
    first = next(documents, None)
    extra = next((d for d in documents if d.value is not None), None)  # a trailing --- is fine
    if extra is not None:
        raise YamlError(f"{source}:{extra.line}: a second YAML document (---); this file holds one")
    return first.value if first is not None else None


def _read_bytes(path: Path, source: str, limits: Limits) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(limits.max_bytes + 1)
    except IsADirectoryError:
        raise YamlError(f"{source}: is a directory, not a file") from None
    except OSError as exc:
        raise YamlError(f"{source}: cannot read: {exc.strerror or exc}") from None
    if len(data) > limits.max_bytes:
        raise YamlError(f"{source}: larger than the limit of {limits.max_bytes:,} bytes")
    return data


def read_yaml(path: Path, *, source: str | None = None, limits: Limits = CONFIG_LIMITS) -> Any:
    """:func:`parse_yaml` of a file; ``source`` (default: the path) names it in errors."""
    name = source or str(path)
    return parse_yaml(_read_bytes(path, name, limits), name, limits=limits)


def read_documents(
    path: Path,
    *,
    source: str | None = None,
    limits: Limits = MANIFEST_LIMITS,
    kubernetes: bool = False,
) -> Iterator[Document]:
    """:func:`parse_documents` of a file."""
    name = source or str(path)
    data = _read_bytes(path, name, limits)
    return parse_documents(data, name, limits=limits, kubernetes=kubernetes)


def yaml_error(
    data: bytes | str, source: str, exc: yaml.YAMLError, *, kubernetes: bool = False
) -> str:
    """A PyYAML error on ``data`` as one headline naming file, line and key, then its detail.

    Where PyYAML still reads a document (its YAML 1.1 semantics are the ones that input needs),
    its message leads with a generic line (``while parsing a flow node``) and names the line on
    the third. The headline is what the one reader says of the same text,
    ``<source>:<line>: <key path>: invalid YAML: <problem>``; PyYAML's own report follows,
    indented, with its caret under the offending character.
    """
    headline = ""
    try:
        for _ in parse_documents(data, source, limits=MANIFEST_LIMITS, kubernetes=kubernetes):
            pass
    except YamlError as located:
        headline = str(located)
    if not headline:  # the one reader accepts what PyYAML refused (e.g. an unknown tag)
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or getattr(exc, "context", None) or "malformed"
        headline = f"{source}{line}: invalid YAML: {problem}"
    detail = re.sub(r'in "<[a-z ]+>", ', "at ", str(exc))  # PyYAML's name for a string
    return "\n".join([headline, *(f"  {line}" for line in detail.splitlines() if line.strip())])


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _ProblemError(f"duplicate key {key!r}")
            seen.add(key)
    return result


def _json_depth_ok(value: Any, max_depth: int) -> bool:
    pending: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while pending:
        item, depth = pending.pop()
        if depth > max_depth:
            return False
        children = item.values() if isinstance(item, dict) else item
        pending.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return True


def parse_json(data: bytes | str, source: str | Path, *, limits: Limits = CONFIG_LIMITS) -> Any:
    """A JSON document with the same limits: size, depth, duplicate keys, UTF-8."""
    name = str(source)
    text = _decode(data, name, limits)
    try:
        value = json.loads(text, object_pairs_hook=_reject_duplicates)
    except json.JSONDecodeError as exc:
        raise YamlError(f"{name}:{exc.lineno}: invalid JSON: {exc.msg}") from None
    except _ProblemError as problem:
        raise YamlError(f"{name}: {problem}") from None
    except RecursionError:
        raise YamlError(f"{name}: nested deeper than {limits.max_depth} levels") from None
    if not _json_depth_ok(value, limits.max_depth):
        raise YamlError(f"{name}: nested deeper than {limits.max_depth} levels")
    return value


def read_json(path: Path, *, source: str | None = None, limits: Limits = CONFIG_LIMITS) -> Any:
    """:func:`parse_json` of a file."""
    name = source or str(path)
    return parse_json(_read_bytes(path, name, limits), name, limits=limits)
