"""The decoy's records against a real Cowrie's, field by field, for the same scripted Mirai-style
telnet session (tests/interop/mirai_telnet.py), both run in a private network namespace by
decoy_compare.py.

Compared: the event ids and, per event, the values that describe what the bot did (the pairs
it tried, each line it typed, the bytes it wrote with `echo -ne`, the session's end), and
every field Cowrie writes with its JSON type, but for the fields that describe Cowrie's own
storage (COWRIE_ONLY). The download URL is the decoy's alone: Cowrie records a download only
after fetching it, and refuses to contact an address that is not globally routable, which is
every address a test may name.
"""
import hashlib
import json
import pathlib
import re
import subprocess
import sys

import pytest

from conftest import yamori_bin

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import decoy_peers  # noqa: E402
import mirai_telnet  # noqa: E402

# Events that say what the bot did, compared between the two.
COMPARED = ["cowrie.session.connect", "cowrie.login.failed", "cowrie.login.success",
            "cowrie.command.input", "cowrie.session.file_download", "cowrie.session.closed"]
# Fields about Cowrie's own installation and files: its instance's uuid, where it saved a
# file and whether it had it already. The decoy keeps no files (only their hashes).
COWRIE_ONLY = {"uuid", "outfile", "duplicate"}
COMMON = ["eventid", "session", "src_ip", "src_port", "dst_ip", "dst_port", "protocol",
          "sensor", "timestamp", "message"]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


@pytest.fixture(scope="module")
def records():
    if not decoy_peers.Cowrie.available():
        pytest.fail(f"Cowrie is not installed in {decoy_peers.COWRIE_VENV}: run scripts/setup")
    r = subprocess.run([sys.executable, str(HERE / "decoy_compare.py"), "diff", "--yamori-bin", yamori_bin()],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"decoy_compare.py diff failed:\n{r.stderr[-4000:]}"
    out = json.loads(r.stdout)
    assert out["cowrie"], f"Cowrie recorded nothing; its log:\n{out.get('cowrie_log')}"
    return out


def compared(events):
    return [e for e in events if e["eventid"] in COMPARED]


def what_the_bot_did(events):
    """The facts of each compared record, in order."""
    facts = []
    for e in compared(events):
        eid = e["eventid"]
        if eid.startswith("cowrie.login."):
            facts.append((eid, e["username"], e["password"]))
        elif eid == "cowrie.command.input":
            facts.append((eid, e["input"]))
        elif eid == "cowrie.session.file_download":
            if "shasum" in e:
                facts.append((eid, e["destfile"], e["shasum"]))
        else:
            facts.append((eid,))
    return facts


def test_same_events_for_the_same_session(records):
    decoy, cowrie = what_the_bot_did(records["decoy"]), what_the_bot_did(records["cowrie"])
    assert decoy == cowrie
    # the session really ran: both pairs tried, every line typed, the dropper's bytes hashed
    assert ("cowrie.login.failed", "root", "hunter2x") in decoy
    assert ("cowrie.login.success", "root", "xc3511") in decoy
    typed = [f[1] for f in decoy if f[0] == "cowrie.command.input"]
    assert typed == mirai_telnet.MIRAI_COMMANDS
    written = [f for f in decoy if f[0] == "cowrie.session.file_download"]
    assert [w[1] for w in written] == ["/tmp/.d"]
    assert written[0][2] == hashlib.sha256(b"\x7fELF\x01\x01\x01\x00").hexdigest()


def test_fields_and_types_match_cowrie(records):
    by_id = {}
    for e in compared(records["cowrie"]):
        by_id.setdefault(e["eventid"], e)
    assert set(by_id) == set(COMPARED), f"Cowrie wrote {sorted(by_id)}"
    for eid, theirs in by_id.items():
        ours = next(e for e in compared(records["decoy"]) if e["eventid"] == eid
                    and (eid != "cowrie.session.file_download" or "shasum" in e))
        for field, value in theirs.items():
            if field in COWRIE_ONLY:
                continue
            assert field in ours, f"{eid}: the decoy's record has no {field!r} ({theirs})"
            assert type(ours[field]) is type(value), \
                f"{eid}.{field}: decoy {ours[field]!r}, Cowrie {value!r}"


def test_common_fields(records):
    for name in ("decoy", "cowrie"):
        events = compared(records[name])
        sessions = {e["session"] for e in events}
        assert len(sessions) == 1, f"{name}: {sessions}"
        assert re.fullmatch(r"[0-9a-f]{12}", sessions.pop())
        for e in events:
            for field in COMMON:
                assert field in e, f"{name} {e['eventid']}: no {field}"
            assert e["src_ip"] == "127.0.0.1" and e["protocol"] == "telnet"
            assert TIMESTAMP.match(e["timestamp"]), f"{name}: {e['timestamp']}"
        closed = [e for e in events if e["eventid"] == "cowrie.session.closed"]
        assert len(closed) == 1 and isinstance(closed[0]["duration_ms"], int)


def test_download_url_recorded_by_the_decoy(records):
    # Cowrie records a URL only once fetched, and never contacts a TEST-NET address: the URL
    # is the decoy's alone (module docstring), with the file the command would have written.
    downloads = [(e.get("url"), e.get("destfile")) for e in records["decoy"]
                 if e["eventid"] == "cowrie.session.file_download" and "url" in e]
    assert downloads == [("http://203.0.113.7/bins/mirai.arm7", "/tmp/.m")]
