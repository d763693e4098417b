"""The one YAML reader: go-yaml v3 semantics (resolve.go, decode.go of go-yaml v3.0.1), limits."""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

import pytest

from aksflow.errors import AksflowError, YamlError
from aksflow.yamlio import Limits, parse_documents, parse_json, parse_yaml, read_yaml

# Plain scalars as go-yaml v3 resolve() decodes them into interface{} (resolve.go), against
# what a YAML 1.1 reader (PyYAML) would make of them.
GO_YAML_V3 = [
    ("yes", "yes"),
    ("no", "no"),
    ("on", "on"),
    ("off", "off"),
    ("Y", "Y"),
    ("true", True),
    ("False", False),
    ("TRUE", True),
    ("~", None),
    ("null", None),
    ("", None),
    ("1:20", "1:20"),  # no sexagesimals
    ("190:20:30", "190:20:30"),
    ("0o17", 15),  # YAML 1.2 octal
    ("017", 15),  # 1.1 octal, kept by go-yaml v3 "for compatibility"
    ("0x1F", 31),
    ("0b101", 5),
    ("-0b101", -5),
    ("1_000", 1000),  # underscores stripped before ParseInt
    ("+12", 12),
    ("09", 9.0),  # not an octal: yamlStyleFloat then ParseFloat
    ("1e3", 1000.0),  # YAML 1.1 needs a dot; go-yaml does not
    ("1.5", 1.5),
    (".5", 0.5),
    ("-.inf", -math.inf),
    ("2001-12-14", "2001-12-14"),  # timestamps stay text
    ("2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"),
    ("18446744073709551615", 18446744073709551615),  # ParseUint
    ("99999999999999999999", 1e20),  # beyond uint64: a float
    ("-9223372036854775809", -9.223372036854776e18),
    ("1e400", "1e400"),  # ParseFloat range error: a string
    ("0x", "0x"),
    ("+", "+"),
    ("<", "<"),
    ("nginx:1.25", "nginx:1.25"),
    ("=", "="),
]


@pytest.mark.parametrize(("text", "expected"), GO_YAML_V3)
def test_plain_scalars_resolve_as_go_yaml_v3(text: str, expected: Any) -> None:
    value = parse_yaml(f"k: {text}\n", "t.yaml")["k"]
    assert value == expected
    assert type(value) is type(expected)


def test_tags_and_quoting_as_go_yaml_v3() -> None:
    doc = parse_yaml(
        "a: '12'\nb: !!int \"12\"\nc: !!float 1\nd: !!str 12\ne: !custom 12\n"
        "f: !!binary aGVsbG8=\ng: |\n  12\nh: ! 4\n",
        "t.yaml",
    )
    assert doc == {
        "a": "12",
        "b": 12,
        "c": 1.0,
        "d": "12",
        "e": "12",
        "f": "hello",
        "g": "12\n",
        "h": 4,
    }
    with pytest.raises(YamlError, match=r"t.yaml:1: a: cannot decode !!str `abc` as a !!int"):
        parse_yaml("a: !!int abc\n", "t.yaml")


def test_merge_keys_explicit_keys_win_then_earlier_maps() -> None:
    doc = parse_yaml(
        "base: &b {x: 1, y: 2}\nother: &o {y: 5, z: 6}\nm:\n  <<: [*b, *o]\n  x: 0\n", "t.yaml"
    )
    assert doc["m"] == {"x": 0, "y": 2, "z": 6}
    doc["m"]["y"] = 9
    assert doc["base"]["y"] == 2  # an alias is a copy, never a shared object
    with pytest.raises(YamlError, match="map merge requires map"):
        parse_yaml("m: {<<: 1}\n", "t.yaml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\nb:\n  c: 1\n  c: 2\n", r"t.yaml:4: b.c: mapping key 'c' already defined at line 3"),
        ("config:\n  1: foo\n", r"t.yaml:2: config: key 1 is not a string"),
        ("true: x\n", r"t.yaml:1: key true is not a string"),
        ("~: x\n", r"t.yaml:1: key null is not a string"),
        ("[a]: x\n", r"t.yaml:1: a mapping or sequence used as a key"),
        ("a: &x [*x]\n", r"anchor 'x' value contains itself"),
        ("a: *nope\n", r"unknown anchor 'nope' referenced"),
        ("a: 1\n---\nb: 2\n", r"t.yaml:3: a second YAML document"),
        ("a: [1\n", r"t.yaml:2: a\[1\]: invalid YAML"),
    ],
)
def test_hostile_documents_are_input_errors(text: str, message: str) -> None:
    with pytest.raises(YamlError, match=message) as caught:
        parse_yaml(text, "t.yaml")
    assert caught.value.exit_code == 2
    assert "\n" not in str(caught.value)


def _billion_laughs(levels: int = 9) -> str:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels + 1):
        prev, name = chr(96 + i), chr(97 + i)
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


def test_billion_laughs_fails_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(YamlError, match="excessive aliasing"):
        parse_yaml(_billion_laughs(), "bomb.yaml")
    assert time.perf_counter() - started < 1.0


def test_moderate_aliasing_is_fine() -> None:
    doc = parse_yaml(_billion_laughs(2), "ok.yaml")
    assert len(doc["c"]) == 9 and doc["c"][0][0] == ["lol"] * 9


@pytest.mark.parametrize("depth", [129, 1_000, 100_000])
def test_nesting_is_bounded(depth: int) -> None:
    with pytest.raises(YamlError, match=r"deep.yaml:1: .*nested deeper than 128 levels"):
        parse_yaml("[" * depth + "]" * depth, "deep.yaml")
    block = "".join("  " * i + f"k{i}:\n" for i in range(min(depth, 1_000)))
    with pytest.raises(YamlError, match=r"deep.yaml:129: k0.k1.k2.k3.…\(120 more\)…"):
        parse_yaml(block, "deep.yaml")


def test_alias_expansion_counts_towards_depth() -> None:
    text = "a: &a " + "[" * 100 + "]" * 100 + "\nb: " + "[" * 50 + "*a" + "]" * 50 + "\n"
    with pytest.raises(YamlError, match="alias 'a' expands deeper than 128 levels"):
        parse_yaml(text, "t.yaml")


def test_128_levels_are_allowed() -> None:
    assert parse_yaml("[" * 128 + "]" * 128, "t.yaml") is not None


def test_size_limit_and_binary_files(tmp_path: Path) -> None:
    with pytest.raises(YamlError, match=r"big.yaml: 101 bytes is larger than the limit of 100"):
        parse_yaml("a: " + "x" * 98, "big.yaml", limits=Limits(max_bytes=100))
    png = tmp_path / "x.yaml"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    with pytest.raises(YamlError, match=r"x.yaml: not UTF-8 text .* binary file"):
        read_yaml(png)
    png.write_bytes(b"a: 1\n\x00")
    with pytest.raises(YamlError, match=r"NUL bytes"):
        read_yaml(png)
    with pytest.raises(YamlError, match=r"is a directory"):
        read_yaml(tmp_path)
    with pytest.raises(AksflowError, match=r"cannot read"):
        read_yaml(tmp_path / "missing.yaml")


def test_a_trailing_document_marker_is_not_a_second_document() -> None:
    assert parse_yaml("---\na: 1\n---\n", "t.yaml") == {"a": 1}


def test_documents_carry_their_first_line() -> None:
    docs = list(parse_documents("# c\n---\na: 1\n---\n\n\nkind: x\n---\n", "m.yaml"))
    assert [(d.value, d.line) for d in docs] == [({"a": 1}, 3), ({"kind": "x"}, 7), (None, 9)]


def test_json_has_the_same_limits() -> None:
    assert parse_json('{"a": [1, 2.5, "x"]}', "j.json") == {"a": [1, 2.5, "x"]}
    with pytest.raises(YamlError, match=r"j.json: duplicate key 'a'"):
        parse_json('{"a": 1, "a": 2}', "j.json")
    with pytest.raises(YamlError, match=r"j.json: nested deeper than 128 levels"):
        parse_json("[" * 200 + "]" * 200, "j.json")
    with pytest.raises(YamlError, match=r"j.json: nested deeper than 128 levels"):
        parse_json("[" * 100_000 + "]" * 100_000, "j.json")
    with pytest.raises(YamlError, match=r"j.json:1: invalid JSON"):
        parse_json("{", "j.json")


def test_kubernetes_manifests_read_yaml_11_booleans_as_go_yaml_v2() -> None:
    docs = list(
        parse_documents("a: on\nb: no\nc: y\nd: 'yes'\ne: true\n", "m.yaml", kubernetes=True)
    )
    assert docs[0].value == {"a": True, "b": False, "c": True, "d": "yes", "e": True}
