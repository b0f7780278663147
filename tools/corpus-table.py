#!/usr/bin/env python3
"""The README's tables from tools/corpus.sh's results: `tools/corpus-table.py [CORPUS_DIR]`.

Every candidate function falls in one of three groups:
- annotated, and the crate compiles with it: its sites are checkpointed or not, by the expansion;
- one a user could annotate, but the tool could not make it compile as it is (its error type
  offers no conversion from Cancelled without changing it, the compiler rejects the annotation,
  the macro refuses it): all its sites are misses;
- one whose signature cannot carry a cancellation (a poll fn, `-> Response`, `-> bool`, an error
  type that is generic, an associated type or another crate's, `fmt::Result`, or one whose
  `impl<E> From<E> for Error<E>` leaves no room for an `impl From<Cancelled>`, coherence): a user
  could not annotate it without changing its signature or its error type's conversions. Listed,
  outside the figure.
The figure is checkpointed sites over the sites of the first two groups."""
import collections
import glob
import json
import os
import sys

corpus = sys.argv[1] if len(sys.argv) > 1 else "/work/scratch-corpus"
PREFIX = "function not annotated: "
# Decisions that mean the signature cannot carry a cancellation.
CANNOT = ("return type not", "returns Poll", "returns impl Trait", "returns !", "const fn",
          "extern ABI", "a parameter typed", "already annotated", "returns fmt::Result",
          "async fn calling thread::sleep", "no impl From<Cancelled> for")


def cannot(reason):
    if any(reason.startswith(c) for c in CANNOT):
        return True
    # `Result<_, E>` with E generic, an associated type or another crate's.
    return reason.startswith("returns Result<_, E>: error type") or "an alias whose error type" in reason


rows, misses, outside = [], collections.Counter(), collections.Counter()
tot = collections.Counter()
for path in sorted(glob.glob(f"{corpus}/*/result.json")):
    r = json.load(open(path))
    work = os.path.dirname(path)
    name = f"{r['crate']} {r['version']}"
    c = collections.Counter()
    for line in open(f"{work}/report.tsv"):
        f = line.rstrip("\n").split("\t")
        if f[0] == "annotated":
            c["annotated"] += 1
        elif f[0] == "skipped":
            c["outside_fns" if cannot(f[1]) else "missed_fns"] += 1
            if cannot(f[1]):
                outside[("fn", f[1])] += 1
    sites = r["sites"]
    for kind, reason, n in r["misses"]:
        if reason.startswith(PREFIX) and cannot(reason[len(PREFIX):]):
            c["outside_sites"] += n
            outside[("site", reason[len(PREFIX):])] += n
        else:
            misses[(kind, reason, name)] += n
            if not reason.startswith(PREFIX):
                c["missed_in_annotated"] += n
    c["sites"] = sites - c["outside_sites"]
    c["covered"] = r["covered"]
    c["in_annotated"] = r["covered"] + c["missed_in_annotated"]
    c["candidates"] = r["candidates"]
    c["impls"] = sum(1 for l in open(f"{work}/report.tsv") if l.startswith("impl\t"))
    c["excluded"] = len(r["excluded"])
    tot.update(c)
    t = lambda x: f"{x['passed']} / {x['passed'] + x['failed']}" if x else "not run"
    rows.append((name, c, t(r["tests_before"]), t(r["tests_after"]), r["compiles"], r["test_args"]))

pct = lambda a, b: f"{100 * a / b:.1f} %" if b else "—"
print("| crate | candidates | annotated | + impls written | not annotatable (signature) | sites in annotatable fns | checkpointed | | in annotated fns | | tests before | tests annotated |")
print("|---|---|---|---|---|---|---|---|---|---|---|---|")
for name, c, before, after, compiles, args in rows:
    flag = "" if compiles else " (does not compile annotated)"
    print(f"| {name}{flag} | {c['candidates']} | {c['annotated']} | {c['impls']} | {c['outside_fns']} | "
          f"{c['sites']} | {c['covered']} | {pct(c['covered'], c['sites'])} | {c['covered']} / {c['in_annotated']} | {pct(c['covered'], c['in_annotated'])} | {before} | {after} |")
print(f"| **all** | {tot['candidates']} | {tot['annotated']} | {tot['impls']} | {tot['outside_fns']} | "
      f"{tot['sites']} | {tot['covered']} | **{pct(tot['covered'], tot['sites'])}** | {tot['covered']} / {tot['in_annotated']} | **{pct(tot['covered'], tot['in_annotated'])}** | | |")
print()
print("Misses (sites in annotatable functions not checkpointed), by reason:")
print()
print("| site | reason | crate | count |")
print("|---|---|---|---|")
for (kind, reason, name), n in sorted(misses.items(), key=lambda x: (-x[1], x[0])):
    print(f"| {kind} | {reason} | {name} | {n} |")
print()
print(f"Outside the figure: {tot['outside_fns']} functions, {tot['outside_sites']} sites, whose signature cannot carry a cancellation:")
print()
print("| reason | functions | sites |")
print("|---|---|---|")
for reason in sorted({r for (_, r) in outside}, key=lambda r: -outside[("site", r)]):
    print(f"| {reason} | {outside[('fn', reason)]} | {outside[('site', reason)]} |")
