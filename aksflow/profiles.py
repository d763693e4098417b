"""A stack's effective config as its program will see it, read without running the program.

The program (``infra/config.py``) merges three layers key by key, a later one replacing a key's
whole value: the base defaults (``BASE`` in ``<main>/defaults.py``), the profile of the stack's
environment (``config:`` in ``environments.yaml``) and the stack's own config. Parts of the tool
that need a value without a preview (the location ``aksflow stacks`` lists, the Kubernetes
versions the promotion-order check compares) read it here, from the revision they look at.
Values are not validated here: the preview of the stack reports a bad one with file and key.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from aksflow.environments import Environments
from aksflow.errors import ProjectError
from aksflow.project import Project, StackConfig, encode_config_value

DEFAULTS_MODULE = "defaults.py"
BASE_NAME = "BASE"


@lru_cache(maxsize=16)
def _read_base(path: Path, _mtime_ns: int, _size: int) -> Mapping[str, Any]:
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError) as exc:
        raise ProjectError(f"{path}: {BASE_NAME}: cannot read the base defaults: {exc}") from None
    line = 1
    for node in tree.body:
        target: ast.expr | None = None
        value: ast.expr | None = None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        if isinstance(target, ast.Name) and target.id == BASE_NAME and value is not None:
            line = node.lineno
            try:
                found = ast.literal_eval(value)
            except (ValueError, TypeError, SyntaxError, RecursionError):
                found = None
            if isinstance(found, dict) and all(isinstance(key, str) for key in found):
                return found
            break
    # Fail closed: a guessed base would list the wrong location or compare the wrong versions.
    raise ProjectError(
        f"{path}:{line}: {BASE_NAME}: must be assigned "
        "a plain dict literal with string keys (aksflow reads it without running the program)"
    )


def base_defaults(main: Path) -> Mapping[str, Any]:
    """``BASE`` of the program in ``main``, read as a literal and never executed.

    ``main`` is ``Pulumi.yaml``'s ``main``: the program's folder, or its entry file, whose
    folder is the program's (pulumi ``pkg/engine/project.go`` ``getPwdMain``). ``{}`` for a
    revision without ``defaults.py`` (one from before the base moved there, whose defaults are
    in ``Pulumi.yaml``); a ``defaults.py`` without a literal ``BASE`` is an error.
    """
    path = (main.parent if main.is_file() else main) / DEFAULTS_MODULE
    try:
        stat = path.stat()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        raise ProjectError(f"{path}: {BASE_NAME}: cannot read the base defaults: {exc}") from None
    return _read_base(path.resolve(), stat.st_mtime_ns, stat.st_size)


def effective_values(
    project: Project, config: StackConfig, environments: Environments | None
) -> dict[str, str]:
    """Every key of ``config``'s stack: base <- its environment's profile <- its own values.

    Encoded as Pulumi passes config to a program; a secret stays the stack's placeholder.
    """
    values = {key: encode_config_value(v) for key, v in base_defaults(project.main).items()}
    profile = environments.get(config.environment) if environments is not None else None
    if profile is not None:
        values.update((key, encode_config_value(v)) for key, v in profile.config.items())
    values.update(config.values)
    return values


__all__ = ["base_defaults", "effective_values"]
