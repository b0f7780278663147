#!/usr/bin/env python3
"""Maps the compiler's errors (cargo --message-format=json) on an annotated copy back to what the
tool wrote there (tools/corpus.sh): the annotated function, or the written impl, whose lines
hold the error's span (the tool inserts on existing lines, so every line keeps its number).
Appends `file:line<TAB>reason` / `type:Name<TAB>reason` to the exclude file for tools/annotate.
Prints "N new exclusions" (0 when the errors map to nothing it wrote)."""
import json
import sys

check, report, exclude = sys.argv[1:]
fns, impls = [], []  # (file, first, last, key)
for line in open(report):
    f = line.rstrip("\n").split("\t")
    if f[0] == "annotated":
        file, ident_line = f[2].rsplit(":", 1)
        fns.append((file, int(f[5]), int(f[4]), f"{file}:{ident_line}"))
    elif f[0] == "impl":
        file, at = f[2].rsplit(":", 1)
        impls.append((file, int(at), f"type:{f[1]}"))


def places(span):
    """A span and the spans it was expanded from (a macro's call site)."""
    while span:
        yield span
        span = (span.get("expansion") or {}).get("span")


def owner(span):
    file, line = span["file_name"], span["line_start"]
    for f, at, key in impls:
        if file == f and line == at:
            return key
    inside = [(last - first, key) for f, first, last, key in fns if f == file and first <= line <= last]
    return min(inside)[1] if inside else None


new, unmapped = {}, 0
for raw in open(check):
    try:
        msg = json.loads(raw)
    except ValueError:
        continue
    if msg.get("reason") != "compiler-message" or msg["message"]["level"] != "error":
        continue
    m = msg["message"]
    code = (m.get("code") or {}).get("code")
    reason = "annotation breaks compilation: " + (f"{code} " if code else "") + m["message"].splitlines()[0][:160]
    spans = m["spans"] + [s for c in m.get("children", []) for s in c["spans"]]
    keys = [k for s in spans for p in places(s) if (k := owner(p))]
    if keys:
        new.setdefault(keys[0], reason)
    elif spans:
        unmapped += 1
        print(f"unmapped: {m['rendered'][:400]}", file=sys.stderr)

known = {l.split("\t", 1)[0] for l in open(exclude)}
fresh = {k: v for k, v in new.items() if k not in known}
with open(exclude, "a") as out:
    for k, v in fresh.items():
        out.write(f"{k}\t{v}\n")
print(f"{len(fresh)} new exclusions, {unmapped} errors not mapped")
