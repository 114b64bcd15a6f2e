"""`python -m zmed_gui.cli` is `zmed-upload`."""

from zmed_gui.cli import main

raise SystemExit(main())
