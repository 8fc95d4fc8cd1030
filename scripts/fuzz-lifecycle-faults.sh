#!/usr/bin/env bash
# Shows what the stateful cargo-fuzz target `lifecycle` finds: for each lifecycle fault of the
# server's catalog that no single request can show, the target runs against the reference
# implementation with that fault on (ROTCHECK_FUZZ_FAULTS) for at most SECONDS, twice: from the
# committed seeds and the dictionary (as `cargo fuzz run` and ClusterFuzzLite run it), and from an
# EMPTY corpus (the fuzzer has to build the sequence itself). The table says whether and when each
# found it. Then the faithful server is fuzzed for FAITHFUL_SECONDS from the seeds: it must report
# nothing.
#
#   scripts/fuzz-lifecycle-faults.sh [SECONDS] [FAITHFUL_SECONDS]    # default: 60 and 300
#
# Exit 1 when a fault is missed from the seeds or the faithful server is reported (the empty-corpus
# column is information: how far the fuzzer gets on its own). The build is
# `cargo +nightly fuzz build lifecycle` (AddressSanitizer; SANITIZER=none for an uninstrumented one).
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
faithful_seconds=${2:-300}
sanitizer=${SANITIZER:-address}
faults=(tokens-recycled tokens-not-rotated closed-tunnel-reopens extend-lifetime-hidden
  extend-lifetime-visible expiry-not-enforced timeout-reset rotation-closes-tunnel source-dest-config-applied)
cargo_cmd="cargo +nightly"
rustc --version | grep -q nightly && cargo_cmd="cargo"
triple=$(rustc -vV | sed -n 's/^host: //p')
$cargo_cmd fuzz build --sanitizer "$sanitizer" lifecycle >&2
bin="${CARGO_TARGET_DIR:-fuzz/target}/$triple/release/lifecycle"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
now() { date +%s.%N; }
load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "# scripts/fuzz-lifecycle-faults.sh $seconds $faithful_seconds (sanitizer: $sanitizer, $(nproc) cores, load average at start: $(load))"
echo
# hunt FAULT DIR [SEED_DIR...]: fuzz until the first violation or SECONDS; prints "found secs why".
hunt() {
  local f=$1 dir=$2
  shift 2
  mkdir -p "$dir/corpus" "$dir/artifacts"
  local start rc took
  start=$(now)
  set +e
  ROTCHECK_FUZZ_FAULTS="$f" "$bin" -max_total_time="$seconds" -seed=1 -dict=fuzz/rotcheck.dict \
    -artifact_prefix="$dir/artifacts/" "$dir/corpus" "$@" >"$dir/log" 2>&1
  rc=$?
  set -e
  took=$(awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }')
  if [ "$rc" -ne 0 ] && grep -q "oracle violated" "$dir/log"; then
    echo "yes $took $(sed -n 's/.*oracle violated: //p' "$dir/log" | head -n 1 | cut -c1-140 | sed 's/|/\\|/g')"
  else
    echo "no - exit $rc"
  fi
}

echo "| fault | from the seeds: found | after (s) | from an empty corpus: found | after (s) | violation (first found) |"
echo "|---|---|---|---|---|---|"
status=0
for f in "${faults[@]}"; do
  read -r s_found s_took s_why <<<"$(hunt "$f" "$scratch/$f/seeds" fuzz/seeds/lifecycle)"
  read -r e_found e_took e_why <<<"$(hunt "$f" "$scratch/$f/empty")"
  why=$s_why
  [ "$s_found" = yes ] || why=$e_why
  [ "$s_found" = yes ] || { s_found="**no**"; status=1; }
  [ "$e_found" = yes ] || e_found="no"
  echo "| \`$f\` | $s_found | $s_took | $e_found | $e_took | $why |"
done

echo
mkdir -p "$scratch/faithful/corpus" "$scratch/faithful/artifacts"
set +e
"$bin" -max_total_time="$faithful_seconds" -print_final_stats=1 -dict=fuzz/rotcheck.dict \
  -artifact_prefix="$scratch/faithful/artifacts/" "$scratch/faithful/corpus" fuzz/seeds/lifecycle \
  >"$scratch/faithful/log" 2>&1
rc=$?
set -e
runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/faithful/log" | tail -n 1)
if [ "$rc" -eq 0 ]; then
  echo "faithful server: no finding in ${faithful_seconds} s ($runs sequences, $(sed -n 's/^stat::average_exec_per_sec: *//p' "$scratch/faithful/log" | tail -n 1) per second)"
else
  echo "faithful server: REPORTED (exit $rc):"
  grep -m1 "oracle violated" "$scratch/faithful/log" || tail -n 20 "$scratch/faithful/log"
  status=1
fi
echo "load average at end: $(load)"
exit "$status"
