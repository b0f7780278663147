#!/usr/bin/env bash
# The runtime's layers (README, "Layout"): each module uses only the layers below it. This fails
# when a file of a lower layer names an item of a higher one, through `crate::…`, `super::…` or
# a `mod.rs`'s own child modules (`use seat::…`), in code (comments and doc links are not
# imports). Run by .ci/run; `tools/layers.sh -v` prints every import it resolved.
#
# To extend it: give a new file or folder its layer in LAYERS (a file's own entry wins over
# its folder's), and re-exported root items are found from `runtime/src/lib.rs`'s `pub use`.
set -euo pipefail
cd "$(dirname "$0")/../runtime/src"

verbose=${1:-}

# Lowest first. A path is a file (`sleep.rs`) or a folder (`ctx`), relative to runtime/src.
LAYERS=(
  "0 base: sync.rs cancelled.rs cause.rs deadline.rs"
  "1 context: ctx"
  "2 ambient: ambient shield.rs observe.rs"
  "3 groups: group tasks detach.rs sleep.rs blocking.rs testing"
  "4 macro-calls: __private"
  "5 adapters: interop"
  "6 root: lib.rs"
)

# Imports of a higher layer that are known and being removed: "FROM -> TO  # why".
ALLOWED=(
)

declare -A layer_of name_of
for entry in "${LAYERS[@]}"; do
  read -r n name paths <<<"$entry"
  name_of[$n]=${name%:}
  for p in $paths; do layer_of[$p]=$n; done
done

# The layer of a file: its own entry, else its closest folder's.
layer() {
  local p=$1
  while :; do
    if [[ -n ${layer_of[$p]:-} ]]; then
      echo "${layer_of[$p]}"
      return
    fi
    [[ $p == */* ]] || break
    p=${p%/*}
  done
  echo "unlisted"
}

# A module path (`ambient::seat`) to the file or folder it names (longest existing prefix).
target() {
  local mods=$1 path="" best=""
  IFS=':' read -ra parts <<<"${mods//::/:}"
  for part in "${parts[@]}"; do
    path=${path:+$path/}$part
    if [[ -f $path.rs ]]; then
      best=$path.rs
    elif [[ -d $path ]]; then
      best=$path
    else
      break
    fi
  done
  echo "$best"
}

# Root items re-exported by lib.rs (`pub use ctx::{Ctx, …}`): item -> module.
declare -A root_item
while read -r module items; do
  for item in ${items//[\{\},;]/ }; do root_item[$item]=$module; done
done < <(tr '\n' ' ' <lib.rs | grep -oE 'pub use [a-z_]+::(\{[^}]*\}|[A-Za-z_]+)' |
  sed -E 's/^pub use ([a-z_]+)::/\1 /')

status=0
while IFS= read -r file; do
  from=$(layer "$file")
  if [[ $from == unlisted ]]; then
    echo "tools/layers.sh: runtime/src/$file has no layer: add it to LAYERS" >&2
    status=1
    continue
  fi
  dir=$(dirname "$file")
  [[ $dir == . ]] && dir=""
  # The module a `super::` path starts from: a `mod.rs`'s parent folder, else the file's folder.
  if [[ $(basename "$file") == mod.rs ]]; then
    super=$(dirname "$dir")
    [[ $super == . ]] && super=""
  else
    super=$dir
  fi
  # Code only: strip `//` comments (doc comments included) and string literals.
  code=$(sed -E 's/"([^"\\]|\\.)*"//g; s://.*$::' "$file")
  refs=$(grep -oE '\b(crate|super)(::super)*::[A-Za-z_][A-Za-z0-9_]*(::[a-z_][a-z0-9_]*)*' <<<"$code" || true)
  # A mod.rs (or the root) naming its own child modules.
  if [[ $(basename "$file") == mod.rs ]]; then
    children=$(grep -oE '^\s*(pub(\([a-z]+\))?\s+)?use [a-z_]+::' <<<"$code" |
      sed -E 's/.*use ([a-z_]+)::/\1/' || true)
    for child in $children; do refs+=$'\n'"self::$child"; done
  fi
  for ref in $refs; do
    case $ref in
      crate::*) base=""; rest=${ref#crate::} ;;
      super::*)
        base=$super; rest=${ref#super::}
        while [[ $rest == super::* ]]; do
          base=$(dirname "$base"); [[ $base == . ]] && base=""
          rest=${rest#super::}
        done
        ;;
      self::*) base=$dir; rest=${ref#self::} ;;
    esac
    first=${rest%%::*}
    if [[ -z $base && $first =~ ^[A-Z] || -z $base && -n ${root_item[$first]:-} ]]; then
      rest=${root_item[$first]:-}
      [[ -z $rest ]] && continue # a root item lib.rs defines itself
    fi
    to=$(target "${base:+${base//\//::}::}$rest")
    [[ -z $to || $to == "$file" ]] && continue
    [[ $to == "$dir" && $(basename "$file") != mod.rs ]] && continue # its own module's items
    to_layer=$(layer "$to")
    [[ -n $verbose ]] && echo "$file (${name_of[$from]}) -> $to (${name_of[$to_layer]:-?})"
    [[ $to_layer == unlisted || $to_layer -le $from ]] && continue
    allowed=false
    for entry in "${ALLOWED[@]}"; do
      [[ $entry == "$file -> $to" ]] && allowed=true
    done
    $allowed && continue
    echo "runtime/src/$file (layer ${name_of[$from]}) uses $ref: $to is in the higher layer ${name_of[$to_layer]}" >&2
    status=1
  done
done < <(find . -name '*.rs' | sed 's|^\./||' | sort)

if [[ $status -ne 0 ]]; then
  echo "tools/layers.sh: a lower layer imports a higher one (see the README's Layout)" >&2
fi
exit $status
