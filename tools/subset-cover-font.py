#!/usr/bin/env python3
"""Regenerate assets/fonts/cover-font.otf, the font lessonpub draws generated covers with.

Machines running lessonpub (CI included) have no CJK font, so one is compiled into the binary;
the whole Noto Sans CJK face is ~16 MB, so only what titles need is kept.

Source: Noto Sans CJK SC Bold, version 2.004 (face index 2 of the collection
/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc from Debian's fonts-noto-cjk
1:20220127+repack1-1). SIL Open Font License 1.1: see assets/fonts/OFL.txt.

Character set (see `codepoints()` below):
  * printable ASCII and Latin-1 (U+0020-U+007E, U+00A0-U+00FF),
  * general punctuation (U+2010-U+205E), e.g. dashes, curly quotes, ellipsis,
  * CJK symbols and punctuation (U+3000-U+303F) and the katakana middle dot U+30FB,
  * halfwidth and fullwidth forms (U+FF01-U+FFEF),
  * every character of GB2312 (its 6763 hanzi and 682 symbols), i.e. each code that decodes,
  * the 8105 hanzi of the Table of General Standard Chinese Characters (通用规范汉字表, 2013),
    as listed by the kTGH field of Unihan 15.0 (Debian's unicode-data 15.0.0-1): it adds 1467
    hanzi GB2312 lacks, many of them common in names (旸, 喆, 堃, 珺).
Only outlines and metrics are kept: no hinting (the rasterizer ignores it), no layout tables
(titles are not shaped), no vertical metrics.

Requires fontTools (`pip install fonttools`) and `apt-get install unicode-data fonts-noto-cjk`. Output is byte-for-byte reproducible: the
timestamps fontTools would write are pinned via SOURCE_DATE_EPOCH.

Usage: python3 tools/subset-cover-font.py [SOURCE.ttc]
"""

import bz2
import os
import sys
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTCollection

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc"
UNIHAN = "/usr/share/unicode/Unihan_OtherMappings.txt.bz2"
FACE = "Noto Sans CJK SC Bold"
OUT = Path(__file__).resolve().parent.parent / "assets" / "fonts" / "cover-font.otf"


def codepoints():
    cps = set(range(0x20, 0x7F)) | set(range(0xA0, 0x100))
    cps |= set(range(0x2010, 0x205F))
    cps |= set(range(0x3000, 0x3040)) | {0x30FB}
    cps |= set(range(0xFF01, 0xFFF0))
    # GB2312 in EUC-CN: rows 0xA1-0xF7, cells 0xA1-0xFE; unassigned codes fail to decode.
    for hi in range(0xA1, 0xF8):
        for lo in range(0xA1, 0xFF):
            try:
                cps.add(ord(bytes([hi, lo]).decode("gb2312")))
            except UnicodeDecodeError:
                pass
    with bz2.open(UNIHAN, "rt", encoding="utf-8") as unihan:
        rows = (line.rstrip("\n").split("\t") for line in unihan if line.startswith("U+"))
        tgh = {int(row[0][2:], 16) for row in rows if row[1] == "kTGH"}
    if len(tgh) != 8105:
        sys.exit(f"{UNIHAN}: expected 8105 kTGH characters, found {len(tgh)}")
    return cps | tgh


def main():
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1643241600")  # 2022-01-27, the source's date
    source = sys.argv[1] if len(sys.argv) > 1 else SOURCE
    collection = TTCollection(source)
    fonts = [f for f in collection.fonts if f["name"].getDebugName(4) == FACE]
    if len(fonts) != 1:
        sys.exit(f"{source}: no single face named {FACE!r}")
    font = fonts[0]

    options = subset.Options()
    options.layout_features = []
    options.hinting = False
    options.drop_tables += ["BASE", "GDEF", "GPOS", "GSUB", "VORG", "vhea", "vmtx", "DSIG"]
    options.name_IDs = ["*"]  # keep the copyright and license notices
    options.notdef_outline = True  # .notdef's box is what a missing character shows
    options.recalc_timestamp = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=codepoints())
    subsetter.subset(font)

    OUT.parent.mkdir(parents=True, exist_ok=True)
    font.save(str(OUT), reorderTables=True)
    print(f"{OUT}: {OUT.stat().st_size} bytes, {len(font.getGlyphOrder())} glyphs")


if __name__ == "__main__":
    main()
