#!/usr/bin/env bash
# Prints the `rotcheck fuzz` throughput table of docs/fuzzing.md: judged requests per second over
# loopback, SECONDS a row, for the release build against `rotcheck serve` (concurrency 4 and 8)
# and the built-in target, and the debug build against the built-in target. Each row is one
# campaign of the printed command; the machine's load average is printed with the table (other
# processes slow it down).
#
#   scripts/fuzz-throughput.sh [SECONDS]      # default 20
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
cargo build --locked --quiet
cargo build --locked --quiet --release
export AWS_EC2_METADATA_DISABLED=true
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_IOTSECURETUNNELING AWS_PROFILE || true
dir=$(mktemp -d)
target/release/rotcheck serve --port 0 >"$dir/serve.log" 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null; rm -rf "$dir"' EXIT
for _ in $(seq 100); do grep -q listening "$dir/serve.log" && break; sleep 0.1; done
url=$(sed -n 's/^listening on //p' "$dir/serve.log" | head -n 1)

row() { # build, target label, concurrency, binary, extra args...
  local build=$1 label=$2 conc=$3 bin=$4
  shift 4
  local out
  out=$("$bin" fuzz --no-progress --duration "${seconds}s" --concurrency "$conc" "$@" 2>/dev/null | grep -E '^[0-9]+ requests in')
  local rate
  rate=$(sed -E 's/.*\(([0-9]+) requests\/s\).*/\1/' <<<"$out")
  echo "| $build | $label | $conc | $rate |"
}

echo "# scripts/fuzz-throughput.sh $seconds ($(nproc) cores, load average at start: $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| build | target | \`--concurrency\` | requests/s |"
echo "|---|---|---|---|"
row release "\`rotcheck serve\` on 127.0.0.1" 4 target/release/rotcheck --endpoint "$url"
row release "\`rotcheck serve\` on 127.0.0.1" 8 target/release/rotcheck --endpoint "$url"
row release "built-in (in-process server, still over loopback HTTP)" 4 target/release/rotcheck
row debug "built-in" 4 target/debug/rotcheck
echo
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
