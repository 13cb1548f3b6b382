#!/usr/bin/env bash
# Run the fuzz targets for N seconds each (default 60): ./fuzz/run.sh [SECONDS] [TARGET...]
# (all targets when none is named; yamori-wire's are decode and reader).
# Needs a nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`; scripts/setup installs
# both). Without them it fails in the whole suite (YAMORI_SUITE=1, scripts/test-all); elsewhere
# it says so, adds the line to $YAMORI_SKIP_LOG if set, and exits 0: yamori-wire's invariants
# also run on every `cargo test -p yamori-wire` as seeded random loops
# (crates/yamori-wire/tests/it/robustness.rs).
set -euo pipefail
cd "$(dirname "$0")"
# The hub target links yamori-web; the dashboard's npm build is not needed for fuzzing.
export YAMORI_SKIP_WEB=1
secs="${1:-60}"
shift || true
targets=("$@")
not_fuzzing() {
    local line="fuzz/run.sh: the fuzz run did not run: $1"
    [ -z "${YAMORI_SKIP_LOG:-}" ] || echo "$line" >> "$YAMORI_SKIP_LOG"
    if [ "${YAMORI_SUITE:-}" = 1 ]; then
        echo "$line (YAMORI_SUITE=1: the suite runs every check; scripts/setup installs the peers)" >&2
        exit 1
    fi
    echo "SKIPPED $line" >&2
    exit 0
}
if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    not_fuzzing "no nightly toolchain (rustup toolchain install nightly)"
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
    not_fuzzing "cargo-fuzz missing (cargo install cargo-fuzz)"
fi
# No target named: every target of the crate (`cargo fuzz list`).
[ ${#targets[@]} -eq 0 ] && mapfile -t targets < <(cargo +nightly fuzz list)
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t"
    echo "== fuzzing $t for ${secs}s"
    # Crashes land in fuzz/artifacts/$t/; the growing corpus in fuzz/corpus/$t/ (not committed).
    dirs=("corpus/$t")
    [ -d "seeds/$t" ] && dirs+=("seeds/$t")
    cargo +nightly fuzz run "$t" "${dirs[@]}" -- -max_total_time="$secs" -rss_limit_mb=512 -max_len=65536
done
