"""`python -m zmed_gui` starts the desktop app."""

from zmed_gui.ui.app import main

raise SystemExit(main())
