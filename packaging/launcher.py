"""Entry script of the frozen desktop app (dist/zmed-gui/zmed-gui).

Kept tiny: PyInstaller freezes this file as __main__, and everything else is imported from
the zmed_gui package. Started through the ``zmed-upload`` symlink it runs the CLI.
``--self-test`` is dispatched here as well as in ui/app.py, so the
bundle's self-test never depends on the window code importing cleanly.
"""

import os
import sys


def _run() -> int:
    if "--self-test" in sys.argv[1:2]:
        from zmed_gui.selftest import main as selftest_main

        return selftest_main(sys.argv[2:])
    invoked_as = os.path.basename(sys.argv[0]).lower()
    if invoked_as.startswith("zmed-upload"):  # the zmed-upload symlink (Linux, macOS)
        from zmed_gui.cli import main as cli_main

        return cli_main()
    from zmed_gui.ui.app import main

    return main()


if __name__ == "__main__":
    import multiprocessing

    multiprocessing.freeze_support()  # harmless unless some library spawns processes
    raise SystemExit(_run())
