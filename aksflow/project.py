"""The Pulumi project on disk: ``Pulumi.yaml``, its declared config and the stack files.

This does what the Pulumi CLI does before it starts a program: find the stack file, check
every value against the type declared in ``Pulumi.yaml``, apply the declared defaults and
turn ``secure:`` values into secrets. Offline there is no secrets provider, so a secure value
becomes a placeholder that is marked secret and never decrypted.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aksflow.errors import ConfigError, ProjectError
from aksflow.yamlio import read_yaml

PROJECT_FILE = "Pulumi.yaml"
SECRET_PLACEHOLDER = "offline-placeholder-for-a-secure-value"


@dataclass(frozen=True)
class ItemsType:
    """``items:`` of an array key: the element type, itself an array type when nested."""

    type: str
    items: ItemsType | None = None


_NO_DEFAULT = object()


@dataclass(frozen=True)
class ConfigKey:
    """One key declared in the ``config:`` block of ``Pulumi.yaml``."""

    name: str
    type: str
    """``""`` when the declaration has no ``type:`` (pulumi ``IsExplicitlyTyped``): unchecked."""
    default: Any = _NO_DEFAULT
    """What a stack that does not set the key gets: the declaration's ``default:``, else its
    ``value:`` (a key of another namespace; pulumi ``mergeConfig`` applies either)."""
    items: ItemsType | None = None
    secret: bool = False
    description: str = ""

    @property
    def required(self) -> bool:
        """No default: every stack must set it (Pulumi: "Stack is missing configuration ...")."""
        return self.default is _NO_DEFAULT

    @property
    def type_name(self) -> str:
        """Pulumi's spelling of the full type, e.g. ``array<object>``."""
        return infer_full_type_name(self.type, self.items)


@dataclass(frozen=True)
class Project:
    """A Pulumi project directory."""

    root: Path
    name: str
    main: Path
    config: Mapping[str, ConfigKey]

    def stack_file(self, stack: str) -> Path:
        return self.root / f"Pulumi.{stack}.yaml"

    def stacks(self) -> list[str]:
        """Every stack with a ``Pulumi.<stack>.yaml`` beside the project file."""
        found = (p.name[len("Pulumi.") : -len(".yaml")] for p in self.root.glob("Pulumi.*.yaml"))
        return sorted(found)


@dataclass(frozen=True)
class StackConfig:
    """The config a program sees: every key as Pulumi's string encoding, plus secret keys."""

    stack: str
    file: Path
    values: Mapping[str, str]
    secret_keys: frozenset[str] = field(default_factory=frozenset)
    environment: str = ""
    """The stack's environment: ``<project>:environment`` (required; see environments.yaml)."""


def _read_yaml(path: Path) -> Any:
    # go-yaml v3 semantics, as the CLI reads stack files; limits and errors in aksflow.yamlio.
    return read_yaml(path, source=path.name)


def find_project_dir(start: Path) -> Path:
    """The nearest directory at or above ``start`` that holds ``Pulumi.yaml``."""
    start = start.resolve()
    for directory in (start, *start.parents):
        if (directory / PROJECT_FILE).is_file():
            return directory
    raise ProjectError(f"no {PROJECT_FILE} found in {start} or any parent directory")


# pulumi sdk/go/common/workspace/project.go: arrayTypeName, integerTypeName, stringTypeName,
# booleanTypeName, objectTypeName.
_TYPES = ("string", "integer", "boolean", "array", "object")


def _items_type(key: str, decl: Any) -> ItemsType:
    if not isinstance(decl, dict) or decl.get("type") not in _TYPES:
        raise ConfigError(f"{PROJECT_FILE}: {key}.type: must be one of {', '.join(_TYPES)}")
    nested = None
    if decl["type"] == "array":
        if "items" not in decl:
            raise ConfigError(f"{PROJECT_FILE}: {key}.items: an array must declare its item type")
        nested = _items_type(f"{key}.items", decl["items"])
    return ItemsType(type=decl["type"], items=nested)


def load_project(root: Path) -> Project:
    """Read and check ``Pulumi.yaml`` (pulumi ``Project.Validate`` for the config block)."""
    path = root / PROJECT_FILE
    if not path.is_file():
        raise ProjectError(f"{path}: not found")
    doc = _read_yaml(path)
    if not isinstance(doc, dict) or not isinstance(doc.get("name"), str):
        raise ConfigError(f"{PROJECT_FILE}: name: a project name is required")
    name: str = doc["name"]
    keys: dict[str, ConfigKey] = {}
    for key, written in (doc.get("config") or {}).items():
        full = key if ":" in key else f"{name}:{key}"
        own = ":" not in key or key.startswith(f"{name}:")
        decl = _declaration(key, written, own)
        # mergeConfig gives a stack that does not set the key the default, else the value; a
        # null one is none (Go's nil): a key of the project's namespace is then required.
        given = decl.get("default") if decl.get("default") is not None else decl.get("value")
        if decl.get("type") is None:  # untyped: a default (or value) and no schema
            keys[full] = ConfigKey(
                name=full,
                type="",
                default=_NO_DEFAULT if given is None else given,
                secret=bool(decl.get("secret", False)),
                description=str(decl.get("description") or ""),
            )
            continue
        if decl["type"] not in _TYPES:
            raise ConfigError(
                f"{PROJECT_FILE}: config.{key}.type: must be one of {', '.join(_TYPES)}"
            )
        items = None
        if decl["type"] == "array":
            if "items" not in decl:
                # project.go Validate: "declares an array but does not specify the underlying
                # type via the 'items' attribute".
                raise ConfigError(
                    f"{PROJECT_FILE}: config.{key}.items: an array must declare its item type"
                )
            items = _items_type(f"config.{key}.items", decl["items"])
        default = decl.get("default")  # Project.Validate checks a typed default, not a value
        keys[full] = ConfigKey(
            name=full,
            type=decl["type"],
            default=_NO_DEFAULT if given is None else given,
            items=items,
            secret=bool(decl.get("secret", False)),
            description=str(decl.get("description") or ""),
        )
        if default is not None and not validate_config_value(decl["type"], items, default):
            raise ConfigError(
                f"{PROJECT_FILE}: config.{key}.default: must be of type {keys[full].type_name} "
                f"(got {_describe(default)})"
            )
    main = root / str(doc.get("main") or ".")
    return Project(root=root, name=name, main=main, config=keys)


def _declaration(key: str, written: Any, own: bool) -> dict[str, Any]:
    """One ``config:`` entry as pulumi reads it (``sdk/go/common/workspace/project.go``).

    ``RewriteShorthandConfigValues``: a bare string, integer, boolean or list is the default of
    a key of the project's namespace, the value of another's. ``Project.Validate``: a key has a
    default or a value, not both; a key of another namespace has a value, and neither a type
    nor a default.
    """
    if isinstance(written, str | int | bool | list) and not isinstance(written, float):
        return {"default": written} if own else {"value": written}
    if not isinstance(written, dict):
        raise ConfigError(
            f"{PROJECT_FILE}: config.{key}: must be a value or a mapping with type, default, ..."
        )
    if written.get("default") is not None and written.get("value") is not None:
        raise ConfigError(
            f"{PROJECT_FILE}: config.{key}: cannot have both a 'default' and 'value' attribute"
        )
    if own:
        return written
    if written.get("type") is not None:
        raise ConfigError(
            f"{PROJECT_FILE}: config.{key}.type: not namespaced by the project and should not "
            "define a type"
        )
    if written.get("default") is not None:
        raise ConfigError(
            f"{PROJECT_FILE}: config.{key}.default: not namespaced by the project and should not "
            "define a default value (did you mean 'value'?)"
        )
    if written.get("value") is None:
        raise ConfigError(f"{PROJECT_FILE}: config.{key}.value: namespaced, so it must be given")
    return written


def infer_full_type_name(type_name: str, items: ItemsType | None) -> str:
    """pulumi project.go ``InferFullTypeName``: ``array<array<string>>`` and so on."""
    if items is not None:
        return f"array<{infer_full_type_name(items.type, items.items)}>"
    return type_name


def _is_integer_text(text: str) -> bool:
    # Go's strconv.Atoi: optional sign, ASCII digits only, no spaces or underscores.
    return re.fullmatch(r"[+-]?[0-9]+", text) is not None


def validate_config_value(type_name: str, items: ItemsType | None, value: Any) -> bool:
    """Pulumi's ``ValidateConfigValue`` (sdk/go/common/workspace/project.go), rule for rule.

    ``value`` is what Pulumi holds: a stack file's scalars arrive as strings (see
    :func:`_stack_content`), structured values as decoded JSON, defaults as decoded YAML.
    """
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            return True
        # YAML/JSON numbers may come as floats: whole ones are integers.
        if isinstance(value, float):
            return math.isfinite(value) and value == math.trunc(value)
        # Strings that parse as integers are accepted too.
        return isinstance(value, str) and _is_integer_text(value)
    if type_name == "boolean":
        if isinstance(value, str):
            return value in ("true", "false")
        return isinstance(value, bool)
    if type_name == "object":
        return isinstance(value, dict)
    if not isinstance(value, list) or items is None:
        return False
    return all(validate_config_value(items.type, items.items, item) for item in value)


def _stack_content(value: Any) -> Any:
    """What ``validateStackConfigValue`` checks (pkg/workspace/config.go).

    A stack file's scalars are stored as text (``object.MarshalString``: booleans and numbers as
    their JSON text), so ``3`` is ``"3"`` and passes a string key; lists and maps are objects
    decoded from JSON.
    """
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    return value


def _describe(value: Any) -> str:
    kind = _type_name(value)
    if kind == "array" and value:
        kinds = sorted({_type_name(item) for item in value})
        return f"array of {' and '.join(kinds)}"
    return kind


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return "null"


def _first_mismatch(
    key: str, type_name: str, items: ItemsType | None, value: Any
) -> tuple[str, str, Any]:
    """The deepest (key path, expected type, value) at which ``value`` breaks the type."""
    if type_name == "array" and isinstance(value, list) and items is not None:
        for index, item in enumerate(value):
            if not validate_config_value(items.type, items.items, item):
                return _first_mismatch(f"{key}[{index}]", items.type, items.items, item)
    return key, infer_full_type_name(type_name, items), value


def _check_stack_value(file: str, decl: ConfigKey, value: Any) -> None:
    """validateStackConfigValue (pkg/workspace/config.go), with the failing key path named."""
    if validate_config_value(decl.type, decl.items, _stack_content(value)):
        return
    # Describe what the user wrote (before Pulumi's stringification of scalars).
    at, expected, got = _first_mismatch(decl.name, decl.type, decl.items, value)
    message = f"{file}: {at}: must be of type {expected} (got {_describe(got)})"
    if decl.description:
        message += f"\n{decl.name}: {decl.description}"
    raise ConfigError(message)


def encode_config_value(value: Any) -> str:
    """Pulumi's wire encoding of a config value: strings as-is, the rest as JSON.

    The one encoding of every config layer: the CLI's (here), the program's merge of the base
    and the profile (``infra/config.py``) and the tool's reading of it (``aksflow.profiles``).
    """
    if isinstance(value, str):
        return value
    return json.dumps(value)


def load_stack_config(project: Project, stack: str) -> StackConfig:
    """Merge ``Pulumi.<stack>.yaml`` over the project defaults, checking every value."""
    path = project.stack_file(stack)
    if not path.is_file():
        known = ", ".join(project.stacks()) or "none"
        raise ProjectError(
            f"unknown stack {stack!r}: {path.name} not found (known stacks: {known})"
        )
    doc = _read_yaml(path)
    if doc is None:
        doc = {}
    if not isinstance(doc, dict):
        raise ConfigError(f"{path.name}: must be a mapping with a config: key")
    raw = doc.get("config") or {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path.name}: config: must be a mapping of key: value")

    values: dict[str, str] = {
        k: encode_config_value(d.default) for k, d in project.config.items() if not d.required
    }
    secret_keys: set[str] = set()
    for key, value in raw.items():
        if not isinstance(key, str):
            raise ConfigError(f"{path.name}: config: {key!r}: keys must be strings")
        full = key if ":" in key else f"{project.name}:{key}"
        # pkg/workspace/config.go mergeConfig and validateStackConfigValues walk the keys
        # Pulumi.yaml declares, so an undeclared key passes the CLI unchecked; the program checks
        # its own settings' names (infra/config.py).
        decl = project.config.get(full)
        if isinstance(value, dict) and set(value) == {"secure"}:
            # Only the stack's secrets provider can decrypt this; offline it stays a secret.
            values[full] = SECRET_PLACEHOLDER
            secret_keys.add(full)
            continue
        if decl is not None and decl.type:  # mergeConfig checks typed declarations only
            _check_stack_value(path.name, decl, value)
            if decl.secret:
                raise ConfigError(
                    f"{path.name}: {full}: must be encrypted (pulumi config set --secret)"
                )
        values[full] = encode_config_value(value)
    # pkg/workspace/config.go mergeConfig: a key of the project's own namespace without a
    # default must be set by every stack (`key.Namespace() == projectName`); another
    # namespace's undefaulted key is simply left unset.
    missing = sorted(
        k
        for k, d in project.config.items()
        if d.required and k not in values and k.split(":", 1)[0] == project.name
    )
    if missing:
        detail = project.config[missing[0]].description
        raise ConfigError(
            f"{path.name}: {missing[0]}: missing; this stack must set it"
            + (f"\n{missing[0]}: {detail}" if detail else "")
        )
    env_key = f"{project.name}:environment"
    if env_key in secret_keys:
        raise ConfigError(
            f"{path.name}: {env_key}: must be plain text, not a secure value (got [secret])"
        )
    environment = values.get(env_key, "")
    return StackConfig(
        stack=stack,
        file=path,
        values=values,
        secret_keys=frozenset(secret_keys),
        environment=environment,
    )
