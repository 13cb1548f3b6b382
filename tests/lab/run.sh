#!/usr/bin/env bash
# Build the survey lab (see README.md), run `yamori survey` from the scanner namespace, report.
# Root only. Everything is removed on exit.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
tdir="${CARGO_TARGET_DIR:-$here/../../target}/debug"
yamori="${YAMORI:-$tdir/yamori}"
lab="${YAMORI_LAB:-$tdir/yamori-lab}"
[ -x "$yamori" ] && [ -x "$lab" ] || { echo "build first: cargo build -p yamori -p yamori-lab" >&2; exit 1; }
id=$(printf '%06x' $((RANDOM * RANDOM % 16777216)))
work=$(mktemp -d)
pids=()
nss=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for n in "${nss[@]}"; do ip netns del "$n" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
sw="ymsw-$id"
ip netns add "$sw"; nss+=("$sw")
ip -n "$sw" link add br0 type bridge
ip -n "$sw" link set br0 up
n=0
host() { # role addr...
    local ns="ym$1-$id"; shift
    n=$((n + 1))
    ip netns add "$ns"; nss+=("$ns")
    ip -n "$sw" link add "p$n" type veth peer name eth0 netns "$ns"
    ip -n "$sw" link set "p$n" master br0 up
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    for a in "$@"; do ip -n "$ns" addr add "$a" dev eth0; done
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
}
host sc 198.51.100.200/24 203.0.113.200/24
host d1 198.51.100.10/24 198.51.100.11/24 198.51.100.12/24
host d2 203.0.113.20/24 198.51.100.99/24
ip netns exec "$sw" tcpdump -i br0 -U -n -Z root -w "$work/bridge.pcap" 2>/dev/null & pids+=($!)
ip netns exec "ymd1-$id" "$lab" emulate 198.51.100.10=telnet:23:root:xc3511 \
    198.51.100.10=http:80:Hikvision-Webs:admin:12345 198.51.100.10=coap:5683 \
    "198.51.100.11=http:8080:uc-httpd 1.0.0:admin:admin:digest" \
    "198.51.100.11=ssdp:1900:Linux/3.14.0 UPnP/1.0 IpBridge/1.26.0" >/dev/null & pids+=($!)
ip netns exec "ymd2-$id" "$lab" emulate 203.0.113.20=telnet:2323:admin:N0t-in-any-list \
    "203.0.113.20=ftp:21:220 MikroTik FTP server (MikroTik 6.42.1) ready" \
    198.51.100.99=telnet:23:root:xc3511 >/dev/null & pids+=($!)
if command -v mosquitto >/dev/null; then
    printf 'listener 1883 198.51.100.12\nallow_anonymous true\npersistence false\nlog_dest none\n' > "$work/mosquitto.conf"
    ip netns exec "ymd1-$id" mosquitto -c "$work/mosquitto.conf" & pids+=($!)
fi
sleep 1
printf '# lab scope\n198.51.100.0/26\n203.0.113.16/28\n' > "$work/scope.txt"
ip netns exec "ymsc-$id" "$yamori" survey --scope "$work/scope.txt" --out "$work/survey.json" \
    --rate "${RATE:-2000}" --timeout 1 --contact lab@example.org
sleep 0.5
kill "${pids[0]}" 2>/dev/null || true
outside=$(tcpdump -n -r "$work/bridge.pcap" 'ip and not (igmp and dst net 224.0.0.0/24) and not (dst net 198.51.100.0/26 or dst net 203.0.113.16/28 or dst host 198.51.100.200 or dst host 203.0.113.200)' 2>/dev/null | wc -l)
decoy=$(tcpdump -n -r "$work/bridge.pcap" 'dst host 198.51.100.99 or (arp and arp[24:4] = 0xc6336463)' 2>/dev/null | wc -l)
echo "packets to addresses outside the scope: $outside; packets to the out-of-scope decoy: $decoy"
cp "$work/survey.json" "${OUT:-./lab-survey.json}"
echo "result written to ${OUT:-./lab-survey.json}"
[ "$outside" -eq 0 ] && [ "$decoy" -eq 0 ]
