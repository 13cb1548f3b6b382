"""Interop: the OASIS taxii2-client against `yamori serve` (SQLite and PostgreSQL), every
returned object checked with stix2-validator, and `yamori sync` against a second yamori and
against OASIS medallion. Run: YAMORI_BIN=... .venv/bin/pytest tests/interop -q
"""
import json
import signal
import sqlite3
import time
import uuid

import pytest
import requests
import stix2
import urllib3
from stix2validator import ValidationOptions, validate_instance
from taxii2client.exceptions import AccessError
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

TAXII = "application/taxii+json;version=2.1"
urllib3.disable_warnings()


def indicators(n, start=0):
    return [
        stix2.v21.Indicator(
            id=f"indicator--00000000-0000-4000-8000-{start + i:012x}",
            name=f"scanner {start + i}",
            pattern=f"[ipv4-addr:value = '198.51.100.{(start + i) % 250}']",
            pattern_type="stix",
            valid_from="2024-01-01T00:00:00Z",
            indicator_types=["malicious-activity"],
        )
        for i in range(n)
    ]


def envelope(objs):
    return json.dumps({"objects": [json.loads(o.serialize()) for o in objs]})


def assert_valid_stix(objects):
    opts = ValidationOptions(version="2.1")
    for o in objects:
        r = validate_instance(o, opts)
        assert r.is_valid and not r.errors, (o.get("id"), [str(e) for e in r.errors])


def server(hub, user="alice"):
    return Server(hub.url + "taxii2/", user=user, password=hub.tokens[user], verify=hub.cert)


def collection(hub, user="alice", name="telescope"):
    root = server(hub, user).api_roots[0]
    return next(c for c in root.collections if c.alias == name or c.title == name)


def raw(hub, method, path, user="alice", **kw):
    headers = {"Accept": TAXII, **kw.pop("headers", {})}
    return requests.request(method, hub.url + path.lstrip("/"), headers=headers,
                            auth=(user, hub.tokens[user]) if user else None, verify=hub.cert, **kw)


def test_discovery_api_root_collections(hub):
    s = server(hub)
    assert s.title
    assert [r.url for r in s.api_roots] == [hub.api_root]
    assert s.default.url == hub.api_root
    root = s.api_roots[0]
    assert root.versions == [TAXII]
    assert root.max_content_length > 0
    by_alias = {c.alias: c for c in root.collections}
    assert set(by_alias) == {"telescope", "partners"}
    assert by_alias["telescope"].can_write and not by_alias["partners"].can_write
    assert by_alias["telescope"].media_types == ["application/stix+json;version=2.1"]
    # A collection by id (the client's own Collection class) and by alias.
    tid = by_alias["telescope"].id
    c = Collection(hub.api_root + f"collections/{tid}/", user="alice", password=hub.tokens["alice"],
                   verify=hub.cert)
    assert c.title == "telescope" and c.can_read and c.can_write
    r = raw(hub, "GET", "api1/collections/telescope/")
    assert r.status_code == 200 and r.json()["id"] == tid
    assert server(hub, "dave").api_roots[0].collections == []


def test_add_get_validate_and_status(hub, every_returned_object_is_valid_stix):
    c = collection(hub)
    objs = indicators(30)
    st = c.add_objects(envelope(objs), wait_for_completion=True, poll_interval=0.2, timeout=30)
    assert st.status == "complete" and st.success_count == 30 and st.failure_count == 0
    # Status through the API root too.
    st2 = server(hub).api_roots[0].get_status(st.id)
    assert st2.success_count == 30
    env = c.get_objects()
    assert len(env["objects"]) == 30
    assert_valid_stix(env["objects"])
    assert every_returned_object_is_valid_stix["objects"] >= 30  # the client-wide check ran
    assert {o["id"] for o in env["objects"]} == {o.id for o in objs}
    one = c.get_object(objs[3].id)
    assert one["objects"][0]["id"] == objs[3].id
    assert_valid_stix(one["objects"])
    # Exact duplicates are successes; invalid objects fail on their own.
    mixed = json.dumps({"objects": [json.loads(objs[0].serialize()),
                                    {"type": "indicator", "id": "indicator--nope"},
                                    json.loads(indicators(1, 500)[0].serialize())]})
    st = c.add_objects(mixed, wait_for_completion=True, poll_interval=0.2, timeout=30)
    assert (st.success_count, st.failure_count) == (2, 1)
    assert "invalid" in st.failures[0]["message"]


def test_paging_with_as_pages_and_manifest(hub):
    c = collection(hub)
    objs = indicators(57)
    c.add_objects(envelope(objs[:20]), wait_for_completion=True, poll_interval=0.2)
    c.add_objects(envelope(objs[20:]), wait_for_completion=True, poll_interval=0.2)
    got = []
    for page in as_pages(c.get_objects, per_request=10):
        assert len(page.get("objects", [])) <= 10
        got += page.get("objects", [])
    assert [o["id"] for o in got] == [o.id for o in objs]  # ascending by date added
    assert_valid_stix(got)
    man = []
    for page in as_pages(c.get_manifest, per_request=25, type="indicator"):
        man += page.get("objects", [])
    assert [m["id"] for m in man] == [o.id for o in objs]
    assert all(m["media_type"] == "application/stix+json;version=2.1" for m in man)
    dates = [m["date_added"] for m in man]
    assert dates == sorted(dates)
    # added_after: strictly after the first batch's date.
    later = c.get_objects(added_after=dates[19], limit=1000)
    assert [o["id"] for o in later["objects"]] == [o.id for o in objs[20:]]
    # Headers on objects responses.
    r = raw(hub, "GET", f"api1/collections/{c.id}/objects/?limit=5")
    assert r.headers["X-TAXII-Date-Added-First"] == dates[0]
    assert r.json()["more"] is True and r.json()["next"]
    # A next token from alice is refused for bob, and a forged one for anyone.
    n = r.json()["next"]
    assert raw(hub, "GET", f"api1/collections/{c.id}/objects/?limit=5&next={n}", user="bob").status_code == 400
    assert raw(hub, "GET", f"api1/collections/{c.id}/objects/?limit=5&next=A{n}").status_code == 400


def test_filters_versions_delete(hub):
    c = collection(hub)
    v1 = indicators(1, 100)[0]
    v2 = v1.new_version(name="second", modified="2030-01-01T00:00:00.000Z")
    v3 = v1.new_version(name="third", modified="2031-01-01T00:00:00.000Z")
    other = stix2.v21.Malware(name="mirai", is_family=True)
    c.add_objects(envelope([v1, v2, v3, other]), wait_for_completion=True, poll_interval=0.2)
    mods = lambda env: [o["modified"] for o in env.get("objects", [])]  # noqa: E731
    assert mods(c.get_object(v1.id)) == ["2031-01-01T00:00:00.000Z"]
    assert mods(c.get_object(v1.id, version="first")) == [v1.serialize() and json.loads(v1.serialize())["modified"]]
    assert len(mods(c.get_object(v1.id, version="all"))) == 3
    assert mods(c.get_object(v1.id, version="2030-01-01T00:00:00.000Z")) == ["2030-01-01T00:00:00.000Z"]
    assert len(c.get_objects(type="malware")["objects"]) == 1
    assert len(c.get_objects(id=[v1.id, other.id], version="all")["objects"]) == 4
    assert len(c.get_objects(spec_version="2.1", type="indicator")["objects"]) == 1
    assert c.get_objects(spec_version="2.0").get("objects") is None
    vers = c.object_versions(v1.id)["versions"]
    assert vers[-1] == "2031-01-01T00:00:00.000Z" and len(vers) == 3
    assert_valid_stix(c.get_object(v1.id, version="all")["objects"])
    # Delete one version, then the rest; then 404.
    c.delete_object(v1.id, version="first")
    assert len(c.object_versions(v1.id)["versions"]) == 2
    c.delete_object(v1.id)
    with pytest.raises(requests.HTTPError) as e:
        c.get_object(v1.id)
    assert e.value.response.status_code == 404


def test_auth_and_refusals(hub):
    tid = collection(hub).id
    objs_path = f"api1/collections/{tid}/objects/"
    r = requests.get(hub.url + "taxii2/", auth=("alice", "wrong"), verify=hub.cert, headers={"Accept": TAXII})
    assert r.status_code == 401 and "Basic" in r.headers["WWW-Authenticate"]
    assert r.json()["title"]
    r = requests.get(hub.url + "taxii2/", headers={"Authorization": f"Bearer {hub.tokens['alice']}", "Accept": TAXII},
                     verify=hub.cert)
    assert r.status_code == 200
    # bob reads only; carol writes only; dave has nothing (404, like a missing collection).
    with pytest.raises(AccessError):
        collection(hub, "bob").add_objects(envelope(indicators(1)))
    body = envelope(indicators(1))
    assert raw(hub, "POST", objs_path, user="bob", data=body, headers={"Content-Type": TAXII}).status_code == 403
    assert raw(hub, "POST", objs_path, user="carol", data=body, headers={"Content-Type": TAXII}).status_code == 202
    assert raw(hub, "GET", objs_path, user="carol").status_code == 403
    assert raw(hub, "GET", objs_path, user="dave").status_code == 404
    assert raw(hub, "GET", "api1/collections/nope/objects/", user="dave").text == raw(hub, "GET", objs_path, user="dave").text
    oid = indicators(1)[0].id
    for user, want in (("bob", 403), ("carol", 403), ("dave", 404)):
        assert raw(hub, "DELETE", objs_path + oid + "/", user=user).status_code == want
    # Media types, bad JSON, bad query, over-limit.
    assert raw(hub, "GET", objs_path, headers={"Accept": "application/xml"}).status_code == 406
    assert raw(hub, "POST", objs_path, data=body, headers={"Content-Type": "application/json"}).status_code == 415
    assert raw(hub, "POST", objs_path, data="{", headers={"Content-Type": TAXII}).status_code == 400
    assert raw(hub, "POST", objs_path, data="[]", headers={"Content-Type": TAXII}).status_code == 422
    assert raw(hub, "GET", objs_path + "?limit=0").status_code == 400
    assert raw(hub, "GET", objs_path + "?frobnicate=1").status_code == 400


def test_envelope_over_max_content_length(make_hub):
    # A small limit so the client finishes sending before it reads the early 413 (the server
    # answers from Content-Length without reading a body it will refuse).
    h = make_hub("small")
    h.tokens = {"alice": h.user("alice", "telescope:rw")}
    h.start("--max-content-length", "65536")
    assert server(h).api_roots[0].max_content_length == 65536
    tid = collection(h).id
    body = envelope(indicators(200))
    assert len(body) > 65536
    r = raw(h, "POST", f"api1/collections/{tid}/objects/", data=body, headers={"Content-Type": TAXII})
    assert r.status_code == 413 and r.json()["http_status"] == "413"
    assert collection(h).get_objects().get("objects") is None  # nothing stored


def test_large_post_is_pending_then_complete(hub):
    c = collection(hub)
    st = c.add_objects(envelope(indicators(3000, 1000)), wait_for_completion=False)
    assert st.total_count == 3000
    st.wait_until_final(poll_interval=0.2, timeout=120)
    assert st.status == "complete" and st.success_count == 3000
    got = sum(len(p.get("objects", [])) for p in as_pages(c.get_objects, per_request=1000))
    assert got == 3000


def test_sync_pull_and_push_between_yamori_hubs(hub, make_hub):
    c = collection(hub)
    c.add_objects(envelope(indicators(40)), wait_for_completion=True, poll_interval=0.2)
    peer = make_hub("peer")
    common = ["--token", hub.tokens["alice"], "--ca-cert", hub.cert]
    r = peer.cli("sync", "pull", hub.api_root, "--collection", "telescope", "--into", "mirror", *common)
    assert "pulled 40 objects" in r.stdout, r.stdout
    c.add_objects(envelope(indicators(5, 40)), wait_for_completion=True, poll_interval=0.2)
    r = peer.cli("sync", "pull", hub.api_root, "--collection", "telescope", "--into", "mirror", *common)
    assert "pulled 5 objects" in r.stdout, r.stdout  # incremental
    # Serve the peer and check what it holds.
    peer.tokens = {"alice": peer.user("alice", "mirror:rw")}
    peer.start()
    pc = collection(peer, name="mirror")
    assert len(pc.get_objects(limit=1000)["objects"]) == 45
    # Push a new object from the peer back to the hub's partners collection? alice only reads
    # partners there, so push into telescope instead.
    pc.add_objects(envelope(indicators(3, 900)), wait_for_completion=True, poll_interval=0.2)
    peer.stop()
    # The objects carry no TLP marking: without a sharing policy they count as TLP:AMBER,
    # which goes to no peer, so nothing is sent.
    r = peer.cli("sync", "push", hub.api_root, "--collection", "mirror", "--to", "telescope", *common)
    assert "pushed 0 objects" in r.stdout and "48 withheld" in r.stdout, r.stdout
    assert "TLP:AMBER is shared only with the peers the policy lists" in r.stdout, r.stdout
    # A policy that lets the hub have unmarked objects as GREEN; a policy's collection list
    # is enforced.
    (peer.data_dir / "sharing.toml").write_text(
        f'[peers.hub]\nurl = "{hub.api_root}"\ncollections = ["other"]\n[peers.hub.tlp]\nunmarked = "green"\n')
    r = peer.cli("sync", "push", hub.api_root, "--collection", "mirror", "--to", "telescope", *common,
                 check=False)
    assert r.returncode == 1 and "does not allow collection" in r.stderr, r.stderr
    (peer.data_dir / "sharing.toml").write_text(
        f'[peers.hub]\nurl = "{hub.api_root}"\n[peers.hub.tlp]\nunmarked = "green"\n')
    r = peer.cli("sync", "push", hub.api_root, "--collection", "mirror", "--to", "telescope", "--full",
                 *common)
    assert "pushed 48 objects" in r.stdout, r.stdout  # first push sends everything (45 are duplicates)
    r = peer.cli("sync", "push", hub.api_root, "--collection", "mirror", "--to", "telescope", *common)
    assert "pushed 0 objects" in r.stdout, r.stdout
    assert len(c.get_objects(limit=1000)["objects"]) == 48


def test_sync_pull_from_medallion(make_hub, medallion):
    m = Collection(medallion["api_root"] + f"collections/{medallion['collection']}/",
                   user=medallion["user"], password=medallion["password"])
    m.add_objects(envelope(indicators(250)))
    local = make_hub("local")
    common = ["--user", medallion["user"], "--password", medallion["password"]]
    r = local.cli("sync", "pull", medallion["api_root"], "--collection", medallion["collection"],
                  "--into", "med", *common)
    assert "pulled 250 objects" in r.stdout, r.stdout + r.stderr
    time.sleep(0.01)
    m.add_objects(envelope(indicators(7, 300)))
    r = local.cli("sync", "pull", medallion["api_root"], "--collection", medallion["collection"],
                  "--into", "med", *common)
    assert "pulled 7 objects" in r.stdout, r.stdout + r.stderr
    local.tokens = {"alice": local.user("alice", "med:r")}
    local.start()
    got = collection(local, name="med").get_objects(limit=1000)["objects"]
    assert len(got) == 257
    assert_valid_stix(got)


def test_kill_9_during_large_post(make_hub, backend):
    h = make_hub("crash", backend)
    h.tokens = {"alice": h.user("alice", "telescope:rw")}
    h.start("--ingest-wait-ms", "0")  # answer at once, so the kill lands mid-ingest
    c = collection(h)
    st = c.add_objects(envelope(indicators(20000, 50000)), wait_for_completion=False)
    sid = st.id
    # Wait until part of it is stored, then kill -9 mid-ingest.
    for _ in range(600):
        st.refresh()
        if st.success_count > 0:
            break
        time.sleep(0.02)
    h.stop(kill=True)
    if backend is None:
        db = sqlite3.connect(h.data_dir / "yamori.sqlite")
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        db.close()
    h.start()
    st = server(h).api_roots[0].get_status(sid)
    assert st.total_count == 20000
    if backend is None:
        assert st.pending_count == 0  # pending objects were failed at restart, to be sent again
        assert st.success_count + st.failure_count == 20000
        # The kill really interrupted the ingest (otherwise this test would prove nothing).
        assert st.failure_count > 0 and st.success_count > 0, (st.success_count, st.failure_count)
        assert "send it again" in st.failures[0]["message"]
    else:
        # Several hubs may share one PostgreSQL database, so a restarting hub cannot tell an
        # orphaned status from another hub's live one: the interrupted part stays pending
        # (docs/HUB.md, known limits). What was reported as stored is stored.
        assert st.success_count + st.failure_count + st.pending_count == 20000
        assert st.pending_count > 0 and st.success_count > 0, (st.success_count, st.pending_count)
    stored = set()
    for p in as_pages(collection(h).get_manifest, per_request=1000):
        stored |= {m["id"] for m in p.get("objects", [])}
    assert {s["id"] for s in st.successes} <= stored
    assert len(stored) == st.success_count


def test_tls_versions(make_hub):
    import socket
    import ssl

    h = make_hub("tls")
    h.tokens = {}
    h.start()
    port = int(h.url.rsplit(":", 1)[1].strip("/"))

    def handshake(version):
        ctx = ssl.create_default_context(cafile=h.cert)
        ctx.minimum_version = ctx.maximum_version = version
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw_sock:
            with ctx.wrap_socket(raw_sock, server_hostname="127.0.0.1") as tls:
                return tls.version()

    assert handshake(ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    assert handshake(ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        handshake(ssl.TLSVersion.TLSv1_1)
