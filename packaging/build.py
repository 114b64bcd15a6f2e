"""Build the zmed-gui download for the platform this runs on.

    python packaging/build.py [--debug] [--skip-archive] [--clean]

1. renders the icons (packaging/icons.py -> build/icons/),
2. runs PyInstaller with packaging/zmed_gui.spec (-> dist/zmed-gui/, macOS also dist/zmed-gui.app),
3. makes the download:
   - Linux:   dist/zmed-gui-<version>-linux-<arch>.tar.gz (folder, .desktop entry, icon, install.sh)
   - Windows: dist/zmed-gui-<version>-windows-setup.exe via Inno Setup's ISCC when on PATH
   - macOS:   dist/zmed-gui-<version>-macos.dmg via packaging/macos/make_dmg.sh (hdiutil)
and prints the time taken and the sizes. Run it with the Python of the environment the app
is installed in (``pip install -e '.[package]'``); nothing is downloaded while building.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
BUILD = ROOT / "build"
DIST = ROOT / "dist"
APP = "zmed-gui"
IS_WIN = sys.platform.startswith("win")
IS_MAC = sys.platform == "darwin"


def project_version() -> str:
    with open(ROOT / "pyproject.toml", "rb") as fh:
        return str(tomllib.load(fh)["project"]["version"])


def arch() -> str:
    machine = platform.machine().lower()
    return {"amd64": "x86_64", "x64": "x86_64", "aarch64": "arm64"}.get(machine, machine)


def tree_size(path: Path) -> int:
    """Bytes of all regular files under ``path`` (symlinks not followed or counted twice)."""
    if path.is_file():
        return path.stat().st_size
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            p = Path(dirpath, name)
            if not p.is_symlink():
                total += p.stat().st_size
    return total


def mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB"


def step(title: str) -> float:
    print(f"\n== {title}", flush=True)
    return time.perf_counter()


def make_icons() -> Path:
    out = BUILD / "icons"
    # Qt in a child process keeps this script free of any Qt state.
    subprocess.run([sys.executable, str(PACKAGING / "icons.py"), "--out", str(out)], check=True)
    return out


def run_pyinstaller(debug: bool, clean: bool, icon_dir: Path) -> None:
    env = dict(os.environ, ZMED_ICON_DIR=str(icon_dir))
    if debug:
        env["ZMED_DEBUG_BUILD"] = "1"
    else:
        env.pop("ZMED_DEBUG_BUILD", None)
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(DIST),
        "--workpath",
        str(BUILD / "pyinstaller"),
        str(PACKAGING / "zmed_gui.spec"),
    ]
    if clean:
        cmd.insert(3, "--clean")
    subprocess.run(cmd, check=True, env=env, cwd=ROOT)


def linux_archive(version: str, icon_dir: Path) -> Path:
    """dist/zmed-gui-<v>-linux-<arch>.tar.gz holding zmed-gui-<v>/{zmed-gui/,install.sh,...}."""
    top = f"{APP}-{version}"
    out = DIST / f"{top}-linux-{arch()}.tar.gz"
    staged = {
        "install.sh": PACKAGING / "linux" / "install.sh",
        f"{APP}.desktop": PACKAGING / "linux" / f"{APP}.desktop",
        f"{APP}.png": icon_dir / f"{APP}-256.png",
        f"{APP}.svg": ROOT / "resources" / "icons" / f"{APP}.svg",
        "README.md": PACKAGING / "README.md",
    }

    def _mode(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        return info

    # Level 6: measured 57.5 MB in 20 s; level 9 saves 0.3 MB for 2.5 times the time.
    with tarfile.open(out, "w:gz", compresslevel=6) as tar:
        tar.add(DIST / APP, arcname=f"{top}/{APP}", filter=_mode)
        for name, src in staged.items():
            info = tar.gettarinfo(str(src), arcname=f"{top}/{name}")
            info = _mode(info)
            if name == "install.sh":
                info.mode = 0o755
            with open(src, "rb") as fh:
                tar.addfile(info, fh)
    return out


def windows_installer(version: str, icon_dir: Path) -> Path | None:
    iss = PACKAGING / "windows" / f"{APP}.iss"
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    for candidate in (
        Path(
            os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"),
            "Inno Setup 6",
            "ISCC.exe",
        ),
        Path(os.environ.get("LOCALAPPDATA", ""), "Programs", "Inno Setup 6", "ISCC.exe"),
    ):
        if not iscc and candidate.is_file():
            iscc = str(candidate)
    defines = [
        f"/DAppVersion={version}",
        f"/DSourceDir={DIST / APP}",
        f"/DOutputDir={DIST}",
        f"/DIconFile={icon_dir / (APP + '.ico')}",
    ]
    if not iscc:
        print("Inno Setup's ISCC.exe is not on PATH, so no installer was made.")
        print("Install Inno Setup 6 (winget install JRSoftware.InnoSetup) and run:")
        print(f'  iscc {" ".join(defines)} "{iss}"')
        return None
    subprocess.run([iscc, "/Q", *defines, str(iss)], check=True)
    return DIST / f"{APP}-{version}-windows-setup.exe"


def macos_dmg(version: str) -> Path:
    out = DIST / f"{APP}-{version}-macos.dmg"
    subprocess.run(
        [
            "bash",
            str(PACKAGING / "macos" / "make_dmg.sh"),
            str(DIST / f"{APP}.app"),
            str(out),
            version,
        ],
        check=True,
    )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Build the zmed-gui bundle and its download.")
    parser.add_argument("--debug", action="store_true", help="keep a console (ZMED_DEBUG_BUILD=1)")
    parser.add_argument("--skip-archive", action="store_true", help="stop after dist/zmed-gui/")
    parser.add_argument("--clean", action="store_true", help="empty PyInstaller's cache first")
    args = parser.parse_args(argv)

    version = project_version()
    t_all = time.perf_counter()
    print(f"zmed-gui {version} on {sys.platform}/{arch()} with Python {platform.python_version()}")

    t = step("icons")
    icon_dir = make_icons()
    print(f"icons: {time.perf_counter() - t:.1f} s")

    t = step("PyInstaller")
    run_pyinstaller(args.debug or os.environ.get("ZMED_DEBUG_BUILD") == "1", args.clean, icon_dir)
    t_pyi = time.perf_counter() - t
    folder = DIST / APP
    print(f"PyInstaller: {t_pyi:.1f} s")

    download: Path | None = None
    if not args.skip_archive:
        t = step("download")
        if IS_WIN:
            download = windows_installer(version, icon_dir)
        elif IS_MAC:
            download = macos_dmg(version)
        else:
            download = linux_archive(version, icon_dir)
        print(f"download: {time.perf_counter() - t:.1f} s")

    print("\n== summary")
    print(f"build time:     {time.perf_counter() - t_all:.1f} s (PyInstaller {t_pyi:.1f} s)")
    print(f"bundle:         {folder} {mb(tree_size(folder))} unpacked")
    if IS_MAC and (DIST / f"{APP}.app").exists():
        print(f"app bundle:     {DIST / (APP + '.app')} {mb(tree_size(DIST / (APP + '.app')))}")
    if download is not None and download.exists():
        print(f"download:       {download} {mb(download.stat().st_size)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
