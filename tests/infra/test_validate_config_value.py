"""Config typing follows Pulumi's rules exactly.

Upstream: pulumi/pulumi ``sdk/go/common/workspace/project.go`` (``ValidateConfigValue``,
``InferFullTypeName``, ``Project.Validate``) and ``pkg/workspace/config.go``
(``validateStackConfigValue``: a stack file's scalars are stored as text by
``sdk/go/common/resource/config/object.go`` ``MarshalString``, so they reach the check as
strings; ``ValidateStackConfigAndApplyProjectConfig``: a key without a default is required).
Cases from ``pkg/workspace/config_project_test.go`` are marked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aksflow.errors import ConfigError
from aksflow.project import (
    ItemsType,
    infer_full_type_name,
    load_project,
    load_stack_config,
    validate_config_value,
)

OBJECTS = ItemsType("object")
STRINGS = ItemsType("string")


@pytest.mark.parametrize(
    ("type_name", "items", "value", "ok"),
    [
        ("string", None, "x", True),
        ("string", None, 3, False),
        ("integer", None, 3, True),
        ("integer", None, 3.0, True),  # YAML may hand over whole floats
        ("integer", None, 3.5, False),
        ("integer", None, "20", True),  # strconv.Atoi accepts it
        ("integer", None, "-7", True),
        ("integer", None, "+7", True),
        ("integer", None, " 7", False),
        ("integer", None, "1_000", False),
        ("integer", None, "hello", False),  # config_project_test.go: importantNumber: hello
        ("integer", None, True, False),  # Go's bool is not an int
        ("boolean", None, True, True),
        ("boolean", None, "true", True),
        ("boolean", None, "false", True),
        ("boolean", None, "True", False),
        ("boolean", None, 1, False),
        ("object", None, {"a": 1}, True),
        ("object", None, [], False),
        ("object", None, "x", False),
        ("array", STRINGS, ["a", "b"], True),
        ("array", STRINGS, "someValue", False),  # config_project_test.go: values: someValue
        ("array", STRINGS, [1], False),
        ("array", None, ["a"], False),  # an array without items never validates
        ("array", OBJECTS, [{"name": "a"}], True),
        ("array", OBJECTS, ["npuser01 vmSize=x"], False),
        ("array", ItemsType("array", STRINGS), [["a"], []], True),
        ("array", ItemsType("array", STRINGS), [["a"], [2]], False),
        ("array", ItemsType("integer"), [1, 2.0, "3"], True),
        ("number", None, 1, False),  # not a Pulumi config type: nothing validates
    ],
)
def test_validate_config_value(
    type_name: str, items: ItemsType | None, value: Any, ok: bool
) -> None:
    assert validate_config_value(type_name, items, value) is ok


def test_infer_full_type_name() -> None:
    assert infer_full_type_name("string", None) == "string"
    assert infer_full_type_name("array", OBJECTS) == "array<object>"
    assert infer_full_type_name("array", ItemsType("array", STRINGS)) == "array<array<string>>"


def _project(tmp_path: Path, config: str, stack: str) -> Path:
    (tmp_path / "Pulumi.yaml").write_text(f"name: test\nruntime: python\nconfig:\n{config}")
    (tmp_path / "Pulumi.dev.yaml").write_text(f"config:\n{stack}")
    return tmp_path


@pytest.mark.parametrize(
    ("decl", "value"),
    [
        ("type: string", "3"),  # a scalar is text in the stack file: 3 passes a string key
        ("type: string", "true"),
        ("type: integer", "'20'"),
        ("type: boolean", "'false'"),
        ("type: object", "{a: 1}"),
        ("type: array\n    items: {type: object}", "[{name: a}, {}]"),
    ],
)
def test_stack_values_pulumi_accepts(tmp_path: Path, decl: str, value: str) -> None:
    root = _project(tmp_path, f"  key:\n    {decl}\n", f"  test:key: {value}\n")
    load_stack_config(load_project(root), "dev")


@pytest.mark.parametrize(
    ("decl", "value", "message"),
    [
        ("type: integer", "hello", "test:key: must be of type integer (got string)"),
        ("type: boolean", "yes please", "test:key: must be of type boolean (got string)"),
        ("type: object", "[1]", "test:key: must be of type object (got array of integer)"),
        (
            "type: array\n    items: {type: object}",
            "[{a: 1}, x]",
            "test:key[1]: must be of type object (got string)",
        ),
        (
            "type: array\n    items: {type: array, items: {type: string}}",
            "[[a], [b, 2]]",
            "test:key[1][1]: must be of type string (got integer)",
        ),
    ],
)
def test_stack_values_pulumi_rejects(tmp_path: Path, decl: str, value: str, message: str) -> None:
    root = _project(tmp_path, f"  key:\n    {decl}\n", f"  test:key: {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_stack_config(load_project(root), "dev")
    assert str(caught.value) == f"Pulumi.dev.yaml: {message}"


def test_a_key_without_default_is_required(tmp_path: Path) -> None:
    root = _project(tmp_path, "  key:\n    type: string\n", "  other:ns: 1\n")
    with pytest.raises(ConfigError, match=r"^Pulumi.dev.yaml: test:key: missing"):
        load_stack_config(load_project(root), "dev")


@pytest.mark.parametrize(
    ("decl", "message"),
    [
        ("type: array\n    default: []", "config.key.items: an array must declare its item type"),
        ("type: integer\n    default: x", "config.key.default: must be of type integer"),
        ("type: array\n    items: {type: number}", "config.key.items.type: must be one of"),
    ],
)
def test_project_validate(tmp_path: Path, decl: str, message: str) -> None:
    root = _project(tmp_path, f"  key:\n    {decl}\n", "  test:key: 1\n")
    with pytest.raises(ConfigError, match=r"^Pulumi.yaml: " + message.replace(".", r"\.")):
        load_project(root)
