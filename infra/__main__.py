"""Entry point for ``pulumi preview`` / ``pulumi up`` (``main: infra/`` in Pulumi.yaml)."""

import sys
from pathlib import Path

# The CLI runs this file as a script; make ``import infra`` resolve to this checkout.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from infra.program import main

main()
