#!/usr/bin/env python3
"""Run the same scripted bot sessions against `yamori decoy` and a real Cowrie, inside a
private network namespace (loopback only), and report what each recorded or how fast it was.

  decoy_compare.py diff  --yamori-bin B   the event records of one Mirai-style telnet session
                                         on each, as JSON {"decoy": [...], "cowrie": [...]}
  decoy_compare.py bench --yamori-bin B   sessions per second, time to the login prompt under
                                         load, idle sessions held and memory per session,
                                         both honeypots in one run, as JSON

tests/interop/test_decoy_cowrie.py runs `diff`; docs/BENCHMARKS.md gives `bench`'s command.
"""
import argparse
import json
import multiprocessing
import os
import pathlib
import resource
import socket
import statistics
import sys
import tempfile
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import decoy_peers  # noqa: E402
import mirai_telnet  # noqa: E402


def diff(args):
    out = {}
    with tempfile.TemporaryDirectory(prefix="yamori-decoy-diff-") as work:
        for peer in (decoy_peers.Decoy(args.yamori_bin, work), decoy_peers.Cowrie(work)):
            try:
                peer.start()
                mirai_telnet.run_session("127.0.0.1", peer.port, mirai_telnet.MIRAI_CREDENTIALS,
                                         mirai_telnet.MIRAI_COMMANDS)
                # the session's close is recorded once the server sees the connection end
                time.sleep(1.0)
            finally:
                events = peer.stop()
            key = "decoy" if isinstance(peer, decoy_peers.Decoy) else "cowrie"
            out[key] = events
            if key == "cowrie" and not events:
                out["cowrie_log"] = peer.log_tail()
    json.dump(out, sys.stdout)


# --- benchmark ---------------------------------------------------------------------------

def _session_worker(port, deadline, queue):
    """Whole Mirai sessions, one after another, until `deadline`: (completed, failed,
    seconds from connect to the login prompt of each)."""
    done, failed, to_prompt = 0, 0, []
    while time.monotonic() < deadline:
        t0 = time.monotonic()
        try:
            t = mirai_telnet.MiraiTelnet("127.0.0.1", port, timeout=30)
            try:
                t.expect(*mirai_telnet.LOGIN_PROMPTS)
                to_prompt.append(time.monotonic() - t0)
                t.text.clear()
                t.line("root")
                t.expect(b"assword:")
                t.line("xc3511")
                t.expect(*mirai_telnet.PROMPTS, at_end=True)
                for c in mirai_telnet.MIRAI_COMMANDS:
                    t.line(c)
                    if c != "exit":
                        t.expect(*mirai_telnet.PROMPTS, at_end=True)
            finally:
                t.close()
            done += 1
        except (OSError, EOFError, TimeoutError):
            failed += 1
    queue.put((done, failed, to_prompt))


def throughput(port, clients, seconds):
    queue = multiprocessing.Queue()
    deadline = time.monotonic() + seconds
    procs = [multiprocessing.Process(target=_session_worker, args=(port, deadline, queue))
             for _ in range(clients)]
    start = time.monotonic()
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    elapsed = time.monotonic() - start
    done = sum(r[0] for r in results)
    failed = sum(r[1] for r in results)
    lat = sorted(x for r in results for x in r[2])
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))] * 1000 if lat else None  # noqa: E731
    return {"sessions": done, "failed": failed, "seconds": round(elapsed, 2),
            "sessions_per_s": round(done / elapsed, 1),
            "prompt_p50_ms": pct(0.50), "prompt_p99_ms": pct(0.99)}


def idle_sessions(peer, count, logged_in):
    """Open `count` connections that each get the login prompt (or, `logged_in`, log in and
    get the shell's prompt) and then stay silent; report how many the server holds and its
    memory per session."""
    base = decoy_peers.rss_kib(peer.proc.pid)
    socks, failed = [], 0
    t0 = time.monotonic()
    for _ in range(count):
        try:
            t = mirai_telnet.MiraiTelnet("127.0.0.1", peer.port, timeout=30)
            if logged_in:
                mirai_telnet.login(t, [("root", "xc3511")])
            else:
                t.expect(*mirai_telnet.LOGIN_PROMPTS)
            socks.append(t)
        except (OSError, EOFError, TimeoutError):
            failed += 1
    opened_s = time.monotonic() - t0
    time.sleep(2.0)
    rss = decoy_peers.rss_kib(peer.proc.pid)
    # a session still held answers: the password prompt, or the shell's prompt again
    sample = socks[:: max(1, len(socks) // 50)]
    alive = 0
    for t in sample:
        try:
            t.text.clear()
            if logged_in:
                t.line("")
                t.expect(*mirai_telnet.PROMPTS, at_end=True)
            else:
                t.line("root")
                t.expect(b"assword:")
            alive += 1
        except (OSError, EOFError, TimeoutError):
            pass
    for t in socks:
        t.close()
    return {"stage": "shell" if logged_in else "login prompt", "opened": len(socks),
            "failed": failed, "open_seconds": round(opened_s, 1),
            "sampled_alive": f"{alive}/{len(sample)}", "rss_base_kib": base, "rss_kib": rss,
            "bytes_per_session": round((rss - base) * 1024 / max(1, len(socks)))}


def bench(args):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    report = {"clients": args.clients, "seconds": args.seconds, "runs": [], "idle": {}}
    with tempfile.TemporaryDirectory(prefix="yamori-decoy-bench-") as work:
        for run in range(args.runs):
            for kind in ("decoy", "cowrie"):
                d = pathlib.Path(work) / f"{kind}-{run}"
                peer = (decoy_peers.Decoy(args.yamori_bin, d) if kind == "decoy"
                        else decoy_peers.Cowrie(d))
                try:
                    peer.start()
                    r = throughput(peer.port, args.clients, args.seconds)
                finally:
                    peer.stop()
                r["server"] = kind
                report["runs"].append(r)
                print(json.dumps(r), file=sys.stderr, flush=True)
        # Cowrie spends a tenth of a second of CPU on each login (its file system is loaded
        # per session), so fewer logged-in sessions are held there; memory is per session.
        stages = [("prompt", False, args.idle, args.idle),
                  ("shell", True, args.idle, args.idle_cowrie_shell)]
        for stage, logged_in, n_decoy, n_cowrie in stages:
            for kind in ("decoy", "cowrie"):
                d = pathlib.Path(work) / f"{kind}-idle-{stage}"
                peer = (decoy_peers.Decoy(args.yamori_bin, d) if kind == "decoy"
                        else decoy_peers.Cowrie(d))
                try:
                    peer.start()
                    r = idle_sessions(peer, n_decoy if kind == "decoy" else n_cowrie, logged_in)
                finally:
                    peer.stop()
                report["idle"].setdefault(stage, {})[kind] = r
                print(json.dumps({kind: r}), file=sys.stderr, flush=True)
    med = lambda kind, k: statistics.median(r[k] for r in report["runs"] if r["server"] == kind)  # noqa: E731
    report["median"] = {k: {"sessions_per_s": med(k, "sessions_per_s"),
                            "prompt_p99_ms": med(k, "prompt_p99_ms")} for k in ("decoy", "cowrie")}
    report["ratio_sessions_per_s"] = round(
        report["median"]["decoy"]["sessions_per_s"] / report["median"]["cowrie"]["sessions_per_s"], 1)
    json.dump(report, sys.stdout, indent=1)
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["diff", "bench"])
    ap.add_argument("--yamori-bin", required=True)
    ap.add_argument("--clients", type=int, default=8, help="bench: concurrent client processes")
    ap.add_argument("--seconds", type=float, default=20, help="bench: length of each throughput run")
    ap.add_argument("--runs", type=int, default=3, help="bench: runs per server, alternating")
    ap.add_argument("--idle", type=int, default=10000, help="bench: idle sessions to open")
    ap.add_argument("--idle-cowrie-shell", type=int, default=500,
                    help="bench: idle logged-in sessions to open on Cowrie")
    args = ap.parse_args()
    args.yamori_bin = os.path.abspath(args.yamori_bin)
    decoy_peers.ensure_isolated()
    (diff if args.mode == "diff" else bench)(args)


if __name__ == "__main__":
    main()
