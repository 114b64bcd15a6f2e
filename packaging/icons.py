"""Render the one app icon (resources/icons/zmed-gui.svg) into every per-OS icon format.

    python packaging/icons.py [--out build/icons] [--svg resources/icons/zmed-gui.svg]

Writes ``zmed-gui-<N>.png`` for N in 16..1024, ``zmed-gui.ico`` (Windows) and
``zmed-gui.icns`` (macOS). Rendering uses QtSvg offscreen; the ICO and ICNS containers are
written by hand with :mod:`struct` holding PNG entries (both formats accept PNG payloads:
ICO since Windows Vista, ICNS since OS X 10.7), so no Pillow and no iconutil are needed and
every platform's icons can be made on any platform.
"""

from __future__ import annotations

import argparse
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SVG = ROOT / "resources" / "icons" / "zmed-gui.svg"
DEFAULT_OUT = ROOT / "build" / "icons"
NAME = "zmed-gui"

PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512, 1024)
ICO_SIZES = (16, 24, 32, 48, 64, 128, 256)
# ICNS OSType -> pixel size of the PNG it holds (the @2x types reuse the larger renders).
ICNS_TYPES = (
    ("icp4", 16),
    ("icp5", 32),
    ("icp6", 64),
    ("ic07", 128),
    ("ic08", 256),
    ("ic09", 512),
    ("ic10", 1024),  # 512x512@2x
    ("ic11", 32),  # 16x16@2x
    ("ic12", 64),  # 32x32@2x
    ("ic13", 256),  # 128x128@2x
    ("ic14", 512),  # 256x256@2x
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def render_pngs(svg: Path, sizes: tuple[int, ...] = PNG_SIZES) -> dict[int, bytes]:
    """Render ``svg`` at each size; returns size -> PNG bytes."""
    if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    # QPainter on a QImage needs a Gui application object for some paint engines' setup.
    app = QGuiApplication.instance() or QGuiApplication([sys.argv[0], "-platform", "offscreen"])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG image")
    out: dict[int, bytes] = {}
    for size in sizes:
        image = QImage(size, size, QImage.Format.Format_ARGB32_Premultiplied)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buf = QBuffer(data)
        buf.open(QIODevice.OpenModeFlag.WriteOnly)
        if not image.save(buf, "PNG"):
            raise RuntimeError(f"Qt could not encode a {size}px PNG")
        buf.close()
        out[size] = bytes(data.data())
    del app  # keep the reference alive until here; never quit an app we did not create
    return out


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICO file with one PNG-compressed 32-bit image per size (<= 256 px)."""
    sizes = sorted(s for s in pngs if s <= 256)
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, count
    offset = 6 + 16 * len(sizes)
    entries = b""
    payload = b""
    for s in sizes:
        data = pngs[s]
        dim = 0 if s == 256 else s  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
        payload += data
    return header + entries + payload


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """An ICNS file with PNG entries (big-endian OSType + length, length includes 8)."""
    body = b""
    for ostype, size in ICNS_TYPES:
        if size in pngs:
            data = pngs[size]
            body += ostype.encode("ascii") + struct.pack(">I", len(data) + 8) + data
    return b"icns" + struct.pack(">I", len(body) + 8) + body


def parse_ico(data: bytes) -> list[tuple[int, int, bytes]]:
    """(width, height, payload) per entry; raises ValueError when the file is malformed."""
    if len(data) < 6:
        raise ValueError("not an ICO icon directory")
    reserved, kind, count = struct.unpack_from("<HHH", data, 0)
    if len(data) < 6 + 16 * count:
        raise ValueError("the ICO directory is cut short")
    if reserved != 0 or kind != 1 or count == 0:
        raise ValueError("not an ICO icon directory")
    result = []
    for i in range(count):
        w, h, _c, _r, _planes, _bpp, size, offset = struct.unpack_from(
            "<BBBBHHII", data, 6 + 16 * i
        )
        if offset + size > len(data):
            raise ValueError(f"ICO entry {i} points past the end of the file")
        result.append((w or 256, h or 256, data[offset : offset + size]))
    return result


def parse_icns(data: bytes) -> list[tuple[str, bytes]]:
    """(OSType, payload) per entry; raises ValueError when the file is malformed."""
    if data[:4] != b"icns":
        raise ValueError("not an ICNS file")
    (total,) = struct.unpack_from(">I", data, 4)
    if total != len(data):
        raise ValueError(f"ICNS length field says {total}, file has {len(data)} bytes")
    pos, result = 8, []
    while pos < total:
        if pos + 8 > total:
            raise ValueError(f"ICNS entry header at byte {pos} is cut short")
        ostype = data[pos : pos + 4].decode("ascii", errors="replace")
        (length,) = struct.unpack_from(">I", data, pos + 4)
        if length < 8 or pos + length > total:
            raise ValueError(f"ICNS entry {ostype} has a bad length {length}")
        result.append((ostype, data[pos + 8 : pos + length]))
        pos += length
    return result


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    if data[:8] != PNG_MAGIC or data[12:16] != b"IHDR":
        raise ValueError("not a PNG")
    w, h = struct.unpack_from(">II", data, 16)
    return w, h


def generate(out_dir: Path = DEFAULT_OUT, svg: Path = DEFAULT_SVG) -> dict[str, Path]:
    """Write every icon into ``out_dir``; returns {"png<N>": path, "ico": path, "icns": path}."""
    out_dir.mkdir(parents=True, exist_ok=True)
    pngs = render_pngs(svg)
    paths: dict[str, Path] = {}
    for size, data in pngs.items():
        p = out_dir / f"{NAME}-{size}.png"
        p.write_bytes(data)
        paths[f"png{size}"] = p
    paths["ico"] = out_dir / f"{NAME}.ico"
    paths["ico"].write_bytes(ico_bytes(pngs))
    paths["icns"] = out_dir / f"{NAME}.icns"
    paths["icns"].write_bytes(icns_bytes(pngs))
    return paths


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--svg", type=Path, default=DEFAULT_SVG)
    args = parser.parse_args(argv)
    paths = generate(args.out, args.svg)
    for key in ("ico", "icns", "png256"):
        print(f"{key:6} {paths[key]} ({paths[key].stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
