"""How a command ends on an error: the one place exceptions become messages and exit codes.

- :class:`~aksflow.errors.AksflowError`: exit 2 (or the subclass's code), its message as is;
- an interrupt (SIGINT, SIGTERM): 128 + signal;
- a BaseException from user code (``sys.exit(0)`` in a policy or the program): exit 2, never a
  silent success;
- anything else is a bug in aksflow: exit 3 with a "this is a bug" line.

Messages are printed as plain text, never as Rich markup (``[secret]`` stays ``[secret]``).
The traceback is printed only with ``--debug``.
"""

from __future__ import annotations

import sys
import traceback

import click

from aksflow.errors import EXIT_BUG, EXIT_INPUT, AksflowError, Interrupted

BUG_LINE = "this is a bug in aksflow: please report it with the output of --debug"


def describe(exc: BaseException) -> tuple[int, list[str]]:
    """The exit code and the lines to print (headline first) for ``exc``."""
    if isinstance(exc, AksflowError):
        return exc.exit_code, [str(exc)]
    if isinstance(exc, Interrupted):
        return exc.exit_code, [f"{exc}; stopped and cleaned up"]
    if isinstance(exc, KeyboardInterrupt):
        return 130, ["interrupted by SIGINT; stopped and cleaned up"]
    if isinstance(exc, SystemExit):
        return EXIT_INPUT, [
            f"{_user_line(exc)}the Pulumi program or a policy called sys.exit({exc.code!r}); "
            "a run must end by returning or raising, so the gate fails closed"
        ]
    if not isinstance(exc, Exception):
        return EXIT_INPUT, [
            f"{_user_line(exc)}the Pulumi program or a policy raised {type(exc).__name__}: "
            f"{exc}; the gate fails closed"
        ]
    return EXIT_BUG, [f"internal error: {type(exc).__name__}: {exc}", BUG_LINE]


def _user_line(exc: BaseException) -> str:
    """``policies/x.py:12: ``: the innermost frame in neither aksflow, the standard library
    nor an installed package (the program's or a policy's own line); empty when there is none."""
    import sysconfig
    from pathlib import Path

    ours = Path(__file__).resolve().parent
    library = {Path(sysconfig.get_paths()[key]).resolve() for key in ("stdlib", "platstdlib")}
    found = ""
    for frame in traceback.extract_tb(exc.__traceback__):
        path = Path(frame.filename).resolve()
        if (
            not path.is_file()
            or path.is_relative_to(ours)
            or "site-packages" in path.parts
            or any(path.is_relative_to(lib) for lib in library)
        ):
            continue
        try:
            shown = path.relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            shown = str(path)
        found = f"{shown}:{frame.lineno}: "
    return found


def report(exc: BaseException, *, debug: bool) -> int:
    """Print ``exc`` to stderr (traceback first under ``debug``) and return the exit code."""
    code, lines = describe(exc)
    if debug:
        traceback.print_exception(exc, file=sys.stderr)
    print_error(lines)
    return code


def print_error(lines: list[str]) -> None:
    """``error: <headline>`` then the detail lines, as plain text (never markup) on stderr."""
    from rich.console import Console
    from rich.text import Text

    console = Console(stderr=True, soft_wrap=True, highlight=False, markup=False, emoji=False)
    headline, *detail = lines or ["(no message)"]
    console.print(Text.assemble(("error:", "bold red"), " ", headline))
    for line in detail:
        console.print(Text(line))


def usage_lines(exc: click.UsageError) -> list[str]:
    """A command-line usage error as one headline (click's message, naming the option), then
    the usage and the help hint click would have printed first."""
    lines = [exc.format_message()]
    if exc.ctx is not None:
        lines.append(f"  {exc.ctx.get_usage()}")
        if exc.ctx.command.get_help_option(exc.ctx) is not None:
            lines.append(f"  Try '{exc.ctx.command_path} {exc.ctx.help_option_names[0]}' for help.")
    return lines
