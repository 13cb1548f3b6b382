"""Fixtures: running `yamori serve` processes (SQLite or PostgreSQL) and a medallion server.

Environment:
  YAMORI_BIN      the yamori binary (default: <repo>/target/debug/yamori)
  YAMORI_SKIP_PG  set to 1 to skip the PostgreSQL half when PostgreSQL is not running
  YAMORI_SUITE    1 in the whole suite (scripts/test-all): a skipped test fails instead
  YAMORI_SKIP_LOG a file each skipped test is appended to (scripts/test-all lists them)
"""
import json
import os
import pathlib
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid

import pytest

# requests lets these override a session's `verify` (psf/requests#3829), which is how
# taxii2-client passes our CA file: drop them so the hub's CA is the one used.
for _var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
    os.environ.pop(_var, None)

REPO = pathlib.Path(__file__).resolve().parents[2]
PG_ADMIN = ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-qAtc"]


def yamori_bin():
    b = os.environ.get("YAMORI_BIN") or str(REPO / "target" / "debug" / "yamori")
    if not os.path.exists(b):
        pytest.fail(f"yamori binary not found at {b}: run `cargo build -p yamori` or set YAMORI_BIN")
    return b


class Hub:
    """One `yamori serve` on a loopback port with its own data dir (and database)."""

    def __init__(self, data_dir, database=None):
        self.data_dir = pathlib.Path(data_dir)
        self.database = database
        self.proc = None
        self.url = None

    def _db_args(self):
        return ["--database", self.database] if self.database else []

    def cli(self, *args, stdin=None, check=True):
        cmd = [yamori_bin(), "--data-dir", str(self.data_dir), *args]
        r = subprocess.run(cmd, input=stdin, capture_output=True, text=True, timeout=120)
        if check and r.returncode != 0:
            raise AssertionError(f"{cmd} failed ({r.returncode}): {r.stderr}")
        return r

    def user(self, name, *specs, tlp="amber+strict"):
        """A user with a token; cleared for everything but RED unless `tlp` says otherwise
        (None: the default clearance)."""
        args = ["user", "add", name, *self._db_args()]
        for s in specs:
            args += ["--collection", s]
        if tlp is not None:
            args += ["--tlp", tlp]
        return self.cli(*args).stdout.strip()

    def start(self, *extra):
        cmd = [yamori_bin(), "--data-dir", str(self.data_dir), "serve", "--listen", "127.0.0.1:0",
               *self._db_args(), *extra]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
        line = [None]

        def read():
            line[0] = self.proc.stdout.readline()

        t = threading.Thread(target=read, daemon=True)
        t.start()
        t.join(30)
        if not line[0] or "listening on" not in line[0]:
            self.stop()
            raise AssertionError(f"yamori serve did not start: {line[0]!r}")
        base = line[0].strip().rsplit(" ", 1)[1]  # https://127.0.0.1:PORT/taxii2/
        self.url = base[: -len("taxii2/")]
        return self

    @property
    def cert(self):
        return str(self.data_dir / "tls" / "ca.pem")

    @property
    def api_root(self):
        return self.url + "api1/"

    def stop(self, kill=False):
        if self.proc and self.proc.poll() is None:
            if kill:
                self.proc.kill()  # SIGKILL
            else:
                self.proc.terminate()
            self.proc.wait(30)
        self.proc = None


def _pg_available():
    try:
        subprocess.run(PG_ADMIN + ["SELECT 1"], check=True, capture_output=True, timeout=10)
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request):
    """A database URL (None = the embedded SQLite file), dropped afterwards."""
    if request.param == "sqlite":
        yield None
        return
    if os.environ.get("YAMORI_SKIP_PG") == "1":
        pytest.skip("the PostgreSQL half: YAMORI_SKIP_PG=1")
    if not _pg_available():
        pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432 (set YAMORI_SKIP_PG=1 to skip)")
    name = "yamori_test_" + uuid.uuid4().hex[:16]
    subprocess.run(PG_ADMIN + [f"CREATE DATABASE {name}"], check=True, capture_output=True)
    yield f"postgres://postgres@127.0.0.1:5432/{name}"
    subprocess.run(PG_ADMIN + [f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], capture_output=True)


@pytest.fixture
def make_hub(tmp_path):
    hubs = []

    def make(name="hub", database=None):
        h = Hub(tmp_path / name, database)
        hubs.append(h)
        return h

    yield make
    for h in hubs:
        h.stop()


@pytest.fixture
def hub(make_hub, backend):
    """A started hub with users alice (telescope rw, partners r), bob (telescope r),
    carol (telescope w) and dave (nothing). Tokens in hub.tokens."""
    h = make_hub("hub", backend)
    h.tokens = {
        "alice": h.user("alice", "telescope:rw", "partners:r"),
        "bob": h.user("bob", "telescope:r"),
        "carol": h.user("carol", "telescope:w"),
        "dave": h.user("dave"),
    }
    h.start()
    yield h


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test is appended to $YAMORI_SKIP_LOG, from which scripts/test-all lists the
    checks that did not run; in the whole suite (YAMORI_SUITE=1) it fails instead, so no check
    passes there by skipping. (pytest shows other runs' skips in the result: `s`, and `-rs`.)"""
    outcome = yield
    rep = outcome.get_result()
    if not rep.skipped or hasattr(rep, "wasxfail"):
        return
    reason = rep.longrepr[2] if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
    reason = reason.removeprefix("Skipped: ")
    line = f"tests/interop {item.nodeid}: did not run: {reason}"
    log = os.environ.get("YAMORI_SKIP_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as f:
            f.write(line + "\n")
    if os.environ.get("YAMORI_SUITE") == "1":
        rep.outcome = "failed"
        rep.longrepr = f"{line}\n(YAMORI_SUITE=1: the suite runs every check; scripts/setup installs the peers)"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_medallion(tmp_path, max_page_size=100):
    """Start an OASIS medallion server (memory backend) on loopback with one empty collection.
    Returns (process, info)."""
    coll = "472c94ae-3113-4e3e-a4dd-a9f4ac7471d4"
    data = {
        "/discovery": {"title": "medallion", "api_roots": []},
        "api1": {
            "information": {"title": "api1", "versions": ["application/taxii+json;version=2.1"],
                            "max_content_length": 10485760},
            "status": [],
            "collections": [{
                "id": coll, "title": "medallion collection", "can_read": True, "can_write": True,
                "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": [],
            }],
        },
    }
    (tmp_path / "med-data.json").write_text(json.dumps(data))
    port = free_port()
    data["/discovery"]["api_roots"] = [f"http://127.0.0.1:{port}/api1/"]
    (tmp_path / "med-data.json").write_text(json.dumps(data))
    config = {
        "backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend",
                    "filename": str(tmp_path / "med-data.json")},
        "users": {"admin": "Password0"},
        "taxii": {"max_page_size": max_page_size},
    }
    (tmp_path / "med-config.json").write_text(json.dumps(config))
    exe = shutil.which("medallion", path=str(pathlib.Path(sys.executable).parent))
    proc = subprocess.Popen([exe, "--host", "127.0.0.1", "--port", str(port), str(tmp_path / "med-config.json")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("medallion did not start")
    return proc, {"url": url, "api_root": url + "api1/", "collection": coll, "user": "admin",
                  "password": "Password0"}


@pytest.fixture
def medallion(tmp_path):
    """An OASIS medallion server (memory backend) on loopback with one empty collection."""
    proc, info = start_medallion(tmp_path)
    yield info
    proc.kill()
    proc.wait()


@pytest.fixture(autouse=True)
def every_returned_object_is_valid_stix(monkeypatch):
    """Check every STIX object any taxii2-client call receives with stix2-validator."""
    import taxii2client.common as common
    from stix2validator import ValidationOptions, validate_instance

    original = common._to_json
    opts = ValidationOptions(version="2.1")
    seen = {"objects": 0}

    def checked(resp):
        data = original(resp)
        if isinstance(data, dict):
            for o in data.get("objects", []) or []:
                if isinstance(o, dict) and "type" in o:  # manifest entries have no type
                    r = validate_instance(o, opts)
                    assert r.is_valid and not r.errors, (o.get("id"), [str(e) for e in r.errors])
                    seen["objects"] += 1
        return data

    monkeypatch.setattr(common, "_to_json", checked)
    yield seen
