"""Interop of TLP clearances (docs/TRUST.md §5): the OASIS taxii2-client, a second Yamori
hub (`yamori sync pull`) and a feed fetcher, each reading with accounts of different
clearances, get exactly the objects at or below them; unmarked objects count as TLP:AMBER;
TLP:RED reaches nobody. Every object served passes stix2-validator. SQLite and PostgreSQL.
Run: YAMORI_BIN=... .venv/bin/python -m pytest -q tests/interop/test_tlp.py
"""
import json

import requests
import stix2
from stix2validator import ValidationOptions, validate_instance
from taxii2client.v21 import Server, as_pages

# TLP 2.0 marking definitions (OASIS): level -> id.
TLP = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
# Indicator n (1..6) names 198.51.100.n and is marked at LEVELS[n - 1] (None: unmarked).
LEVELS = ["clear", "green", "amber", "amber+strict", "red", None]
# What each clearance reads, by indicator number.
READS = {
    None: {1, 2},  # the default: CLEAR and GREEN
    "clear": {1},
    "green": {1, 2},
    "amber": {1, 2, 3, 6},
    "amber+strict": {1, 2, 3, 4, 6},
}


def indicator_id(n):
    return f"indicator--00000000-0000-4000-8000-{n:012x}"


def bundle():
    objects = []
    for n, level in enumerate(LEVELS, start=1):
        o = json.loads(stix2.v21.Indicator(
            id=indicator_id(n), name=f"scanner {n}", pattern=f"[ipv4-addr:value = '198.51.100.{n}']",
            pattern_type="stix", valid_from="2026-01-01T00:00:00Z",
            indicator_types=["malicious-activity"]).serialize())
        if level:
            o["object_marking_refs"] = [TLP[level]]
        objects.append(o)
    return {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-00000000aaaa", "objects": objects}


def numbers(objects):
    ids = {indicator_id(n): n for n in range(1, 7)}
    return {ids[o["id"]] for o in objects if o["id"] in ids}


def test_each_reader_gets_what_its_clearance_admits(make_hub, backend, tmp_path):
    hub = make_hub("hub", backend)
    path = tmp_path / "marked.json"
    path.write_text(json.dumps(bundle()))
    hub.cli("publish", str(path), "--local", "--collection", "telescope", *hub._db_args())
    hub.tokens = {}
    for clearance in READS:
        name = (clearance or "default").replace("+", "-")
        hub.tokens[name] = hub.user(name, "telescope:r", tlp=clearance)
    hub.start()
    opts = ValidationOptions(version="2.1")
    for clearance, want in READS.items():
        name = (clearance or "default").replace("+", "-")
        token = hub.tokens[name]
        root = Server(hub.url + "taxii2/", user=name, password=token, verify=hub.cert).api_roots[0]
        c = next(c for c in root.collections if c.alias == "telescope")
        # Pages of two: pages of withheld objects still lead on to the rest.
        served = [o for page in as_pages(c.get_objects, per_request=2) for o in page.get("objects", [])]
        assert numbers(served) == want, (clearance, [o["id"] for o in served])
        for o in served:
            r = validate_instance(o, opts)
            assert r.is_valid, (o["id"], [str(e) for e in r.errors])
        manifest = c.get_manifest().get("objects", [])
        assert numbers(manifest) == want, clearance
        for n in range(1, 7):
            r = requests.get(c.url + f"objects/{indicator_id(n)}/", verify=hub.cert,
                             headers={"Accept": "application/taxii+json;version=2.1",
                                      "Authorization": f"Bearer {token}"})
            assert r.status_code == (200 if n in want else 404), (clearance, n, r.text)
        # A second Yamori hub pulling with this account holds what it may read.
        peer = make_hub(f"peer-{name}")
        r = peer.cli("sync", "pull", hub.api_root, "--collection", "telescope", "--into", "mirror",
                     "--token", token, "--ca-cert", hub.cert)
        assert f"pulled {len(want)} objects" in r.stdout, (clearance, r.stdout)
        # The feed, also when it asks for more than the clearance.
        for params in ({}, {"max_tlp": "amber+strict"}):
            r = requests.get(hub.url + "feeds/telescope/txt", params=params, verify=hub.cert,
                             headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            got = {int(line.rsplit(".", 1)[1]) for line in r.text.splitlines()
                   if line.startswith("198.51.100.")}
            assert got == want, (clearance, params, r.text)


def test_sync_pull_goes_on_past_pages_it_may_not_read(make_hub, tmp_path):
    """Behind a thousand RED objects (a whole page), a second Yamori hub's `sync pull` still
    gets the GREEN ones."""
    hub = make_hub("hub")
    red = [dict(o, id=f"indicator--00000000-0000-4000-8001-{n:012x}",
                object_marking_refs=[TLP["red"]])
           for n, o in enumerate([bundle()["objects"][0]] * 1000)]
    green = [dict(bundle()["objects"][1], id=f"indicator--00000000-0000-4000-8002-{n:012x}")
             for n in range(2)]
    for n, objects in enumerate((red, green), start=1):
        path = tmp_path / f"part{n}.json"
        path.write_text(json.dumps({"type": "bundle", "id": f"bundle--00000000-0000-4000-8000-{n:012x}",
                                    "objects": objects}))
        hub.cli("publish", str(path), "--local", "--collection", "telescope")
    token = hub.user("green", "telescope:r", tlp="green")
    hub.start()
    peer = make_hub("peer")
    r = peer.cli("sync", "pull", hub.api_root, "--collection", "telescope", "--into", "mirror",
                 "--token", token, "--ca-cert", hub.cert)
    assert "pulled 2 objects" in r.stdout, r.stdout
