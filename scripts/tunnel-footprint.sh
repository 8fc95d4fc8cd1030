#!/usr/bin/env bash
# What rotcheck costs against a remote endpoint at its defaults: the tunnels (billed per tunnel
# opened), requests and time of one `rotcheck run` and of a fuzz campaign of each kind. Measured
# against `rotcheck serve --production-like` (SigV4, throttling, a tunnel quota of 10, transient
# 5xx) on 127.0.0.1 with a real-time clock, as AWS: loopback endpoints get no limits by default,
# so the defaults of a remote endpoint are passed explicitly (--max-tunnels 5,
# --max-tunnels-opened 3 for run and 10 for the fuzzers, --rate 5); the live check is on, and so is
# the data plane (derived from the endpoint for AWS). Prints the lines the README quotes; takes
# about 75 s plus twice DURATION.
#
#   scripts/tunnel-footprint.sh [DURATION] [BIN]      # defaults: 60s, target/debug/rotcheck
set -euo pipefail
cd "$(dirname "$0")/.."
duration=${1:-60s}
bin=${2:-target/debug/rotcheck}
[ -x "$bin" ] || cargo build --locked --quiet
dir=$(mktemp -d)
export AWS_ACCESS_KEY_ID=AKIDFOOTPRINT AWS_SECRET_ACCESS_KEY=footprint-secret AWS_EC2_METADATA_DISABLED=true
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_IOTSECURETUNNELING AWS_PROFILE AWS_SESSION_TOKEN || true
"$bin" serve --port 0 --production-like --access-key-id "$AWS_ACCESS_KEY_ID" \
  --secret-access-key "$AWS_SECRET_ACCESS_KEY" >"$dir/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do grep -q listening "$dir/serve.log" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$dir/serve.log" | head -n 1)
[ -n "$url" ] || { cat "$dir/serve.log"; exit 1; }
ws="ws://${url#http://}"
defaults=(--max-tunnels 5 --rate 5)

start=$(date +%s.%N)
"$bin" run --no-progress --endpoint "$url" --data-plane "$ws" --live "${defaults[@]}" \
  --max-tunnels-opened 3 --report-json "$dir/run.json" >"$dir/run.out" 2>&1 || {
  cat "$dir/run.out"; echo "the run did not pass"; exit 1; }
python3 - "$dir/run.json" "$start" "$(date +%s.%N)" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
t = r["tunnels"]
secs = float(sys.argv[3]) - float(sys.argv[2])
print(f"rotcheck run (live check, data plane, --max-tunnels 5, --max-tunnels-opened 3, --rate 5): "
      f"{t['opened']} tunnels opened (at most {t['peak']} at once), {r['requests']} requests, "
      f"{secs:.0f} s, verdict {r['verdict']}")
PY

"$bin" fuzz --no-progress --endpoint "$url" --duration "$duration" --max-tunnels-opened 10 --rate 5 \
  >"$dir/fuzz.out" 2>&1 || { cat "$dir/fuzz.out"; echo "the request campaign did not pass"; exit 1; }
footprint=$(sed -n 's/^footprint: //p' "$dir/fuzz.out")
judged=$(grep -E '^[0-9]+ requests in' "$dir/fuzz.out")
echo "rotcheck fuzz --duration $duration (--max-tunnels-opened 10, --rate 5): $footprint; $judged"

"$bin" fuzz --sequences --no-progress --endpoint "$url" --duration "$duration" --max-tunnels-opened 10 \
  --rate 5 >"$dir/seq.out" 2>&1 || { cat "$dir/seq.out"; echo "the sequence campaign did not pass"; exit 1; }
summary=$(grep -E '^[0-9]+ sequences' "$dir/seq.out")
echo "rotcheck fuzz --sequences --duration $duration (--max-tunnels-opened 10, --rate 5): $summary"
