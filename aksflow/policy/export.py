"""Read a stack export given to ``policy analyze --state`` and check its shape before use.

The version and secret rules (``check_export`` in :mod:`aksflow.policy.engine`) are the CLI's;
this adds the shape every consumer relies on, so a malformed export is an input error naming
the file and key (exit 2), never a traceback or a pass: an object at the top, ``version: 3``,
``deployment.resources`` a list of objects with a string ``urn`` and ``type``, and ``inputs``,
``outputs``, ``propertyDependencies`` objects, ``dependencies`` a list of strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from aksflow import wellformed, yamlio
from aksflow.errors import PolicyError

from .engine import SUPPORTED_DEPLOYMENT_VERSION

_OBJECT_KEYS = ("inputs", "outputs", "propertyDependencies")
_STRING_KEYS = ("urn", "type", "parent", "provider", "id")
_STACK_TYPE = "pulumi:pulumi:Stack"


def read_export(path: Path) -> dict[str, Any]:
    """The export at ``path``, its shape checked (PolicyError / YamlError naming the file)."""
    source = str(path)
    document = yamlio.read_json(path, limits=yamlio.MANIFEST_LIMITS)
    check_shape(document, source)
    check_kubernetes_objects(document, source)
    return dict(document)


def check_shape(document: Any, source: str) -> None:
    """Raise PolicyError naming ``source`` and the key when ``document`` is not an export."""
    if not isinstance(document, Mapping):
        raise PolicyError(f"{source}: a stack export must be a JSON object")
    version = document.get("version")
    if "deployment" not in document:
        raise PolicyError(
            f"{source}: deployment: missing; not a stack export (pulumi stack export)"
        )
    if isinstance(version, bool) or version != SUPPORTED_DEPLOYMENT_VERSION:
        raise PolicyError(
            f"{source}: version: deployment version {version!r} is not supported; aksflow "
            f"reads stack exports of version {SUPPORTED_DEPLOYMENT_VERSION}"
        )
    deployment = document["deployment"]
    if not isinstance(deployment, Mapping):
        raise PolicyError(f"{source}: deployment: must be an object")
    resources = deployment.get("resources", [])
    if not isinstance(resources, list):
        raise PolicyError(f"{source}: deployment.resources: must be a list")
    for index, resource in enumerate(resources):
        where = f"deployment.resources[{index}]"
        if not isinstance(resource, Mapping):
            raise PolicyError(f"{source}: {where}: must be an object")
        for key in ("urn", "type"):
            if not isinstance(resource.get(key), str) or not resource[key]:
                raise PolicyError(f"{source}: {where}.{key}: a non-empty string is required")
        for key in _STRING_KEYS:
            if resource.get(key) is not None and not isinstance(resource[key], str):
                raise PolicyError(f"{source}: {where}.{key}: must be a string")
        for key in _OBJECT_KEYS:
            if resource.get(key) is not None and not isinstance(resource[key], Mapping):
                raise PolicyError(f"{source}: {where}.{key}: must be an object")
        dependencies = resource.get("dependencies")
        if dependencies is not None and not (
            isinstance(dependencies, list) and all(isinstance(d, str) for d in dependencies)
        ):
            raise PolicyError(f"{source}: {where}.dependencies: must be a list of URNs")
        for key, urns in (resource.get("propertyDependencies") or {}).items():
            if not (isinstance(urns, list) and all(isinstance(u, str) for u in urns)):
                raise PolicyError(
                    f"{source}: {where}.propertyDependencies.{key}: must be a list of URNs"
                )


def check_kubernetes_objects(document: Mapping[str, Any], source: str) -> None:
    """ConfigError naming the resource and key path when a ``kubernetes:*`` resource's inputs
    or outputs have a field of the wrong Kubernetes type (:mod:`aksflow.wellformed`)."""
    for index, resource in enumerate(document["deployment"].get("resources", [])):
        for key in ("inputs", "outputs"):
            props = resource.get(key)
            if isinstance(props, Mapping):
                where = f"{source}: deployment.resources[{index}].{key}"
                name = str(resource["urn"]).rsplit("::", 1)[-1]
                wellformed.check_resource(resource["type"], props, where=where, name=name)


def check_program_objects(document: Mapping[str, Any], stack: str) -> None:
    """As :func:`check_kubernetes_objects` for a preview's state: each resource is named by the
    program line that registered it (``sourcePosition``), else by the stack."""
    for resource in document["deployment"].get("resources", []):
        props = resource.get("inputs")
        if not isinstance(props, Mapping):
            continue
        position = str(resource.get("sourcePosition") or "")
        path, _, line = position.removeprefix("project:///").partition("#")
        where = f"{path}:{line.split(',')[0]}" if path else f"stack {stack}"
        name = str(resource["urn"]).rsplit("::", 1)[-1]
        wellformed.check_resource(
            resource["type"], props, where=f"{where} (stack {stack})", name=name
        )


def stack_of(document: Mapping[str, Any]) -> str:
    """The stack an export belongs to: from its Stack resource's URN (``urn:pulumi:<stack>::``)."""
    for resource in document["deployment"].get("resources", []):
        if resource["type"] == _STACK_TYPE:
            return str(resource["urn"]).removeprefix("urn:pulumi:").split("::", 1)[0]
    return ""
