"""Drive a Pulumi program to completion in-process, the way the language host does.

``pulumi.runtime.set_mocks`` finishes the root stack immediately (so exports never arrive);
instead we configure mock settings, then run the program inside ``run_in_stack``, which
creates the Stack, runs the program and waits for every outstanding RPC
(``reference/offline-engine.md``).
"""

from __future__ import annotations

import asyncio
import copy
import logging
import runpy
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
from google.protobuf import empty_pb2
from pulumi.runtime import config as runtime_config
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockEngine, MockSettings
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from aksflow.engine.lazy_sdk import defer_heavy_packages
from aksflow.engine.mocks import OfflineMocks
from aksflow.engine.monitor import ChartExpander, Recorded, RecordingMonitor
from aksflow.engine.program import config_environment, host_process, locate_program
from aksflow.engine.state import chart_inputs, export
from aksflow.errors import AksflowError, ProgramError
from aksflow.project import Project, StackConfig

log = logging.getLogger("aksflow.engine")


@dataclass(frozen=True)
class StackPreview:
    """The outcome of previewing one stack offline."""

    stack: str
    environment: str
    records: Sequence[Recorded]
    state: dict[str, Any]
    """The stack export (``out/<stack>/state.json``)."""
    diagnostics: Sequence[str]
    seconds: float
    charts: dict[str, Any] = field(default_factory=dict)
    """Each Chart's inputs, which the export cannot hold (``out/<stack>/charts.json``)."""


class _Diagnostics(logging.Handler):
    """Collects what the program logs through ``pulumi.log`` (shown after the tree)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.levelname.lower()}: {record.getMessage()}")


def _drop_aliases(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult:
    """Drop API-version aliases: they only matter for state migration and cost ~100 ms each.

    Every azure-native resource carries ~110 of them; a stack transformation runs before they
    are turned into URN outputs, so clearing them here removes the cost (offline-engine.md).
    """
    if not args.opts.aliases:
        return pulumi.ResourceTransformationResult(args.props, args.opts)
    opts = copy.copy(args.opts)
    opts.aliases = None
    return pulumi.ResourceTransformationResult(args.props, opts)


async def _settle_outputs() -> None:
    """Wait for every pending output at once, before the SDK's own wait loop runs.

    The SDK waits with ``asyncio.wait(pending, FIRST_COMPLETED)`` in a loop, re-arming a
    callback on every pending task per completion: quadratic in the number of outputs (a
    1,000-pool stack spent most of its time there). One ``ALL_COMPLETED`` wait per round is
    linear; the SDK's loop then finds everything done and re-raises any failure as before.
    """
    while True:
        with runtime_settings.SETTINGS.lock:
            pending = [task for task in runtime_settings.SETTINGS.outputs if not task.done()]
        if not pending:
            return
        await asyncio.wait(pending)


def _quiet_unretrieved(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
    """Drop asyncio's "exception was never retrieved" for the run's futures.

    When a program fails, the SDK leaves the failure in every future that depended on it; the
    run already reports the first error, so repeating it (with a traceback) at garbage
    collection only buries the message.
    """
    if "never retrieved" not in str(context.get("message", "")):
        loop.default_exception_handler(context)


def _program_failure(stack_file: str, root: Path, exc: Exception) -> ProgramError:
    """The stack, the exception's first line and the program line that raised it; the rest below.

    ``Pulumi.dev.yaml: the program failed: ValueError: bad (infra/x.py:12)``: the innermost
    frame in the project's own files (not an installed package), or a SyntaxError's position.
    """
    import traceback

    root = root.resolve()
    tool = Path(__file__).resolve().parents[1]  # aksflow itself may live in the project

    def own(filename: str) -> str | None:
        path = Path(filename).resolve()
        if not path.is_relative_to(root) or "site-packages" in path.parts:
            return None
        if path.is_relative_to(tool):
            return None
        return path.relative_to(root).as_posix()

    where = None
    if isinstance(exc, SyntaxError) and exc.filename and own(exc.filename):
        where = f"{own(exc.filename)}:{exc.lineno}"
    else:
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if own(f.filename)]
        if frames:
            where = f"{own(frames[-1].filename)}:{frames[-1].lineno}"
    first, *rest = (exc.msg if isinstance(exc, SyntaxError) else str(exc)).splitlines() or [""]
    headline = f"{stack_file}: the program failed: {type(exc).__name__}: {first}".rstrip()
    if where:
        headline += f" ({where})"
    return ProgramError("\n".join([headline, *(f"  {line}" for line in rest)]))


def _configure(
    project: Project, stack: str, monitor: RecordingMonitor, handler: logging.Handler
) -> None:
    logger = logging.getLogger(f"aksflow.program.{stack}")
    logger.handlers[:] = [handler]
    logger.propagate = False
    logger.setLevel(logging.WARNING)
    features = set(monitor.GetDeploymentInfo(empty_pb2.Empty()).supportedFeatures)  # type: ignore[no-untyped-call]
    runtime_settings.configure(
        MockSettings(  # type: ignore[no-untyped-call]
            monitor=monitor,
            monitor_features=features,
            engine=MockEngine(logger),
            project=project.name,
            stack=stack,
            dry_run=True,
            organization="organization",
            root_directory=str(project.root),
            callbacks=None,
            # Fresh per run: a failed program leaves pending outputs behind, and the SDK's
            # wait loop would re-raise their errors in the next stack's run.
            outputs=set(),
        )
    )
    runtime_settings.set_root_resource(None)  # type: ignore[arg-type]


def preview_stack(
    project: Project, config: StackConfig, expand_chart: ChartExpander | None = None
) -> StackPreview:
    """Run ``project``'s program for one stack (its loaded ``config``) under the mock engine."""
    started = time.perf_counter()
    stack = config.stack
    monitor = RecordingMonitor(
        OfflineMocks(),
        project=project.name,
        stack=stack,
        project_root=project.root,
        expand_chart=expand_chart,
    )
    diagnostics = _Diagnostics()
    location = locate_program(project.root, project.main)

    async def program() -> None:
        asyncio.get_running_loop().set_exception_handler(_quiet_unretrieved)
        pulumi.runtime.register_stack_transformation(_drop_aliases)
        # pulumi-language-python-exec: runpy.run_path(PROGRAM) in the program's working directory.
        runpy.run_path(location.entry_point, run_name="__main__")
        await _settle_outputs()

    defer_heavy_packages()
    environment = config_environment(config.values, sorted(config.secret_keys))
    with host_process(location, project.root, environment):
        _configure(project, stack, monitor, diagnostics)
        # As pulumi-language-python-exec does: the config arrives only through the environment.
        runtime_config.set_all_config(
            runtime_config.get_config_env(), runtime_config.get_config_secret_keys_env()
        )
        try:
            _sync_await(run_in_stack(program))
        except AksflowError:
            raise
        except Exception as exc:  # the program's own bug or an SDK error: name the stack
            raise _program_failure(config.file.name, project.root, exc) from exc
        finally:
            runtime_config.set_all_config({}, [])
    records = list(monitor.records.values())
    return StackPreview(
        stack=stack,
        environment=config.environment,
        records=records,
        state=export(monitor.records),
        charts=chart_inputs(monitor.records),
        diagnostics=tuple(diagnostics.messages),
        seconds=time.perf_counter() - started,
    )
