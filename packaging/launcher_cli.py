"""Entry script of the frozen headless uploader on Windows (dist/zmed-gui/zmed-upload.exe).

On Linux and macOS zmed-upload is a symlink to zmed-gui and packaging/launcher.py dispatches
on the name. ``zmed-upload --self-test`` runs the bundle's self-test with a console, which a
windowed zmed-gui.exe cannot give.
"""

import sys

if __name__ == "__main__":
    if sys.argv[1:2] == ["--self-test"]:
        from zmed_gui.selftest import main as selftest_main

        raise SystemExit(selftest_main(sys.argv[2:]))
    from zmed_gui.cli import main

    raise SystemExit(main())
