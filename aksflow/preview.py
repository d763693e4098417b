"""``aksflow preview``: every stack offline, its charts rendered, its policies gated.

Nothing reaches ``out/`` until every stack has been previewed and evaluated; then the whole
directory is replaced in one rename (:mod:`aksflow.outdir`), so a failure or an interrupt
leaves the previous output untouched, never a half or mixed preview.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.markup import escape

from aksflow import display, outdir
from aksflow.engine.runner import StackPreview, preview_stack
from aksflow.environments import load_environments
from aksflow.errors import AksflowError, ProjectError, RenderError
from aksflow.locate import Locator, refine_report
from aksflow.parallel import available_cpus, ordered_map
from aksflow.policy.exceptions import FILE_NAME, PolicyException, load_exceptions
from aksflow.profiles import effective_values
from aksflow.project import Project, StackConfig, load_project, load_stack_config
from aksflow.safety.preview import print_estimate
from aksflow.stacks import promotion_key

if TYPE_CHECKING:
    from aksflow.helm.children import ChartChild
    from aksflow.helm.render import RenderedObject, Renderer, RenderRequest
    from aksflow.policy.report import PolicyReport


@dataclass(frozen=True)
class StackResult:
    """One stack's preview, its policy verdict, and the files ``out/<stack>/`` receives."""

    preview: StackPreview
    report: PolicyReport
    files: Mapping[str, str]

    @classmethod
    def of(cls, preview: StackPreview, report: PolicyReport) -> StackResult:
        """Serialised where the stack ran: in a worker, the JSON encoding runs in parallel."""
        documents = {
            "state.json": preview.state,
            "charts.json": preview.charts,
            "policy.json": report.to_json(),
        }
        files = {name: json.dumps(doc, indent=2) + "\n" for name, doc in documents.items()}
        return cls(preview, report, files)


class _RendererFactory:
    """Creates the Helm renderer on first use, so stacks without charts never load Helm."""

    def __init__(self, helm_binary: str | None) -> None:
        self.helm_binary = helm_binary
        self._renderer: Renderer | None = None

    @property
    def name(self) -> str:
        return self._get().name

    def _get(self) -> Renderer:
        if self._renderer is None:
            from aksflow.helm.render import make_renderer

            self._renderer = make_renderer(self.helm_binary)
        return self._renderer

    def render(self, request: RenderRequest) -> list[RenderedObject]:
        return self._get().render(request)


class _ChartExpander:
    """Renders the v4 Charts of one stack with the cluster's Kubernetes version.

    Rendering runs inside the mock monitor (an SDK executor thread), where an exception would
    reach the program as an opaque RPC failure; the first error is kept and re-raised. The
    warnings the provider would log for a Chart are kept for the stack's diagnostics.
    """

    def __init__(
        self, project: Project, renderer: _RendererFactory, environment: str, kube_version: str
    ) -> None:
        self.project = project
        self.renderer = renderer
        self.environment = environment
        self.kube_version = kube_version
        self.error: AksflowError | None = None
        self.warnings: list[str] = []

    def __call__(
        self, chart_name: str, inputs: dict[str, Any], known_crds: Sequence[dict[str, Any]] = ()
    ) -> Sequence[ChartChild]:
        from aksflow.engine.charts import locate_chart
        from aksflow.engine.program import locate_program
        from aksflow.helm.children import chart_children
        from aksflow.helm.options import UNKNOWN_INPUTS_WARNING, chart_options, has_unknowns
        from aksflow.helm.render import RenderRequest, chart_metadata

        label = f"app {chart_name} ({self.environment})"
        if has_unknowns(inputs):
            self.warnings.append(f"warning: {label}: {UNKNOWN_INPUTS_WARNING}")
            return []
        try:
            # The provider runs in the program's working directory (main), not the project root.
            working_dir = locate_program(self.project.root, self.project.main).pwd
            chart = locate_chart(inputs, working_dir, label=label)
            options = chart_options(chart_name, inputs, working_dir, label=label)
            objects = self.renderer.render(
                RenderRequest(
                    chart=chart,
                    release_name=options.release_name,
                    namespace=options.namespace,
                    values=options.values,
                    kube_version=self.kube_version or None,
                    app=chart_name,
                    environment=self.environment,
                    include_crds=options.include_crds,
                )
            )
            result = chart_children(
                objects,
                resource_prefix=options.resource_prefix,
                namespace=options.namespace,
                skip_await=options.skip_await,
                known_crds=known_crds,
            )
        except AksflowError as exc:
            self.error = self.error or (
                exc if str(exc).startswith(label) else type(exc)(f"{label}: {exc}")
            )
            raise
        except Exception as exc:
            self.error = self.error or RenderError(f"{label}: {type(exc).__name__}: {exc}")
            raise
        warnings = [*options.warnings, *result.warnings]
        metadata = chart_metadata(chart)
        if metadata.get("deprecated") is True:  # chart.go:249-253
            warnings.insert(0, f"Using a deprecated Helm chart ({metadata.get('name')})")
        self.warnings += [f"warning: {label}: {w}" for w in warnings]
        return result.children


def _import_floor() -> None:
    """What every stack needs, imported once before the workers fork (pure Python only).

    Helm's Go library is deliberately not among them: each worker loads it itself.
    """
    import pulumi_azure_native
    import pulumi_kubernetes.helm.v4
    import pulumi_kubernetes.provider

    import aksflow.policy.gate
    from aksflow.engine import runner

    del pulumi_azure_native, pulumi_kubernetes, aksflow, runner


def _preview_one(
    project: Project, config: StackConfig, renderer_factory: _RendererFactory
) -> StackPreview:
    # The version the program will use: base default <- environment profile <- stack file
    # (the stack file alone rarely sets it, and charts must see the cluster's version).
    values = effective_values(project, config, load_environments(project.root))
    kube_version = values.get(f"{project.name}:kubernetesVersion", "")
    expander = _ChartExpander(project, renderer_factory, config.environment, kube_version)
    try:
        preview = preview_stack(project, config, expand_chart=expander)
    except AksflowError:
        if expander.error is not None:
            raise expander.error from None
        raise
    if not expander.warnings:
        return preview
    return replace(preview, diagnostics=(*preview.diagnostics, *expander.warnings))


def _evaluate(
    project: Project, preview: StackPreview, exceptions: Sequence[PolicyException]
) -> PolicyReport:
    from aksflow.policy.export import check_program_objects
    from aksflow.policy.gate import evaluate_state

    check_program_objects(preview.state, preview.stack)  # chart children: checked at render
    environment = load_environments(project.root).require(
        preview.environment, f"Pulumi.{preview.stack}.yaml: {project.name}:environment"
    )
    config = environment.policy_config_file(project.root)
    report = evaluate_state(
        preview.state,
        policy_config=config,
        pack_dir=project.root / "policies",
        project_dir=project.root,
        exceptions=exceptions,
        environment=preview.environment,
    )
    locator = Locator.for_state(
        preview.state,
        root=project.root,
        main=project.main,
        stack=preview.stack,
        environment=preview.environment,
        project=project.name,
    )
    return refine_report(report, locator)


def _write_results(staging: Path, results: Sequence[StackResult]) -> None:
    for result in results:
        target = staging / result.preview.stack
        target.mkdir()
        for name, text in result.files.items():
            (target / name).write_text(text)


def run_preview(
    project_dir: Path,
    stacks: Sequence[str],
    out_dir: Path,
    *,
    helm_binary: str | None = None,
    console: Console | None = None,
    progress: Console | None = None,
    jobs: int | None = None,
) -> list[StackResult]:
    """Preview ``stacks`` (all default stacks when empty), gate them, and write ``out_dir``.

    ``console`` receives the trees and summaries (None for quiet); ``progress`` the spinner.
    Stacks run in ``jobs`` forked worker processes (default: one per available CPU), one
    stack per task; their output is printed in promotion order all the same.
    """
    outdir.check_target(out_dir)  # before the work, not after it
    project = load_project(project_dir)
    selected = list(dict.fromkeys(stacks)) or sorted(
        project.stacks(), key=promotion_key(project.root)
    )
    if not selected:
        raise ProjectError(f"{project.root}: no Pulumi.<stack>.yaml files to preview")
    # Every stack file is read and checked before any stack is previewed.
    configs = [load_stack_config(project, stack) for stack in selected]
    exceptions = load_exceptions(
        project.root / "policies" / FILE_NAME, source=f"policies/{FILE_NAME}"
    )

    factory = _RendererFactory(helm_binary)

    def preview_and_gate(config: StackConfig) -> StackResult:
        preview = _preview_one(project, config, factory)
        return StackResult.of(preview, _evaluate(project, preview, exceptions))

    workers = available_cpus() if jobs is None else jobs
    names = ", ".join(config.stack for config in configs)
    status = (
        progress.status(f"Previewing {len(configs)} stack(s) offline: {escape(names)}…")
        if progress is not None
        else nullcontext()
    )
    results: list[StackResult] = []
    # Workers fork here, before the spinner's thread exists (fork needs a single thread).
    ordered = ordered_map(preview_and_gate, configs, workers=workers, warm=_import_floor)
    with status:
        for result in ordered:
            results.append(result)
            if console is not None:
                stack, preview = result.preview.stack, result.preview
                display.print_stack(console, stack, preview.state, preview.seconds)
                display.print_diagnostics(console, stack, preview.diagnostics)
                print_policy_summary(console, stack, result.report)
                print_estimate(console, stack, preview.state, project.root, preview.environment)
    outdir.publish(out_dir, lambda staging: _write_results(staging, results))
    if console is not None:
        console.print(
            f"\nWrote {', '.join(f'{out_dir}/{r.preview.stack}/state.json' for r in results)}",
            markup=False,
        )
    return results


def print_policy_summary(console: Console, stack: str, report: PolicyReport) -> None:
    """The per-stack ``Policies:`` block, mandatory violations first."""
    mandatory = [v for v in report.violations if v.level == "mandatory"]
    advisory = [v for v in report.violations if v.level != "mandatory"]
    verdict = "[red]FAIL[/red]" if mandatory else "[green]PASS[/green]"
    console.print(
        f"\n[bold]Policies ({escape(stack)}):[/bold] {verdict}  {report.evaluated} resources "
        f"evaluated, {len(mandatory)} mandatory, {len(advisory)} advisory"
        + (f", {len(report.excepted)} excepted" if report.excepted else "")
    )
    for violation in [*mandatory, *advisory]:
        style = "red" if violation.level == "mandatory" else "yellow"
        resource = violation.urn.rsplit("::", 1)[-1] if violation.urn else "(stack)"
        first_line = violation.message.strip().splitlines()[-1] if violation.message else ""
        console.print(
            f"    [{style}]\\[{violation.level}][/{style}] {escape(violation.policy)}  "
            f"{escape(resource)}: ",
            end="",
        )
        console.print(first_line, markup=False, highlight=False)
        if violation.hint:  # the value is set in a stack or values file: say where, in its terms
            console.print(
                f"        at {violation.file}:{violation.line}: {violation.hint}",
                markup=False,
                highlight=False,
            )
    for violation in report.excepted:
        resource = violation.urn.rsplit("::", 1)[-1] if violation.urn else "(stack)"
        console.print("    [dim]\\[excepted][/dim] ", end="")
        console.print(
            f"{violation.policy}  {resource}: {violation.exception.justification}"
            if violation.exception
            else violation.policy,
            markup=False,
            highlight=False,
            style="dim",
        )
