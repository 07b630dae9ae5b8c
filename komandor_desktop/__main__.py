"""``python -m komandor_desktop``: the same program as ``komandor-desktop``."""

import sys

from .cli import main

sys.exit(main())
