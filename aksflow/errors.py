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


EXIT_OK = 0
EXIT_VIOLATION = 1
"""A mandatory policy violation."""
EXIT_INPUT = 2
"""An input error the user can fix (every :class:`AksflowError`)."""
EXIT_BUG = 3
"""An internal error: a bug in aksflow."""


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: unwinds as KeyboardInterrupt so every cleanup runs.

    A KeyboardInterrupt, so ``except Exception`` never swallows it, and neither does asyncio:
    a task step re-raises KeyboardInterrupt but keeps any other BaseException as the task's
    result, which left a preview waiting in the Pulumi SDK's event loop until it was killed.
    Exit status 128 + signal.
    """

    def __init__(self, signum: int) -> None:
        import signal

        self.signum = signum
        self.exit_code = 128 + signum
        super().__init__(f"interrupted by {signal.Signals(signum).name}")

    def __reduce__(self) -> tuple[type[Interrupted], tuple[int]]:
        return (Interrupted, (self.signum,))  # crosses from a forked worker intact


def escaped_base_exception(exc: BaseException) -> bool:
    """True for a BaseException that user code (a policy, the program) must not end a run with.

    ``sys.exit(0)`` in a policy must fail the gate, not pass it; interrupts stay interrupts.
    """
    return not isinstance(exc, Exception | KeyboardInterrupt)  # Interrupted is one
