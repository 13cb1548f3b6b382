"""Interop of anonymised sharing: `yamori sync push` with a peer policy that pseudonymises
victims' and surveyed hosts' addresses (Crypto-PAn with the sharing group's key) sends a set
that OASIS stix2-validator accepts in strict mode, that the OASIS taxii2-client reads back from
a second Yamori hub, that names no victim, keeps the scanners' indicators as they are and
whose references still resolve; the k-anonymity of the shared hosts is reported and enforced
on crafted data with known k; a missing key sends nothing.
Run: YAMORI_BIN=... .venv/bin/python -m pytest -q tests/interop/test_anonymise.py
"""
import json
import os
import stat

from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server

ORG = "identity--00000000-0000-4000-8000-0000000000aa"
T = "2026-11-01T00:00:00.000Z"
GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"


def peer_objects(peer, user, token, name):
    root = Server(peer.url + "taxii2/", user=user, password=token, verify=peer.cert).api_roots[0]
    coll = next(c for c in root.collections if c.alias == name)
    return coll.get_objects(limit=10000).get("objects", [])


def policy(hub, peer, **anon):
    lines = [f'[peers.partner]\nurl = "{peer.api_root}"\n[peers.partner.anonymise]\n']
    for k, v in anon.items():
        lines.append(f"{k} = {json.dumps(v)}\n")
    hub.data_dir.mkdir(parents=True, exist_ok=True)
    (hub.data_dir / "sharing.toml").write_text("".join(lines))


def push(hub, peer, token, *extra, check=True):
    return hub.cli("sync", "push", peer.api_root, *hub._db_args(), "--collection", "telescope",
                   "--to", "inbox", "--token", token, "--ca-cert", peer.cert, *extra, check=check)


def infrastructure(n, addr):
    return {"type": "infrastructure", "spec_version": "2.1",
            "id": f"infrastructure--00000000-0000-4000-8000-{n:012d}", "created": T,
            "modified": T, "created_by_ref": ORG, "name": f"camera at {addr}:80",
            "infrastructure_types": ["unknown"], "object_marking_refs": [GREEN]}


def test_anonymised_push_round_trips_and_hides_victims(make_hub, backend, tmp_path):
    ours = make_hub("ours", backend)
    pcap = tmp_path / "dark.pcap"
    ours.cli("gen-traffic", "--darknet", "203.0.113.0/24", "--minutes", "5", "--seed", "7",
             "-o", str(pcap))
    report_file = tmp_path / "report.json"
    report_file.write_text(ours.cli("analyze", *ours._db_args(), "--json", "--darknet",
                                    "203.0.113.0/24", str(pcap)).stdout)
    report = json.loads(report_file.read_text())
    victims = {a["victim"] for a in report["attacks"]}
    scanners = {s["address"] for s in report["scanners"]}
    assert victims and scanners
    ours.cli("publish", *ours._db_args(), "--local", "--collection", "telescope", "--tlp", "green",
             "--org", "Example CSIRT", str(report_file))

    peer = make_hub("peer")
    token = peer.user("alice", "inbox:rw")
    peer.start()
    try:
        policy(ours, peer, scheme="cryptopan", group="isac", min_k=1)
        # No key for the group: refused before anything is sent.
        r = push(ours, peer, token, check=False)
        assert r.returncode == 1 and 'no key for sharing group "isac"' in r.stderr, r.stderr
        assert "sharing key new --group isac" in r.stderr
        assert peer_objects(peer, "alice", token, "inbox") == []

        ours.cli("sharing", "key", "new", "--group", "isac")
        key = ours.data_dir / "keys" / "isac.key"
        assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
        r = ours.cli("sharing", "key", "new", "--group", "isac", check=False)
        assert r.returncode == 1 and "rotate" in r.stderr

        r = push(ours, peer, token, "--dry-run")
        assert "nothing was sent" in r.stdout and "anonymity:" in r.stdout, r.stdout
        assert peer_objects(peer, "alice", token, "inbox") == []

        r = push(ours, peer, token)
        assert "anonymity:" in r.stdout and "(0 refused by the peer" in r.stdout, r.stdout
        got = peer_objects(peer, "alice", token, "inbox")
        assert len(got) > len(scanners), len(got)
        text = json.dumps(got)
        for v in victims:
            assert v not in text, f"victim {v} shared"
        indicators = [o for o in got if o["type"] == "indicator"]
        named = {o["pattern"].split("'")[1] for o in indicators}
        assert named == scanners, named ^ scanners
        # Every address SCO a shared object refers to was shared too (under its new id).
        ids = {o["id"] for o in got}
        for o in got:
            for k, v in o.items():
                refs = v if k.endswith("_refs") else [v] if k.endswith("_ref") else []
                for ref in refs:
                    if ref.split("--")[0] in ("ipv4-addr", "ipv6-addr", "observed-data"):
                        assert ref in ids, (o["id"], ref)
        opts = ValidationOptions(version="2.1", strict=True, disabled="103")
        for o in got:
            res = validate_instance(o, opts)
            messages = [str(m) for m in (res.errors or []) + (res.warnings or [])]
            assert res.is_valid and not messages, (o["id"], messages)
        # Notes about backscatter still say how big the attack was, about a pseudonym.
        notes = [o for o in got if o["type"] == "note" and "backscatter" in o.get("abstract", "")]
        assert len(notes) == len(report["attacks"]), notes
    finally:
        peer.stop()


def test_k_anonymity_is_measured_refused_and_suppressed(make_hub, tmp_path):
    ours = make_hub("ours")
    # Three hosts in 192.0.2.0/24, two in 198.51.100.0/24, one alone in 203.0.113.0/24:
    # k = 1 at /24; 2 once the lone host is withheld.
    hosts = ["192.0.2.1", "192.0.2.2", "192.0.2.3", "198.51.100.1", "198.51.100.2", "203.0.113.77"]
    bundle = tmp_path / "survey.json"
    bundle.write_text(json.dumps({"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000001",
                                  "objects": [infrastructure(i, h) for i, h in enumerate(hosts)]}))
    ours.cli("publish", "--local", "--collection", "telescope", str(bundle))
    ours.cli("sharing", "key", "new", "--group", "isac")
    peer = make_hub("peer")
    token = peer.user("alice", "inbox:rw")
    peer.start()
    try:
        policy(ours, peer, scheme="generalise", group="isac", min_k=2)
        r = push(ours, peer, token, check=False)
        assert r.returncode == 1, r.stdout
        assert "6 host records grouped by /24 (IPv6 /48): k = 1 (minimum 2)" in r.stderr, r.stderr
        assert "203.0.113.0/24 (1)" in r.stderr and "nothing was sent" in r.stderr, r.stderr
        assert peer_objects(peer, "alice", token, "inbox") == []

        policy(ours, peer, scheme="generalise", group="isac", min_k=2, below_k="suppress")
        r = push(ours, peer, token)
        assert ("5 host records grouped by /24 (IPv6 /48): k = 2 (minimum 2); "
                "1 hosts in 1 classes below the minimum withheld (k was 1)") in r.stdout, r.stdout
        got = peer_objects(peer, "alice", token, "inbox")
        names = sorted(o["name"] for o in got)
        assert names == ["camera at 192.0.2.0/24:80"] * 3 + ["camera at 198.51.100.0/24:80"] * 2 \
            + ["camera at [address withheld]:80"], names
        assert "203.0.113" not in json.dumps(got)

        # A policy asking for k = 3 with the hosts all shared would be refused; after pushing,
        # a dry run over nothing new measures no records.
        r = push(ours, peer, token, "--dry-run")
        assert "k = none (no records)" in r.stdout, r.stdout
    finally:
        peer.stop()
