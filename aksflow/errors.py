"""One exception hierarchy for everything aksflow can refuse to do.

The CLI catches :class:`AksflowError` once and maps it to :attr:`AksflowError.exit_code`;
anything else is a bug and is reported with a traceback only under ``--debug``.
"""

from __future__ import annotations


class AksflowError(Exception):
    """Base class: a problem the user can fix. Exit status 2 unless a subclass says otherwise."""

    exit_code = 2


class ProjectError(AksflowError):
    """The Pulumi project or a stack is missing, unknown or unreadable."""


class ConfigError(AksflowError):
    """A stack or policy configuration value is malformed; the message names file and key."""


class ProgramError(AksflowError):
    """The Pulumi program raised while it ran under the offline engine."""


class RenderError(AksflowError):
    """A Helm chart could not be loaded, vendored, verified or rendered."""


class PolicyError(AksflowError):
    """The policy pack could not be loaded or evaluated: the gate fails closed."""


class GitError(AksflowError):
    """A git revision or worktree operation failed."""


class GitHubError(AksflowError):
    """The GitHub API refused a request or could not be reached."""


class YamlError(ConfigError):
    """A YAML or JSON input is malformed or exceeds a limit; the message names file, line, key."""
