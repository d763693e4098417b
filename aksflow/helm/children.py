"""How pulumi-kubernetes registers a ``helm.v4.Chart``'s rendered objects as child resources.

A port of the provider's ``Construct`` tail (pulumi/pulumi-kubernetes at 94977969):
``provider/pkg/provider/helm/v4/chart.go:278-344`` hands the rendered objects to ``Normalize`` and
``Register`` in ``provider/pkg/provider/yaml/v2/yaml.go``, which order them with kubernetes-sigs/
cli-utils v0.37.2 (``pkg/object/graph``, ``pkg/object/dependson``, ``pkg/object/mutation``,
``pkg/ordering``). Step by step:

1. :func:`normalize` (``yaml.go:147-260``): any object with an ``items`` array is a List and is
   replaced by its items; every object needs kind, apiVersion and ``metadata.name``;
   ``core/<v>`` becomes ``<v>``; an object *without* a namespace gets the Chart's namespace when
   its kind is namespaced. A namespace already set is never touched, whatever the kind. The
   scope comes from the provider's kind table (:mod:`aksflow.helm.kinds`), else a CRD in the
   render, else a CRD registered earlier in the program (the provider's CRD cache), else it is
   unresolved: the object stays without a namespace and the Chart warns.
2. :func:`register_order` (``yaml.go:275-328``): cli-utils ``DependencyGraph`` (CRD, Namespace,
   ``depends-on`` and ``apply-time-mutation`` edges; any annotation error fails the Chart), then
   ``Sort`` into dependency levels, each level in cli-utils' kind order (``HydrateSetList``).
3. per object (``yaml.go:330-411``, ``chart.go:321-344``): name ``[prefix:][ns/]name``,
   ``pulumi.com/skipAwait`` when asked, ``v1/Secret`` ``data``/``stringData`` secret,
   ``helm.sh/resource-policy: keep`` -> ``retainOnDelete``, type token from the SDK's switch.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import yaml

from aksflow import wellformed
from aksflow.errors import RenderError
from aksflow.helm.kinds import builtin_scope, type_token
from aksflow.helm.render import RenderedObject
from aksflow.yamlio import yaml_error

DEPENDS_ON = "config.kubernetes.io/depends-on"
APPLY_TIME_MUTATION = "config.kubernetes.io/apply-time-mutation"
SKIP_AWAIT = "pulumi.com/skipAwait"
RESOURCE_POLICY = "helm.sh/resource-policy"
CRD_GROUP = "apiextensions.k8s.io"


class ObjectId(NamedTuple):
    """cli-utils ``ObjMetadata``: what the dependency graph knows an object by (no version)."""

    group: str
    kind: str
    namespace: str
    name: str

    def reference(self) -> str:
        """The ``depends-on`` spelling: ``group/Kind/name`` or ``group/namespaces/ns/Kind/name``."""
        if self.namespace:
            return f"{self.group}/namespaces/{self.namespace}/{self.kind}/{self.name}"
        return f"{self.group}/{self.kind}/{self.name}"


@dataclass(frozen=True)
class ChartChild:
    """One child resource of a v4 Chart, as the provider would register it."""

    type_token: str  # "kubernetes:apps/v1:Deployment", CR -> "kubernetes:<apiVersion>:<kind>"
    name: str  # "<prefix>:<ns>/<name>" or "<prefix>:<name>" without a namespace
    manifest: dict[str, Any]  # the normalised object: the resource's inputs
    depends_on: tuple[str, ...]  # names of sibling children it depends on
    secret_paths: tuple[str, ...]  # ("data", "stringData") for a v1 Secret
    template: str
    # The same edges as (type_token, name): names alone repeat across kinds (a Service and a
    # Deployment both named "web:web/web"), so this is the unambiguous form.
    dependencies: tuple[tuple[str, str], ...] = ()
    retain_on_delete: bool = False


@dataclass
class ChartChildren:
    """The registered children, in registration order, and the Chart's warnings."""

    children: list[ChartChild]
    warnings: list[str] = field(default_factory=list)


def chart_children(
    objects: Sequence[RenderedObject],
    *,
    resource_prefix: str,
    namespace: str,
    skip_await: bool = False,
    known_crds: Sequence[Mapping[str, Any]] = (),
) -> ChartChildren:
    """The children a v4 Chart registers for ``objects``, in the provider's registration order.

    ``namespace`` is the Chart's namespace (else the provider's default); ``known_crds`` are the
    CustomResourceDefinitions registered earlier in the program with the Chart's provider.
    """
    normalised, unresolved = normalize(objects, namespace or "default", known_crds)
    warnings = []
    if unresolved:
        # yaml.go:206-225 WarnUnresolvedNamespaceScope, once per kind, in first-seen order.
        warnings.append(
            "Unable to determine whether the following kinds are namespaced without a reachable "
            "cluster or a matching CustomResourceDefinition, so they are rendered without a "
            f"namespace: {', '.join(dict.fromkeys(unresolved))}. Set .metadata.namespace "
            "explicitly, or include the CustomResourceDefinition, to control the namespace."
        )
    levels, edges = register_order(normalised)
    children: list[ChartChild] = []
    registered: dict[ObjectId, ChartChild] = {}
    for level in levels:
        for obj_id, obj in level:
            deps = [registered[dep] for dep in edges.get(obj_id, ()) if dep in registered]
            child = _child(obj, resource_prefix, skip_await, deps, warnings)
            children.append(child)
            registered[obj_id] = child
    return ChartChildren(children=children, warnings=warnings)


# --- Normalize (yaml.go:147-260) ----------------------------------------------------------------


def normalize(
    objects: Sequence[RenderedObject],
    namespace: str,
    known_crds: Sequence[Mapping[str, Any]] = (),
) -> tuple[list[RenderedObject], list[str]]:
    """Lists expanded, core group canonical, namespace defaulted; and the unresolved GVKs."""
    expanded = [
        RenderedObject(manifest=copy.deepcopy(obj.manifest), template=obj.template)
        for obj in _expand(objects)
    ]
    manifests = [obj.manifest for obj in expanded]
    unresolved: list[str] = []
    for obj in expanded:
        manifest = obj.manifest
        group, version, kind = _gvk(manifest)
        if not kind or not (group or version):
            raise RenderError(
                f"{obj.template}: Kubernetes resources require a kind and apiVersion"
                f" (yaml.go Normalize)"
            )
        metadata = manifest.get("metadata")
        if not isinstance(metadata, dict) or not _string(metadata.get("name")):
            raise RenderError(
                f"{obj.template}: a {kind}: Kubernetes resources require a .metadata.name"
            )
        # Not the provider's: the API server would refuse it at server-side dry-run, and the
        # offline gate must not read a wrong-typed field as absent (aksflow.wellformed).
        wellformed.check_object(manifest, where=obj.template, position="")
        if group == "core":  # yaml.go:174-178
            group = ""
            manifest["apiVersion"] = version
        if _string(metadata.get("namespace")):
            continue  # yaml.go:180-183: a namespace already set is kept, whatever the kind
        scope = _scope(group, version, kind, manifests, known_crds)
        if scope is None:
            unresolved.append(_gvk_string(group, version, kind))
        elif scope:
            metadata["namespace"] = namespace
    return expanded, unresolved


def _expand(objects: Iterable[RenderedObject]) -> Iterable[RenderedObject]:
    """``Unstructured.IsList``: any object whose ``items`` is an array is a List (yaml.go:248)."""
    for obj in objects:
        items = obj.manifest.get("items")
        if isinstance(items, list):
            for item in items:
                if not isinstance(item, dict):
                    raise RenderError(
                        f"{obj.template}: YAML object is invalid: items member is not an object"
                    )
                yield from _expand([RenderedObject(manifest=item, template=obj.template)])
        else:
            yield obj


def _gvk(manifest: Mapping[str, Any]) -> tuple[str, str, str]:
    """(group, version, kind) as apimachinery parses them; ("", "", "") when unparseable."""
    api_version = _string(manifest.get("apiVersion"))
    kind = _string(manifest.get("kind"))
    if api_version.count("/") > 1:
        return "", "", ""  # schema.ParseGroupVersion fails: GroupVersionKind() is empty
    group, _, version = api_version.rpartition("/")
    return group, version, kind


def _gvk_string(group: str, version: str, kind: str) -> str:
    """``schema.GroupVersionKind.String()``: ``group/version, Kind=kind``."""
    return f"{group}/{version}, Kind={kind}"


def _string(value: Any) -> str:
    """``unstructured`` getters: a non-string value reads as ""."""
    return value if isinstance(value, str) else ""


def _scope(
    group: str,
    version: str,
    kind: str,
    manifests: Sequence[Mapping[str, Any]],
    known_crds: Sequence[Mapping[str, Any]],
) -> bool | None:
    """``clients.IsNamespacedKind`` (clients.go:189-237) without a reachable cluster."""
    table = builtin_scope(group, version, kind)
    if table is not None:
        return table
    # clients.go:206-211 FindCRD: the first CRD in the render defining group/kind.
    for manifest in manifests:
        if _is_provider_crd(manifest) and _crd_group_kind(manifest) == (group, kind):
            return _crd_scope(manifest) == "Namespaced"
    # clients.go:213-218 CRDCache: the last CRD the program registered for group/kind.
    for manifest in reversed(known_crds):
        cached = _crd_group_kind(manifest) if _is_provider_crd(manifest) else None
        if cached is not None and all(cached) and cached == (group, kind):
            return _crd_scope(manifest) == "Namespaced"
    return None  # clients.go:222-223: NoNamespaceInfoErr (no discovery offline)


def _is_provider_crd(manifest: Mapping[str, Any]) -> bool:
    """``clients.IsCRD`` (clients.go:297-300): kind and an ``apiextensions.k8s.io/`` apiVersion."""
    return manifest.get("kind") == "CustomResourceDefinition" and _string(
        manifest.get("apiVersion")
    ).startswith(f"{CRD_GROUP}/")


def _crd_group_kind(
    manifest: Mapping[str, Any], *, required: bool = False
) -> tuple[str, str] | None:
    """``spec.group`` and ``spec.names.kind``; None when not strings.

    The provider's ``FindCRD`` reads a missing field as "" (``NestedString``); cli-utils'
    ``GetCRDGroupKind`` (``required``) needs both present.
    """
    spec = manifest.get("spec")
    spec = spec if isinstance(spec, dict) else {}
    names = spec.get("names")
    names = names if isinstance(names, dict) else {}
    if required and ("group" not in spec or "kind" not in names):
        return None
    group, kind = spec.get("group", ""), names.get("kind", "")
    if not isinstance(group, str) or not isinstance(kind, str):
        return None
    return group, kind


def _crd_scope(manifest: Mapping[str, Any]) -> str:
    spec = manifest.get("spec")
    return _string(spec.get("scope")) if isinstance(spec, dict) else ""


# --- Register order (yaml.go:275-328, cli-utils graph) ------------------------------------------


def object_id(manifest: Mapping[str, Any]) -> ObjectId:
    """cli-utils ``UnstructuredToObjMetadata``."""
    group, _version, kind = _gvk(manifest)
    metadata = manifest.get("metadata")
    metadata = metadata if isinstance(metadata, dict) else {}
    return ObjectId(group, kind, _string(metadata.get("namespace")), _string(metadata.get("name")))


Level = list[tuple[ObjectId, RenderedObject]]


def register_order(
    objects: Sequence[RenderedObject],
) -> tuple[list[Level], dict[ObjectId, list[ObjectId]]]:
    """Dependency levels, each in cli-utils apply order, and each object's dependencies.

    Objects with the same ObjMetadata share one graph vertex and only the last is registered
    (cli-utils ``HydrateSetList`` maps each id back to one object, depends.go:57-85).
    """
    ids = [object_id(obj.manifest) for obj in objects]
    edges: dict[ObjectId, list[ObjectId]] = {obj_id: [] for obj_id in ids}
    errors: list[str] = []

    def add_edge(source: ObjectId, target: ObjectId) -> None:
        if target not in edges[source]:
            edges[source].append(target)

    manifests = [obj.manifest for obj in objects]
    _crd_edges(manifests, ids, add_edge)
    _namespace_edges(manifests, ids, add_edge)
    id_set = set(ids)
    templates = [obj.template for obj in objects]
    for obj_id, manifest, template in zip(ids, manifests, templates, strict=True):
        annotations = _string_annotations(manifest)
        if DEPENDS_ON in annotations:
            found = _depends_on_edges(obj_id, annotations[DEPENDS_ON], id_set, add_edge)
            errors += [f"{template}: {error}" for error in found]
    for obj_id, manifest, template in zip(ids, manifests, templates, strict=True):
        annotations = _string_annotations(manifest)
        if APPLY_TIME_MUTATION in annotations:
            found = _mutation_edges(obj_id, annotations[APPLY_TIME_MUTATION], id_set, add_edge)
            errors += [f"{template}: {error}" for error in found]
    if errors:
        # One headline naming the template, the object and the annotation; each further
        # problem on its own line, then what failed (each may carry its parser's detail).
        raise RenderError(
            "\n".join(
                [
                    *errors,
                    "  the rendered objects' dependencies are invalid (cli-utils DependencyGraph)",
                ]
            )
        )
    by_id = {obj_id: obj for obj_id, obj in zip(ids, objects, strict=True)}
    levels = [
        sorted(
            ((obj_id, by_id[obj_id]) for obj_id in level), key=lambda pair: _apply_order(pair[0])
        )
        for level in _sort(edges)
    ]
    return levels, edges


def _annotations(manifest: Mapping[str, Any]) -> dict[str, Any]:
    metadata = manifest.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, dict) else None
    return annotations if isinstance(annotations, dict) else {}


def _string_annotations(manifest: Mapping[str, Any]) -> dict[str, str]:
    """``Unstructured.GetAnnotations``: empty unless every annotation value is a string."""
    annotations = _annotations(manifest)
    if all(isinstance(value, str) for value in annotations.values()):
        return annotations
    return {}


def _crd_edges(
    manifests: Sequence[Mapping[str, Any]], ids: Sequence[ObjectId], add_edge: Any
) -> None:
    """graph/depends.go:276-298 addCRDEdges: a custom resource depends on its CRD."""
    crds: dict[tuple[str, str], ObjectId] = {}
    for manifest, obj_id in zip(manifests, ids, strict=True):
        if (obj_id.group, obj_id.kind) == (CRD_GROUP, "CustomResourceDefinition"):
            group_kind = _crd_group_kind(manifest, required=True)
            if group_kind is not None:
                crds[group_kind] = obj_id
    for obj_id in ids:
        target = crds.get((obj_id.group, obj_id.kind))
        if target is not None:
            add_edge(obj_id, target)


def _namespace_edges(
    manifests: Sequence[Mapping[str, Any]], ids: Sequence[ObjectId], add_edge: Any
) -> None:
    """graph/depends.go:304-325 addNamespaceEdges: an object depends on its Namespace."""
    del manifests
    namespaces = {
        obj_id.name: obj_id for obj_id in ids if (obj_id.group, obj_id.kind) == ("", "Namespace")
    }
    for obj_id in ids:
        if obj_id.namespace and obj_id.namespace in namespaces:
            add_edge(obj_id, namespaces[obj_id.namespace])


def parse_depends_on(annotation: str) -> list[ObjectId]:
    """cli-utils ``ParseDependencySet`` (dependson/strings.go:55-145); RenderError if malformed."""
    refs = []
    for index, entry in enumerate(annotation.split(",")):
        text = entry.strip()
        fields = text.split("/")
        if len(fields) not in (3, 5):
            raise RenderError(
                f"failed to parse object reference (index: {index}): expected 3 or 5 fields, "
                f"found {len(fields)}: {text!r}"
            )
        if len(fields) == 3:
            refs.append(ObjectId(fields[0], fields[1], "", fields[2]))
        elif fields[1] != "namespaces":
            raise RenderError(
                f'failed to parse object reference (index: {index}): missing "namespaces" '
                f"field: {text!r}"
            )
        else:
            refs.append(ObjectId(fields[0], fields[3], fields[2], fields[4]))
    return refs


def _depends_on_edges(
    source: ObjectId, annotation: Any, ids: set[ObjectId], add_edge: Any
) -> list[str]:
    """graph/depends.go:208-270 addDependsOnEdges."""
    where = f"{source.reference()}: annotation {DEPENDS_ON}"
    try:
        refs = parse_depends_on(_string(annotation))
    except RenderError as exc:
        return [f"{where}: {exc}"]
    errors = []
    seen: set[ObjectId] = set()
    for ref in refs:
        if ref in seen:  # depends.go:224-239
            errors.append(
                f"{where}: duplicate dependency: {source.reference()} -> {ref.reference()}"
            )
            continue
        seen.add(ref)
        if ref not in ids:  # depends.go:242-256
            errors.append(
                f"{where}: external dependency: {source.reference()} -> {ref.reference()} "
                "(not in this chart's render)"
            )
            continue
        add_edge(source, ref)
    return errors


def _mutation_edges(
    source: ObjectId, annotation: Any, ids: set[ObjectId], add_edge: Any
) -> list[str]:
    """graph/depends.go:152-203 addApplyTimeMutationEdges (mutation/annotation.go)."""
    where = f"{source.reference()}: annotation {APPLY_TIME_MUTATION}"
    text = _string(annotation)
    try:
        substitutions = yaml.safe_load(text) or []
    except yaml.YAMLError as exc:
        return [yaml_error(text, where, exc)]
    if not isinstance(substitutions, list) or not all(isinstance(s, dict) for s in substitutions):
        return [f"{where}: expected a list of field substitutions"]
    errors = []
    seen: set[ObjectId] = set()
    for substitution in substitutions:
        ref = substitution.get("sourceRef") or {}
        if not isinstance(ref, dict) or not all(isinstance(v, str) for v in ref.values()):
            errors.append(f"{where}: sourceRef must be an object of strings")
            continue
        group = ref.get("group") or ref.get("apiVersion", "").rpartition("/")[0]
        if not ref.get("group") and ref.get("apiVersion", "").count("/") > 1:
            group = ""
        target = ObjectId(group, ref.get("kind", ""), ref.get("namespace", ""), ref.get("name", ""))
        if target in seen:  # duplicates are skipped here, not errors (depends.go:169-172)
            continue
        seen.add(target)
        if target not in ids:
            errors.append(
                f"{where}: external dependency: {source.reference()} -> {target.reference()}"
            )
            continue
        add_edge(source, target)
    return errors


def _sort(edges: Mapping[ObjectId, list[ObjectId]]) -> list[list[ObjectId]]:
    """graph/graph.go:150-183 ``Sort``: peel off the vertices with no dependencies left."""
    remaining = {vertex: set(deps) for vertex, deps in edges.items()}
    levels = []
    while remaining:
        leaves = [vertex for vertex, deps in remaining.items() if not deps]
        if not leaves:
            cycle = sorted(
                (
                    f"{v.reference()} -> {d.reference()}"
                    for v, deps in remaining.items()
                    for d in deps
                )
            )
            raise RenderError(
                "the rendered objects' dependencies are invalid (cli-utils DependencyGraph): "
                f"cyclic dependency: {'; '.join(cycle)}"
            )
        for leaf in leaves:
            del remaining[leaf]
        for deps in remaining.values():
            deps.difference_update(leaves)
        levels.append(leaves)
    return levels


# cli-utils pkg/ordering/sort.go:67-109: kinds applied first (in this order) and last.
_ORDER_FIRST = (
    ("", "Namespace"),
    ("", "ResourceQuota"),
    ("storage.k8s.io", "StorageClass"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("", "ServiceAccount"),
    ("extensions", "PodSecurityPolicy"),
    ("policy", "PodSecurityPolicy"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("", "ConfigMap"),
    ("", "Secret"),
    ("", "Service"),
    ("", "LimitRange"),
    ("scheduling.k8s.io", "PriorityClass"),
    ("extensions", "Deployment"),
    ("apps", "Deployment"),
    ("apps", "StatefulSet"),
    ("batch", "CronJob"),
    ("policy", "PodDisruptionBudget"),
)
_ORDER_LAST = (("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),)
_GROUP_KIND_INDEX = {
    **{gk: i - len(_ORDER_FIRST) for i, gk in enumerate(_ORDER_FIRST)},
    **{gk: 1 + i for i, gk in enumerate(_ORDER_LAST)},
}


def _apply_order(obj_id: ObjectId) -> tuple[int, str, str, str, str]:
    """cli-utils ``ordering.less`` (sort.go:55-65 and IsLessThan :115-125)."""
    index = _GROUP_KIND_INDEX.get((obj_id.group, obj_id.kind), 0)
    return (index, obj_id.group, obj_id.kind, obj_id.namespace, obj_id.name)


# --- register (yaml.go:330-411, chart.go:321-344) -----------------------------------------------


def _child(
    obj: RenderedObject,
    prefix: str,
    skip_await: bool,
    deps: Sequence[ChartChild],
    warnings: list[str],
) -> ChartChild:
    manifest = obj.manifest
    metadata = manifest["metadata"]
    api_version, kind = _string(manifest.get("apiVersion")), _string(manifest.get("kind"))
    name = _string(metadata.get("name"))
    namespace = _string(metadata.get("namespace"))
    resource_name = f"{namespace}/{name}" if namespace else name
    if prefix:
        resource_name = f"{prefix}:{resource_name}"
    if skip_await:  # yaml.go:354-381
        if not isinstance(metadata.get("annotations"), dict):
            metadata["annotations"] = {}
        metadata["annotations"][SKIP_AWAIT] = "true"
    retain = False
    policy = _annotations(manifest).get(RESOURCE_POLICY)
    if isinstance(policy, str):  # chart.go:326-341 (NestedString: a non-string is ignored)
        if policy == "keep":
            retain = True
        else:
            warnings.append(f'Unsupported Helm resource policy "{policy}"')
    return ChartChild(
        type_token=type_token(api_version, kind),
        name=resource_name,
        manifest=manifest,
        depends_on=tuple(dep.name for dep in deps),
        secret_paths=("data", "stringData") if f"{api_version}/{kind}" == "v1/Secret" else (),
        template=obj.template,
        dependencies=tuple((dep.type_token, dep.name) for dep in deps),
        retain_on_delete=retain,
    )
