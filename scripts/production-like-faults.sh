#!/usr/bin/env bash
# Issue 9 acceptance: for every fault of the catalog, `rotcheck run --time-scale 60` against
# `rotcheck serve --production-like --fault F` must exit 1 naming the check that catches the fault
# without the options (the catalog's "caught by", as `serve --list-faults` prints it).
# Prints one line per fault and a total. Usage: scripts/production-like-faults.sh [bin]
set -uo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/rotcheck}
export ROTCHECK_ACCESS_KEY_ID=AKIDPRODLIKE ROTCHECK_SECRET_ACCESS_KEY=production-like-secret
export AWS_ACCESS_KEY_ID=$ROTCHECK_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$ROTCHECK_SECRET_ACCESS_KEY
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL AWS_ENDPOINT_URL_IOTSECURETUNNELING
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ok=0 total=0
while read -r fault check _; do
  "$bin" serve --production-like --time-scale 60 --port 0 --fault "$fault" >"$dir/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 50); do grep -q listening "$dir/serve.log" && break; sleep 0.1; done
  url=$(sed -n 's/^listening on //p' "$dir/serve.log")
  "$bin" run --no-progress --endpoint "$url" --time-scale 60 --report-json "$dir/r.json" >/dev/null 2>&1
  code=$?
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  failed=$(python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["summary"]["failed_checks"]))' "$dir/r.json")
  total=$((total + 1))
  verdict=MISSED
  if [ "$code" = 1 ] && [[ ",$failed," == *",$check,"* ]]; then verdict=caught; ok=$((ok + 1)); fi
  printf '%-28s exit %s  expected %-26s failed: %s  %s\n' "$fault" "$code" "$check" "$failed" "$verdict"
done < <("$bin" serve --list-faults)
echo "$ok of $total faults caught by the same check under --production-like"
