"""Packaging files: icons, spec, desktop entry, installers. PyInstaller itself is not run
here (packaging/ci.sh builds the real bundle)."""

from __future__ import annotations

import ast
import configparser
import importlib.util
import os
import plistlib
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"


def _load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"_pkg_{path.stem}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def icons() -> ModuleType:
    return _load(PACKAGING / "icons.py")


@pytest.fixture
def generated(icons: ModuleType, qapp: Any, tmp_path: Path) -> dict[str, Path]:
    return icons.generate(tmp_path / "icons")


def test_app_icon_is_svg() -> None:
    svg = (ROOT / "resources" / "icons" / "zmed-gui.svg").read_text(encoding="utf-8")
    assert "<svg" in svg and 'viewBox="0 0 64 64"' in svg


def test_pngs_have_their_sizes(icons: ModuleType, generated: dict[str, Path]) -> None:
    for size in icons.PNG_SIZES:
        data = generated[f"png{size}"].read_bytes()
        assert icons.png_size(data) == (size, size)


def test_ico_is_valid(icons: ModuleType, generated: dict[str, Path]) -> None:
    data = generated["ico"].read_bytes()
    entries = icons.parse_ico(data)
    assert [w for w, _h, _p in entries] == list(icons.ICO_SIZES)
    for w, h, payload in entries:
        assert w == h
        assert icons.png_size(payload) == (w, h)
    # 256 px is written as 0 in the directory entry, as Windows expects
    assert data[6 + 16 * (len(entries) - 1)] == 0


def test_icns_is_valid(icons: ModuleType, generated: dict[str, Path]) -> None:
    entries = dict(icons.parse_icns(generated["icns"].read_bytes()))
    assert set(entries) == {t for t, _s in icons.ICNS_TYPES}
    for ostype, size in icons.ICNS_TYPES:
        assert icons.png_size(entries[ostype]) == (size, size), ostype


def test_parsers_reject_garbage(icons: ModuleType) -> None:
    with pytest.raises(ValueError):
        icons.parse_ico(b"\x00\x00\x02\x00\x01\x00" + b"\x00" * 16)
    with pytest.raises(ValueError):
        icons.parse_icns(b"icns\x00\x00\x00\x09x")
    with pytest.raises(ValueError):
        icons.png_size(b"GIF89a" + b"\x00" * 30)


def test_spec_is_python_and_names_the_entry_points() -> None:
    text = (PACKAGING / "zmed_gui.spec").read_text(encoding="utf-8")
    tree = ast.parse(text, filename="zmed_gui.spec")
    calls = {
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    assert {"Analysis", "PYZ", "EXE", "COLLECT", "BUNDLE"} <= calls
    assert "launcher.py" in text and "launcher_cli.py" in text
    assert 'APP = "zmed-gui"' in text
    assert "console=DEBUG" in text  # windowed unless ZMED_DEBUG_BUILD=1
    assert '"zmed_gui", "resources"' in text  # resources land where importlib finds them
    launcher = (PACKAGING / "launcher.py").read_text(encoding="utf-8")
    ast.parse(launcher)
    assert "from zmed_gui.ui.app import main" in launcher
    assert "zmed_gui.selftest" in launcher
    cli = (PACKAGING / "launcher_cli.py").read_text(encoding="utf-8")
    ast.parse(cli)
    assert "from zmed_gui.cli import main" in cli


def test_desktop_entry_has_the_required_keys() -> None:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # keys are case-sensitive
    parser.read(PACKAGING / "linux" / "zmed-gui.desktop", encoding="utf-8")
    entry = parser["Desktop Entry"]
    assert entry["Type"] == "Application"
    assert entry["Name"] == "zmed-gui"
    assert entry["Exec"].split()[0] == "zmed-gui"
    assert entry["Icon"] == "zmed-gui"
    assert entry["Terminal"] == "false"
    assert entry["Categories"].endswith(";")


def test_windows_version_resource(tmp_path: Path) -> None:
    vi = _load(PACKAGING / "windows" / "version_info.py")
    assert vi.version_tuple("0.1.0") == (0, 1, 0, 0)
    assert vi.version_tuple("2.10.3rc1") == (2, 10, 3, 1)
    text = vi.render("1.2.3", "zmed-gui.exe")
    seen: dict[str, Any] = {}

    def record(kind: str) -> Any:
        def make(*args: Any, **kwargs: Any) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
            seen.setdefault(kind, []).append((args, kwargs))
            return (kind, args, kwargs)

        return make

    names = ["VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable",
             "StringStruct", "VarFileInfo", "VarStruct"]  # fmt: skip
    eval(text, {n: record(n) for n in names})  # the form PyInstaller evaluates
    assert seen["FixedFileInfo"][0][1]["filevers"] == (1, 2, 3, 0)
    strings = {args[0]: args[1] for args, _kw in seen["StringStruct"]}
    assert strings["ProductVersion"] == "1.2.3"
    assert strings["OriginalFilename"] == "zmed-gui.exe"


def test_inno_setup_script_is_per_user_with_start_menu_entry() -> None:
    iss = (PACKAGING / "windows" / "zmed-gui.iss").read_text(encoding="utf-8")
    assert "PrivilegesRequired=lowest" in iss
    assert "AppVersion={#AppVersion}" in iss
    assert '{autoprograms}\\{#AppName}"; Filename: "{app}\\{#AppExe}"' in iss
    assert "{#AppName}-{#AppVersion}-windows-setup" in iss


def test_macos_plist_template() -> None:
    text = (PACKAGING / "macos" / "Info.plist").read_bytes()
    plist = plistlib.loads(text.replace(b"@VERSION@", b"1.2.3"))
    assert plist["CFBundleShortVersionString"] == "1.2.3"
    assert plist["CFBundleName"] == "zmed-gui"
    assert plist["NSHighResolutionCapable"] is True


def _fake_unpacked(tmp_path: Path) -> Path:
    """The layout of the Linux download, with a stand-in executable."""
    top = tmp_path / "zmed-gui-0.1.0"
    (top / "zmed-gui" / "_internal").mkdir(parents=True)
    exe = top / "zmed-gui" / "zmed-gui"
    exe.write_text('#!/bin/sh\necho "$(basename "$0") $*"\n', encoding="utf-8")
    exe.chmod(0o755)
    (top / "zmed-gui" / "zmed-upload").symlink_to("zmed-gui")
    shutil.copy(PACKAGING / "linux" / "install.sh", top / "install.sh")
    shutil.copy(PACKAGING / "linux" / "zmed-gui.desktop", top / "zmed-gui.desktop")
    shutil.copy(ROOT / "resources" / "icons" / "zmed-gui.svg", top / "zmed-gui.svg")
    (top / "zmed-gui.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    return top


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="install.sh is for Linux")
def test_install_sh_installs_and_uninstalls_per_user(tmp_path: Path) -> None:
    top = _fake_unpacked(tmp_path)
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}
    done = subprocess.run(
        ["sh", str(top / "install.sh")], env=env, capture_output=True, text=True, check=True
    )
    prefix = home / ".local" / "opt" / "zmed-gui"
    assert "installed" in done.stdout
    assert (prefix / "zmed-gui").is_file()
    desktop = (home / ".local/share/applications/zmed-gui.desktop").read_text(encoding="utf-8")
    assert f'Exec="{prefix}/zmed-gui" %f' in desktop
    assert (home / ".local/share/icons/hicolor/256x256/apps/zmed-gui.png").is_file()
    link = home / ".local" / "bin" / "zmed-upload"
    ran = subprocess.run([str(link), "--version"], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "zmed-upload --version"  # argv[0] survives two symlinks

    # again (an update), then away
    subprocess.run(["sh", str(top / "install.sh")], env=env, capture_output=True, check=True)
    subprocess.run(
        ["sh", str(top / "install.sh"), "--uninstall"], env=env, capture_output=True, check=True
    )
    assert not prefix.exists()
    assert not link.exists() and not link.is_symlink()
    assert not (home / ".local/share/applications/zmed-gui.desktop").exists()


def test_install_sh_refuses_without_the_app(tmp_path: Path) -> None:
    top = tmp_path / "empty"
    top.mkdir()
    shutil.copy(PACKAGING / "linux" / "install.sh", top / "install.sh")
    done = subprocess.run(
        ["sh", str(top / "install.sh")],
        env={"HOME": str(tmp_path), "PATH": os.environ.get("PATH", "/usr/bin:/bin")},
        capture_output=True,
        text=True,
    )
    assert done.returncode != 0
    assert "missing" in done.stderr


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="tarball is the Linux download")
def test_linux_archive_layout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build = _load(PACKAGING / "build.py")
    dist = tmp_path / "dist"
    bundle = dist / "zmed-gui"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "zmed-gui").write_bytes(b"\x7fELF")
    (bundle / "zmed-gui").chmod(0o755)
    (bundle / "zmed-upload").symlink_to("zmed-gui")
    icon_dir = tmp_path / "icons"
    icon_dir.mkdir()
    (icon_dir / "zmed-gui-256.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    monkeypatch.setattr(build, "DIST", dist)
    out = build.linux_archive("9.8.7", icon_dir)
    assert out.name == f"zmed-gui-9.8.7-linux-{build.arch()}.tar.gz"
    with tarfile.open(out) as tar:
        members = {m.name: m for m in tar.getmembers()}
    top = "zmed-gui-9.8.7"
    for name in ("install.sh", "zmed-gui.desktop", "zmed-gui.png", "zmed-gui/zmed-gui"):
        assert f"{top}/{name}" in members, name
    assert members[f"{top}/install.sh"].mode & 0o111
    assert members[f"{top}/zmed-gui/zmed-upload"].issym()
    assert members[f"{top}/zmed-gui/zmed-gui"].uid == 0


def _icu_package(items: dict[str, bytes]) -> bytes:
    """An ICU common-data package (ucmndata.h layout) holding ``items`` under icudt73l/."""
    import struct

    header = bytearray(32)
    struct.pack_into("<HBB", header, 0, 32, 0xDA, 0x27)
    struct.pack_into("<HH4B", header, 4, 20, 0, 0, 0, 2, 0)
    header[12:16] = b"CmnD"
    names = sorted(f"icudt73l/{n}".encode() for n in items)
    table = 4 + 8 * len(names)
    blob = b"".join(n + b"\0" for n in names)
    pos = table + len(blob)
    pos += -pos % 16
    body = b""
    offsets = []
    name_at = table
    for n in names:
        offsets.append((name_at, pos + len(body)))
        name_at += len(n) + 1
        body += items[n.decode().split("/", 1)[1]]
        body += bytes(-len(body) % 16)
    toc = struct.pack("<I", len(names)) + b"".join(struct.pack("<II", *o) for o in offsets)
    toc += blob
    toc += bytes(-len(toc) % 16)
    return bytes(header) + toc + body


def _icu_items(package: bytes) -> dict[str, bytes]:
    import struct

    size = struct.unpack_from("<H", package)[0]
    count = struct.unpack_from("<I", package, size)[0]
    entries = [struct.unpack_from("<II", package, size + 4 + 8 * i) for i in range(count)]
    out = {}
    for i, (name_off, data_off) in enumerate(entries):
        end = package.index(b"\0", size + name_off)
        name = package[size + name_off : end].decode().split("/", 1)[1]
        stop = entries[i + 1][1] if i + 1 < count else len(package) - size
        out[name] = package[size + data_off : size + stop]
        assert (size + data_off) % 16 == 0
    return out


def test_icu_slim_keeps_what_qt_uses_and_drops_the_rest() -> None:
    icu_slim = _load(PACKAGING / "icu_slim.py")
    keep = {
        "en.res": b"E" * 32,
        "root.res": b"R" * 48,
        "zoneinfo64.res": b"Z" * 32,
        "coll/root.res": b"C" * 48,
        "coll/ucadata.icu": b"U" * 64,
        "coll/en.res": b"c" * 16,
        "brkitr/word.brk": b"W" * 48,
        "lang/en.res": b"l" * 16,
        "zone/root.res": b"z" * 16,
        "nfc.nrm": b"N" * 16,
    }
    drop = {
        "ibm-1390_P110-2003.cnv": b"X" * 112,
        "unames.icu": b"X" * 64,
        "coll/zh.res": b"X" * 96,
        "lang/de.res": b"X" * 32,
        "curr/fr.res": b"X" * 32,
        "unit/ja.res": b"X" * 32,
        "region/sv.res": b"X" * 32,
        "translit/root.res": b"X" * 32,
        "rbnf/en.res": b"X" * 32,
        "brkitr/cjdict.dict": b"X" * 208,
    }
    package = _icu_package({**keep, **drop})
    assert _icu_items(package) == {**keep, **drop}  # the test's own reader agrees
    # (items are 16-byte multiples here, so no padding shows in what the reader returns)
    slim, kept, dropped = icu_slim.slim_package(package)
    assert (kept, dropped) == (len(keep), len(drop))
    assert _icu_items(slim) == keep
    assert slim[:32] == package[:32]
    with pytest.raises(ValueError):
        icu_slim.slim_package(b"\x20\x00\x00\x00" + bytes(60))


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("cc") is None, reason="Linux with cc"
)
def test_icu_slim_links_a_library_with_the_same_soname_and_symbol(tmp_path: Path) -> None:
    icu_slim = _load(PACKAGING / "icu_slim.py")
    package = _icu_package({"root.res": b"R" * 32, "a.cnv": b"X" * 4096})
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    asm = src_dir / "d.S"
    (src_dir / "d.dat").write_bytes(package)
    asm.write_text(
        ".section .rodata\n.globl icudt73_dat\n.type icudt73_dat, @object\n.balign 16\n"
        f'icudt73_dat:\n.incbin "{src_dir / "d.dat"}"\n.size icudt73_dat, . - icudt73_dat\n'
        '.section .note.GNU-stack,"",@progbits\n'
    )
    src = src_dir / "libicudata.so.73"
    subprocess.run(
        ["cc", "-shared", "-nostdlib", "-Wl,-soname,libicudata.so.73", "-o", str(src), str(asm)],
        check=True,
    )
    out = tmp_path / "out" / "libicudata.so.73"
    line = icu_slim.build(src, out)
    assert "1 ICU data items kept, 1 left out" in line
    data = out.read_bytes()
    name, offset, size = icu_slim._symbol(data, rb"icudt\d+_dat")
    assert name == "icudt73_dat"
    assert _icu_items(data[offset : offset + size]) == {"root.res": b"R" * 32}
    assert b"libicudata.so.73" in data  # the SONAME
