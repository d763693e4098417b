"""``python -m aksflow.policy analyze ...``: the policy CLI without the top-level wiring."""

import sys

import click

from aksflow.errors import AksflowError
from aksflow.policy.cli import policy


def main() -> None:
    """Run the ``policy`` group: 0 clean, 1 mandatory violations, 2 errors."""
    try:
        code = policy.main(standalone_mode=False)
    except AksflowError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(exc.exit_code) from None
    except click.ClickException as exc:
        exc.show()
        raise SystemExit(2) from None
    raise SystemExit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
