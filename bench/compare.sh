#!/usr/bin/env bash
# Whole builds, lessonpub against pandoc, on real columns whose images come from the loopback
# mirror of ../shared/checks with --images real: every image URL gets its own realistic picture
# (diagram, terminal screenshot, table or photo) at the size the URL declares, as GeekTime's
# are, after a round trip of --latency milliseconds.
#
#   bench/compare.sh [--columns "html/linux-perf"] [--latency 20] [--args "-j 16"] [--keep]
#
# For each column, in one run: lessonpub with an empty image cache (cold), again (warm), cold
# with --grayscale, and pandoc on the same rewritten lessons; then lessonpub cold and warm on the
# column four times over, each copy's image URLs made distinct (bench/times4.py), to see how
# memory grows with the pictures; then the floor (benches/floor.rs): the CPU it takes just to
# decode each picture the cold build downloaded and encode what the book stores of it, once.
# Prints wall time, CPU time, peak RSS (MiB) and book size (MB of 10^6 bytes, as lessonpub reports
# it) of every run, and the targets.
#
# Needs: cargo, python3 with Pillow (`pip install pillow`; fonts-noto-cjk for Chinese labels),
# pandoc (Debian package `pandoc`), GNU time (/usr/bin/time). The pictures are drawn once, before
# anything is timed, into $TMPDIR/lessonpub-mirror-images (kept between runs).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
columns="html/linux-perf"
latency=20
keep=0
extra=""
while [ $# -gt 0 ]; do
  case "$1" in
    --columns) columns=$2; shift 2 ;;
    --latency) latency=$2; shift 2 ;;
    --args) extra=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
command -v pandoc >/dev/null || { echo "pandoc is missing: apt-get install pandoc" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 2; }
python3 -c 'import PIL' 2>/dev/null || { echo "Pillow is missing: pip install pillow" >&2; exit 2; }

cargo build --release --quiet
cargo bench --no-run --quiet --bench floor 2>/dev/null
bin=target/release/lessonpub
work=$(mktemp -d "${TMPDIR:-/tmp}/lessonpub-bench.XXXXXX")
pictures="${TMPDIR:-/tmp}/lessonpub-mirror-images"
cleanup() { [ -n "${mirror:-}" ] && kill "$mirror" 2>/dev/null; [ $keep = 1 ] || rm -rf "$work"; }
trap cleanup EXIT

# Every column and its four-fold copy, with their pictures drawn before anything is timed.
for col in $columns; do
  name=$(basename "$col")
  python3 bench/times4.py "$shared/corpus/$col" "$work/x4-src/$name"
  for dir in "$shared/corpus/$col" "$work/x4-src/$name"; do
    python3 "$shared/checks/realimages.py" prepare "$dir" "$pictures" >/dev/null
  done
done

python3 "$shared/checks/mirror.py" serve --port-file "$work/port" --log "$work/mirror.log" \
  --faults off --images real --image-cache "$pictures" --latency "$latency" &
mirror=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")"

echo "lessonpub flags: ${extra:-(defaults)}; images: mirror.py --images real --latency $latency"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at start; $(pandoc --version | head -1)"
results="$work/results.tsv"
: > "$results"

# run COLUMN TOOL LABEL BOOK -- COMMAND...: time one run and record it.
run() {
  local column=$1 tool=$2 label=$3 book=$4; shift 5
  local t="$work/time.txt"
  /usr/bin/time -f "%e %U %S %M" -o "$t" "$@" > "$work/last.out" 2> "$work/last.err" || {
    echo "FAILED: $*" >&2; tail -5 "$work/last.err" >&2; exit 1; }
  read -r secs user sys kb < "$t"
  local size=0; [ -f "$book" ] && size=$(stat -c %s "$book")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$column" "$tool" "$label" "$secs" "$user $sys" "$kb" "$size" >> "$results"
  awk -v c="$column" -v t="$tool" -v l="$label" -v s="$secs" -v u="$user" -v y="$sys" -v k="$kb" -v b="$size" \
    'BEGIN { printf "  %-22s %-9s %-9s %7.2f s wall %7.2f s CPU %7.1f MiB RSS %7.2f MB book\n", c, t, l, s, u + y, k / 1024, b / 1e6 }'
}

for col in $columns; do
  name=$(basename "$col")
  src="$work/src/$name"
  python3 "$shared/checks/mirror.py" rewrite "$shared/corpus/$col" "$src" "$base" >/dev/null
  cache="$work/cache-$name"
  : > "$work/mirror.log"
  run "$name" lessonpub cold "$work/$name.epub" -- "$bin" build "$src" -o "$work/$name.epub" --cache-dir "$cache" -q $extra
  cp "$work/mirror.log" "$work/$name.requests"
  run "$name" lessonpub warm "$work/$name.epub" -- "$bin" build "$src" -o "$work/$name.epub" --cache-dir "$cache" -q $extra
  run "$name" lessonpub gray "$work/$name-gray.epub" -- "$bin" build "$src" -o "$work/$name-gray.epub" --cache-dir "$work/cache-$name-gray" --grayscale -q $extra
  # pandoc reads the same rewritten lessons: HTML ones as HTML, Markdown ones as Markdown.
  if [ -d "$src/docs" ]; then from=markdown; files=("$src"/docs/*.md); else from=html; files=("$src"/*.md); fi
  run "$name" pandoc cold "$work/$name.pandoc.epub" -- \
    pandoc -f "$from" -t epub3 --metadata title="$name" -o "$work/$name.pandoc.epub" "${files[@]}"
  big="$work/src/$name-x4"
  python3 "$shared/checks/mirror.py" rewrite "$work/x4-src/$name" "$big" "$base" >/dev/null
  run "$name-x4" lessonpub cold "$work/$name-x4.epub" -- "$bin" build "$big" -o "$work/$name-x4.epub" --cache-dir "$work/cache-$name-x4" -q $extra
  run "$name-x4" lessonpub warm "$work/$name-x4.epub" -- "$bin" build "$big" -o "$work/$name-x4.epub" --cache-dir "$work/cache-$name-x4" -q $extra
  # The pictures the cold build downloaded, as the mirror drew them.
  python3 - "$work/$name.requests" "$pictures" "$shared/checks" > "$work/$name.pictures" <<'PY'
import hashlib, json, os, sys
sys.path.insert(0, sys.argv[3])
from realimages import is_avatar
seen = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["status"] != 200 or r["path"] in seen:
        continue
    seen.add(r["path"])
    key = hashlib.sha256(r["path"].encode()).hexdigest()
    for ext in (".jpg", ".png"):
        f = os.path.join(sys.argv[2], key + ext)
        if os.path.exists(f):
            print(("avatar" if is_avatar(r["path"]) else "article") + "\t" + f)
PY
  cargo bench --quiet --bench floor -- "$work/$name.pictures" | tee "$work/$name.floor"
done

echo "machine load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" "$work" <<'PY'
import os, re, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
# RSS in MiB (GNU time counts KiB); books in MB of 10^6 bytes, as lessonpub reports them and
# Send to Kindle counts its 50 MB.
r = {(c, t, l): (float(s), sum(map(float, cpu.split())), int(kb) / 1024, int(b) / 1e6)
     for c, t, l, s, cpu, kb, b in rows}
print("\ntargets")
for c in sorted({c for c, _, _ in r if not c.endswith("-x4")}):
    lc, lw, lg, pc = (r[(c, "lessonpub", "cold")], r[(c, "lessonpub", "warm")],
                      r[(c, "lessonpub", "gray")], r[(c, "pandoc", "cold")])
    x4 = r[(c + "-x4", "lessonpub", "cold")]
    print(f"  {c}: cold {pc[0] / lc[0]:.1f}x faster than pandoc (target >= 5x); "
          f"warm {lw[0]:.2f} s (target <= 1 s)")
    print(f"  {c}: peak RSS {max(lc[2], lw[2]):.0f} MiB (target <= 150 MB); 4x the pictures "
          f"{x4[2]:.0f} MiB = {(x4[2] / lc[2] - 1) * 100:+.0f}% (target <= +10%)")
    print(f"  {c}: book {lc[3]:.2f} MB (target <= 12 MB), --grayscale {lg[3]:.2f} MB "
          f"(target <= 6 MB), pandoc's {pc[3]:.1f} MB")
    floor = open(os.path.join(sys.argv[2], c + ".floor")).read()
    m = re.search(r"= ([\d.]+) s of CPU \(([\d.]+) s on 2 cores\)", floor)
    if m:
        print(f"  {c}: cold build {lc[0]:.2f} s wall, {lc[1]:.2f} s CPU = {lc[1] / float(m.group(1)):.1f}x "
              f"the floor's {float(m.group(1)):.2f} s CPU (wall {lc[0] / float(m.group(2)):.1f}x its "
              f"{float(m.group(2)):.2f} s on 2 cores)")
PY
