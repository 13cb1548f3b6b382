#!/usr/bin/env bash
# Sweep a mostly-empty /16 (127.77.0.0/16 on the loopback of a private network namespace; two
# planted telnet emulators answer, every other address resets) on one port, with yamori and with
# `nmap -sT` at the same rate cap. Root only; the namespace is removed on exit.
#   tests/lab/bench.sh [RATE]          (default 2000 probes/s)
# Uses $YAMORI_LAB (default target/release/yamori-lab, which runs the library survey).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rate="${1:-2000}"
lab="${YAMORI_LAB:-${CARGO_TARGET_DIR:-$here/../../target}/release/yamori-lab}"
[ -x "$lab" ] || { echo "build first: cargo build --release -p yamori-lab --bin yamori-lab" >&2; exit 1; }
command -v nmap >/dev/null || { echo "nmap missing: apt-get install -y nmap" >&2; exit 1; }
ns="ymbench-$$"
work=$(mktemp -d)
cleanup() { [ -n "${emu:-}" ] && kill "$emu" 2>/dev/null; ip netns del "$ns" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip netns exec "$ns" "$lab" emulate 127.77.1.10=telnet:23:root:xc3511 127.77.200.3=telnet:23:admin:admin >/dev/null 2>&1 &
emu=$!
sleep 1
echo "127.77.0.0/16" > "$work/scope.txt"
echo "== yamori (rate $rate/s, 1 port, 65,536 addresses)"
/usr/bin/time -f "yamori: %e s wall, %U s user, %S s sys, %M KiB max RSS" \
    ip netns exec "$ns" "$lab" survey "$work/scope.txt" 23 "$work/y.json" "$rate" 1.0
grep -c '"port": 23' "$work/y.json" | sed 's/^/yamori open services: /'
echo "== nmap -sT (max-rate $rate/s, no retries, no ping, no DNS)"
/usr/bin/time -f "nmap: %e s wall, %U s user, %S s sys, %M KiB max RSS" \
    ip netns exec "$ns" nmap -sT -Pn -n -p23 --max-rate "$rate" --max-retries 0 -oG "$work/n.gnmap" 127.77.0.0/16 >/dev/null
grep -c '23/open' "$work/n.gnmap" | sed 's/^/nmap open ports: /'
