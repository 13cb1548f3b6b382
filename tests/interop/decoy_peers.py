"""The two honeypots the decoy is compared with: `yamori decoy` and a real Cowrie (PyPI
`cowrie`), each started on a loopback port with its own directory, and their event records
read back.

Both run inside a private network namespace holding only loopback (`isolated()`), so neither
can send a packet anywhere else whatever it is told: Cowrie fetches the URLs of `wget` when
it may, the decoy never does.
"""
import json
import os
import pathlib
import shutil
import signal
import socket
import subprocess
import sys
import time

REPO = pathlib.Path(__file__).resolve().parents[2]
COWRIE_VENV = pathlib.Path(os.environ.get("COWRIE_VENV") or REPO / ".venv-cowrie")
ISOLATED_ENV = "YAMORI_DECOY_NETNS"


def isolated_argv(argv):
    """`argv` run in a new user and network namespace with loopback up (works as root and,
    where user namespaces are allowed, unprivileged)."""
    script = 'ip link set lo up && exec "$@"'
    return ["unshare", "--user", "--map-root-user", "--net", "--", "sh", "-c", script, "sh", *argv]


def ensure_isolated():
    """Re-run this process inside a private network namespace unless it already is; then
    check that loopback is the only interface, whatever the environment said."""
    if os.environ.get(ISOLATED_ENV) == "1":
        names = [name for _, name in socket.if_nameindex()]
        if names != ["lo"]:
            sys.exit(f"not isolated: interfaces {names}; a private network namespace holds only lo")
        return
    os.environ[ISOLATED_ENV] = "1"
    argv = isolated_argv([sys.executable, *sys.argv])
    os.execvp(argv[0], argv)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def listening(port):
    """Whether a TCP socket listens on `port`, read from /proc/net/tcp: a test connection
    would be a session in the honeypot's records."""
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:
                return True
    return False


def wait_port(port, proc, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode} before listening on {port}")
        if listening(port):
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s")


def read_events(path):
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def rss_kib(pid):
    """Resident memory of a process and its children (KiB), from /proc."""
    total = 0
    pids = [pid]
    while pids:
        p = pids.pop()
        try:
            with open(f"/proc/{p}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
            with open(f"/proc/{p}/task/{p}/children") as f:
                pids += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return total


class Decoy:
    """`yamori decoy` on a loopback telnet port, records in its own events file only."""

    name = "yamori decoy"

    def __init__(self, yamori_bin, workdir, idle_timeout=180):
        self.bin = yamori_bin
        self.dir = pathlib.Path(workdir) / "decoy"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.events_path = self.dir / "events.jsonl"
        self.idle_timeout = idle_timeout
        self.proc = None
        self.port = None
        self.summary = None

    def start(self):
        cmd = [self.bin, "--data-dir", str(self.dir), "decoy", "--listen-telnet", "127.0.0.1:0",
               "--listen-http", "off", "--listen-mqtt", "off", "--events", str(self.events_path),
               "--sensor", "decoy", "--no-store", "--json",
               "--max-sessions", "20000", "--max-sessions-per-source", "20000",
               "--idle-timeout", str(self.idle_timeout)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=sys.stderr, text=True)
        line = self.proc.stdout.readline()
        prefix = "yamori decoy: telnet listening on "
        if not line.startswith(prefix):
            self.proc.kill()
            raise RuntimeError(f"yamori decoy did not start: {line!r}")
        self.port = int(line[len(prefix):].strip().rsplit(":", 1)[1])
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                out, _ = self.proc.communicate(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                out, _ = self.proc.communicate()
            try:
                self.summary = json.loads(out)
            except ValueError:
                self.summary = out
        return read_events(self.events_path)


class Cowrie:
    """A real Cowrie (telnet on a loopback port, JSON log), run as an unprivileged user: it
    refuses to run as root, so it gets a user namespace of its own."""

    name = "Cowrie"

    def __init__(self, workdir, accepted=(("root", "xc3511"),), idle_timeout=180):
        self.dir = pathlib.Path(workdir) / "cowrie"
        self.accepted = accepted
        self.idle_timeout = idle_timeout
        self.proc = None
        self.port = None

    @staticmethod
    def available():
        return (COWRIE_VENV / "bin" / "twistd").exists()

    @property
    def events_path(self):
        return self.dir / "var" / "log" / "cowrie" / "cowrie.json"

    def start(self):
        if not self.available():
            raise RuntimeError(f"Cowrie is not installed in {COWRIE_VENV}: run scripts/setup")
        for sub in ("etc", "var/log/cowrie", "var/lib/cowrie/tty", "var/lib/cowrie/downloads"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        (self.dir / "etc" / "cowrie.cfg").write_text(
            "[honeypot]\nhostname = dvr\netc_path = etc\nlog_path = var/log/cowrie\n"
            "state_path = var/lib/cowrie\n"
            f"idle_timeout = {self.idle_timeout}\nauthentication_timeout = {self.idle_timeout}\n"
            "[ssh]\nenabled = false\n"
            f"[telnet]\nenabled = true\nlisten_endpoints = tcp:{self.port}:interface=127.0.0.1\n"
            "[output_jsonlog]\nenabled = true\nlogfile = var/log/cowrie/cowrie.json\n")
        (self.dir / "etc" / "userdb.txt").write_text(
            "".join(f"{u}:x:{p}\n" for u, p in self.accepted))
        cmd = ["unshare", "--user", "--map-user=1000", "--map-group=1000",
               str(COWRIE_VENV / "bin" / "twistd"), "-n", "--pidfile=", "-l",
               "var/log/cowrie/twistd.log", "cowrie"]
        self.proc = subprocess.Popen(cmd, cwd=self.dir, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            wait_port(self.port, self.proc, "Cowrie")
        except (RuntimeError, TimeoutError) as e:
            raise RuntimeError(f"{e}; Cowrie's log:\n{self.log_tail()}") from None
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return read_events(self.events_path)

    def log_tail(self, n=40):
        p = self.dir / "var" / "log" / "cowrie" / "twistd.log"
        return "\n".join(p.read_text(errors="replace").splitlines()[-n:]) if p.exists() else ""


def cleanup(path):
    shutil.rmtree(path, ignore_errors=True)
