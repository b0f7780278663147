#!/usr/bin/env bash
# Coverage you can trust (issue 20, goal 6): for each published crate, annotates every function a
# user could (tools/annotate: `impl From<Cancelled> for E` written for the crate's own error
# types), compiles the annotated copy with its tests (`cargo test --no-run`), takes out each
# function the compiler rejects (its error spans, mapped back to functions by line: the tool
# keeps every line where it was) with the compiler's message as the reason, and repeats until it
# compiles; then runs the crate's own tests before and after annotation, and records the counts.
#
#   tools/corpus.sh CRATE@VERSION[=CARGO TEST ARGS]...
#   tools/corpus.sh mini-redis@0.4.1 'tokio-util@0.7.20=--features full'
#
# Scratch copies and their shared target dir live under $CORPUS (default
# /work/scratch-corpus), one dir per crate: pristine/, annotated/, report.tsv (decisions),
# coverage.tsv (every site not checkpointed, with why), summary.json (counts), exclude.tsv (what
# the compiler rejected), result.json (all of it, with the test counts). NOTEST=1 skips the
# test runs (the compile check stays); REUSE=1 keeps a crate's pristine copy and its test log
# from an earlier run (they do not depend on the tool). tools/corpus-table.py turns the result.json files into
# the README's tables.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
corpus=${CORPUS:-/work/scratch-corpus}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$corpus/target}
export CARGO_TERM_COLOR=never
export CARGO_BUILD_JOBS=${CARGO_BUILD_JOBS:-1}
mkdir -p "$corpus"

cargo build -q --manifest-path "$root/tools/annotate/Cargo.toml"
tool=$(cd "$root/tools/annotate" && cargo metadata -q --format-version 1 --no-deps |
    jq -r .target_directory)/debug/annotate

# Sums libtest's "test result:" lines (unit, integration and doc tests): "passed failed ignored".
count_tests() {
    perl -ne '
        if (/^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/) { $p += $1; $f += $2; $i += $3 }
        END { printf "%d %d %d\n", $p, $f, $i }
    ' "$1"
}

for spec in "$@"; do
    name=${spec%%=*} args=""
    [[ $spec == *=* ]] && args=${spec#*=}
    crate=${name%@*} version=${name#*@}
    read -r -a test_args <<<"${args:---all-features}"
    work="$corpus/$crate-$version"
    echo "== $crate $version (cargo test ${test_args[*]}): $work"
    reuse=false
    if [[ ${REUSE:-0} == 1 && -f $work/pristine/Cargo.lock && -f $work/test-pristine.log ]]; then
        reuse=true
        find "$work" -mindepth 1 -maxdepth 1 ! -name pristine ! -name test-pristine.log \
            -exec rm -rf {} +
    else
        rm -rf "$work" && mkdir -p "$work"
    fi

    # 1. The published source, with a path dependency on this workspace's autocancel (both
    #    copies, so that both resolve the same versions of everything).
    $reuse || {
    cargo new -q --lib --vcs none "$work/fetch"
    (cd "$work/fetch" && cargo add -q "$crate@=$version" && cargo fetch -q)
    manifest=$(cd "$work/fetch" && cargo metadata -q --format-version 1 |
        jq -r --arg n "$crate" --arg v "$version" \
            '.packages[] | select(.name == $n and .version == $v) | .manifest_path')
    cp -r "$(dirname "$manifest")" "$work/pristine"
    chmod -R u+w "$work/pristine"
    (cd "$work/pristine" && rm -f Cargo.lock && cargo add -q autocancel --path "$root" &&
        cargo generate-lockfile -q)
    }

    # 2. Annotate, compile with the tests, take out what the compiler rejects; again.
    : >"$work/exclude.tsv"
    rounds=0
    while :; do
        rounds=$((rounds + 1))
        rm -rf "$work/annotated" && cp -r "$work/pristine" "$work/annotated"
        "$tool" --exclude "$work/exclude.tsv" --report "$work/report.tsv" \
            --coverage "$work/coverage.tsv" --summary "$work/summary.json" \
            "$work/annotated/src" 2>"$work/annotate.log" || true
        status=0
        (cd "$work/annotated" && cargo test --no-run --message-format=json "${test_args[@]}") \
            >"$work/check.json" 2>"$work/check.log" || status=$?
        [[ $status -eq 0 ]] && break
        new=$(python3 "$root/tools/corpus-map.py" "$work/check.json" "$work/report.tsv" \
            "$work/exclude.tsv")
        echo "   round $rounds: $new"
        if [[ $new == 0* || $rounds -ge 8 ]]; then
            echo "== $crate: the annotated copy does not compile and the errors map to no function" >&2
            grep -m5 -A5 '^error' "$work/check.log" >&2 || true
            break
        fi
    done
    compiles=$([[ $status -eq 0 ]] && echo true || echo false)
    tail -n +1 "$work/annotate.log" | sed -n '/^coverage/,$p' | head -40

    # 3. The crate's own tests, as published and annotated.
    before="" after=""
    if [[ ${NOTEST:-0} != 1 && $compiles == true ]]; then
        for copy in pristine annotated; do
            [[ $copy == pristine ]] && $reuse && continue
            (cd "$work/$copy" && timeout 900 cargo test --no-fail-fast "${test_args[@]}") \
                >"$work/test-$copy.log" 2>&1 || true
        done
        before=$(count_tests "$work/test-pristine.log")
        after=$(count_tests "$work/test-annotated.log")
        echo "   tests (passed failed ignored): pristine $before; annotated $after"
    fi
    python3 - "$work" "$crate" "$version" "$compiles" "$rounds" "$before" "$after" "${test_args[*]}" <<'PY'
import json, sys
work, crate, version, compiles, rounds, before, after, args = sys.argv[1:]
s = json.load(open(f"{work}/summary.json"))
excl = [l.rstrip("\n").split("\t", 1) for l in open(f"{work}/exclude.tsv") if "\t" in l]
tests = lambda t: dict(zip(("passed", "failed", "ignored"), map(int, t.split()))) if t else None
s.update(crate=crate, version=version, compiles=compiles == "true", rounds=int(rounds),
         excluded=excl, tests_before=tests(before), tests_after=tests(after), test_args=args)
json.dump(s, open(f"{work}/result.json", "w"), indent=1)
PY
done
