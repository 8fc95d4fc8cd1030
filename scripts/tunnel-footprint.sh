#!/usr/bin/env bash
# The footprint of one full `rotcheck run` with the defaults used for a remote endpoint
# (--max-tunnels 5, concurrency 4, live check on): how many requests it sends and how many tunnels
# it opens, measured against `rotcheck serve` at time scale 60 (the counts do not depend on the
# clock). Prints one line: the figures the README quotes. Usage: scripts/tunnel-footprint.sh [bin]
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/rotcheck}
dir=$(mktemp -d)
"$bin" serve --port 0 --time-scale 60 >"$dir/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 50); do grep -q listening "$dir/serve.log" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$dir/serve.log")
env -u AWS_ENDPOINT_URL -u AWS_ENDPOINT_URL_IOTSECURETUNNELING -u AWS_PROFILE -u AWS_ACCESS_KEY_ID \
  "$bin" run --no-progress --endpoint "$url" --time-scale 60 --live --max-tunnels 5 \
  --report-json "$dir/r.json" >/dev/null
python3 - "$dir/r.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
requests = sum(x["attempts"] for c in r["cases"] for x in c["exchanges"])
t = r["tunnels"]
print(f"{len(r['cases'])} cases: {requests} requests (+1 preflight, + cleanup; "
      f"{requests / 5 / 60:.1f} min at the default --rate 5), "
      f"{t['opened']} tunnels opened, at most {t['peak']} at once")
PY
