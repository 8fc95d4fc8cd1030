#!/usr/bin/env bash
# Fuzz smoke run (called by .ci/run): every cargo-fuzz target briefly from the committed seeds,
# then `rotcheck fuzz` (single requests, then sequences) against the built-in target. Works on a
# fresh machine with a nightly toolchain: installs cargo-fuzz when missing. FUZZ_SECONDS and
# ROTCHECK_FUZZ_DURATION override the run lengths.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TERM_COLOR=never
export AWS_EC2_METADATA_DISABLED=true
seconds=${FUZZ_SECONDS:-30}
duration=${ROTCHECK_FUZZ_DURATION:-10s}

if ! cargo +nightly --version >/dev/null 2>&1; then
  rustup toolchain install nightly --profile minimal
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

targets=$(cargo +nightly fuzz list)
[ -n "$targets" ] || { echo "no fuzz targets"; exit 1; }

# The ClusterFuzzLite build, run without a container: every target, its seed corpus zip and its
# dictionary must land in $OUT. Same flags as the runs below, so they reuse its build.
echo "== .clusterfuzzlite/build.sh (checked by .clusterfuzzlite/check-build.sh)"
bash .clusterfuzzlite/check-build.sh
for t in $targets; do
  echo "== cargo fuzz run $t (${seconds}s from fuzz/seeds/$t)"
  # A scratch corpus: new inputs stay out of the committed seeds. A crash leaves its input in
  # fuzz/artifacts/$t/ and fails this script; keep it under fuzz/regressions/$t/ once fixed.
  corpus=$(mktemp -d)
  # No AddressSanitizer here: the crate has no unsafe code, libFuzzer still catches every panic
  # and oracle failure, and the uninstrumented build is several times cheaper for CI. Debug
  # assertions (overflow checks) on, as in the ClusterFuzzLite build.
  cargo +nightly fuzz run --sanitizer none --debug-assertions "$t" "$corpus" "fuzz/seeds/$t" -- \
    -max_total_time="$seconds" -dict=fuzz/rotcheck.dict -print_final_stats=1 -rss_limit_mb=4096
  rm -rf "$corpus"
done

echo "== rotcheck fuzz --duration $duration (built-in target)"
cargo build --locked --quiet
target/debug/rotcheck fuzz --duration "$duration" --no-progress
echo "== rotcheck fuzz --sequences --duration $duration (built-in target)"
target/debug/rotcheck fuzz --sequences --duration "$duration" --no-progress
