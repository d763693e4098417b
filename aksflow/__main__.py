"""``python -m aksflow``."""

from aksflow.cli import run

run()
