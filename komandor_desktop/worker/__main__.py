"""``python -m komandor_desktop.worker``: the sync worker process (see ``main``)."""

from .main import main

raise SystemExit(main())
