"""A smaller ICU data library for the Linux bundle: libicudata.so.NN without what Qt never asks
ICU for in this app.

Qt's libicudata.so.73 is 32 MB (12 MB of the download): every code-page converter, the
display names of all languages, regions, currencies, units and time zones in 200+ locales,
transliterators, number spell-out rules, word-break dictionaries for Chinese, Japanese, Thai,
Khmer, Lao and Burmese, and collation tailorings for every language. Qt uses ICU for
locale-aware comparison (QCollator: root collation and English are kept; other languages
fall back to the root order, which is right for most of them), case mapping (built into
libicuuc, not data) and text-codec conversion (QStringConverter for non-UTF encodings; the
app decodes files with Python's codecs, never Qt's). Its own locale data (QLocale) is built
into QtCore. The locale main data, time-zone rules, normalisation and break rules stay.

The library is rebuilt from the ICU common-data package it holds: the package's table of
contents is read (ucmndata.h: a data header, then ``count`` and ``count`` pairs of name and
data offsets, names sorted, items 16-byte aligned), items are left out by name, and the new
package is linked into a shared library with the same SONAME and symbol (``icudtNN_dat``)
by the system's C compiler. Without a compiler (or on any failure) the original is kept and
the build says so.

    python packaging/icu_slim.py SRC.so OUT.so      # prints the sizes
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

# Item names below "icudtNNl/" that are left out (regular expressions, whole name).
DROP = [
    r"[^/]+\.cnv",  # code-page converters (QStringConverter's ICU backend only)
    r"unames\.icu",  # Unicode character names (u_charName)
    r"(unit|curr|lang|region|zone)/(?!(root|en|pool|res_index)\.res$).+",  # display names
    r"translit/.+",  # transliterators
    r"rbnf/.+",  # spelled-out numbers
    r"brkitr/[^/]+\.dict",  # word dictionaries for CJK and South-East Asian scripts
    r"coll/(?!(root|en|en_US|en_US_POSIX|res_index)\.res$)[^/]+\.res",  # language tailorings
]
_drop_re = re.compile("|".join(f"(?:{d})" for d in DROP))


def _symbol(data: bytes, pattern: bytes) -> tuple[str, int, int]:
    """(name, file offset, size) of the first dynamic symbol matching ``pattern`` in an
    ELF64 little-endian shared library."""
    if data[:4] != b"\x7fELF" or data[4] != 2 or data[5] != 1:
        raise ValueError("not an ELF64 little-endian file")
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum = struct.unpack_from("<HH", data, 0x3A)
    sections = [
        struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)
    ]
    dynsym = next(s for s in sections if s[1] == 11)  # SHT_DYNSYM
    strtab = sections[dynsym[6]]
    for i in range(dynsym[5] // 24):
        st_name, _info, _other, shndx, value, size = struct.unpack_from(
            "<IBBHQQ", data, dynsym[4] + i * 24
        )
        end = data.index(b"\0", strtab[4] + st_name)
        name = data[strtab[4] + st_name : end]
        if re.fullmatch(pattern, name) and size:
            sec = sections[shndx]
            return name.decode(), sec[4] + (value - sec[3]), size
    raise ValueError("no ICU data symbol")


def slim_package(package: bytes) -> tuple[bytes, int, int]:
    """The ICU common-data ``package`` without the items :data:`DROP` names; with the
    number of items kept and dropped."""
    header_size = struct.unpack_from("<H", package, 0)[0]
    if package[2:4] != b"\xda\x27" or package[12:16] != b"CmnD":
        raise ValueError("not an ICU common data package")
    toc = header_size
    count = struct.unpack_from("<I", package, toc)[0]
    entries = [struct.unpack_from("<II", package, toc + 4 + 8 * i) for i in range(count)]
    items: list[tuple[bytes, bytes]] = []
    dropped = 0
    for i, (name_off, data_off) in enumerate(entries):
        end_name = package.index(b"\0", toc + name_off)
        name = package[toc + name_off : end_name]
        end = entries[i + 1][1] if i + 1 < count else len(package) - toc
        short = name.decode("ascii").split("/", 1)[-1]
        if _drop_re.fullmatch(short):
            dropped += 1
            continue
        items.append((name, package[toc + data_off : toc + end]))
    names_at = 4 + 8 * len(items)
    names = b""
    name_offsets = []
    for name, _ in items:
        name_offsets.append(names_at + len(names))
        names += name + b"\0"
    pos = names_at + len(names)
    pos += -pos % 16
    body = bytearray()
    data_offsets = []
    for _, item in items:
        data_offsets.append(pos + len(body))
        body += item
        body += bytes(-len(body) % 16)
    out = bytearray(package[:header_size])
    out += struct.pack("<I", len(items))
    for n, d in zip(name_offsets, data_offsets, strict=True):
        out += struct.pack("<II", n, d)
    out += names
    out += bytes(-(len(out) - header_size) % 16)
    out += body
    return bytes(out), len(items), dropped


def build(src: Path, out: Path) -> str:
    """Writes the slim library for ``src`` to ``out``; returns a line saying what it did."""
    data = src.read_bytes()
    symbol, offset, size = _symbol(data, rb"icudt\d+_dat")
    slim, kept, dropped = slim_package(data[offset : offset + size])
    soname = out.name
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise RuntimeError("no C compiler (cc) to link the slim ICU data library")
    with tempfile.TemporaryDirectory() as tmp:
        dat = Path(tmp, "icu.dat")
        dat.write_bytes(slim)
        asm = Path(tmp, "icu.S")
        asm.write_text(
            f"\t.section .rodata\n\t.globl {symbol}\n\t.type {symbol}, @object\n"
            f'\t.balign 16\n{symbol}:\n\t.incbin "{dat}"\n\t.size {symbol}, . - {symbol}\n'
            '\t.section .note.GNU-stack,"",@progbits\n',
            encoding="ascii",
        )
        out.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [cc, "-shared", "-nostdlib", f"-Wl,-soname,{soname}", "-o", str(out), str(asm)],
            check=True,
        )
    return (
        f"{soname}: {len(data) / 1e6:.1f} MB -> {out.stat().st_size / 1e6:.1f} MB "
        f"({kept} ICU data items kept, {dropped} left out)"
    )


if __name__ == "__main__":
    print(build(Path(sys.argv[1]), Path(sys.argv[2])))
