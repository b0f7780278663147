#!/usr/bin/env bash
# Coverage of #[cancellable] over real code: annotates (in memory) the functions of each source
# the way tools/annotate-crate.sh would, expands each with the macro's own code, and reports how
# many of their loops, awaits and select!/join! waits got a checkpoint, and why each other one
# did not (issue 8, item 5).
#
#   tools/coverage.sh [CRATE@VERSION | DIR]...
#   tools/coverage.sh mini-redis@0.4.1 tokio-util@0.7.20 path/to/tonic/examples/src
#
# Default sources: mini-redis@0.4.1 tokio-util@0.7.20. A CRATE@VERSION comes from the registry
# through a scratch project's `cargo fetch`; a DIR is taken as it is (e.g. a checkout of tonic's
# or axum's examples). Prints the summary table (markdown) and writes every uncovered site to
# $OUT (default: coverage.tsv in a temp dir, path printed). Functions returning `Result<_, E>`
# with E the crate's own type count as annotated when the tool can write the
# `impl From<Cancelled> for E` a user would (see tools/annotate/src/errors.rs). Nothing is
# compiled here: tools/corpus.sh compiles and tests the annotated crates.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
sources=("$@")
[[ ${#sources[@]} -gt 0 ]] || sources=(mini-redis@0.4.1 tokio-util@0.7.20)
work=$(mktemp -d "${TMPDIR:-/tmp}/coverage.XXXXXX")
out=${OUT:-$work/coverage.tsv}
registry=${CARGO_HOME:-$HOME/.cargo}/registry/src

dirs=()
for source in "${sources[@]}"; do
    if [[ -d $source ]]; then
        dirs+=("$(cd "$source" && pwd)")
        continue
    fi
    crate=${source%@*} version=${source#*@}
    scratch="$work/fetch-$crate"
    cargo new -q --lib --vcs none "$scratch"
    (cd "$scratch" && cargo add -q "$crate@=$version" && cargo fetch -q)
    src=$(find "$registry" -mindepth 2 -maxdepth 2 -type d -name "$crate-$version" | head -1)
    [[ -n $src && -d $src/src ]] || { echo "no source for $crate $version" >&2; exit 1; }
    dirs+=("$src/src")
done

cargo build -q --manifest-path "$root/tools/annotate/Cargo.toml"
target=$(cd "$root/tools/annotate" && cargo metadata -q --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
flags=(--dry-run)
"$target/debug/annotate" "${flags[@]}" --report "$work/report.tsv" --coverage "$out" "${dirs[@]}"
echo "uncovered sites: $out; annotation decisions: $work/report.tsv" >&2
