"""Export benchmark: `yamori export` of N indicators in a SQLite store, each format against
`sqlite3 -csv` listing the same rows in the same run; then `nft -f` and `ipset restore` of the
N-element outputs, timed inside a network namespace of their own (root).

  store   : one indicator published with `yamori publish --local` (schema and collection),
            then N rows added with Python's sqlite3 in the store's own table layout (a
            fixture written once, not what is measured): 90 % IPv4 addresses in 10.0.0.0/8
            (some adjacent, so the merge has work), 5 % IPv6 in 2001:db8::/32, 5 % domains
            under .test; valid for 30 days, confidence 30–100.
  anchor  : sqlite3 -csv DB "SELECT body FROM taxii_objects WHERE collection_id = … AND
            kind = 'indicator'" > /dev/null   (the rows every export reads)
  exports : yamori export --format F --min-score 50 --now … -o OUT, for every format
  loads   : nft -f OUT.nft, ipset restore < OUT.ipset, in a fresh namespace each

Medians of --runs. Usage:
  .venv/bin/python tests/interop/bench_exports.py --yamori-bin target/release/yamori \
      [--indicators 1000000] [--runs 3] [--dir DIR]
"""
import argparse
import json
import os
import pathlib
import sqlite3
import statistics
import subprocess
import sys
import time

NOW = "2026-12-01T00:00:00Z"
FORMATS = ["nftables", "ipset", "rpz", "suricata", "misp-feed", "csv", "txt", "stix"]


def indicator(i):
    kind = i % 20
    if kind == 0:
        pattern = f"[ipv6-addr:value = '2001:db8:{(i >> 16) & 0xffff:x}:{i & 0xffff:x}::1']"
    elif kind == 1:
        pattern = f"[domain-name:value = 'host{i}.bench.test']"
    else:
        # Every 4th address block holds four neighbours: adjacent addresses merge.
        a = (i * 4 if i % 8 else i * 4 + 1) & 0xFFFFFF
        pattern = f"[ipv4-addr:value = '10.{a >> 16}.{(a >> 8) & 255}.{a & 255}']"
    return {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{i:012x}",
        "created": "2026-11-20T00:00:00.000Z", "modified": "2026-11-21T00:00:00.000Z",
        "name": f"bench {i}", "pattern": pattern, "pattern_type": "stix",
        "valid_from": "2026-11-20T00:00:00Z", "valid_until": "2026-12-31T00:00:00Z",
        "confidence": 30 + i % 71, "indicator_types": ["malicious-activity"],
        "object_marking_refs": ["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"],
    }


def seed(yamori, db, n):
    seed_file = db.parent / "seed.json"
    seed_file.write_text(json.dumps({
        "type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000",
        "objects": [indicator(0)]}))
    subprocess.run([yamori, "-q", "--database", str(db), "publish", str(seed_file), "--local",
                    "--collection", "telescope"], check=True)
    con = sqlite3.connect(db)
    (collection,) = con.execute("SELECT id FROM taxii_collections WHERE alias = 'telescope'").fetchone()
    (date_added,) = con.execute("SELECT date_added FROM taxii_objects LIMIT 1").fetchone()
    rows = []
    for i in range(1, n):
        o = indicator(i)
        rows.append((collection, o["id"], "indicator", "2026-11-21T00:00:00.000000000Z",
                     o["modified"], "2.1", date_added, json.dumps(o)))
        if len(rows) == 50_000:
            con.executemany("INSERT INTO taxii_objects (collection_id, object_id, kind, version_key, "
                            "version, spec_version, date_added, body) VALUES (?,?,?,?,?,?,?,?)", rows)
            rows.clear()
    if rows:
        con.executemany("INSERT INTO taxii_objects (collection_id, object_id, kind, version_key, "
                        "version, spec_version, date_added, body) VALUES (?,?,?,?,?,?,?,?)", rows)
    con.commit()
    con.execute("ANALYZE")
    con.close()
    return collection


def timed(cmd, **kw):
    start = time.perf_counter()
    r = subprocess.run(cmd, **kw)
    elapsed = time.perf_counter() - start
    if r.returncode != 0:
        sys.exit(f"{cmd} failed ({r.returncode}): {r.stderr if hasattr(r, 'stderr') else ''}")
    return elapsed, r


def netns_time(name, cmd, stdin=None):
    subprocess.run(["ip", "netns", "add", name], check=True)
    try:
        start = time.perf_counter()
        r = subprocess.run(["ip", "netns", "exec", name, *cmd], stdin=stdin, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if r.returncode != 0:
            sys.exit(f"{cmd}: {r.stderr[:2000]}")
        return elapsed
    finally:
        subprocess.run(["ip", "netns", "del", name])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--yamori-bin", required=True)
    ap.add_argument("--indicators", type=int, default=1_000_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="target/bench-data/exports")
    a = ap.parse_args()
    d = pathlib.Path(a.dir)
    d.mkdir(parents=True, exist_ok=True)
    db = d / f"exports-{a.indicators}.sqlite"
    if not db.exists():
        print(f"seeding {a.indicators} indicators into {db}", file=sys.stderr)
        seed(a.yamori_bin, db, a.indicators)
    con = sqlite3.connect(db)
    (collection,) = con.execute("SELECT id FROM taxii_collections WHERE alias = 'telescope'").fetchone()
    con.close()
    query = (f"SELECT body FROM taxii_objects WHERE collection_id = '{collection}' "
             "AND kind = 'indicator'")
    results = {"indicators": a.indicators, "runs": a.runs, "formats": {}}
    anchor = []
    with open(os.devnull, "w") as null:
        for _ in range(a.runs):
            anchor.append(timed(["sqlite3", "-csv", str(db), query], stdout=null)[0])
    results["sqlite3_csv_s"] = statistics.median(anchor)
    for f in FORMATS:
        out = d / f"out.{f}"
        times, summary = [], None
        for _ in range(a.runs):
            t, r = timed([a.yamori_bin, "-q", "--database", str(db), "export", "--format", f,
                          "--collection", "telescope", "--min-score", "50", "--now", NOW,
                          "--json", "-o", str(out)], capture_output=True, text=True)
            times.append(t)
            summary = json.loads(r.stdout)
        m = statistics.median(times)
        results["formats"][f] = {"median_s": m, "anchor_ratio": results["sqlite3_csv_s"] / m,
                                 "written": summary["written"], "values": summary["values"]}
        print(f"{f:10} {m:7.2f} s  anchor/export {results['sqlite3_csv_s'] / m:5.2f}  {summary['written']}",
              file=sys.stderr)
    print(f"sqlite3 -csv {results['sqlite3_csv_s']:.2f} s", file=sys.stderr)
    if os.geteuid() == 0:
        tag = f"yabench{os.getpid() % 100000}"
        results["nft_load_s"] = statistics.median(
            netns_time(tag, ["nft", "-f", str(d / "out.nftables")]) for _ in range(a.runs))
        with open(d / "out.ipset") as f:
            loads = []
            for _ in range(a.runs):
                f.seek(0)
                loads.append(netns_time(tag, ["ipset", "restore"], stdin=f))
        results["ipset_load_s"] = statistics.median(loads)
        print(f"nft -f {results['nft_load_s']:.2f} s, ipset restore {results['ipset_load_s']:.2f} s",
              file=sys.stderr)
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
