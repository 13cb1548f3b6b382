"""Interop: refusals that come before the body is read reach the OASIS taxii2-client (Python
`requests` over HTTP/1.1, which writes the whole body before reading any answer) as HTTP errors
with the TAXII error body, not as a reset or an SSL EOF: 413 over --max-content-length, and 429
with Retry-After after repeated failed logins. Run: YAMORI_BIN=... .venv/bin/pytest tests/interop -q
"""
import json

import pytest
import requests
import urllib3
from taxii2client.v21 import Server

TAXII = "application/taxii+json;version=2.1"
LIMIT = 65536
# Far over the limit and over what loopback socket buffers hold (so a server that stops reading
# leaves the client blocked mid-upload), under the hub's drain bound (64 MiB past the limit).
BODY = 24 * 1024 * 1024
urllib3.disable_warnings()


def oversized_envelope():
    ind = {
        "type": "indicator", "spec_version": "2.1",
        "id": "indicator--00000000-0000-4000-8000-000000000001",
        "created": "2024-01-01T00:00:00.000Z", "modified": "2024-01-01T00:00:00.000Z",
        "pattern": "[ipv4-addr:value = '198.51.100.1']", "pattern_type": "stix",
        "valid_from": "2024-01-01T00:00:00Z", "description": "x" * 1000,
    }
    n = BODY // len(json.dumps(ind)) + 1
    body = json.dumps({"objects": [ind] * n})
    assert len(body) > BODY
    return body


def telescope(h, user, password):
    root = Server(h.url + "taxii2/", user=user, password=password, verify=h.cert).api_roots[0]
    return next(c for c in root.collections if c.alias == "telescope")


@pytest.fixture
def small(make_hub):
    h = make_hub("small")
    h.tokens = {"alice": h.user("alice", "telescope:rw")}
    h.cli("user", "add", "bob", "--collection", "telescope:r", "--tlp", "amber+strict", "--password-stdin",
          stdin="bob-password\n")
    h.start("--max-content-length", str(LIMIT))
    return h


def assert_taxii_error(resp, status):
    assert resp.status_code == status, resp.text
    assert resp.headers["Content-Type"] == TAXII
    body = resp.json()
    assert body["http_status"] == str(status) and body["title"] and body["description"]
    return body


def test_taxii2_client_reads_the_413(small):
    c = telescope(small, "alice", small.tokens["alice"])
    with pytest.raises(requests.exceptions.HTTPError) as e:
        c.add_objects(oversized_envelope())
    body = assert_taxii_error(e.value.response, 413)
    assert str(LIMIT) in body["description"]
    # Nothing was stored, and the hub still answers.
    assert c.get_objects().get("objects") is None


def test_large_post_with_wrong_credentials_reads_the_401(small):
    tid = telescope(small, "alice", small.tokens["alice"]).id
    r = requests.post(small.url + f"api1/collections/{tid}/objects/", data=oversized_envelope(),
                      auth=("alice", "wrong"), verify=small.cert,
                      headers={"Accept": TAXII, "Content-Type": TAXII})
    assert_taxii_error(r, 401)


def discovery_title(h, user, password):
    return Server(h.url + "taxii2/", user=user, password=password, verify=h.cert).title


def test_taxii2_client_is_slowed_after_failed_logins(small):
    assert discovery_title(small, "bob", "bob-password")
    # Five wrong passwords for bob (the free failures); then even the right one waits.
    for _ in range(5):
        with pytest.raises(requests.exceptions.HTTPError) as e:
            discovery_title(small, "bob", "wrong-password")
        assert_taxii_error(e.value.response, 401)
    with pytest.raises(requests.exceptions.HTTPError) as e:
        discovery_title(small, "bob", "bob-password")
    r = e.value.response
    assert_taxii_error(r, 429)
    assert int(r.headers["Retry-After"]) == 1
    # Alice, with her token, is not slowed.
    assert discovery_title(small, "alice", small.tokens["alice"])
