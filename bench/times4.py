"""times4.py SRC DST: the column folder SRC (one lesson file per lesson, as html/linux-perf)
copied to DST four times over, each copy's lessons under new names and every URL in them given
a `copy4=K` query parameter, so that the mirror (`mirror.py serve --images real`), which draws
a picture per request path, serves each copy its own pictures: four times the distinct images."""
import os
import re
import shutil
import sys

src, dst = sys.argv[1], sys.argv[2]
shutil.rmtree(dst, ignore_errors=True)
os.makedirs(dst)
url = re.compile(r"""(https?://[^\s"'()<>]+)""")


def tagged(u, k):
    # Not `copy=`: `&copy` followed by `=` is left alone by HTML parsers, but other readers of
    # the lesson might still take it for the entity ©.
    return u + ("&" if "?" in u else "?") + f"copy4={k}"


for name in sorted(os.listdir(src)):
    path = os.path.join(src, name)
    if not os.path.isfile(path):
        continue
    stem, ext = os.path.splitext(name)
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        text = f.read()
    for k in range(1, 5):
        out = url.sub(lambda m: tagged(m.group(1), k), text)
        with open(os.path.join(dst, f"{stem} (copy {k}){ext}"), "w", encoding="utf-8",
                  errors="surrogateescape") as f:
            f.write(out)
