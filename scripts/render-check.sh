#!/usr/bin/env bash
# Renders chosen documents of a book the way a 6" e-ink reader shows them, so a change to
# styles/ is looked at rather than guessed:
#
#   scripts/render-check.sh BOOK.epub N... OUTDIR
#
# N is a position in the spine (1 = the cover, 2 = the contents, 3 = the first chapter). For each
# N it writes OUTDIR/N-chromium.png: Chromium at 758 px wide, in grey (the top RENDER_HEIGHT px,
# default 3000). Where calibre is installed it also converts a book of that document alone to a
# 758x1024 PDF (OUTDIR/N-calibre.pdf, the page size of a 6" reader) and, with poppler's
# pdftoppm, its first RENDER_PAGES pages (default 3) to OUTDIR/N-calibre-P.png in grey.
#
# A calibre conversion that takes longer than RENDER_TIMEOUT seconds (default 300) is stopped.
# Needs: python3, unzip, and chromium (Debian: `apt-get install chromium fonts-noto-cjk`).
# Optional: calibre's ebook-convert, pdftoppm (poppler-utils), and Pillow or ImageMagick for
# the grey conversion of Chromium's shot (without either it stays in colour, with a note).
set -euo pipefail

usage="usage: $0 BOOK.epub N... OUTDIR   (N: spine position, 1 = cover)"
[ $# -ge 3 ] || { echo "$usage" >&2; exit 2; }
book=$1
shift
outdir=${*: -1}
positions=("${@:1:$#-1}")
height=${RENDER_HEIGHT:-3000}
pages=${RENDER_PAGES:-3}

[ -f "$book" ] || { echo "error: no book at \`$book\`" >&2; exit 2; }
for n in "${positions[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "error: \`$n\` is no spine position (1, 2, …); $usage" >&2; exit 2; }
done
for tool in python3 unzip; do
  command -v "$tool" >/dev/null || { echo "error: \`$tool\` is needed; install it first" >&2; exit 2; }
done
chromium=$(command -v chromium || command -v chromium-browser || command -v google-chrome || true)
[ -n "$chromium" ] || { echo "error: Chromium is needed: apt-get install chromium fonts-noto-cjk" >&2; exit 2; }
mkdir -p "$outdir"
# calibre's Qt WebEngine refuses to run as root inside its sandbox (containers, CI).
[ "$(id -u)" != 0 ] || export QTWEBENGINE_DISABLE_SANDBOX=1

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
unzip -q "$book" -d "$work/book"

# Prints the path of spine item N of the unpacked book; with a second argument, also writes a
# copy of the book whose spine holds that item alone (for calibre).
spine_tool() {
  python3 - "$work/book" "$@" <<'PY'
import os, re, sys, zipfile, xml.etree.ElementTree as ET
root, n = sys.argv[1], int(sys.argv[2])
container = ET.parse(os.path.join(root, "META-INF/container.xml"))
opf = container.find(".//{urn:oasis:names:tc:opendocument:xmlns:container}rootfile").get("full-path")
ns = "{http://www.idpf.org/2007/opf}"
package = ET.parse(os.path.join(root, opf))
items = {i.get("id"): i.get("href") for i in package.iter(ns + "item")}
spine = [r.get("idref") for r in package.iter(ns + "itemref")]
if not 1 <= n <= len(spine):
    sys.exit(f"error: the book has {len(spine)} documents in its spine, no {n}")
print(os.path.join(root, os.path.dirname(opf), items[spine[n - 1]]))
if len(sys.argv) > 3:
    text = open(os.path.join(root, opf), encoding="utf-8").read()
    keep = spine[n - 1]
    text = re.sub(r'\s*<itemref idref="([^"]+)"\s*/>',
                  lambda m: m.group(0) if m.group(1) == keep else "", text)
    # Without a cover in the metadata calibre's PDF starts with the document, not the cover.
    text = re.sub(r'\s*<meta name="cover"[^>]*/>', "", text)
    text = re.sub(r'\s*<guide>.*?</guide>', "", text, flags=re.S)
    text = text.replace(' properties="cover-image"', "")
    # calibre adds every document a kept one links to (the contents link to all chapters):
    # leave the other documents out of the copy.
    dropped = {os.path.normpath(os.path.join(os.path.dirname(opf), h))
               for i, h in items.items()
               if i != keep and h.endswith(".xhtml")}
    text = re.sub(r'\s*<item [^>]*id="([^"]+)"[^>]*/>',
                  lambda m: "" if m.group(1) != keep and items[m.group(1)].endswith(".xhtml")
                  else m.group(0), text)
    with zipfile.ZipFile(sys.argv[3], "w") as z:
        z.write(os.path.join(root, "mimetype"), "mimetype", zipfile.ZIP_STORED)
        for base, _, files in os.walk(root):
            for f in files:
                path = os.path.join(base, f)
                name = os.path.relpath(path, root)
                if name == "mimetype" or os.path.normpath(name) in dropped:
                    continue
                if name == opf:
                    z.writestr(name, text, zipfile.ZIP_DEFLATED)
                else:
                    z.write(path, name, zipfile.ZIP_DEFLATED)
PY
}

grey() {
  if python3 -c "import PIL" 2>/dev/null; then
    python3 -c "import sys; from PIL import Image; Image.open(sys.argv[1]).convert('L').save(sys.argv[2])" "$1" "$2"
  elif command -v convert >/dev/null; then
    convert "$1" -colorspace Gray "$2"
  else
    cp "$1" "$2"
    echo "note: neither Pillow nor ImageMagick found; \`$2\` is in colour" >&2
  fi
}

for n in "${positions[@]}"; do
  doc=$(spine_tool "$n")
  "$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$work/profile" --hide-scrollbars --window-size=758,"$height" \
    --screenshot="$work/shot.png" "file://$doc" >/dev/null 2>&1
  grey "$work/shot.png" "$outdir/$n-chromium.png"
  echo "$outdir/$n-chromium.png: $(basename "$doc") in Chromium"

  if command -v ebook-convert >/dev/null; then
    spine_tool "$n" "$work/one.epub" >/dev/null
    timeout "${RENDER_TIMEOUT:-300}" ebook-convert "$work/one.epub" "$outdir/$n-calibre.pdf" --custom-size 758x1024 \
      --unit devicepixel --pdf-page-margin-left 20 --pdf-page-margin-right 20 \
      --pdf-page-margin-top 20 --pdf-page-margin-bottom 20 >"$work/calibre.log" 2>&1 ||
      { cat "$work/calibre.log" >&2; echo "error: ebook-convert failed on document $n" >&2; exit 1; }
    echo "$outdir/$n-calibre.pdf: $(basename "$doc") in calibre"
    if command -v pdftoppm >/dev/null; then
      pdftoppm -gray -png -f 1 -l "$pages" -scale-to-x 758 -scale-to-y -1 \
        "$outdir/$n-calibre.pdf" "$outdir/$n-calibre"
      echo "$outdir/$n-calibre-*.png: its first pages"
    fi
  else
    echo "note: calibre's ebook-convert not found; no PDF for document $n" >&2
  fi
done
