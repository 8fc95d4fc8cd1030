#!/usr/bin/env bash
# Prints the execs/s table of the cargo-fuzz targets: each target runs alone (one at a time, one
# process) for SECONDS from the committed seeds (fuzz/seeds/T/, with a scratch corpus so nothing
# is written to them) and the dictionary, and its libFuzzer final stats become a table row.
#
#   scripts/fuzz-speed.sh [SECONDS] [TARGET...]      # default: 60 s, every target
#
# The build is `cargo +nightly fuzz build` (AddressSanitizer, as a plain `cargo fuzz run`), done
# once before any timing. The machine's core count and load average are printed with the table:
# other processes on the machine slow the targets down. A target that crashes makes the script
# exit 1 (its input is left in fuzz/artifacts/T/). SANITIZER=none measures uninstrumented builds.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
sanitizer=${SANITIZER:-address}
cargo_cmd="cargo +nightly"
rustc --version | grep -q nightly && cargo_cmd="cargo"
triple=$(rustc -vV | sed -n 's/^host: //p')
targets=("$@")
echo "building (sanitizer: $sanitizer)..." >&2
if [ ${#targets[@]} -eq 0 ]; then
  read -r -a targets <<<"$($cargo_cmd fuzz list | tr '\n' ' ')"
  $cargo_cmd fuzz build --sanitizer "$sanitizer" >&2
else
  for t in "${targets[@]}"; do $cargo_cmd fuzz build --sanitizer "$sanitizer" "$t" >&2; done
fi
bin_dir="${CARGO_TARGET_DIR:-fuzz/target}/$triple/release"

load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "# scripts/fuzz-speed.sh $seconds ${*:-} (sanitizer: $sanitizer, $(nproc) cores, load average at start: $(load))"
echo
echo "| target | execs/s | runs | cov | ft | peak RSS (MB) |"
echo "|---|---|---|---|---|---|"
status=0
for t in "${targets[@]}"; do
  corpus=$(mktemp -d)
  log=$(mktemp)
  mkdir -p "fuzz/artifacts/$t"
  set +e
  "$bin_dir/$t" -max_total_time="$seconds" -print_final_stats=1 -dict=fuzz/rotcheck.dict \
    -artifact_prefix="fuzz/artifacts/$t/" "$corpus" "fuzz/seeds/$t" >"$log" 2>&1
  rc=$?
  set -e
  stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -n 1; }
  last=$(grep -E '^#[0-9]+.*cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1)
  cov=$(sed -E 's/.*cov: ([0-9]+).*/\1/' <<<"$last")
  ft=$(sed -E 's/.*ft: ([0-9]+).*/\1/' <<<"$last")
  if [ "$rc" -ne 0 ]; then
    echo "| \`$t\` | crashed (exit $rc, see fuzz/artifacts/$t/) | $(stat number_of_executed_units) | $cov | $ft | $(stat peak_rss_mb) |"
    tail -n 30 "$log" >&2
    status=1
  else
    echo "| \`$t\` | $(stat average_exec_per_sec) | $(stat number_of_executed_units) | $cov | $ft | $(stat peak_rss_mb) |"
  fi
  rm -rf "$corpus" "$log"
done
echo
echo "load average at end: $(load)"
exit "$status"
