"""``python -m komandor_desktop.emulator``: the same program as ``komandor-emulator``."""

import sys

from .cli import main

sys.exit(main())
