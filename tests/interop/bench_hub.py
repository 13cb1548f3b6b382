"""Hub benchmark: yamori serve (SQLite, PostgreSQL) vs OASIS medallion (memory backend).

  bulk ingest : envelopes of 1,000 indicators up to N objects, each POST waited to `complete`
  paging      : read everything back with limit=1000 (next tokens)
  concurrent  : C clients (threads, one keep-alive session each) repeating
                GET objects/?match[type]=indicator&limit=100; p50/p99 latency and req/s

Usage: .venv/bin/python tests/interop/bench_hub.py --yamori-bin target/release/yamori \
           [--objects 20000] [--clients 32] [--requests-per-client 50] [--skip-pg]
Same Python client for every server; yamori is measured over HTTPS, medallion over HTTP
(it has no TLS), so the comparison favours medallion on connection set-up.
"""
import argparse
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid

import requests

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import conftest  # noqa: E402  (Hub helper, medallion config)

TAXII = "application/taxii+json;version=2.1"


def indicator(i):
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{i:012x}",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "name": f"scanner {i}", "pattern": f"[ipv4-addr:value = '198.51.{(i >> 8) % 256}.{i % 256}']",
        "pattern_type": "stix", "valid_from": "2024-01-01T00:00:00Z",
        "indicator_types": ["malicious-activity"],
    }


class Target:
    def __init__(self, name, collection_url, status_url, auth, verify):
        self.name, self.coll, self.status_url, self.auth, self.verify = name, collection_url, status_url, auth, verify

    def session(self):
        s = requests.Session()
        s.auth = self.auth
        s.verify = self.verify
        s.headers["Accept"] = TAXII
        return s


def ingest(t, n, block=None):
    """Seconds to store n objects; with `block`, also the objects/s of each block of that many
    (to see whether ingest stays flat as the store grows)."""
    s = t.session()
    start = time.perf_counter()
    block_start, rates = start, []
    for base in range(0, n, 1000):
        body = json.dumps({"objects": [indicator(i) for i in range(base, min(n, base + 1000))]})
        r = s.post(t.coll + "objects/", data=body, headers={"Content-Type": TAXII}, timeout=600)
        r.raise_for_status()
        st = r.json()
        # Poll briefly: a coarse sleep here would cap the measured rate, not the server's.
        while st["status"] != "complete":
            time.sleep(0.002)
            st = s.get(t.status_url(st["id"]), timeout=60).json()
        assert st["success_count"] == min(n, base + 1000) - base, st
        done = min(n, base + 1000)
        if block and done % block == 0:
            now = time.perf_counter()
            rates.append(block / (now - block_start))
            print(f"  {t.name}: {done} objects stored, last {block}: {rates[-1]:.0f} obj/s",
                  file=sys.stderr, flush=True)
            block_start = now
    return time.perf_counter() - start, rates


def page_all(t):
    s = t.session()
    start = time.perf_counter()
    got, params = 0, {"limit": 1000}
    while True:
        r = s.get(t.coll + "objects/", params=params, timeout=600)
        r.raise_for_status()
        env = r.json()
        got += len(env.get("objects", []))
        if not env.get("more"):
            break
        params = {"limit": 1000, "next": env["next"]}
    return time.perf_counter() - start, got


def concurrent(t, clients, per_client):
    lat, errors = [], []
    lock = threading.Lock()

    def run():
        try:
            one()
        except Exception as e:  # a failed client is counted, not silently lost
            with lock:
                errors.append(repr(e))

    def one():
        s = t.session()
        mine = []
        for _ in range(per_client):
            a = time.perf_counter()
            r = s.get(t.coll + "objects/", params={"match[type]": "indicator", "limit": 100}, timeout=120)
            mine.append(time.perf_counter() - a)
            if r.status_code != 200 or len(r.json().get("objects", [])) != 100:
                errors.append(r.status_code)
        with lock:
            lat.extend(mine)

    threads = [threading.Thread(target=run) for _ in range(clients)]
    start = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - start
    if errors:
        print(f"{t.name}: {len(errors)} errors, first: {errors[0]}", file=sys.stderr)
    lat.sort()
    q = statistics.quantiles(lat, n=100)
    return {"p50_ms": q[49] * 1000, "p99_ms": q[98] * 1000, "req_s": len(lat) / wall, "errors": len(errors)}


def bench(t, objects, clients, per_client, block=None):
    ing, rates = ingest(t, objects, block)
    pg_s, got = page_all(t)
    assert got == objects, (t.name, got)
    c = concurrent(t, clients, per_client)
    row = {"server": t.name, "objects": objects, "clients": clients, "ingest_s": ing,
           "ingest_obj_s": objects / ing, "page_all_s": pg_s, "page_obj_s": got / pg_s, **c}
    if rates:
        row["block_obj_s"] = [round(r) for r in rates]
        row["last_vs_first_block"] = rates[-1] / rates[0]
    print(json.dumps(row), flush=True)
    return row


SERVE_ARGS = []


def yamori_target(tmp, name, database=None, tlp="amber+strict"):
    """A started hub with a user `bench` (read and write, TLP clearance `tlp`; None for a
    build from before clearances)."""
    h = conftest.Hub(pathlib.Path(tmp) / name, database)
    tok = h.user("bench", "bench:rw", tlp=tlp)
    h.start(*SERVE_ARGS)
    cid = requests.get(h.api_root + "collections/bench/", auth=("bench", tok), verify=h.cert,
                       headers={"Accept": TAXII}).json()["id"]
    return h, Target(name, h.api_root + f"collections/{cid}/", lambda sid: h.api_root + f"status/{sid}/",
                     ("bench", tok), h.cert)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--yamori-bin", required=True)
    ap.add_argument("--serve-arg", action="append", default=[],
                    help="an extra argument for `yamori serve` (repeatable), e.g. --serve-arg=--ingest-chunk=500")
    ap.add_argument("--objects", type=int, default=20000)
    ap.add_argument("--clients", type=int, default=32)
    ap.add_argument("--requests-per-client", type=int, default=50)
    ap.add_argument("--skip-pg", action="store_true")
    ap.add_argument("--skip-sqlite", action="store_true",
                    help="PostgreSQL only (to profile or compare builds on it)")
    ap.add_argument("--skip-medallion", action="store_true")
    ap.add_argument("--block", type=int, default=None,
                    help="report the ingest rate of every BLOCK objects (flatness up to --objects)")
    # medallion's memory backend filters every object on every GET (a GET of 100 took 6.7 s
    # at 500 objects and ~97 s at 2,000 here), so it is measured at a smaller size.
    ap.add_argument("--medallion-objects", type=int, default=2000)
    ap.add_argument("--medallion-clients", type=int, default=1)
    ap.add_argument("--medallion-requests-per-client", type=int, default=3)
    # Its ingest alone can be measured further (paging and GETs there take hours).
    ap.add_argument("--medallion-ingest-objects", type=int, default=None,
                    help="also time medallion's bulk ingest alone up to this many objects")
    args = ap.parse_args()
    SERVE_ARGS.extend(args.serve_arg)
    os.environ["YAMORI_BIN"] = args.yamori_bin
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_sqlite:
            h, t = yamori_target(tmp, "yamori-sqlite")
            try:
                rows.append(bench(t, args.objects, args.clients, args.requests_per_client, args.block))
            finally:
                h.stop()
        if not args.skip_pg:
            db = "yamori_bench_" + uuid.uuid4().hex[:12]
            subprocess.run(conftest.PG_ADMIN + [f"CREATE DATABASE {db}"], check=True, capture_output=True)
            try:
                h, t = yamori_target(tmp, "yamori-postgres", f"postgres://postgres@127.0.0.1:5432/{db}")
                try:
                    rows.append(bench(t, args.objects, args.clients, args.requests_per_client, args.block))
                finally:
                    h.stop()
            finally:
                subprocess.run(conftest.PG_ADMIN + [f"DROP DATABASE IF EXISTS {db} WITH (FORCE)"], capture_output=True)
        if not args.skip_medallion:
            rows.append(bench_medallion(pathlib.Path(tmp), args))
            if args.medallion_ingest_objects:
                rows.append(medallion_ingest_only(pathlib.Path(tmp), args))
    print("\n| server | objects | ingest s (obj/s) | last/first block | page all, limit=1000 (obj/s) "
          "| clients | p50 ms | p99 ms | req/s | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        if "page_all_s" not in r:
            print(f"| {r['server']} (ingest only) | {r['objects']} | {r['ingest_s']:.1f} "
                  f"({r['ingest_obj_s']:.0f}) | - | - | - | - | - | - | - |")
            continue
        flat = f"{r['last_vs_first_block']:.2f}" if "last_vs_first_block" in r else "-"
        print(f"| {r['server']} | {r['objects']} | {r['ingest_s']:.1f} ({r['ingest_obj_s']:.0f}) | {flat} | "
              f"{r['page_all_s']:.2f} s ({r['page_obj_s']:.0f}) | {r['clients']} | "
              f"{r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['req_s']:.0f} | {r['errors']} |")


def medallion_ingest_only(tmp, args):
    (tmp / "ingest-only").mkdir(exist_ok=True)
    proc, m = conftest.start_medallion(tmp / "ingest-only", max_page_size=1000)
    try:
        t = Target("medallion-memory", m["api_root"] + f"collections/{m['collection']}/",
                   lambda sid: m["api_root"] + f"status/{sid}/", (m["user"], m["password"]), True)
        n = args.medallion_ingest_objects
        ing, _ = ingest(t, n)
        row = {"server": t.name, "objects": n, "ingest_s": ing, "ingest_obj_s": n / ing}
        print(json.dumps(row), flush=True)
        return row
    finally:
        proc.kill()
        proc.wait()


def bench_medallion(tmp, args):
    proc, m = conftest.start_medallion(tmp, max_page_size=1000)
    try:
        t = Target("medallion-memory", m["api_root"] + f"collections/{m['collection']}/",
                   lambda sid: m["api_root"] + f"status/{sid}/", (m["user"], m["password"]), True)
        return bench(t, args.medallion_objects, args.medallion_clients, args.medallion_requests_per_client)
    finally:
        proc.kill()
        proc.wait()

if __name__ == "__main__":
    main()
