"""``python -m aksflow.policy analyze ...``: the policy CLI without the top-level wiring."""

import sys

import click

from aksflow import failures, interrupts
from aksflow.policy.cli import policy


def main() -> None:
    """Run the ``policy`` group: 0 clean, 1 mandatory violations, 2 errors, 3 a bug."""
    debug = "--debug" in sys.argv[1:]
    args = [a for a in sys.argv[1:] if a != "--debug"]
    try:
        with interrupts.handled():
            code = policy.main(args, standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(2) from None
    except click.exceptions.Exit as exc:
        raise SystemExit(exc.exit_code) from None
    except BaseException as exc:  # the one error path maps it to an exit code
        raise SystemExit(failures.report(exc, debug=debug)) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
