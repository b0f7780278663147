#!/usr/bin/env bash
# Cost figures quoted in rustdoc (a ratio such as `1.23×`) must be the measured ones: each must
# appear in README.md (the Cost table) or benches/RESULTS.md, so that a re-measurement that
# changes a figure there cannot leave an old one in the docs. Run by .ci/run.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
while IFS= read -r hit; do
  file=${hit%%:*}
  rest=${hit#*:}
  line=${rest%%:*}
  # A figure, with its `~` if approximate, not part of a longer number.
  for figure in $(grep -oE '(^|[^0-9.])~?[0-9]+(\.[0-9]+)?(–[0-9]+(\.[0-9]+)?)?×' <<<"${rest#*:}" |
    sed -E 's/^[^~0-9]//'); do
    pattern="(^|[^0-9.~])${figure//./\\.}"
    if ! grep -qE -- "$pattern" README.md benches/RESULTS.md; then
      echo "$file:$line: the figure $figure is in neither README.md nor benches/RESULTS.md" >&2
      status=1
    fi
  done
done < <(grep -rnE '^\s*//[/!].*[0-9]×' runtime/src src macros/src macros/impl/src tower/src || true)

if [[ $status -ne 0 ]]; then
  echo "tools/figures.sh: quote the measured figure (README's Cost table) or none" >&2
fi
exit $status
