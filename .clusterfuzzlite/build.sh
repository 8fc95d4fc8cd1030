#!/bin/bash -eu
# Builds every cargo-fuzz target of fuzz/ for ClusterFuzzLite / OSS-Fuzz and leaves in $OUT, for
# each target T: the binary T, its seed corpus T_seed_corpus.zip (the files of fuzz/seeds/T/) and
# its dictionary T.dict (fuzz/rotcheck.dict).
#
# Runs inside the base-builder-rust image, and equally without a container:
#   OUT=$(mktemp -d) SANITIZER=none bash .clusterfuzzlite/build.sh
# Variables (the builder image sets them; outside it the defaults apply):
#   OUT                 where the results go (required)
#   SRC                 directory holding the checkout `rotcheck/` (default: this script's repository)
#   SANITIZER           address (the only sanitizer ClusterFuzzLite supports for Rust), coverage
#                       (the builder's coverage build; cargo-fuzz flags come from its environment),
#                       or none (uninstrumented: fast local builds) (default: address)
#   CARGO_BUILD_TARGET  target triple (default: the host's)
#   CARGO               the cargo command (default: `cargo` when the default toolchain is nightly,
#                       else `cargo +nightly`)
#   FUZZ_TARGETS        space-separated subset of targets to build (default: all of `cargo fuzz list`)
# Needs a nightly toolchain, cargo-fuzz, and `zip` or python3 for the seed archives.

: "${OUT:?set OUT to the output directory}"
repo_of_script="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
if [ -n "${SRC:-}" ] && [ -d "$SRC/rotcheck/fuzz" ]; then
  repo="$SRC/rotcheck"
else
  repo="$repo_of_script"
fi
sanitizer="${SANITIZER:-address}"
triple="${CARGO_BUILD_TARGET:-$(rustc -vV | sed -n 's/^host: //p')}"
if [ -z "${CARGO:-}" ]; then
  # The builder image's default toolchain is nightly (and its `cargo` wraps the sanitizer flags):
  # use it as is. Elsewhere pick rustup's nightly.
  if rustc --version | grep -q nightly; then
    CARGO="cargo"
  else
    CARGO="cargo +nightly"
  fi
fi

case "$sanitizer" in
  address) sanitizer_flags=() ;;          # cargo-fuzz's default
  none) sanitizer_flags=(--sanitizer none) ;;
  coverage) sanitizer_flags=() ;;          # the builder's cargo wrapper adds the coverage flags
  *) echo "build.sh: SANITIZER=$sanitizer is not supported for Rust (address, coverage or none)" >&2; exit 2 ;;
esac

mkdir -p "$OUT"
cd "$repo"
targets="${FUZZ_TARGETS:-$($CARGO fuzz list)}"
[ -n "$targets" ] || { echo "build.sh: no cargo-fuzz targets found" >&2; exit 1; }

# -O: optimized, with debug assertions on. `cargo fuzz build` with no target builds them all at once.
build() { $CARGO fuzz build -O --debug-assertions --target "$triple" ${sanitizer_flags[@]+"${sanitizer_flags[@]}"} "$@"; }
if [ -n "${FUZZ_TARGETS:-}" ]; then
  for t in $targets; do build "$t"; done
else
  build
fi

bin_dir="${CARGO_TARGET_DIR:-fuzz/target}/$triple/release"
zip_dir() { # zip_dir DIR ARCHIVE: the files of DIR, flat, in a fresh archive
  rm -f "$2"
  if command -v zip >/dev/null 2>&1; then
    (cd "$1" && zip -q -X -j "$2" ./*)
  else
    python3 - "$1" "$2" <<'PY'
import os, sys, zipfile
src, dst = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as z:
    for name in sorted(os.listdir(src)):
        path = os.path.join(src, name)
        if os.path.isfile(path):
            z.write(path, arcname=name)
PY
  fi
}

out_abs="$(cd "$OUT" && pwd)"
for t in $targets; do
  [ -x "$bin_dir/$t" ] || { echo "build.sh: $bin_dir/$t was not built" >&2; exit 1; }
  cp "$bin_dir/$t" "$out_abs/$t"
  cp fuzz/rotcheck.dict "$out_abs/$t.dict"
  if [ -d "fuzz/seeds/$t" ] && [ -n "$(ls -A "fuzz/seeds/$t")" ]; then
    zip_dir "fuzz/seeds/$t" "$out_abs/${t}_seed_corpus.zip"
  else
    echo "build.sh: fuzz/seeds/$t is missing or empty (commit seeds for every target)" >&2
    exit 1
  fi
  echo "build.sh: $t -> $out_abs/{$t,${t}_seed_corpus.zip,$t.dict}"
done
