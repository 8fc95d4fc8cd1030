#!/usr/bin/env bash
# Runs .clusterfuzzlite/build.sh without a container into a fresh $OUT and checks what
# ClusterFuzzLite needs is there for every cargo-fuzz target T: the executable T, T.dict (equal to
# fuzz/rotcheck.dict) and T_seed_corpus.zip holding exactly the files of fuzz/seeds/T/.
# Called by .ci/fuzz.sh. SANITIZER defaults to none here (CI's uninstrumented build, shared with
# the fuzz smoke runs); pass SANITIZER=address to check the ClusterFuzzLite build itself.
set -euo pipefail
cd "$(dirname "$0")/.."

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
OUT="$out" SANITIZER="${SANITIZER:-none}" bash .clusterfuzzlite/build.sh

cargo_cmd="cargo +nightly"
rustc --version | grep -q nightly && cargo_cmd="cargo"
status=0
for t in $($cargo_cmd fuzz list); do
  [ -x "$out/$t" ] || { echo "missing target binary $t"; status=1; }
  cmp -s "$out/$t.dict" fuzz/rotcheck.dict || { echo "missing or wrong $t.dict"; status=1; }
  python3 - "$out/${t}_seed_corpus.zip" "fuzz/seeds/$t" <<'PY' || status=1
import os, sys, zipfile
archive, seeds = sys.argv[1], sys.argv[2]
want = {n: open(os.path.join(seeds, n), "rb").read() for n in os.listdir(seeds)}
try:
    with zipfile.ZipFile(archive) as z:
        got = {n: z.read(n) for n in z.namelist()}
except (OSError, zipfile.BadZipFile) as e:
    sys.exit(f"{archive}: {e}")
if got != want:
    sys.exit(f"{archive}: {len(got)} files, fuzz/seeds has {len(want)} (or contents differ)")
print(f"{os.path.basename(archive)}: {len(got)} seeds")
PY
done
[ "$status" -eq 0 ] && echo "ClusterFuzzLite build: every target, seed corpus and dictionary is in \$OUT"
exit "$status"
