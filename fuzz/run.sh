#!/usr/bin/env bash
# Run the yamori-wire fuzz targets for N seconds each (default 60): ./fuzz/run.sh [SECONDS] [TARGET...]
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`). Without them it says so
# and exits 0: the same invariants run on every `cargo test -p yamori-wire` as seeded random
# loops (crates/yamori-wire/tests/it/robustness.rs).
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(decode reader)
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    echo "fuzz/run.sh: no nightly toolchain (rustup toolchain install nightly); not fuzzing" >&2
    exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    echo "fuzz/run.sh: cargo-fuzz missing (cargo install cargo-fuzz); not fuzzing" >&2
    exit 0
fi
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== fuzzing $t for ${secs}s"
    # Crashes land in fuzz/artifacts/$t/; the growing corpus in fuzz/corpus/$t/ (not committed).
    cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- -max_total_time="$secs" -rss_limit_mb=512 -max_len=65536
done
