"""``python -m pges``."""

from __future__ import annotations

import sys

from pges.cli import main

if __name__ == "__main__":
    sys.exit(main())
