"""Where and how Pulumi's Python language host runs a program, for the offline engine to copy.

Upstream (pulumi/pulumi):

- ``pkg/engine/project.go`` ``getPwdMain``: when ``main`` in ``Pulumi.yaml`` is a directory,
  the program's working directory is that directory and the entry point is ``"."``; when it is a
  file, the working directory is its folder and the entry point its base name.
- ``sdk/python/cmd/pulumi-language-python/main.go`` ``constructArguments`` / ``Run``: the host
  starts ``pulumi-language-python-exec ... --pwd <pwd> <entry point>`` and hands the config to the
  program in the environment, ``PULUMI_CONFIG`` (a JSON object) and ``PULUMI_CONFIG_SECRET_KEYS``
  (a JSON array).
- ``sdk/python/cmd/pulumi-language-python-exec``: reads that config with
  ``pulumi.runtime.get_config_env`` / ``get_config_secret_keys_env`` into ``set_all_config``,
  sets ``sys.argv = [PROGRAM]``, ``os.chdir(pwd)``, then ``runpy.run_path(PROGRAM)``, which puts
  the entry point (``"."``: the working directory) first on ``sys.path`` while the program runs.
- ``pkg/resource/plugin/provider_plugin.go`` (``newPlugin(ctx, ctx.Pwd, ...)``) and
  ``pkg/resource/plugin/plugin.go`` (``cmd.Dir = pwd``): every provider plugin is started in
  that same working directory, so a relative path a program hands a provider (a local Helm
  chart) resolves from ``main``, not the project root.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aksflow.errors import ProjectError

CONFIG_ENV = "PULUMI_CONFIG"
SECRET_KEYS_ENV = "PULUMI_CONFIG_SECRET_KEYS"
# What pulumi_policy and the SDK read to replace mock settings with real-engine ones; a user's
# shell must not leak them into an offline run.
RUNTIME_ENV = ("PULUMI_PROJECT", "PULUMI_STACK", "PULUMI_DRY_RUN", "PULUMI_ORGANIZATION")


@dataclass(frozen=True)
class ProgramLocation:
    """The language host's view of a project: working directory and entry point."""

    pwd: Path
    """The program's (and every provider's) working directory."""
    entry_point: str
    """What ``runpy.run_path`` is given, relative to ``pwd``: ``"."`` for a directory."""


def locate_program(root: Path, main: Path) -> ProgramLocation:
    """``getPwdMain`` (pulumi ``pkg/engine/project.go``) for a project at ``root``.

    ``main`` is ``Pulumi.yaml``'s ``main`` joined to the root (the root itself when unset).
    """
    target = main if main.is_absolute() else root / main
    if target.resolve() == root.resolve():
        return ProgramLocation(pwd=root, entry_point=".")
    if target.is_dir():
        return ProgramLocation(pwd=target, entry_point=".")
    if target.is_file():
        return ProgramLocation(pwd=target.parent, entry_point=target.name)
    raise ProjectError(f"Pulumi.yaml: main: project 'main' could not be read: {target} is missing")


def config_environment(values: Mapping[str, str], secret_keys: Sequence[str]) -> dict[str, str]:
    """``PULUMI_CONFIG`` and ``PULUMI_CONFIG_SECRET_KEYS`` as the language host sets them.

    ``constructConfig`` marshals the config map (every value already Pulumi's string encoding)
    and ``constructConfigSecretKeys`` the secret key list, ``[]`` when there is none.
    """
    return {
        CONFIG_ENV: json.dumps(dict(values)),
        SECRET_KEYS_ENV: json.dumps(list(secret_keys)),
    }


@contextmanager
def host_process(
    location: ProgramLocation, root: Path, environment: Mapping[str, str]
) -> Iterator[None]:
    """The process state the language host gives a program, restored afterwards.

    Working directory, ``sys.argv``, the config environment; ``infra`` modules imported from
    another checkout (a diff's base) are dropped so this project's own program is imported.
    ``sys.path`` is left to ``runpy.run_path``, which adds the entry point as the host's does;
    whatever the program adds to it is undone afterwards (the host's process simply exits).
    """
    saved_cwd, saved_argv, saved_path = Path.cwd(), list(sys.argv), list(sys.path)
    names = (*RUNTIME_ENV, *environment)
    saved_env = {name: os.environ.pop(name) for name in names if name in os.environ}
    resolved = str(root.resolve())
    for module in [m for m in sys.modules if m == "infra" or m.startswith("infra.")]:
        loaded = getattr(sys.modules[module], "__file__", None) or ""
        if not str(Path(loaded).resolve()).startswith(resolved + os.sep):
            del sys.modules[module]  # another checkout's program (e.g. a diff's base)
    os.environ.update(environment)
    sys.argv = [location.entry_point]
    os.chdir(location.pwd)
    # runpy finds "." through sys.path_importer_cache, whose finder remembers the directory it
    # was first made in: another project's run would otherwise run that project's program.
    sys.path_importer_cache.pop(location.entry_point, None)
    try:
        yield
    finally:
        sys.path_importer_cache.pop(location.entry_point, None)
        os.chdir(saved_cwd)
        sys.argv[:] = saved_argv
        sys.path[:] = saved_path  # the program may extend it (infra/__main__.py does)
        for name in environment:
            os.environ.pop(name, None)
        os.environ.update(saved_env)
