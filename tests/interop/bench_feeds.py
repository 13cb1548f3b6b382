"""Feed benchmark: `GET /feeds/telescope/nftables` from `yamori serve` under 32 clients, with
the feed already generated (cached), against nginx serving the same bytes as a static file
over TLS on loopback in the same run.

  store   : N indicators in a SQLite store (bench_exports.py's fixture: 90 % IPv4, 5 % IPv6,
            5 % domains), one read-only user.
  hub     : yamori serve --listen 127.0.0.1:0 (HTTPS, its generated certificate); one GET
            generates the feed, then wrk -t2 -c32 -d{secs}s --latency with the user's bearer
            token; every request checks the token (cached), the collection and its revision
            in the store, then sends the kept bytes. No Accept-Encoding: both send the
            identity encoding.
  anchor  : nginx (worker_processes 2, sendfile on, access log off) with the same certificate
            and key, serving the bytes the hub sent as a static file.

Both servers and wrk share the machine's cores. Usage (root not needed):
  .venv/bin/python tests/interop/bench_feeds.py --yamori-bin target/release/yamori \
      [--indicators 10000] [--secs 10] [--runs 3] [--dir DIR]
"""
import argparse
import json
import pathlib
import re
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

from bench_exports import NOW, seed

WRK_LATENCY = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
UNIT = {"us": 1e-3, "ms": 1.0, "s": 1e3}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wrk(url, secs, token=None):
    cmd = ["wrk", "-t2", "-c32", f"-d{secs}s", "--latency"]
    if token:
        cmd += ["-H", f"Authorization: Bearer {token}"]
    out = subprocess.run(cmd + [url], capture_output=True, text=True, check=True).stdout
    lat = {p: float(v) * UNIT[u] for p, v, u in WRK_LATENCY.findall(out)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        sys.exit(f"{url}: {non2xx.group(1)} error responses\n{out}")
    return {"p50_ms": lat["50"], "p99_ms": lat["99"], "rps": rps}


def start_hub(yamori, data, db):
    proc = subprocess.Popen([yamori, "--data-dir", str(data), "--database", str(db), "serve",
                             "--listen", "127.0.0.1:0"], stdout=subprocess.PIPE, text=True)
    line = [None]
    t = threading.Thread(target=lambda: line.__setitem__(0, proc.stdout.readline()), daemon=True)
    t.start()
    t.join(60)
    if not line[0] or "listening on" not in line[0]:
        proc.kill()
        sys.exit(f"yamori serve did not start: {line[0]!r}")
    return proc, line[0].strip().rsplit(" ", 1)[1][: -len("taxii2/")]


def start_nginx(d, root, cert, key):
    port = free_port()
    conf = d / "nginx.conf"
    conf.write_text(f"""
worker_processes 2;
pid {d}/nginx.pid;
error_log {d}/nginx-error.log;
daemon off;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    client_body_temp_path {d}/nginx-tmp;
    proxy_temp_path {d}/nginx-tmp;
    fastcgi_temp_path {d}/nginx-tmp;
    uwsgi_temp_path {d}/nginx-tmp;
    scgi_temp_path {d}/nginx-tmp;
    types {{ text/plain nft; }}
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        root {root};
    }}
}}
""")
    proc = subprocess.Popen(["nginx", "-c", str(conf)], stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"https://127.0.0.1:{port}/"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit("nginx did not start")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--yamori-bin", required=True)
    ap.add_argument("--indicators", type=int, default=10_000)
    ap.add_argument("--secs", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--dir", default="target/bench-data/feeds")
    a = ap.parse_args()
    for tool in ["wrk", "nginx"]:
        if not shutil.which(tool):
            sys.exit(f"{tool} is missing: scripts/setup installs it")
    d = pathlib.Path(a.dir).resolve()
    shutil.rmtree(d, ignore_errors=True)
    (d / "nginx-tmp").mkdir(parents=True)
    data, db = d / "data", d / "feeds.sqlite"
    seed(a.yamori_bin, db, a.indicators)
    token = subprocess.run([a.yamori_bin, "-q", "--data-dir", str(data), "--database", str(db),
                            "user", "add", "bench", "--collection", "telescope:r",
                            "--tlp", "amber+strict"],
                           capture_output=True, text=True, check=True).stdout.strip()
    hub, base = start_hub(a.yamori_bin, data, db)
    nginx = None
    try:
        feed_url = f"{base}feeds/telescope/nftables?now={NOW}"
        ctx = ssl.create_default_context(cafile=str(data / "tls" / "ca.pem"))
        req = urllib.request.Request(feed_url, headers={"Authorization": f"Bearer {token}"})
        start = time.perf_counter()
        body = urllib.request.urlopen(req, context=ctx).read()
        first = time.perf_counter() - start
        root = d / "static"
        root.mkdir()
        (root / "block.nft").write_bytes(body)
        nginx, static = start_nginx(d, root, data / "tls" / "cert.pem", data / "tls" / "key.pem")
        results = {"indicators": a.indicators, "bytes": len(body), "first_request_s": first,
                   "hub": [], "nginx": []}
        for _ in range(a.runs):
            results["nginx"].append(wrk(static + "block.nft", a.secs))
            results["hub"].append(wrk(feed_url, a.secs, token))
        med = {k: {m: statistics.median(r[m] for r in results[k]) for m in ["p50_ms", "p99_ms", "rps"]}
               for k in ["hub", "nginx"]}
        results["median"] = med
        results["ratio_p50"] = med["hub"]["p50_ms"] / med["nginx"]["p50_ms"]
        results["ratio_p99"] = med["hub"]["p99_ms"] / med["nginx"]["p99_ms"]
        print(json.dumps(results, indent=1))
    finally:
        hub.terminate()
        hub.wait(30)
        if nginx:
            nginx.terminate()
            nginx.wait(30)


if __name__ == "__main__":
    main()
