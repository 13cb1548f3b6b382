"""Correlation benchmark: what the correlation index costs the hub's ingest, and how fast
"everything about one address" answers under concurrent clients.

  ingest  : N indicators from S sources (created_by_ref), envelopes of 1,000 over HTTPS,
            into a fresh hub per run, timed until the last envelope is stored *and* indexed:
            the index follows the objects on a thread of its own, so the clock stops when a
            lookup after the last envelope (which first indexes whatever is left) returns and
            names the last value's reports; the same objects into the same code built without the
            index (--baseline-bin: `cargo build --release -p yamori --features
            bench-no-correlation`), and optionally into an older build from before the index
            existed (--older-bin: it also lacks every later change to ingest, which its ratio
            charges to the index); runs alternating; medians and the ratios
  lookups : C clients (threads, one keep-alive session each) × R requests of
            GET /api/v1/observable?value=<a random reported address>, on the last hub with
            the index (N stored); p50 / p99 latency and req/s; every answer must name the
            address's S reports

Every source reports each value once: value k (k = i // S) is an address (`=`), a URL on
that address, a /24 around it (`ISSUBSET`) or a domain name, in turn, so lookups meet
addresses, prefixes and URL hosts. Values are only strings in STIX objects: nothing is sent
to them.

Usage: .venv/bin/python tests/interop/bench_correlation.py --yamori-bin target/release/yamori \
           --baseline-bin /tmp/nocorr/release/yamori [--older-bin /tmp/before/yamori] \
           [--objects 1000000] [--sources 5] [--runs 3] [--clients 32] \
           [--requests-per-client 50] [--postgres]

--postgres: each hub on a fresh PostgreSQL database (127.0.0.1:5432, or --pg-port, dropped after
its run) instead of a SQLite file.
"""
import argparse
import json
import os
import pathlib
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import bench_hub  # noqa: E402  (ingest, Target, yamori_target)
import conftest  # noqa: E402  (PG_ADMIN)

SOURCES = 5


def address(k):
    # 100.64.0.0/10 holds 4 M addresses: room for every k of a 1 M-object run.
    return f"100.{64 + ((k >> 16) & 63)}.{(k >> 8) & 255}.{k & 255}"


def indicator(i):
    k = i // SOURCES
    a = address(k)
    kind = k % 4
    if kind == 0:
        pattern = f"[ipv4-addr:value = '{a}']"
    elif kind == 1:
        pattern = f"[url:value = 'http://{a}/bins/x.{i % 7}']"
    elif kind == 2:
        pattern = f"[ipv4-addr:value ISSUBSET '{a.rsplit('.', 1)[0]}.0/24']"
    else:
        pattern = f"[domain-name:value = 'h{k}.example']"
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{i:012x}",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "created_by_ref": f"identity--00000000-0000-4000-8000-{i % SOURCES:012x}",
        "name": f"value {k} from source {i % SOURCES}", "pattern": pattern,
        "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
        "indicator_types": ["malicious-activity"],
    }


def settle(t, objects):
    """Seconds until one lookup, after the last envelope, answers with every report of the
    last address reported: the index's lag at the end of ingest, counted in its time."""
    api = t.coll.split("api1/collections/")[0] + "api/v1/observable"
    k = (objects // SOURCES - 1) // 4 * 4  # the last value of kind 0: an address
    s = t.session()
    s.headers["Accept"] = "application/json"
    start = time.perf_counter()
    r = s.get(api, params={"value": address(k)}, timeout=600)
    secs = time.perf_counter() - start
    r.raise_for_status()
    return secs, sum(1 for x in r.json()["reports"] if x["value"] == address(k))


def lookups(t, objects, clients, per_client):
    """Latency of GET /api/v1/observable for random addresses reported with `=`."""
    api = t.coll.split("api1/collections/")[0] + "api/v1/observable"
    values = objects // SOURCES
    lat, errors = [], []
    lock = threading.Lock()

    def one(seed):
        rnd = random.Random(seed)
        s = t.session()
        s.headers["Accept"] = "application/json"
        mine = []
        for _ in range(per_client):
            k = rnd.randrange(0, values // 4) * 4  # kind 0: the address itself
            a = address(k)
            start = time.perf_counter()
            r = s.get(api, params={"value": a}, timeout=120)
            mine.append(time.perf_counter() - start)
            ok = r.status_code == 200 and sum(1 for x in r.json()["reports"]
                                              if x["value"] == a) == SOURCES
            if not ok:
                with lock:
                    errors.append((a, r.status_code, r.text[:200]))
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(clients)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - start
    if errors:
        print(f"lookups: {len(errors)} wrong answers, first: {errors[0]}", file=sys.stderr)
    lat.sort()
    q = statistics.quantiles(lat, n=100)
    return {"p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "req_s": len(lat) / wall,
            "errors": len(errors)}


def main():
    global SOURCES
    ap = argparse.ArgumentParser()
    ap.add_argument("--yamori-bin", required=True, help="the build with the correlation index")
    ap.add_argument("--baseline-bin", required=True,
                    help="the same code built with --features bench-no-correlation")
    ap.add_argument("--older-bin", help="a build from before the index (and TLP clearances)")
    ap.add_argument("--objects", type=int, default=1_000_000)
    ap.add_argument("--sources", type=int, default=5)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--requests-per-client", type=int, default=50)
    ap.add_argument("--postgres", action="store_true", help="hubs on PostgreSQL, not SQLite")
    ap.add_argument("--pg-port", type=int, default=5432,
                    help="the PostgreSQL server on 127.0.0.1 (another one than the machine's, "
                         "e.g. one with other settings)")
    args = ap.parse_args()
    SOURCES = args.sources
    bench_hub.indicator = indicator
    hubs = [("without", args.baseline_bin, "amber+strict"), ("with", args.yamori_bin, "amber+strict")]
    if args.older_bin:
        # Older builds predate TLP clearances (`user add --tlp`).
        hubs.insert(0, ("older", args.older_bin, None))
    rates = {name: [] for name, _, _ in hubs}
    pg_admin = conftest.PG_ADMIN[:1] + ["-p", str(args.pg_port)] + conftest.PG_ADMIN[1:]
    lookup = None
    with tempfile.TemporaryDirectory() as tmp:
        for run in range(args.runs):
            for name, binary, tlp in hubs:
                os.environ["YAMORI_BIN"] = binary
                db = None
                if args.postgres:
                    db = "yamori_bench_" + uuid.uuid4().hex[:12]
                    subprocess.run(pg_admin + [f"CREATE DATABASE {db}"], check=True,
                                   capture_output=True)
                url = db and f"postgres://postgres@127.0.0.1:{args.pg_port}/{db}"
                h, t = bench_hub.yamori_target(tmp, f"{name}-{run}", url, tlp)
                try:
                    stored, _ = bench_hub.ingest(t, args.objects)
                    # An older build has no lookups: its index, if any, was written on ingest.
                    tail, found = settle(t, args.objects) if name != "older" else (0.0, SOURCES)
                    if name != "without" and found != SOURCES:
                        raise SystemExit(f"{name}: the last address has {found} reports after "
                                         f"ingest, not {SOURCES}")
                    secs = stored + tail
                    rates[name].append(args.objects / secs)
                    print(json.dumps({"run": run, "hub": name, "objects": args.objects,
                                      "stored_s": round(stored, 2), "index_tail_s": round(tail, 3),
                                      "ingest_s": round(secs, 2),
                                      "obj_s": round(args.objects / secs)}), flush=True)
                    if name == "with" and run == args.runs - 1:
                        lookup = lookups(t, args.objects, args.clients, args.requests_per_client)
                        print(json.dumps({"lookups": lookup}), flush=True)
                finally:
                    h.stop()
                    # A million objects take ~1 GB per hub: keep one at a time.
                    shutil.rmtree(pathlib.Path(tmp) / f"{name}-{run}", ignore_errors=True)
                    if db:
                        subprocess.run(pg_admin + [f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"],
                                       capture_output=True)
    w, wo = statistics.median(rates["with"]), statistics.median(rates["without"])
    pairs = [a / b for a, b in zip(rates["with"], rates["without"])]
    print(f"\n| hub | ingest objects/s, median (runs) |\n|---|---|")
    print(f"| with correlation | {w:,.0f} ({'; '.join(f'{r:,.0f}' for r in rates['with'])}) |")
    print(f"| same build without the index | {wo:,.0f} ({'; '.join(f'{r:,.0f}' for r in rates['without'])}) |")
    if "older" in rates:
        o = statistics.median(rates["older"])
        print(f"| older build, before the index | {o:,.0f} ({'; '.join(f'{r:,.0f}' for r in rates['older'])}) |")
    print(f"\nratio with / without: {w / wo:.2f} (per pair: {', '.join(f'{p:.2f}' for p in pairs)})"
          f"; slowdown {100 * (1 - w / wo):.1f} % (goal: at most 20 %)")
    if "older" in rates:
        print(f"ratio with / older build: {w / o:.2f}")
    if lookup:
        print(f"lookups, {args.clients} clients: p50 {lookup['p50_ms']:.1f} ms, p99 "
              f"{lookup['p99_ms']:.1f} ms, {lookup['req_s']:.0f} req/s, {lookup['errors']} wrong")
    return 1 if lookup and lookup["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
