"""(Re)generates the demo sample spreadsheets, and big workbooks for benchmarks.

    python bench/make_samples.py                      # resources/samples/demo-usage.{xlsx,csv}
    python bench/make_samples.py --big PATH --rows 1048575

The demo files are deterministic (fixed seed, fixed zip timestamps): running the script
again gives byte-identical files. The demo sheet "Usage" has a title in row 1, a blank
row 2, headers in row 3 and ~250 usage rows with exactly these problems for the review
step: an empty Account Number, Units "twelve", a #N/A error in Units, Usage Date text
"31/02/2026", Units -5 (a warning) and one exact duplicate row (a warning).

``--big`` writes the sheet XML directly (openpyxl would take minutes for a million rows):
6 columns like the demo, shared strings as Excel writes them, dates as styled serials.
"""

# ruff: noqa: E501  (OOXML boilerplate reads best one part per line)
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import random
import sys
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "resources" / "samples"
TITLE = "Acme Cloud - usage export, October 2026"
HEADERS = ["Account Number", "Product", "Usage Date", "Units", "Region", "Notes"]
PRODUCTS = ["API_CALLS", "STORAGE_GB", "SMS"]
REGIONS = ["EMEA", "AMER", "APAC"]
FIXED_ZIP_TIME = (2026, 11, 1, 0, 0, 0)
NA = object()  # marks the #N/A error cell


def demo_rows(count: int = 250) -> list[list[Any]]:
    """The demo data rows (without title and headers), problems included."""
    rng = random.Random(20261126)
    accounts: list[Any] = [f"A{rng.randint(1000, 99999):08d}" for _ in range(40)]
    accounts += [100000 + rng.randint(100, 999) for _ in range(8)]  # numeric IDs
    rows: list[list[Any]] = []
    seen: set[tuple[Any, ...]] = set()
    while len(rows) < count - 1:
        acct = rng.choice(accounts)
        product = rng.choice(PRODUCTS)
        when = dt.datetime(
            2026, 10, rng.randint(1, 31), rng.randint(0, 23), rng.choice([0, 15, 30, 45])
        )
        if product == "STORAGE_GB":
            units: Any = round(rng.uniform(0.5, 500), 2)
        elif product == "SMS":
            units = rng.randint(1, 2000)
        else:
            units = rng.randint(100, 250_000)
        region = rng.choice(REGIONS)
        note = rng.choice([None] * 12 + ["trial", "migrated from legacy", "promo"])
        key = (acct, product, when)
        if key in seen:
            continue
        seen.add(key)
        rows.append([acct, product, when, units, region, note])
    # The deliberate problems, each on its own row.
    rows[17][0] = None
    rows[17][5] = "account missing"
    rows[42][3] = "twelve"
    rows[88][3] = NA
    rows[120][2] = "31/02/2026"
    rows[151][3] = -5
    rows[151][5] = "credit note"
    rows.insert(200, list(rows[199]))  # exact duplicate
    return rows


def write_demo_xlsx(path: Path, rows: list[list[Any]]) -> None:
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    fixed = dt.datetime(2026, 11, 1)
    wb.properties.created = fixed
    wb.properties.modified = fixed
    wb.properties.creator = "zmed-gui"
    ws = wb.active
    assert ws is not None
    ws.title = "Usage"
    ws["A1"] = TITLE
    ws["A1"].font = Font(bold=True, size=14)
    for c, h in enumerate(HEADERS, start=1):
        ws.cell(row=3, column=c, value=h).font = Font(bold=True)
    for r, row in enumerate(rows, start=4):
        for c, value in enumerate(row, start=1):
            if value is None:
                continue
            cell = ws.cell(row=r, column=c)
            if value is NA:
                cell.value = "#N/A"
                cell.data_type = "e"
            else:
                cell.value = value
                if isinstance(value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd hh:mm"
    for letter, width in zip("ABCDEF", (16, 13, 18, 10, 8, 24), strict=True):
        ws.column_dimensions[letter].width = width
    readme = wb.create_sheet("Read me")
    for i, line in enumerate(
        [
            "Demo data for zmed-gui.",
            "The Usage sheet holds one row per usage record, headers in row 3.",
            "Some rows are wrong on purpose, to show the review step:",
            "an empty account, a Units of 'twelve', a #N/A, an impossible date (31/02/2026),",
            "a negative Units and one duplicated row.",
        ],
        start=1,
    ):
        readme.cell(row=i, column=1, value=line)
    buf = io.BytesIO()
    wb.save(buf)
    path.write_bytes(_fixed_zip(buf.getvalue()))


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with fixed entry timestamps, so the file is byte-for-byte repeatable."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def write_demo_csv(path: Path, rows: list[list[Any]]) -> None:
    """The same sheet as Excel's "CSV UTF-8" would save it (title, blank row, headers)."""

    def text(v: Any) -> str:
        if v is None:
            return ""
        if v is NA:
            return "#N/A"
        if isinstance(v, dt.datetime):
            return v.strftime("%Y-%m-%d %H:%M")
        return str(v)

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    width = len(HEADERS)
    w.writerow([TITLE] + [""] * (width - 1))
    w.writerow([""] * width)
    w.writerow(HEADERS)
    for row in rows:
        w.writerow([text(v) for v in row])
    path.write_bytes(buf.getvalue().encode("utf-8"))


# --- big workbooks, written as raw XML ------------------------------------------------------

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Usage" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
    '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="22" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
    "</styleSheet>"
)


def write_big_xlsx(path: Path, rows: int, seed: int = 1) -> None:
    """A one-sheet workbook: a header row and ``rows`` data rows of 6 columns."""
    rng = random.Random(seed)
    strings: dict[str, int] = {}

    def sst(s: str) -> int:
        idx = strings.get(s)
        if idx is None:
            idx = strings[s] = len(strings)
        return idx

    base = (dt.date(2026, 11, 1) - dt.date(1899, 12, 30)).days
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>"
            )
            cells = "".join(
                f'<c r="{col}1" t="s"><v>{sst(h)}</v></c>'
                for col, h in zip("ABCDEF", HEADERS, strict=True)
            )
            parts = [f'<row r="1">{cells}</row>']
            prod = [sst(p) for p in PRODUCTS]
            reg = [sst(r) for r in REGIONS]
            note = sst("ok")
            for i in range(2, rows + 2):
                acct = sst(f"A{rng.randrange(10**8):08d}")
                serial = base + rng.randrange(30) + rng.randrange(96) / 96
                units = rng.randrange(1, 100_000) / (4 if i % 5 == 0 else 1)
                notes = f'<c r="F{i}" t="s"><v>{note}</v></c>' if i % 10 == 0 else ""
                parts.append(
                    f'<row r="{i}"><c r="A{i}" t="s"><v>{acct}</v></c>'
                    f'<c r="B{i}" t="s"><v>{prod[i % 3]}</v></c>'
                    f'<c r="C{i}" s="1"><v>{serial!r}</v></c>'
                    f'<c r="D{i}"><v>{units!r}</v></c>'
                    f'<c r="E{i}" t="s"><v>{reg[i % 3]}</v></c>{notes}</row>'
                )
                if len(parts) >= 10_000:
                    f.write("".join(parts).encode())
                    parts.clear()
            f.write("".join(parts).encode())
            f.write(b"</sheetData></worksheet>")
        with z.open("xl/sharedStrings.xml", "w", force_zip64=True) as f:
            f.write(
                b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
                + f'count="{len(strings)}" uniqueCount="{len(strings)}">'.encode()
            )
            chunk: list[str] = []
            for s in strings:
                chunk.append(f"<si><t>{s}</t></si>")
                if len(chunk) >= 10_000:
                    f.write("".join(chunk).encode())
                    chunk.clear()
            f.write("".join(chunk).encode())
            f.write(b"</sst>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else "")
    parser.add_argument("--big", type=Path, help="write a big .xlsx here instead of the demo")
    parser.add_argument("--rows", type=int, default=1_048_575, help="data rows for --big")
    parser.add_argument("--out", type=Path, default=SAMPLES, help="folder for the demo files")
    args = parser.parse_args(argv)
    if args.big is not None:
        write_big_xlsx(args.big, args.rows)
        print(f"wrote {args.big} ({args.rows:,} data rows, {args.big.stat().st_size:,} bytes)")
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    rows = demo_rows()
    write_demo_xlsx(args.out / "demo-usage.xlsx", rows)
    write_demo_csv(args.out / "demo-usage.csv", rows)
    print(f"wrote {args.out / 'demo-usage.xlsx'} and demo-usage.csv ({len(rows)} data rows)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
