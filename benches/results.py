#!/usr/bin/env python3
"""Prints the benches' summary table (markdown) from criterion's saved estimates.

Run after `cargo bench --bench checkpoints --bench awaits --bench group`:

    python3 benches/results.py            # reads $CARGO_TARGET_DIR or ./target

Multi-thread group rows get no verdict: on a 2-vCPU machine their baseline swings with
scheduling by more than the difference measured (see benches/RESULTS.md, note 5).

Every figure is criterion's median, divided by the work per iteration (loop iterations,
awaits, tasks) where the table says "per ...". Ratios compare medians of the same run.
"""

import json
import os
import sys

TARGET = os.environ.get("CARGO_TARGET_DIR", "target")
ROOT = os.path.join(TARGET, "criterion")


def median(group, bench):
    path = os.path.join(ROOT, group, bench, "new", "estimates.json")
    try:
        with open(path) as f:
            return json.load(f)["median"]["point_estimate"]  # ns per iteration
    except FileNotFoundError:
        sys.exit(f"missing {path}: run the benches first")


def ns(x):
    if x < 10:
        return f"{x:.2f} ns"
    if x < 1e3:
        return f"{x:.1f} ns"
    if x < 1e6:
        return f"{x / 1e3:.2f} µs"
    return f"{x / 1e6:.2f} ms"


rows = []


def over(name, group, base, ours, per, target_ns, unit):
    b, o = median(group, base) / per, median(group, ours) / per
    d = o - b
    rows.append((name, f"{base}: {ns(b)} {unit}", f"{ours}: {ns(o)} {unit}", f"{d:+.2f} ns {unit}",
                 f"≤ {target_ns} ns {unit}", "yes" if d <= target_ns else "**no**"))


def ratio(name, group, base, ours, per, target, unit, stable=True):
    b, o = median(group, base) / per, median(group, ours) / per
    r = o / b
    verdict = ("yes" if r <= target else "**no**") if stable else "— (unstable here)"
    rows.append((name, f"{base}: {ns(b)} {unit}".rstrip(), f"{ours}: {ns(o)} {unit}".rstrip(),
                 f"{r:.3f}×", f"≤ {target}×", verdict))


def info(name, group, base, ours, per, unit):
    b, o = median(group, base) / per, median(group, ours) / per
    rows.append((name, f"{base}: {ns(b)} {unit}", f"{ours}: {ns(o)} {unit}", f"{o / b:.3f}×",
                 "(reference)", ""))


N_LOOP, N_AWAIT = 10_000, 1000
over("CPU loop, 1 thread, deadline set", "cpu_loop_1_thread", "plain",
     "annotated_ctx_deadline", N_LOOP, 0.6, "/iter")
over("CPU loop, 1 thread, ambient (no deadline)", "cpu_loop_1_thread", "plain",
     "annotated_ambient", N_LOOP, 0.6, "/iter")
info("CPU loop, 1 thread: hand checks", "cpu_loop_1_thread", "token_is_cancelled",
     "ctx_is_cancelled_deadline", N_LOOP, "/iter")
info("CPU loop, 1 thread: annotated vs token check", "cpu_loop_1_thread", "token_is_cancelled",
     "annotated_ctx_deadline", N_LOOP, "/iter")
ratio("CPU loop, 2 threads: one shared context vs one context each", "cpu_loop_2_threads",
      "annotated_ctx_deadline_one_each", "annotated_ctx_deadline_shared", N_LOOP, 1.05, "/iter")
info("CPU loop, 2 threads sharing: token vs context", "cpu_loop_2_threads",
     "token_is_cancelled_shared", "annotated_ctx_deadline_shared", N_LOOP, "/iter")
over(".await ready future, in a Group task", "await_ready", "plain", "annotated_group",
     N_AWAIT, 3, "/await")
over(".await ready future, Group with deadline", "await_ready", "plain",
     "annotated_group_deadline", N_AWAIT, 3, "/await")
info(".await ready future: select! vs annotated", "await_ready", "select_token",
     "annotated_group", N_AWAIT, "/await")
ratio(".await yield_now(), annotated fn in a plain task", "await_yield_now", "plain",
      "annotated_plain_task", N_AWAIT, 1.05, "/await")
ratio(".await yield_now(), in a Group task", "await_yield_now", "plain", "annotated_group",
      N_AWAIT, 1.05, "/await")
ratio(".await yield_now(), Group with deadline vs plain under timeout", "await_yield_now",
      "plain_under_timeout", "annotated_group_deadline", N_AWAIT, 1.05, "/await")
info(".await yield_now(): select! vs plain", "await_yield_now", "plain", "select_token",
     N_AWAIT, "/await")
for flavor in ["current_thread", "multi_thread"]:
    ratio(f"spawn + wait 100k trivial tasks ({flavor})", f"spawn_wait_100k_{flavor}", "joinset",
          "group", 1, 1.05, "", stable=flavor == "current_thread")
for flavor in ["current_thread", "multi_thread"]:
    ratio(f"10k parked tasks: cancel → wait returns ({flavor})", f"cancel_parked_10k_{flavor}",
          "joinset_token_select", "group_annotated", 1, 1.0, "", stable=flavor == "current_thread")

print("| bench | baseline (median) | ours (median) | ours vs baseline | target | met |")
print("|---|---|---|---|---|---|")
for row in rows:
    print("| " + " | ".join(row) + " |")
