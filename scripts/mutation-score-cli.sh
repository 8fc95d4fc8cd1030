#!/usr/bin/env bash
# For each fault / variant: start `rotcheck serve --time-scale 60 [--fault|--variant NAME]`, run
# `rotcheck run --endpoint URL --data-plane ws://HOST:PORT --time-scale 60 --report-json R`, print
# exit code and failed checks. ONLY=REGEX limits the faults and variants run (e.g. ONLY='token|data').
# Build first: cargo build --release
bin=${BIN:-$(dirname "$0")/../target/release/rotcheck}
one() {
  local flag=$1 name=$2 log rep url pid code failed
  log=$(mktemp); rep=$(mktemp)
  if [ -n "$flag" ]; then "$bin" serve --port 0 --time-scale 60 "$flag" "$name" >"$log" 2>&1 & else "$bin" serve --port 0 --time-scale 60 >"$log" 2>&1 & fi
  pid=$!
  for _ in $(seq 50); do url=$(sed -n 's/^listening on //p' "$log"); [ -n "$url" ] && break; sleep 0.1; done
  "$bin" run --endpoint "$url" --data-plane "ws://${url#http://}" --time-scale 60 --no-progress --report-json "$rep" >/dev/null 2>&1; code=$?
  kill $pid; wait $pid 2>/dev/null
  failed=$(python3 -c "import json,sys; r=json.load(open('$rep')); print(','.join(r['summary']['failed_checks']) or '-')" 2>/dev/null)
  printf '%-9s %-28s exit %s  failed: %s\n' "${flag#--}" "${name:-faithful}" "$code" "$failed"
}
one "" ""
only=${ONLY:-.}
for v in $("$bin" serve --list-variants | awk '{print $1}' | grep -E "$only"); do one --variant "$v"; done
for f in $("$bin" serve --list-faults | awk '{print $1}' | grep -E "$only"); do one --fault "$f"; done
