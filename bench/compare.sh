#!/usr/bin/env bash
# Whole builds, lessonpub against pandoc, on real columns whose images come from the loopback
# mirror of ../shared/checks (faults off, so both tools get every image).
#
#   bench/compare.sh [--columns "html/linux-perf md/programmer-advance"] [--args "-j 16"] [--keep]
#
# For each column: lessonpub with an empty image cache (cold), then again (warm); pandoc twice
# (it has no cache, so both runs are cold); then lessonpub warm on a column 4x as large (the
# lessons copied under new names) to see how memory grows. Prints wall time, peak RSS and book
# size of every run, and the ratios the targets are stated in. Needs: cargo, python3, pandoc
# (Debian package `pandoc`), GNU time (/usr/bin/time).
set -euo pipefail
cd "$(dirname "$0")/.."
shared=../shared
columns="html/linux-perf md/programmer-advance"
keep=0
extra=""
while [ $# -gt 0 ]; do
  case "$1" in
    --columns) columns=$2; shift 2 ;;
    --args) extra=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    *) echo "unknown argument: $1" >&2; exit 2 ;;
  esac
done
command -v pandoc >/dev/null || { echo "pandoc is missing: apt-get install pandoc" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "GNU time is missing: apt-get install time" >&2; exit 2; }

cargo build --release --quiet
bin=target/release/lessonpub
work=$(mktemp -d "${TMPDIR:-/tmp}/lessonpub-bench.XXXXXX")
python3 "$shared/checks/mirror.py" serve --port-file "$work/port" --log "$work/mirror.log" --faults off &
mirror=$!
cleanup() { kill $mirror 2>/dev/null || true; [ $keep = 1 ] || rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
base="http://127.0.0.1:$(cat "$work/port")"

echo "lessonpub flags: ${extra:-(defaults)}"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg) at start; $(pandoc --version | head -1)"
results="$work/results.tsv"
: > "$results"

# run NAME TOOL RUN BOOK -- COMMAND...: time one run and record it.
run() {
  local column=$1 tool=$2 label=$3 book=$4; shift 5
  local t="$work/time.txt"
  /usr/bin/time -f "%e %M" -o "$t" "$@" > "$work/last.out" 2> "$work/last.err" || {
    echo "FAILED: $*" >&2; tail -5 "$work/last.err" >&2; exit 1; }
  read -r secs kb < "$t"
  local size=0; [ -f "$book" ] && size=$(stat -c %s "$book")
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$column" "$tool" "$label" "$secs" "$kb" "$size" >> "$results"
  awk -v c="$column" -v t="$tool" -v l="$label" -v s="$secs" -v k="$kb" -v b="$size" \
    'BEGIN { printf "  %-22s %-9s %-8s %7.2f s %7.1f MB RSS %7.1f MB book\n", c, t, l, s, k / 1024, b / 1048576 }' 
}

for col in $columns; do
  name=$(basename "$col")
  src="$work/src/$name"
  python3 "$shared/checks/mirror.py" rewrite "$shared/corpus/$col" "$src" "$base"
  cache="$work/cache-$name"
  run "$name" lessonpub cold "$work/$name.epub" -- "$bin" build "$src" -o "$work/$name.epub" --cache-dir "$cache" -q $extra
  run "$name" lessonpub warm "$work/$name.epub" -- "$bin" build "$src" -o "$work/$name.epub" --cache-dir "$cache" -q $extra
  # pandoc reads the same rewritten lessons: HTML ones as HTML, Markdown ones as Markdown.
  if [ -d "$src/docs" ]; then from=markdown; files=("$src"/docs/*.md); else from=html; files=("$src"/*.md); fi
  for label in cold warm; do
    run "$name" pandoc "$label" "$work/$name.pandoc.epub" -- \
      pandoc -f "$from" -t epub3 --metadata title="$name" -o "$work/$name.pandoc.epub" "${files[@]}"
  done
  if [ "$from" = html ]; then
    big="$work/src/$name-x4"
    mkdir -p "$big"
    for k in 1 2 3 4; do
      for f in "$src"/*.md; do cp "$f" "$big/$(basename "$f" .md) (copy $k).md"; done
    done
    run "$name-x4" lessonpub cold "$work/$name-x4.epub" -- "$bin" build "$big" -o "$work/$name-x4.epub" --cache-dir "$cache" -q $extra
    run "$name-x4" lessonpub warm "$work/$name-x4.epub" -- "$bin" build "$big" -o "$work/$name-x4.epub" --cache-dir "$cache" -q $extra
  fi
done

echo "machine load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$results" <<'PY'
import sys, collections
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
r = {(c, t, l): (float(s), int(kb) / 1024, int(b) / 1048576) for c, t, l, s, kb, b in rows}
print("\ntargets")
for c in sorted({c for c, _, _ in r if not c.endswith("-x4")}):
    lc, lw, pc = r[(c, "lessonpub", "cold")], r[(c, "lessonpub", "warm")], r[(c, "pandoc", "cold")]
    print(f"  {c}: cold {pc[0] / lc[0]:.1f}x faster than pandoc (target >= 5x); warm {lw[0]:.2f} s "
          f"(target <= 1 s); peak RSS {max(lc[1], lw[1]):.0f} MB (target <= 150 MB); "
          f"book {lc[2]:.1f} MB = {lc[2] / pc[2]:.2f} of pandoc's {pc[2]:.1f} MB (target <= 0.33)")
    if (c + "-x4", "lessonpub", "warm") in r:
        x4 = r[(c + "-x4", "lessonpub", "warm")]
        print(f"  {c} x4: warm peak RSS {x4[1]:.0f} MB vs {lw[1]:.0f} MB = +{(x4[1] / lw[1] - 1) * 100:.0f}% "
              f"(target < +20%); time {x4[0]:.2f} s")
PY
