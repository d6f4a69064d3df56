"""``python -m helpers run ...``: see :mod:`helpers.tools.cli`."""

from __future__ import annotations

import sys

from .tools.cli import main

if __name__ == "__main__":
    sys.exit(main())
