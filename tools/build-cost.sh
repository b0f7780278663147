#!/usr/bin/env bash
# Build cost of the annotation (issue 20, goal 6): `cargo check` and `cargo build` of a crate
# (its dependencies already built; the crate itself rebuilt each time) plain, with
# #[cancellable] on the functions tools/corpus.sh annotated, and with
# #[tracing::instrument(skip_all)] on the same functions instead (`skip_all`: instrument's
# default records every argument with Debug, which not every argument has). The three variants
# alternate, run after run, so that the load of other builds on the machine falls on all three
# alike; the medians (and quartiles) are printed as markdown.
#
#   tools/build-cost.sh WORK_DIR [RUNS] [CARGO ARGS...]
#   tools/build-cost.sh /work/scratch-corpus/mini-redis-0.4.1 15
#
# A crate whose tracing dependency is optional needs its feature in CARGO ARGS
# (tools/build-cost.sh /work/scratch-corpus/tokio-util-0.7.20 7 --features full,tracing).
# WORK_DIR is one of tools/corpus.sh's (pristine/, annotated/, report.tsv). The variants are
# copied to WORK_DIR/cost/{plain,cancellable,instrument}, all three with the same dependencies
# (autocancel and tracing included), and the same Cargo.lock.
set -euo pipefail

work=$1 runs=${2:-11}
shift 2 || shift $#
cargo_args=("$@")
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$work/cost/target}
export CARGO_TERM_COLOR=never
# Without incremental compilation: with it, a rebuild of an unchanged file reuses a varying share
# of the last one (the timings came out bimodal); without, each run compiles the crate whole.
export CARGO_INCREMENTAL=0
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
cost=$work/cost
mkdir -p "$cost"
for v in plain cancellable instrument; do
    rm -rf "${cost:?}/$v"
done
cp -r "$work/pristine" "$cost/plain"
cp -r "$work/annotated" "$cost/cancellable"
cp -r "$work/annotated" "$cost/instrument"
# Same functions, the other attribute. (The impls From<Cancelled> stay: they cost the same in
# every variant but `plain`, and nothing there calls them.)
grep -rlE '#\[:: ?autocancel ?:: ?cancellable\] ' "$cost/instrument/src" |
    xargs sed -i -E 's/#\[:: ?autocancel ?:: ?cancellable\] /#[::tracing::instrument(skip_all)] /g'
root=$(cd "$(dirname "$0")/.." && pwd)
for v in plain cancellable instrument; do
    # The path to autocancel is relative in the copies: one level deeper here. tracing with its
    # `attributes` (a crate may have it without: tokio-util), in all three alike.
    (cd "$cost/$v" && cargo add -q autocancel --path "$root" &&
        cargo add -q tracing --features attributes)
done
fns=$(grep -c '^annotated' "$work/report.tsv")
main=$(cd "$cost/plain" && cargo metadata -q --format-version 1 --no-deps |
    jq -r '.packages[0].targets[] | select(.kind[0] == "lib") | .src_path')
main=${main#"$cost/plain/"}

# Warm: dependencies built, each variant compiles.
for v in plain cancellable instrument; do
    for cmd in check build; do
        (cd "$cost/$v" && cargo "$cmd" -q "${cargo_args[@]}") ||
            { echo "$v: cargo $cmd fails" >&2; exit 1; }
    done
done

python3 - "$cost" "$runs" "$fns" "$main" "${cargo_args[@]}" <<'PY'
import os, statistics, subprocess, sys, time
cost, runs, fns, main, args = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5:]
variants = ["plain", "cancellable", "instrument"]
times = {(v, c): [] for v in variants for c in ("check", "build")}
for i in range(runs):
    for c in ("check", "build"):
        for v in (variants if i % 2 == 0 else variants[::-1]):
            # The crate, not its dependencies, rebuilt: its root file dated later than anything
            # before (a plain touch was sometimes taken as no change), and checked in cargo's
            # output, so that a run that rebuilt nothing is not timed.
            for attempt in range(3):
                later = time.time() + 2 + attempt
                os.utime(os.path.join(cost, v, main), (later, later))
                t = time.perf_counter()
                out = subprocess.run(["cargo", c, *args], cwd=os.path.join(cost, v),
                                     capture_output=True, text=True)
                took = time.perf_counter() - t
                if out.returncode != 0:
                    sys.exit(f"{v}: cargo {c} failed:\n{out.stderr[-3000:]}")
                if "Compiling" in out.stderr or "Checking" in out.stderr:
                    times[(v, c)].append(took)
                    break
print(f"{runs} alternating runs each ({min(map(len, times.values()))} or more rebuilt and timed), {fns} functions annotated; load average {os.getloadavg()}")
print("| | cargo check (median, IQR) | cargo build (median, IQR) |")
print("|---|---|---|")
med = {k: statistics.median(t) for k, t in times.items()}
def q(t):
    qs = statistics.quantiles(t, n=4)
    return f"{qs[0]:.2f}–{qs[2]:.2f}"
for v in variants:
    cells = [f"{med[(v, c)]:.2f} s ({q(times[(v, c)])})" for c in ("check", "build")]
    print(f"| {v} | {cells[0]} | {cells[1]} |")
for v in variants[1:]:
    cells = [f"+{1000 * (med[(v, c)] - med[('plain', c)]) / fns:.1f} ms" for c in ("check", "build")]
    print(f"| {v}, per function | {cells[0]} | {cells[1]} |")
PY
