#!/usr/bin/env bash
# Fails when a layer under src/ includes a layer it must not know (docs/architecture.md):
# each layer may include only itself and the layers listed before it.
set -u
src="$1"
order=(base ring mem net graph io elements tenant control stack)
status=0
for i in "${!order[@]}"; do
  layer=${order[$i]}
  [ -d "$src/$layer" ] || continue
  allowed=" ${order[*]:0:$((i + 1))} "
  while IFS= read -r line; do
    file=${line%%:*}
    inc=
    [[ $line =~ \#[[:space:]]*include[[:space:]]*\"([^/\"]+)/ ]] && inc=${BASH_REMATCH[1]}
    if [[ "$allowed" != *" $inc "* ]]; then
      echo "layering: $file includes '$inc/', which layer '$layer' must not know" >&2
      status=1
    fi
  done < <(grep -rnE '^\s*#\s*include "[^/"]+/' "$src/$layer" --include='*.h' --include='*.cc')
done
[ $status -eq 0 ] && echo "layering: every include runs one way"
exit $status
