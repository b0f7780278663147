#!/usr/bin/env bash
# Annotates a published crate's functions with #[cancellable] and runs the crate's own tests,
# before and after: outside any Group the ambient context is never cancelled, so the tests must
# stay green (issue 5, item 4).
#
#   tools/annotate-crate.sh CRATE VERSION [CARGO TEST ARGS...]
#   tools/annotate-crate.sh tokio-util 0.7.20 --features full
#
# CARGO TEST ARGS default to --all-features. Everything happens in a temp dir (kept, path
# printed; KEEP=0 removes it): the crate comes from the registry through a scratch project's
# `cargo fetch`, the pristine copy is tested, then a copy is annotated by tools/annotate
# (attribute and `impl From<Cancelled>` inserted as text; report in $WORK/report.tsv) and given a path dependency on this
# workspace's `autocancel`, and tested again. Exit status 0 iff both runs pass with the same
# number of tests. CARGO_TARGET_DIR defaults to target/annotate in this workspace; no --release.
set -euo pipefail

if [[ $# -lt 2 ]]; then
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
crate=$1 version=$2
shift 2
test_args=("$@")
[[ ${#test_args[@]} -gt 0 ]] || test_args=(--all-features)

root=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target/annotate}
export CARGO_TERM_COLOR=never
work=$(mktemp -d "${TMPDIR:-/tmp}/annotate-$crate-$version.XXXXXX")
[[ ${KEEP:-1} == 0 ]] && trap 'rm -rf "$work"' EXIT
echo "== work dir: $work"

# 1. Fetch the crate's published source.
cargo new -q --lib --vcs none "$work/fetch"
(cd "$work/fetch" && cargo add -q "$crate@=$version" && cargo fetch -q)
manifest=$(cd "$work/fetch" && cargo metadata -q --format-version 1 |
    jq -r --arg n "$crate" --arg v "$version" \
        '.packages[] | select(.name == $n and .version == $v) | .manifest_path')
[[ -f $manifest ]] || { echo "no source for $crate $version" >&2; exit 1; }
src=$(dirname "$manifest")
cp -r "$src" "$work/pristine"
cp -r "$src" "$work/annotated"
chmod -R u+w "$work/pristine" "$work/annotated"
# Both copies depend on this workspace's `autocancel`, so that both resolve the same versions of
# everything (a published crate's own Cargo.lock may pin, say, tokio 1.8, which `autocancel`'s
# requirements move to today's): the only difference left is the annotation.
for copy in pristine annotated; do
    (cd "$work/$copy" && cargo add -q autocancel --path "$root")
done

# Sums libtest's "test result:" lines (unit, integration and doc tests).
run_tests() { # dir log
    local status=0
    (cd "$1" && cargo test --no-fail-fast "${test_args[@]}") >"$2" 2>&1 || status=$?
    perl -ne '
        if (/^test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored/) { $p += $1; $f += $2; $i += $3; $n++ }
        END { printf "%d passed, %d failed, %d ignored (%d test binaries)\n", $p, $f, $i, $n }
    ' "$2"
    grep -c '^warning' "$2" | sed 's/^/warnings: /' || true
    return $status
}

# 2. The crate's tests as published (with the same dependency versions as the annotated copy).
echo "== $crate $version, pristine: cargo test ${test_args[*]}"
before_status=0
before=$(run_tests "$work/pristine" "$work/pristine.log") || before_status=$?
echo "$before"

# 3. Annotate, test again.
echo "== annotating"
cargo build -q --manifest-path "$root/tools/annotate/Cargo.toml"
"$CARGO_TARGET_DIR/debug/annotate" --report "$work/report.tsv" "$work/annotated/src"
echo "== $crate $version, annotated: cargo test ${test_args[*]}"
after_status=0
after=$(run_tests "$work/annotated" "$work/annotated.log") || after_status=$?
echo "$after"

# 4. Verdict.
counts() { head -1 <<<"$1" | cut -d'(' -f1; }
if [[ $before_status -ne 0 ]]; then
    echo "== pristine tests fail here (see $work/pristine.log): not a usable crate" >&2
    exit 1
elif [[ $after_status -ne 0 ]]; then
    echo "== RED after annotating (see $work/annotated.log)" >&2
    grep -E '^(error|test .* FAILED|---- )' "$work/annotated.log" | head -40 >&2 || true
    exit 1
elif [[ $(counts "$before") != $(counts "$after") ]]; then
    echo "== test counts differ: $(counts "$before") vs $(counts "$after")" >&2
    exit 1
fi
echo "== GREEN: same tests pass before and after annotating"
