#!/usr/bin/env bash
# Capture benchmark: one generated darknet stream replayed with tcpreplay into a veth pair and
# captured on the other end, inside a namespace, by `yamori sensor` and by
# `tcpdump -w /dev/null` with the same filter (`dst net 198.51.100.0/24`) and the same 64 MiB
# of buffer, at fixed rates and at top speed, one after the other. Root only; the namespace
# goes on exit; nothing leaves the veth pair.
#
#   tests/lab/bench-sensor.sh [PACKETS] [RATES]
#     PACKETS  packets in the generated capture (default 1000000; bench scale, PACKETS/10 sources)
#     RATES    comma-separated packets per second for tcpreplay --pps, or "top" for --topspeed
#              (default 50000,100000,200000,top)
#
# Per rate and tool: packets offered (tcpreplay's successful packets), the darknet's share of
# them, packets captured and packets dropped (the kernel's ring counters; for the sensor also
# the interface's rx_dropped and the packets it could not analyse), the kernel's input-queue
# (backlog) drops during the replay (system-wide, /proc/net/softnet_stat: frames the veth could
# not hand over, which no capture tool sees or counts), and tcpreplay's achieved rate.
#
# RAW=1 keeps the frames too: tcpdump writes them to a file (`-w FILE`), the sensor to its
# rotating pcap files (`--pcap-dir`); the bytes each wrote are reported.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
packets="${1:-1000000}"
rates="${2:-50000,100000,200000,top}"
yamori="${YAMORI:-${CARGO_TARGET_DIR:-$here/../../target}/release/yamori}"
[ -x "$yamori" ] || { echo "build first: cargo build --release -p yamori" >&2; exit 1; }
for t in tcpreplay tcpdump python3; do
    command -v "$t" >/dev/null || { echo "$t missing (scripts/setup installs it)" >&2; exit 1; }
done
darknet=198.51.100.0/24
id=$(printf '%04x' $((RANDOM % 65536)))
ns="ymbsn-$id"; out="ymbo$id"; in="ymbi$id"
work=$(mktemp -d)
cleanup() {
    set +e
    ip link del "$out" 2>/dev/null; ip netns del "$ns" 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip link add "$out" mtu 9000 type veth peer name "$in" mtu 9000
ip link set "$in" netns "$ns"
sysctl -qw "net.ipv6.conf.$out.disable_ipv6=1"
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$in.disable_ipv6=1"
ip link set "$out" up; ip -n "$ns" link set "$in" up

cap="$work/cap.pcap"
"$yamori" -q gen-traffic --darknet "$darknet" --minutes 5 --packets "$packets" \
    --sources $((packets / 10)) -o "$cap" >/dev/null
in_darknet=$("$yamori" -q --data-dir "$work/data" analyze --no-store --json --darknet "$darknet" \
    "$cap" | python3 -c 'import json,sys; print(json.load(sys.stdin)["totals"]["darknet_packets"])')
echo "capture: $packets packets, $in_darknet to the darknet; yamori: $yamori"

# Wait until FILE has a line matching PATTERN (at most 10 s).
wait_for() {
    for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
    echo "no '$2' in $1:" >&2; cat "$1" >&2; return 1
}
# Packets the kernel dropped from its per-CPU input queues (netdev_max_backlog) since boot:
# the veth hands frames to the receiving side through them, before any packet tap sees them.
backlog_drops() {
    python3 -c 'import sys; print(sum(int(l.split()[1], 16) for l in open("/proc/net/softnet_stat")))'
}
replay() {
    local args=(--pps="$1")
    [ "$1" = top ] && args=(--topspeed)
    local before; before=$(backlog_drops)
    tcpreplay -i "$out" "${args[@]}" "$cap" > "$work/replay.txt" 2>&1
    backlog=$(( $(backlog_drops) - before ))
    offered=$(awk '/Successful packets:/ {print $3}' "$work/replay.txt")
    achieved=$(awk '/^Rated:/ {print $(NF-1); exit}' "$work/replay.txt")
}

printf '%-8s %-8s %10s %10s %10s %10s %10s %12s\n' rate tool offered captured dropped if_drops backlog achieved_pps
IFS=, read -ra list <<< "$rates"
for rate in "${list[@]}"; do
    td_out=/dev/null; sensor_raw=()
    if [ -n "${RAW:-}" ]; then
        td_out="$work/tcpdump.pcap"; sensor_raw=(--pcap-dir "$work/pcap")
    fi
    ip netns exec "$ns" tcpdump -n -i "$in" -B 65536 -w "$td_out" "dst net $darknet" \
        2> "$work/tcpdump.err" &
    td=$!
    wait_for "$work/tcpdump.err" "listening on"
    replay "$rate"
    sleep 1
    kill -INT "$td"; wait "$td" || true
    captured=$(awk '/packets captured/ {print $1}' "$work/tcpdump.err")
    dropped=$(awk '/packets dropped by kernel/ {print $1}' "$work/tcpdump.err")
    printf '%-8s %-8s %10s %10s %10s %10s %10s %12s\n' "$rate" tcpdump "$offered" "$captured" \
        "$dropped" - "$backlog" "$achieved"
    if [ -n "${RAW:-}" ]; then
        echo "  (tcpdump wrote $(stat -c %s "$td_out") bytes)"; rm -f "$td_out"
    fi

    rm -rf "$work/data"
    ip netns exec "$ns" "$yamori" --data-dir "$work/data" sensor --interface "$in" \
        --darknet "$darknet" --sensor-id "bench" --json "${sensor_raw[@]}" > "$work/sensor.jsonl" \
        2> "$work/sensor.err" &
    se=$!
    wait_for "$work/sensor.err" "capturing on"
    replay "$rate"
    sleep 1
    kill -INT "$se"; wait "$se"
    read -r captured dropped if_drops unanalysed < <(python3 - "$work/sensor.jsonl" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
s = lambda k: sum(l[k] for l in lines)
print(s("captured"), s("kernel_drops"), s("interface_drops"), s("undecodable") + s("late"))
EOF
)
    printf '%-8s %-8s %10s %10s %10s %10s %10s %12s\n' "$rate" sensor "$offered" "$captured" \
        "$dropped" "$if_drops" "$backlog" "$achieved"
    [ "$unanalysed" = 0 ] || echo "  (sensor: $unanalysed packets not analysed)"
    if [ -n "${RAW:-}" ]; then
        echo "  (sensor wrote $(cat "$work"/pcap/*.pcap | wc -c) bytes in $(ls "$work/pcap" | wc -l) file(s))"
        rm -rf "$work/pcap"
    fi
done
