"""Interop of the hub's feeds (`/feeds/{collection}/{format}`): fetched over HTTPS with
`requests` (which asks for gzip and decodes it), a feed is byte for byte what `yamori export`
writes with the same options, on SQLite and PostgreSQL; the MISP feed loads event by event in
PyMISP; the nftables feed passes `nft -c -f` (in a network namespace of its own); ETag and
Last-Modified give 304s; access is TAXII's.
Run: YAMORI_BIN=... .venv/bin/python -m pytest -q tests/interop/test_feeds.py
"""
import json
import os
import shutil
import subprocess

import pytest
import requests
from pymisp import MISPEvent

from test_exports import bundle

NOW = "2026-12-01T00:00:00Z"


def session(hub, user):
    s = requests.Session()
    s.verify = hub.cert
    s.headers["Authorization"] = f"Bearer {hub.tokens[user]}"
    return s


def export(hub, tmp_path, fmt, out, *extra):
    r = hub.cli("export", "--format", fmt, "--collection", "telescope", "--now", NOW, "-o", str(out),
                *extra, *hub._db_args(), check=False)
    # 3: written, but one indicator of the bundle is malformed (see test_exports.py).
    assert r.returncode == 3, r.stderr
    return out


def test_feeds_are_the_exports_bytes_and_load_in_their_consumers(hub, tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle()))
    hub.cli("publish", str(path), "--local", "--collection", "telescope", *hub._db_args())
    bob = session(hub, "bob")

    nft = export(hub, tmp_path, "nftables", tmp_path / "block.nft").read_bytes()
    r = bob.get(hub.url + "feeds/telescope/nftables", params={"now": NOW})
    assert r.status_code == 200, r.text
    assert r.content == nft
    assert r.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert r.headers["Content-Encoding"] == "gzip", "requests asks for gzip"
    again = bob.get(r.url, headers={"If-None-Match": r.headers["ETag"]})
    assert again.status_code == 304 and again.content == b""
    since = bob.get(r.url, headers={"If-Modified-Since": r.headers["Last-Modified"]})
    assert since.status_code == 304

    fetched = tmp_path / "fetched.nft"
    fetched.write_bytes(r.content)
    if os.geteuid() != 0 or not shutil.which("nft") or not shutil.which("unshare"):
        pytest.skip("nft -c -f needs root, nft and unshare")
    # A network namespace of its own: -c checks without changing anything, there as well.
    check = subprocess.run(["unshare", "--net", "nft", "-c", "-f", str(fetched)],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr


def test_the_misp_feed_is_served_as_misp_fetches_it(hub, tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle()))
    hub.cli("publish", str(path), "--local", "--collection", "telescope", *hub._db_args())
    feed = export(hub, tmp_path, "misp-feed", tmp_path / "feed", "--org", "Example CSIRT")
    bob = session(hub, "bob")
    base = hub.url + "feeds/telescope/misp-feed/"
    params = {"now": NOW, "org": "Example CSIRT"}

    r = bob.get(base + "manifest.json", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["Content-Type"] == "application/json"
    assert r.content == (feed / "manifest.json").read_bytes()
    manifest = r.json()
    assert len(manifest) == 2
    for uuid in manifest:
        r = bob.get(base + f"{uuid}.json", params=params)
        assert r.status_code == 200, r.text
        assert r.content == (feed / f"{uuid}.json").read_bytes()
        local = tmp_path / f"fetched-{uuid}.json"
        local.write_bytes(r.content)
        event = MISPEvent()
        event.load_file(str(local))
        assert event.uuid == uuid and event.Orgc.name == "Example CSIRT"
        assert event.attributes and all(a.to_ids for a in event.attributes)
    r = bob.get(base + "hashes.csv", params=params)
    assert r.content == (feed / "hashes.csv").read_bytes()

    # Access as TAXII gives it: write-only 403; no grant 404, like a collection that is not there.
    carol = session(hub, "carol").get(base + "manifest.json")
    dave = session(hub, "dave").get(base + "manifest.json")
    nowhere = bob.get(hub.url + "feeds/nowhere/misp-feed/manifest.json")
    assert carol.status_code == 403
    assert (dave.status_code, dave.text) == (nowhere.status_code, nowhere.text) == (404, nowhere.text)
    anonymous = requests.get(base + "manifest.json", verify=hub.cert)
    assert anonymous.status_code == 401
    bad = bob.get(base + "manifest.json", params={"min_scor": "9"})
    assert bad.status_code == 400 and "min_scor" in bad.text
