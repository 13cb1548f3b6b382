#!/usr/bin/env bash
# Sweep the IoT TCP ports of 512 mostly-empty TEST-NET addresses behind a router namespace with
# yamori (connect and SYN discovery), nmap -sT, masscan and zmap, at the same rate cap, in one
# run. Root only; every namespace is removed on exit; nothing leaves the namespaces.
#
#   tests/lab/bench-syn.sh [RATE] [RUNS] [MODE]
#     RATE  probes per second for every tool (default 2000; "max" = 1,000,000, i.e. no cap)
#     RUNS  runs per tool, the median is reported (default 3; nmap: NMAP_RUNS, default 1)
#     TOOLS (environment) a subset of: yamori_connect yamori_syn nmap_st masscan_syn zmap_syn
#     MODE  silent (default): absent addresses drop probes, as on a real darknet-like range;
#           reset: every address answers (closed ports reset), which measures the send path
#
# Lab (198.51.100.0/24 and 203.0.113.0/24 are TEST-NET-2/3; 192.0.2.0/24 TEST-NET-1):
#   ns ymbs-sc-ID  s0 192.0.2.200/24, routes to both /24s via 192.0.2.1
#   ns ymbs-rt-ID  r0 192.0.2.1/24, forwarding off; the planted devices' addresses on lo:
#                  198.51.100.10 telnet:23 root/xc3511 + http:80 admin/12345,
#                  198.51.100.77 http:8080 (digest admin/admin), 203.0.113.20 telnet:2323 + ftp:21
# Every tool scans the same 17 TCP ports (`--ports iot` without its UDP ports) of both /24s:
# 8,704 probes. zmap 2.1 scans one port per run: it runs once per port, back to back.
# Each tool waits 1 s for late replies (yamori --timeout 1, masscan --wait 1, zmap -c 1).
# nmap runs with -T4 (its "aggressive" timing, what one uses for a fast sweep): with its default
# timing a silent sweep took 556 s at 2,000/s here.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rate="${1:-2000}"
runs="${2:-3}"
mode="${3:-silent}"
[ "$rate" = max ] && rate=1000000
lab="${YAMORI_LAB:-${CARGO_TARGET_DIR:-$here/../../target}/release/yamori-lab}"
[ -x "$lab" ] || { echo "build first: cargo build --release -p yamori-lab --bin yamori-lab" >&2; exit 1; }
for t in nmap masscan zmap; do
    command -v "$t" >/dev/null || { echo "$t missing: apt-get install -y nmap masscan zmap" >&2; exit 1; }
done
ports=21,22,23,80,81,443,502,554,1883,2323,5555,7547,8080,8443,8883,37215,52869
id=$(printf '%06x' $((RANDOM * RANDOM % 16777216)))
sc="ymbs-sc-$id"; rt="ymbs-rt-$id"
work=$(mktemp -d)
waker=""
cleanup() {
    set +e
    [ -n "$waker" ] && kill "$waker" 2>/dev/null
    [ -n "${emu:-}" ] && kill "$emu" 2>/dev/null
    ip netns del "$sc" 2>/dev/null; ip netns del "$rt" 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$sc"; ip netns add "$rt"
ip -n "$sc" link add s0 type veth peer name r0 netns "$rt"
for ns in "$sc" "$rt"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip -n "$ns" link set lo up
done
ip netns exec "$rt" sysctl -qw net.ipv4.ip_forward=0
ip -n "$sc" addr add 192.0.2.200/24 dev s0; ip -n "$sc" link set s0 up
ip -n "$rt" addr add 192.0.2.1/24 dev r0; ip -n "$rt" link set r0 up
ip -n "$sc" route add 198.51.100.0/24 via 192.0.2.1
ip -n "$sc" route add 203.0.113.0/24 via 192.0.2.1
if [ "$mode" = reset ]; then
    ip -n "$rt" route add local 198.51.100.0/24 dev lo
    ip -n "$rt" route add local 203.0.113.0/24 dev lo
else
    for a in 198.51.100.10 198.51.100.77 203.0.113.20; do ip -n "$rt" addr add "$a/32" dev lo; done
fi
ip netns exec "$rt" "$lab" emulate 198.51.100.10=telnet:23:root:xc3511 \
    198.51.100.10=http:80:Hikvision-Webs:admin:12345 \
    "198.51.100.77=http:8080:uc-httpd 1.0.0:admin:admin:digest" \
    203.0.113.20=telnet:2323:admin:N0t-in-any-list \
    "203.0.113.20=ftp:21:220 MikroTik FTP server (MikroTik 6.42.1) ready" >/dev/null 2>&1 &
emu=$!
sleep 1
router_mac=$(ip -n "$rt" -br link show r0 | awk '{print $3}')
# Resolve the router once so no tool pays for ARP inside its timing.
ip netns exec "$sc" timeout 2 bash -c 'exec 3<>/dev/tcp/192.0.2.1/9' 2>/dev/null || true
printf '198.51.100.0/24\n203.0.113.0/24\n' > "$work/scope.txt"
: > "$work/empty-blocklist"

# Each tool function prints the number of open ports it found; a failed run prints FAILED
# (and its log) instead, so it is never timed as a success with an earlier run's output.
fail() { echo "$1 failed; last output:" >&2; tail -c 400 "$2" >&2; echo FAILED; }
yamori_connect() { rm -f "$work/yc.json"
                   ip netns exec "$sc" "$lab" survey "$work/scope.txt" "$ports" "$work/yc.json" "$rate" 1.0 connect \
                       2>"$work/yc.log" || { fail yamori "$work/yc.log"; return; }
                   grep -c '"port"' "$work/yc.json" || true; }
yamori_syn()     { rm -f "$work/ys.json"
                   ip netns exec "$sc" "$lab" survey "$work/scope.txt" "$ports" "$work/ys.json" "$rate" 1.0 syn \
                       2>"$work/ys.log" || { fail yamori "$work/ys.log"; return; }
                   grep -c '"port"' "$work/ys.json" || true; }
nmap_st()        { local cap=""; [ "$rate" -lt 1000000 ] && cap="--max-rate $rate"
                   rm -f "$work/n.gnmap"
                   # shellcheck disable=SC2086 # $cap is empty or two words
                   ip netns exec "$sc" nmap -sT -Pn -n -T4 --max-retries 0 $cap -p "$ports" -oG "$work/n.gnmap" \
                       198.51.100.0/24 203.0.113.0/24 >"$work/n.log" 2>&1 || { fail nmap "$work/n.log"; return; }
                   grep -o '[0-9]*/open' "$work/n.gnmap" | wc -l; }
masscan_syn()    { # masscan's receive thread blocks in libpcap until a packet arrives, so on a
                   # silent range it never notices that its --wait is over: a datagram every
                   # 100 ms from the router namespace to the scanner wakes it (for 120 s at most).
                   ip netns exec "$rt" bash -c 'for _ in $(seq 1200); do echo . > /dev/udp/192.0.2.200/9; sleep 0.1; done' 2>/dev/null &
                   waker=$!
                   rm -f "$work/m.txt"
                   local ok=1
                   timeout 120 ip netns exec "$sc" masscan -p "$ports" --rate "$rate" --wait 1 --adapter s0 \
                       --adapter-ip 192.0.2.200 --router-mac "$router_mac" -oL "$work/m.txt" \
                       198.51.100.0/24 203.0.113.0/24 >"$work/masscan.log" 2>&1 || ok=0
                   kill "$waker" 2>/dev/null; wait "$waker" 2>/dev/null; waker=""
                   [ "$ok" = 1 ] || { fail masscan "$work/masscan.log"; return; }
                   local n; n=$(grep -c '^open' "$work/m.txt" || true); echo "${n:-0}"; }
zmap_syn()       { : > "$work/z.all"
                   for p in ${ports//,/ }; do
                       rm -f "$work/z.csv"
                       timeout 120 ip netns exec "$sc" zmap -q -p "$p" -i s0 -S 192.0.2.200 -G "$router_mac" -r "$rate" -c 1 \
                           -b "$work/empty-blocklist" -o "$work/z.csv" 198.51.100.0/24 203.0.113.0/24 \
                           >"$work/z.log" 2>&1 || { fail zmap "$work/z.log"; return; }
                       sed "s/\$/:$p/" "$work/z.csv" >> "$work/z.all"
                   done
                   grep -c . "$work/z.all" || true; }

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf '%-16s %10s %10s %8s\n' tool "median s" "open" "runs"
for tool in ${TOOLS:-yamori_connect yamori_syn nmap_st masscan_syn zmap_syn}; do
    times=()
    n="$runs"
    # A silent sweep takes nmap minutes: one run is enough to see the ratio.
    [ "$tool" = nmap_st ] && n="${NMAP_RUNS:-1}"
    for _ in $(seq "$n"); do
        start=$(date +%s.%N)
        open=$($tool)
        end=$(date +%s.%N)
        times+=("$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.3f", b - a}')")
    done
    printf '%-16s %10.2f %10s %8s\n' "$tool" "$(printf '%s\n' "${times[@]}" | median)" "$open" "$n"
done
echo "rate cap: $rate probes/s; mode: $mode; planted open ports: 5; probes per tool: 8,704"
