"""Reports the user opens get the user's normal file mode, not mkstemp's owner-only 0600."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.name == "nt", reason="POSIX file modes")

CODE = """
import sys
from pathlib import Path
from tests.core.report.test_report_review import _validated
from zmed_gui.core.report import write_report
result, _edits = _validated()
for name in sys.argv[1:]:
    write_report(Path(name), result)
"""


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_reports_follow_the_users_umask(tmp_path: Path, umask: int) -> None:
    """Exported result files were -rw------- (readable by their owner only)."""
    paths = [tmp_path / "result.xlsx", tmp_path / "result.csv"]
    # a real process with its own umask: the test's process keeps its own
    out = subprocess.run(
        [sys.executable, "-c", f"import os; os.umask({umask}); exec({CODE!r})", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[3],
    )
    assert out.returncode == 0, out.stderr
    for path in paths:
        assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~umask, path
