"""One rendering seam, two backends: Helm's Go library in-process, or the ``helm`` binary.

``make_renderer()`` returns the helm-python-sdk backend (``helm_python``: Helm's own Go library
through ctypes, no binary) unless a ``helm`` binary is given or found on PATH, in which case the
pyhelm3 backend drives it. Both produce the same :class:`RenderedObject` list for a request:

- documents are split with Helm's separator rule and empty ones dropped, ``NOTES.txt`` skipped,
  hook objects dropped (the v4 Chart resource renders with hooks disabled), CRDs from ``crds/``
  included (as the v4 Chart does unless ``skipCrds``);
- ``Capabilities.KubeVersion`` is the request's ``kube_version`` and the chart's ``kubeVersion``
  constraint is enforced, as ``helm template --kube-version`` does; ``Capabilities.APIVersions``
  adds what a cluster of that minor serves (:mod:`aksflow.helm.capabilities`), as the provider's
  render against a reachable cluster has them;
- each object is mapped to the project-relative template file it came from;
- objects are sorted by (template, apiVersion, kind, namespace, name), so the order does not
  depend on the backend;
- every failure is a :class:`RenderError` naming the app, the environment, the chart file and
  Helm's message; a vendored archive is verified against its lock before it is loaded.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import shutil
import threading
from collections.abc import Coroutine, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import yaml

from aksflow.errors import RenderError, YamlError
from aksflow.helm import capabilities, kubeversion
from aksflow.helm.lock import lock_for_archive, verify_archive
from aksflow.yamlio import parse_json, read_yaml, yaml_error

# Helm's releaseutil.SplitManifests separator (Go: `(?:^|\s*\n)---\s*`).
HELM_SEPARATOR = re.compile(r"(?:^|\s*\n)---\s*")
NOTES_SUFFIX = "NOTES.txt"
HOOK_ANNOTATION = "helm.sh/hook"
_SOURCE_LINE = re.compile(r"^# Source: (?P<path>.+)$", re.MULTILINE)
# Helm error positions look like "(web/templates/deployment.yaml:12:3)".
# Helm (santhosh-tekuri/jsonschema) lists each violation as "- at '/json/pointer': detail".
_SCHEMA_VIOLATION = re.compile(r"^\s*- at '(?P<pointer>[^']*)': (?P<detail>.+)$", re.MULTILINE)


def _pointer_path(pointer: str) -> str:
    """``/resources/limits/0`` -> ``resources.limits[0]``; the root is ``(values)``."""
    path = ""
    for part in pointer.split("/")[1:]:
        part = part.replace("~1", "/").replace("~0", "~")
        path += f"[{part}]" if part.isdigit() else (f".{part}" if path else part)
    return path or "(values)"


_ERROR_POSITION = re.compile(r"\((?P<path>[^():\s]+\.[A-Za-z]+)(?::\d+)*\)")
# A template execution error (text/template ExecError), as Helm v3 prints it on one line and
# Helm v4 over three: `web/templates/x.yaml:17:10: executing "web/templates/x.yaml" at
# <.Values.a.b>: nil pointer ...`; an `include` nests one inside another, innermost last.
_EXEC_POSITION = re.compile(
    r"(?P<path>[\w.-]+(?:/[\w.-]+)*\.[A-Za-z]+):(?P<position>\d+(?::\d+)?):?\s+"
    r'executing "[^"]*" at <(?P<at>[^>]*)>:'
)

# Helm's chart loader: `cannot load Chart.yaml: error converting YAML to JSON: yaml: line 5: x`
# (loader/load.go) and its metadata check `validation: chart.metadata.version "x" is invalid`
# (chart/metadata.go Validate).
_CHART_LOAD_ERROR = re.compile(r"cannot load (?P<file>[\w./-]+): (?P<rest>.*)", re.DOTALL)
_GO_YAML_LINE = re.compile(r"yaml: line (?P<line>\d+): (?P<problem>.+)")
_CHART_METADATA_ERROR = re.compile(
    r"validation: chart\.metadata\.(?P<key>\w+) (?P<problem>.+)", re.DOTALL
)
# helm template (v3): `YAML parse error on web/templates/x.yaml: error converting YAML to JSON:
# yaml: line 22: did not find expected node content` (pkg/releaseutil/manifest_sorter.go).
_RENDERED_YAML_ERROR = re.compile(
    r"YAML parse error on (?P<path>\S+): (?:error converting YAML to JSON: )?(?P<problem>.+)",
    re.DOTALL,
)
_MISSING_DEPENDENCY = re.compile(
    r"found in Chart\.yaml, but missing in charts/ directory: (?P<names>.+)"
)
_HELM_DEBUG_HINT = "Use --debug flag to render out invalid YAML"

T = TypeVar("T")


@dataclass(frozen=True)
class RenderRequest:
    """One chart to render for one app in one environment."""

    chart: Path  # absolute path: local chart directory or vendored .tgz
    release_name: str
    namespace: str
    values: Mapping[str, Any]
    kube_version: str | None  # e.g. "1.34" from the cluster config -> Helm Capabilities
    app: str  # for messages
    environment: str  # for messages
    include_crds: bool = True  # the chart's crds/ directory (a v4 Chart's skipCrds: false)


@dataclass(frozen=True)
class RenderedObject:
    """One rendered Kubernetes object and the template file it came from."""

    manifest: dict[str, Any]
    template: str  # project-relative, e.g. "apps/web/chart/templates/service.yaml"


class Renderer(Protocol):
    """A Helm backend."""

    name: str

    def render(self, request: RenderRequest) -> list[RenderedObject]:
        """Render the request's chart; raise :class:`RenderError` on any failure."""
        ...


def make_renderer(helm_binary: str | None = None) -> Renderer:
    """helm-python-sdk by default; pyhelm3 when ``helm_binary`` is given or ``helm`` is on PATH."""
    binary = helm_binary or shutil.which("helm")
    if binary is not None:
        return Pyhelm3Renderer(binary)
    return HelmPythonRenderer()


# --- shared by both backends -------------------------------------------------------------------


@dataclass(frozen=True)
class _Context:
    """What both backends derive from a request before rendering."""

    request: RenderRequest
    chart: Path
    chart_label: str  # project-relative chart path, for messages and template paths
    kube_version: str | None  # "v1.34.0"
    api_versions: tuple[str, ...] = ()  # the cluster's "group/version" and "group/version/Kind"

    @property
    def prefix(self) -> str:
        return f"app {self.request.app} ({self.request.environment})"

    def error(self, what: str, message: str, file: str | None = None) -> RenderError:
        """A RenderError naming app, environment, chart file and Helm's message."""
        return RenderError(f"{self.prefix}: {file or self.chart_label}: {what}: {message.strip()}")

    def schema_error(self, message: str) -> RenderError:
        """Helm's values.schema.json report with the first failing key in the headline.

        Helm lists violations as ``- at '/a/b/0': detail`` under two lines of preamble; the
        headline becomes ``app web (dev): a.b[0]: detail (<chart>/values.schema.json)``.
        """
        schema = self.chart_file("values.schema.json")
        found = [(m["pointer"], m["detail"].strip()) for m in _SCHEMA_VIOLATION.finditer(message)]
        if "not valid against metaschema" in message:
            # The schema itself is broken: the pointers are into values.schema.json.
            lines = [f"{pointer or '(schema)'}: {detail}" for pointer, detail in found]
            headline = f"{self.prefix}: {schema}: {lines[0] if lines else 'invalid'}"
            lines = [f"{headline} (not a valid JSON Schema)", *_indented(message)]
            return RenderError("\n".join(lines))
        if not found:
            return self._unreadable_schema(schema, message)
        # "additional properties 'x' not allowed" is about the key x, not its parent.
        found = [
            (f"{pointer}/{extra[1]}", detail)
            if (extra := _EXTRA_KEY.match(detail))
            else (pointer, detail)
            for pointer, detail in found
        ]
        lines = [f"{_pointer_path(pointer)}: {detail}" for pointer, detail in found]
        source = self._values_source(found[0][0])
        where = f"{source}: " if source else ""
        headline = f"{self.prefix}: {where}{lines[0]} (values break {schema})"
        return RenderError("\n".join([headline, *(f"  also {line}" for line in lines[1:])]))

    def _values_source(self, pointer: str) -> str | None:
        """``apps/<app>/values-<env>.yaml:<line>`` when that file (else the app's values.yaml)
        is what sets the failing value; ``None`` when no values file of the app supplies it."""
        keys: list[str | int] = [
            int(part) if part.isdigit() else part
            for part in (p.replace("~1", "/").replace("~0", "~") for p in pointer.split("/")[1:])
        ]
        chart = self.chart.resolve()
        root = next((p for p in chart.parents if (p / "Pulumi.yaml").is_file()), None)
        if not keys or root is None:
            return None
        from aksflow.locate import find_line

        wanted = _value_at(self.request.values, keys)
        for name in (f"values-{self.request.environment}.yaml", "values.yaml"):
            path = root / "apps" / self.request.app / name
            try:
                supplied = _value_at(read_yaml(path), keys) if path.is_file() else _MISSING
            except YamlError:
                return None
            if supplied is _MISSING:
                continue
            if supplied != wanted:  # this file sets it, yet the chart got another value
                return None
            found = find_line(path, keys)
            line = f":{found[0]}" if found and found[1] == len(keys) else ""
            return f"{path.relative_to(root).as_posix()}{line}"
        return None

    def _unreadable_schema(self, schema: str, message: str) -> RenderError:
        """Helm could not read values.schema.json (not JSON): name its line, Helm's words after."""
        problem = next((ln for ln in reversed(message.splitlines()) if ln.strip()), message)
        headline = f"{schema}: cannot read the schema: {problem.strip()}"
        if self.chart.is_dir():
            try:
                parse_json((self.chart / "values.schema.json").read_bytes(), schema)
            except YamlError as exc:  # "<schema>:<line>: invalid JSON: <problem>"
                headline = f"{exc} ({problem.strip()})"
            except OSError:
                pass
        return RenderError("\n".join([f"{self.prefix}: {headline}", *_indented(message)]))

    def load_error(self, message: str) -> RenderError:
        """Helm could not load the chart: the chart file (and its line or key) first.

        ``cannot load Chart.yaml: error converting YAML to JSON: yaml: line 5: <problem>``
        becomes ``<chart>/Chart.yaml:5: invalid YAML: <problem>``; Helm's metadata check
        ``validation: chart.metadata.version "x" is invalid`` names the Chart.yaml key.
        """
        message = message.strip()
        loading = _CHART_LOAD_ERROR.match(message)
        if loading is not None:
            file = self.chart_file(loading["file"])
            rest = loading["rest"]
            at_line = _GO_YAML_LINE.search(rest)
            if at_line is not None and self.chart.is_dir():
                try:  # the one reader names the key as well as the line
                    read_yaml(self.chart / loading["file"], source=file)
                except YamlError as exc:
                    return RenderError(f"{self.prefix}: {exc}\n  {message}")
            if at_line is not None:
                return RenderError(
                    f"{self.prefix}: {file}:{at_line['line']}: invalid YAML: {at_line['problem']}"
                    f"\n  {message}"
                )
            return RenderError(f"{self.prefix}: {file}: cannot load chart: {rest}")
        invalid = _CHART_METADATA_ERROR.match(message)
        if invalid is not None:
            file = self.chart_file("Chart.yaml")
            return RenderError(f"{self.prefix}: {file}: {invalid['key']}: {invalid['problem']}")
        return self.error("cannot load chart", message)

    def template_error(self, message: str) -> RenderError:
        """A template error with the template file, line and failing expression in the headline.

        Helm v4 spreads a nil-pointer error over three lines, the expression on the second;
        the headline becomes ``app web (dev): <chart>/templates/x.yaml:17:10: <.Values.a.b>:
        template error: nil pointer ...`` (the innermost template of an ``include`` chain).
        """
        found = list(_EXEC_POSITION.finditer(message))
        if not found:
            return self.error("template error", message, self.file_in_message(message))
        last = found[-1]
        what = " ".join(message[last.end() :].split()) or "failed"
        where = f"{self.template_path(last['path'])}:{last['position']}"
        headline = f"{self.prefix}: {where}: <{last['at']}>: template error: {what}"
        if len(found) == 1 and "\n" not in message.strip():
            return RenderError(headline)
        return RenderError("\n".join([headline, *_indented(message)]))

    def template_path(self, helm_path: str) -> str:
        """``web/templates/x.yaml`` (chart-name-first, as Helm names it) -> project path."""
        return self.chart_file(helm_path.split("/", 1)[1] if "/" in helm_path else helm_path)

    def chart_file(self, inside: str) -> str:
        """A file of the chart (``values.schema.json``) as a project path; ``!/`` in archives."""
        if self.chart.is_dir():
            return f"{self.chart_label}/{inside}"
        return f"{self.chart_label}!/{inside}"

    def file_in_message(self, message: str) -> str | None:
        match = _ERROR_POSITION.search(message)
        return self.template_path(match["path"]) if match else None


def _prepare(request: RenderRequest) -> _Context:
    """Check the chart exists (and its archive digest), normalise the kube version."""
    chart = request.chart
    label = _project_relative(chart)
    prefix = f"app {request.app} ({request.environment})"
    if chart.is_dir():
        if not (chart / "Chart.yaml").is_file():
            raise RenderError(f"{prefix}: {label}: missing chart: no Chart.yaml in the directory")
    elif chart.is_file():
        owner = lock_for_archive(chart)
        if owner is None:
            raise RenderError(
                f"{prefix}: {label}: no chart.lock.yaml records this archive's digest; "
                "vendor remote charts with `aksflow charts vendor`"
            )
        verify_archive(owner[0], owner[1], label=prefix)
    else:
        raise RenderError(f"{prefix}: {label}: missing chart: no such file or directory")
    version = None
    served: tuple[str, ...] = ()
    if request.kube_version:
        try:
            version = kubeversion.normalize(request.kube_version)
            major, minor, _patch = kubeversion.parse(version)
            served = tuple(capabilities.api_versions(major, minor))
        except RenderError as exc:
            raise RenderError(f"{prefix}: {exc}") from None
    return _Context(
        request=request, chart=chart, chart_label=label, kube_version=version, api_versions=served
    )


def _check_kube_version(ctx: _Context, metadata: Mapping[str, Any]) -> None:
    """Enforce Chart.yaml ``kubeVersion`` as ``helm template --kube-version`` does."""
    constraint = metadata.get("kubeVersion")
    if not constraint or ctx.kube_version is None:
        return
    try:
        ok = kubeversion.satisfies(ctx.kube_version, str(constraint))
    except RenderError as exc:
        raise ctx.error("kubeVersion", str(exc), _chart_yaml(ctx)) from None
    if not ok:
        raise ctx.error(
            "kubeVersion",
            f"chart requires kubeVersion: {constraint} which is incompatible with Kubernetes "
            f"{ctx.kube_version}",
            _chart_yaml(ctx),
        )


def _check_installable(ctx: _Context, metadata: Mapping[str, Any]) -> None:
    """Only application charts install (pulumi-kubernetes ``provider/pkg/helm/tool.go``
    ``checkIfInstallable``, from helm ``cmd/helm/install.go``); Helm's library renders a
    library chart as nothing, silently."""
    chart_type = metadata.get("type") or "application"
    if chart_type != "application":
        raise ctx.error("type", f"{chart_type} charts are not installable", _chart_yaml(ctx))


def _check_dependencies(
    ctx: _Context, metadata: Mapping[str, Any], loaded: Sequence[Mapping[str, Any]]
) -> None:
    """Every Chart.yaml dependency is in ``charts/``, by name (not alias), as helm's
    ``action.CheckDependencies`` requires before pulumi-kubernetes renders (tool.go
    ``runInstall``); Helm's library would render the chart without it, silently."""
    present = {str(chart.get("name")) for chart in loaded}
    wanted = [d.get("name") for d in metadata.get("dependencies") or () if isinstance(d, Mapping)]
    missing = [str(name) for name in wanted if str(name) not in present]
    if missing:
        raise _missing_dependencies(ctx, ", ".join(missing))


def _missing_dependencies(ctx: _Context, names: str, detail: str = "") -> RenderError:
    """Declared in Chart.yaml, absent from charts/: offline, nothing fetches them (the provider
    would run ``helm dependency build`` only when Chart.lock exists, from the network)."""
    return RenderError(
        f"{ctx.prefix}: {_chart_yaml(ctx)}: dependencies: {names}: declared but missing in "
        f"{ctx.chart_file('charts')}/ (run `helm dependency build` and commit charts/)"
        + (f"\n  {detail}" if detail else "")
    )


_MISSING = object()
_EXTRA_KEY = re.compile(r"additional properties? '(?P<key>[^']+)'(?:, '[^']+')* not allowed$")


def _value_at(document: Any, keys: list[str | int]) -> Any:
    """The value at ``keys`` in ``document`` (maps by key, lists by index), else ``_MISSING``."""
    for key in keys:
        if isinstance(document, Mapping) and str(key) in document:
            document = document[str(key)]
        elif isinstance(document, list) and isinstance(key, int) and key < len(document):
            document = document[key]
        else:
            return _MISSING
    return document


def _indented(message: str) -> list[str]:
    """Helm's own report under a headline: each non-blank line, indented."""
    return [f"  {line.rstrip()}" for line in message.strip().splitlines() if line.strip()]


def _chart_yaml(ctx: _Context) -> str:
    return ctx.chart_file("Chart.yaml")


def split_manifests(text: str) -> list[str]:
    """Helm's document split: non-blank documents only."""
    return [doc for doc in HELM_SEPARATOR.split(text) if doc.strip()]


def _documents(ctx: _Context, template: str, text: str) -> list[RenderedObject]:
    """Parse one template's rendered text into objects (empty and hook documents dropped)."""
    objects = []
    for doc in split_manifests(text):
        try:
            manifest = yaml.safe_load(doc)
        except yaml.YAMLError as exc:
            # Lines count in the rendered document, not the template source.
            located = yaml_error(doc, f"{template} (rendered)", exc, kubernetes=True)
            raise RenderError(f"{ctx.prefix}: {located}") from None
        if manifest is None or manifest == {}:
            # A document holding only comments, or an empty object: the provider's decoder
            # skips both (pulumi-kubernetes yaml/v2/yaml.go:128-131 yamlDecode).
            continue
        if not isinstance(manifest, dict):
            raise ctx.error(
                "rendered template", f"a document is a {type(manifest).__name__}", template
            )
        if not manifest.get("apiVersion") or not manifest.get("kind"):
            raise ctx.error("rendered template", "an object has no apiVersion or kind", template)
        annotations = (manifest.get("metadata") or {}).get("annotations") or {}
        if HOOK_ANNOTATION in annotations:
            continue  # the v4 Chart renders with hooks disabled
        objects.append(RenderedObject(manifest=manifest, template=template))
    return objects


def _sorted(objects: list[RenderedObject]) -> list[RenderedObject]:
    def key(obj: RenderedObject) -> tuple[str, ...]:
        meta = obj.manifest.get("metadata") or {}
        return (
            obj.template,
            str(obj.manifest.get("apiVersion")),
            str(obj.manifest.get("kind")),
            str(meta.get("namespace") or ""),
            str(meta.get("name") or ""),
        )

    return sorted(objects, key=key)


def _project_relative(path: Path) -> str:
    """Path relative to the Pulumi project (nearest ancestor with Pulumi.yaml), else the cwd."""
    resolved = path.resolve()
    for parent in resolved.parents:
        if (parent / "Pulumi.yaml").is_file():
            return resolved.relative_to(parent).as_posix()
    try:
        return resolved.relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def chart_metadata(chart: Path) -> dict[str, Any]:
    """``Chart.yaml`` of a chart directory or archive (``<name>/Chart.yaml``); {} if unreadable.

    Read after a successful render, for what the provider reports about the chart itself.
    """
    import tarfile

    try:
        if chart.is_dir():
            text = (chart / "Chart.yaml").read_text(encoding="utf-8")
        else:
            with tarfile.open(chart, "r:gz") as archive:
                member = next(
                    m
                    for m in archive.getmembers()
                    if m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")
                )
                handle = archive.extractfile(member)
                text = handle.read().decode() if handle is not None else ""
        loaded = yaml.safe_load(text)
    except (OSError, StopIteration, tarfile.TarError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


# --- helm-python-sdk ---------------------------------------------------------------------------


class HelmPythonRenderer:
    """Helm's Go library in-process (helm-python-sdk, module ``helm_python``).

    ``Chart.render`` exposes neither Capabilities.KubeVersion nor APIVersions, but the library's
    ``helm_render`` call accepts ``kube_version`` and ``api_versions`` in its options JSON (both
    added to Helm's defaults, as ``helm template --kube-version --api-versions`` does); this
    backend passes them
    through the package's private ``_native`` binding (pinned: helm-python-sdk 0.2.*, covered by a
    contract test). Loading a chart costs about 1 ms, so nothing is cached: an edited chart is
    always re-read.
    """

    name = "helm-python-sdk"

    def render(self, request: RenderRequest) -> list[RenderedObject]:
        """Render ``request`` in-process."""
        import helm_python
        from helm_python import _native

        ctx = _prepare(request)
        try:
            chart = helm_python.Chart.load(ctx.chart)
        except helm_python.HelmError as exc:
            raise ctx.load_error(exc.detail) from None
        with chart:
            try:
                metadata = chart.metadata
                _check_installable(ctx, metadata)
                _check_dependencies(ctx, metadata, chart.dependencies)
                _check_kube_version(ctx, metadata)
                options: dict[str, Any] = {
                    "name": request.release_name,
                    "namespace": request.namespace,
                    "is_install": True,
                }
                if ctx.kube_version is not None:
                    options["kube_version"] = ctx.kube_version
                if ctx.api_versions:
                    options["api_versions"] = list(ctx.api_versions)
                rendered: dict[str, str] = json.loads(
                    _native.call_string(
                        "helm_render",
                        chart._raw(),
                        json.dumps(dict(request.values)),
                        json.dumps(options),
                    )
                )
                crds = chart.crds
            except helm_python.HelmValuesError as exc:
                raise ctx.schema_error(exc.detail) from None
            except helm_python.HelmError as exc:
                raise ctx.template_error(exc.detail) from None
        objects: list[RenderedObject] = []
        for crd in crds if request.include_crds else ():
            objects += _documents(ctx, ctx.template_path(crd["filename"]), crd["data"])
        for path, text in rendered.items():
            if path.endswith(NOTES_SUFFIX) or not text.strip():
                continue
            objects += _documents(ctx, ctx.template_path(path), text)
        return _sorted(objects)


# --- pyhelm3 (helm binary) ---------------------------------------------------------------------


class Pyhelm3Renderer:
    """The ``helm`` binary through pyhelm3 (async; run to completion here).

    pyhelm3's ``template_resources`` parses the output with ``yaml.load_all`` (losing the
    ``# Source:`` lines that name each template) and has no ``--kube-version`` option, so this
    backend runs the equivalent ``helm template`` through pyhelm3's ``Command.run`` with
    ``--kube-version``, ``--include-crds`` and ``--no-hooks``.
    """

    name = "pyhelm3"

    def __init__(self, helm_binary: str) -> None:
        import pyhelm3

        path = shutil.which(helm_binary) or helm_binary
        if not Path(path).is_file():
            raise RenderError(f"--helm: {helm_binary}: no such executable")
        self.binary = path
        # pyhelm3 logs "command failed: <command line>" as a warning; with no handler set it
        # would print above the error's headline. The failure is reported as a RenderError.
        logging.getLogger("pyhelm3.command").setLevel(logging.ERROR)
        self._command = pyhelm3.Command(executable=path)
        try:
            # Client() checks the executable and reads its version (a synchronous call).
            self.client = pyhelm3.Client(self._command, executable=path)
        except Exception as exc:  # pyhelm3 asserts, or `helm version` fails
            raise RenderError(f"--helm: {helm_binary}: not a usable helm binary: {exc}") from exc

    def render(self, request: RenderRequest) -> list[RenderedObject]:
        """Render ``request`` with ``helm template``."""
        from pyhelm3 import errors as helm_errors

        ctx = _prepare(request)
        args = [
            "template",
            request.release_name,
            str(ctx.chart),
            "--namespace",
            request.namespace,
            *(["--include-crds"] if request.include_crds else []),
            "--no-hooks",
            "--values",
            "-",
        ]
        if ctx.kube_version is not None:
            args += ["--kube-version", ctx.kube_version]
        for api_version in ctx.api_versions:
            args += ["--api-versions", api_version]
        values = json.dumps(dict(request.values)).encode()
        try:
            output = _run_sync(self._command.run(args, values)).decode()
        except helm_errors.Error as exc:
            raise self._error(ctx, exc.stderr.decode()) from None
        objects: list[RenderedObject] = []
        template = ""
        for chunk in split_manifests(output):
            # A template's own "---" lines split it further in the output; the documents after
            # one carry no "# Source:" line and belong to the template named before them.
            match = _SOURCE_LINE.search(chunk)
            if match is not None:
                template = match["path"].strip()
            if not template or template.endswith(NOTES_SUFFIX):
                continue
            objects += _documents(ctx, ctx.template_path(template), chunk)
        return _sorted(objects)

    @staticmethod
    def _error(ctx: _Context, stderr: str) -> RenderError:
        # The helm CLI's hint is about its own --debug, not aksflow's: it would only mislead.
        message = stderr.strip().removeprefix("Error: ").replace(_HELM_DEBUG_HINT, "").strip()
        if "values don't meet the specifications" in message:
            return ctx.schema_error(message)
        if "kubeVersion" in message:
            return ctx.error("kubeVersion", message, _chart_yaml(ctx))
        if message.startswith(("cannot load ", "validation: ")):
            return ctx.load_error(message)
        if message.endswith("charts are not installable"):  # helm's checkIfInstallable
            return ctx.error("type", message, _chart_yaml(ctx))
        missing = _MISSING_DEPENDENCY.search(message)
        if missing is not None:  # helm template's action.CheckDependencies
            return _missing_dependencies(ctx, missing["names"], message)
        parse_error = _RENDERED_YAML_ERROR.match(message)
        if parse_error is not None:
            where = f"{ctx.template_path(parse_error['path'])} (rendered)"
            problem = parse_error["problem"]
            at_line = _GO_YAML_LINE.match(problem)
            if at_line is not None:
                where, problem = f"{where}:{at_line['line']}", at_line["problem"]
            return RenderError(f"{ctx.prefix}: {where}: invalid YAML: {problem}")
        return ctx.template_error(message)


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion, even when this thread already runs an event loop."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    result: list[T] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(coroutine))
        except BaseException as exc:
            failure.append(exc)

    worker = threading.Thread(target=target, name="helm-render")
    worker.start()
    worker.join()
    if failure:
        raise failure[0]
    return result[0]
