"""Anonymised push benchmark: what anonymising costs `yamori sync push`.

One telescope analysis (`gen-traffic --minutes M`, analysed and published TLP:GREEN into a
local collection) is pushed with `sync push --full` to a second hub over HTTPS, alternately
  plain      : the sharing policy's TLP check only;
  anonymised : Crypto-PAn for the victims' addresses, ids re-keyed, k measured (min_k 1);
into two collections of the peer. A first push of each is not timed, so every timed push
meets objects the peer already has. Medians and the ratio anonymised / plain.

Usage: YAMORI_BIN=target/release/yamori .venv/bin/python tests/interop/bench_anonymise.py \
           [--minutes 60] [--runs 5]
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).parent))
from conftest import Hub  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=int, default=60)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        ours, peer = Hub(tmp / "ours"), Hub(tmp / "peer")
        pcap = tmp / "dark.pcap"
        ours.cli("gen-traffic", "--darknet", "203.0.113.0/24", "--minutes", str(a.minutes),
                 "--seed", "7", "-o", str(pcap))
        report = tmp / "report.json"
        report.write_text(ours.cli("analyze", "--json", "--darknet", "203.0.113.0/24",
                                   str(pcap)).stdout)
        r = json.loads(report.read_text())
        ours.cli("publish", "--local", "--collection", "telescope", "--tlp", "green",
                 "--org", "Example CSIRT", str(report))
        ours.cli("sharing", "key", "new", "--group", "bench")
        token = peer.user("alice", "plain:rw", "anon:rw")
        peer.start()
        try:
            base = f'[peers.peer]\nurl = "{peer.api_root}"\n'
            policies = {
                "plain": base,
                "anon": base + '[peers.peer.anonymise]\nscheme = "cryptopan"\ngroup = "bench"\n',
            }
            for name, text in policies.items():
                (tmp / f"{name}.toml").write_text(text)

            def push(name):
                t0 = time.perf_counter()
                out = ours.cli("sync", "push", peer.api_root, "--collection", "telescope",
                               "--to", name, "--full", "--policy", str(tmp / f"{name}.toml"),
                               "--token", token, "--ca-cert", peer.cert).stdout
                return time.perf_counter() - t0, out

            first = {name: push(name)[1] for name in policies}
            times = {name: [] for name in policies}
            for _ in range(a.runs):
                for name in policies:
                    times[name].append(push(name)[0])
        finally:
            peer.stop()
        sent = first["plain"].split("pushed ", 1)[1].split(" ", 1)[0]
        anonymity = first["anon"].splitlines()[0]
        med = {n: statistics.median(v) for n, v in times.items()}
        print(f"workload: {a.minutes} min of generated darknet traffic, {len(r['scanners'])} scanners, "
              f"{len(r['attacks'])} attacks; {sent} objects pushed")
        print(f"  {anonymity}")
        for n in policies:
            per = ", ".join(f"{x:.2f}" for x in times[n])
            print(f"  {n:>5}: median {med[n]:.2f} s ({per})")
        print(f"  ratio anonymised / plain: {med['anon'] / med['plain']:.2f}")


if __name__ == "__main__":
    main()
