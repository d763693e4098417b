"""The Pulumi CLI's rules for reading a stack export, ported to check every state file aksflow writes.

``problems(doc)`` lists what ``pulumi stack import`` / ``pulumi policy analyze --file`` would
refuse (or, marked "aksflow:", what aksflow additionally promises). Upstream, pulumi/pulumi at
1b594989:

- ``sdk/go/common/apitype/core.go``: the JSON tags of ``UntypedDeployment``, ``DeploymentV3``,
  ``ManifestV1`` (``NewMagic`` = sha256 of the version), ``ResourceV3`` and ``SecretV1``.
- ``pkg/resource/stack/deployment.go``: ``UnmarshalUntypedDeployment`` (versions 1..4),
  ``DeserializeResource`` (urn, type, no id on a non-custom resource),
  ``DeserializePropertyValue`` (known signatures; a secret has exactly one non-empty
  ``ciphertext`` or ``plaintext``; ``secretPropertyValueFromPlaintext``: plaintext is JSON).
- ``pkg/resource/stack/secrets.go`` ``BatchDecrypt``: a ``ciphertext`` without a
  ``secrets_providers`` block fails ("no secrets manager could be found").
- ``pkg/resource/stack/snapshot/integrity.go`` ``VerifyIntegrity``: magic, provider references
  to earlier providers, parents/dependencies/property dependencies/deletedWith before use,
  duplicate URNs.
- ``pkg/cmd/pulumi/stack/io.go`` ``SaveSnapshot``: ``pulumi stack import`` refuses a resource
  "from a different stack" (every URN names the stack imported into).
- ``sdk/go/common/resource/urn/urn.go`` (``IsValid``, ``QualifiedType``, ``Type``, ``New``) and
  ``sdk/go/common/providers/reference.go`` (``ParseReference``, ``validateURN``,
  ``IsProviderType``); ``pkg/cmd/pulumi/policy/policy_analyze.go`` rejects invalid URNs.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator, Mapping
from typing import Any

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
SIGNATURES = {
    "c44067f5952c0a294b673a41bacd8c17": "asset",
    "0def7320c3a5731c473e5ecbe6d01bc7": "archive",
    SECRET_SIG: "secret",
    "5cf8f73096256a8f31e491e813e4eb8e": "resource reference",
    "803fd3297a5875dc03ca845dda5d2a98": "byte string",
    "8ad145fe-0d11-4827-bfd7-1abcbf086f5c": "float",
}
URN_PREFIX = "urn:pulumi:"
ROOT_STACK_TYPE = "pulumi:pulumi:Stack"

UNTYPED_DEPLOYMENT_KEYS = {"version", "features", "deployment"}
DEPLOYMENT_V3_KEYS = {
    "manifest",
    "secrets_providers",
    "resources",
    "pending_operations",
    "metadata",
    "snippets",
    "extensions",
}
MANIFEST_V1_KEYS = {"time", "magic", "version", "plugins"}
RESOURCE_V3_KEYS = {
    "urn", "custom", "delete", "id", "type", "inputs", "outputs", "parent", "protect", "taint",
    "external", "dependencies", "initErrors", "provider", "propertyDependencies",
    "pendingReplacement", "additionalSecretOutputs", "aliases", "customTimeouts", "importID",
    "retainOnDelete", "deletedWith", "replaceWith", "created", "modified", "sourcePosition",
    "stackTrace", "ignoreChanges", "hideDiff", "replaceOnChanges", "replacementTrigger",
    "refreshBeforeUpdate", "viewOf", "resourceHooks", "extensionRef", "snippetID",
}  # fmt: skip
SECRET_V1_KEYS = {SIG_KEY, "ciphertext", "plaintext"}
# Go's time.Time.UnmarshalJSON takes RFC 3339.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_BOOL_FIELDS = (
    "custom", "delete", "protect", "taint", "external", "pendingReplacement", "retainOnDelete",
    "refreshBeforeUpdate",
)  # fmt: skip
_STRING_FIELDS = (
    "urn", "id", "type", "parent", "provider", "importID", "deletedWith", "sourcePosition",
    "viewOf", "extensionRef", "snippetID",
)  # fmt: skip
_STRING_LIST_FIELDS = (
    "dependencies", "initErrors", "additionalSecretOutputs", "aliases", "replaceWith",
    "ignoreChanges", "replaceOnChanges",
)  # fmt: skip


def new_magic(version: str) -> str:
    """``ManifestV1.NewMagic``."""
    return hashlib.sha256(version.encode()).hexdigest() if version else ""


def urn_is_valid(urn: str) -> bool:
    """``URN.IsValid``: the prefix and at least three ``::``."""
    return urn.startswith(URN_PREFIX) and urn.count("::") >= 3


def urn_qualified_type(urn: str) -> str:
    return urn[len(URN_PREFIX) :].split("::")[2]


def urn_type(urn: str) -> str:
    return urn_qualified_type(urn).rsplit("$", 1)[-1]


def is_provider_type(type_token: str) -> bool:
    """``providers.IsProviderType``: module ``pulumi:providers`` and a name."""
    parts = type_token.split(":")
    return len(parts) == 3 and parts[:2] == ["pulumi", "providers"] and parts[2] != ""


def parse_provider_reference(text: str) -> tuple[str, str]:
    """``providers.ParseReference``: ``<provider urn>::<id>``; raises ValueError."""
    if "::" not in text:
        raise ValueError(f"expected '::' in provider reference '{text}'")
    urn, provider_id = text.rsplit("::", 1)
    if not urn_is_valid(urn):
        raise ValueError(f"{urn} is not a valid URN")
    if not is_provider_type(urn_type(urn)):
        raise ValueError(f"invalid module in type of {urn}: expected 'pulumi:providers'")
    return urn, provider_id


def _values(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _values(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _values(item, f"{path}[{index}]")


def _property_problems(value: Any, path: str, has_secrets_provider: bool) -> list[str]:
    """``DeserializePropertyValue`` on one property value."""
    found: list[str] = []
    for where, item in _values(value, path):
        if not isinstance(item, dict) or SIG_KEY not in item:
            continue
        signature = item[SIG_KEY]
        if signature not in SIGNATURES:
            found.append(f"{where}: unrecognized signature '{signature}' in property map")
        elif signature == SECRET_SIG:
            found += _secret_problems(item, where, has_secrets_provider)
    return found


def _secret_problems(secret: Mapping[str, Any], where: str, has_provider: bool) -> list[str]:
    """``deserializeSecret`` and ``secretPropertyValueFromPlaintext``."""
    if set(secret) - SECRET_V1_KEYS:
        return [f"{where}: aksflow: secret has keys outside SecretV1: {sorted(set(secret))}"]
    cipher, plain = secret.get("ciphertext"), secret.get("plaintext")
    cipher_ok, plain_ok = isinstance(cipher, str), isinstance(plain, str)
    if cipher_ok == plain_ok or not (cipher or plain):
        return [f"{where}: malformed secret value: exactly one of `ciphertext` or `plaintext`"]
    if cipher_ok and not has_provider:
        return [f"{where}: snapshot contains encrypted secrets but no secrets manager"]
    if plain_ok:
        try:
            decoded = json.loads(str(plain))
        except json.JSONDecodeError as exc:
            return [f"{where}: plaintext is not JSON: {exc.msg}"]
        return _property_problems(decoded, f"{where}<plaintext>", has_provider)
    return []


def _resource_problems(i: int, res: Any, has_secrets_provider: bool) -> list[str]:
    if not isinstance(res, dict):
        return [f"resources[{i}]: not an object"]
    where = f"resources[{i}] ({res.get('urn')})"
    found = [f"{where}: unknown key {k!r}" for k in sorted(set(res) - RESOURCE_V3_KEYS)]
    found += [f"{where}.{k}: not a boolean" for k in _BOOL_FIELDS if not _is(res, k, bool)]
    found += [f"{where}.{k}: not a string" for k in _STRING_FIELDS if not _is(res, k, str)]
    for key in _STRING_LIST_FIELDS:
        if key in res and not _string_list(res[key]):
            found.append(f"{where}.{key}: not a list of strings")
    for key in ("inputs", "outputs"):
        if key in res and not isinstance(res[key], dict):
            found.append(f"{where}.{key}: not an object")
    deps = res.get("propertyDependencies", {})
    if not isinstance(deps, dict) or not all(_string_list(v) for v in deps.values()):
        found.append(f"{where}.propertyDependencies: not a map of URN lists")
    for key in ("created", "modified"):
        if key in res and not (isinstance(res[key], str) and _RFC3339.match(res[key])):
            found.append(f"{where}.{key}: not an RFC 3339 time")
    # DeserializeResource
    if not res.get("urn"):
        found.append(f"{where}: resource missing required 'urn' field")
    elif not urn_is_valid(str(res["urn"])):
        found.append(f"{where}: invalid URN {res['urn']!r} (policy analyze --file refuses it)")
    if not res.get("type"):
        found.append(f"{where}: resource missing required 'type' field")
    if not res.get("custom") and res.get("id"):
        found.append(f"{where}: resource has 'custom' false but non-empty ID")
    for key in ("inputs", "outputs", "replacementTrigger"):
        if key in res:
            found += _property_problems(res[key], f"{where}.{key}", has_secrets_provider)
    return found


def _is(doc: Mapping[str, Any], key: str, kind: type) -> bool:
    return key not in doc or isinstance(doc[key], kind)


def _string_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def verify_integrity(deployment: Mapping[str, Any]) -> list[str]:
    """``snapshot.VerifyIntegrity`` (integrity.go), message for message."""
    manifest = deployment.get("manifest") or {}
    if manifest.get("magic") != new_magic(str(manifest.get("version") or "")):
        return ["magic cookie mismatch: possible tampering/corruption detected"]
    resources = deployment.get("resources") or []
    urns: dict[str, list[Mapping[str, Any]]] = {}
    providers: set[tuple[str, str]] = set()

    def later(i: int, urn: str) -> bool:
        return any(other.get("urn") == urn for other in resources[i + 1 :])

    for i, res in enumerate(resources):
        urn = res.get("urn") or ""
        if not urn:
            return [f"resource at index {i} missing required 'urn' field"]
        if not res.get("type"):
            return [f"resource '{urn}' missing required 'type' field"]
        if not res.get("custom") and res.get("id"):
            return [f"resource '{urn}' has 'custom false but non-empty ID"]
        if is_provider_type(str(res["type"])):
            if not urn_is_valid(urn) or not is_provider_type(urn_type(urn)):
                return [f"provider {urn} is not referenceable"]
            # NewReference: an empty id is the unknown id
            providers.add((urn, res.get("id") or "04da6b54-80e4-46f7-96ec-b56ff0331ba9"))
        if res.get("provider"):
            try:
                ref = parse_provider_reference(str(res["provider"]))
            except ValueError as exc:
                return [f"failed to parse provider reference for resource {urn}: {exc}"]
            if ref not in providers and not res.get("pendingReplacement"):
                return [f"resource {urn} refers to unknown provider {res['provider']}"]
        parent = res.get("parent") or ""
        if parent and parent not in urns:
            if later(i, parent):
                return [f"child resource {urn}'s parent {parent} comes after it"]
            return [f"child resource {urn} refers to missing parent {parent}"]
        for dep in res.get("dependencies") or []:
            if dep not in urns:
                if later(i, dep):
                    return [f"resource {urn}'s dependency {dep} comes after it"]
                return [f"resource {urn} refers to missing dependency {dep}"]
        for deps in (res.get("propertyDependencies") or {}).values():
            for dep in deps:
                if dep not in urns:
                    if later(i, dep):
                        return [f"resource {urn}'s property dependency {dep} comes after it"]
                    return [f"resource {urn} refers to missing property dependency {dep}"]
        deleted_with = res.get("deletedWith") or ""
        if deleted_with and deleted_with not in urns:
            if later(i, deleted_with):
                return [f"resource {urn} is specified as being deleted with {deleted_with}, after"]
            return [f"resource {urn} is specified as being deleted with {deleted_with}, missing"]
        urns.setdefault(urn, []).append(res)
    for urn, states in urns.items():
        deletes = sum(1 for s in states if s.get("delete"))
        if len(states) > 1 and deletes not in (len(states) - 1, len(states)):
            return [f"duplicate resource {urn} (not marked for deletion)"]
    return []


def _parent_urn_problems(deployment: Mapping[str, Any]) -> list[str]:
    """``VerifyIntegrity`` only warns; aksflow promises it: a child's URN is ``urn.New``'s."""
    found = []
    by_urn = {r.get("urn"): r for r in deployment.get("resources") or []}
    for res in by_urn.values():
        parent = res.get("parent")
        if not parent or parent not in by_urn or not urn_is_valid(str(res.get("urn"))):
            continue
        expected = urn_type(res["urn"])
        if urn_qualified_type(parent) != ROOT_STACK_TYPE:
            expected = f"{urn_qualified_type(parent)}${expected}"
        if urn_qualified_type(res["urn"]) != expected:
            found.append(f"aksflow: child resource {res['urn']} has parent {parent} but its URN ")
    return found


def problems(doc: Any) -> list[str]:
    """Everything the CLI (or aksflow's stricter promise) would refuse in a stack export."""
    if not isinstance(doc, dict):
        return ["not a JSON object"]
    found = [f"unknown key {k!r}" for k in sorted(set(doc) - UNTYPED_DEPLOYMENT_KEYS)]
    version = doc.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or not 1 <= version <= 4:
        found.append(f"version {version!r}: the CLI reads deployment versions 1 to 4")
    elif version != 3:
        found.append(f"aksflow: version {version}: aksflow writes deployment version 3")
    deployment = doc.get("deployment")
    if not isinstance(deployment, dict):
        return [*found, "deployment: not an object"]
    found += [
        f"deployment: unknown key {k!r}" for k in sorted(set(deployment) - DEPLOYMENT_V3_KEYS)
    ]
    manifest = deployment.get("manifest")
    if not isinstance(manifest, dict):
        return [*found, "deployment.manifest: not an object"]
    found += [f"manifest: unknown key {k!r}" for k in sorted(set(manifest) - MANIFEST_V1_KEYS)]
    if not (isinstance(manifest.get("time"), str) and _RFC3339.match(manifest["time"])):
        found.append("manifest.time: not an RFC 3339 time")
    providers = deployment.get("secrets_providers") or {}
    has_secrets_provider = isinstance(providers, dict) and bool(providers.get("type"))
    resources = deployment.get("resources") or []
    if not isinstance(resources, list):
        return [*found, "deployment.resources: not a list"]
    for i, res in enumerate(resources):
        found += _resource_problems(i, res, has_secrets_provider)
    if found:
        return found
    found += verify_integrity(deployment)
    found += _parent_urn_problems(deployment)
    stacks = {str(r["urn"])[len(URN_PREFIX) :].split("::")[0] for r in resources}
    if len(stacks) > 1:
        found.append(f"resources from different stacks ({', '.join(sorted(stacks))})")
    roots = [r for r in resources if r.get("type") == ROOT_STACK_TYPE and not r.get("parent")]
    if len(roots) != 1 or resources[0] is not roots[0]:
        found.append("aksflow: exactly one root pulumi:pulumi:Stack, listed first")
    return found
