"""Interop of `yamori export --format misp-feed`: indicators published into a store come out
as a MISP feed that PyMISP (MISP's own library) loads event by event, validated against its
schema, with the manifest and hashes PyMISP's feed generator computes from the same events.
Also: the export is deterministic and a second run gives the same bytes.
Run: YAMORI_BIN=... .venv/bin/python -m pytest -q tests/interop/test_exports.py
"""
import json
import pathlib
import shutil
import subprocess

import jsonschema
import pymisp
from pymisp import MISPEvent
from pymisp.tools.feed import feed_meta_generator

from conftest import yamori_bin

GREEN = "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"
RED = "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1"


def indicator(n, pattern, modified="2026-11-21T00:00:00.000Z", marking=GREEN, **extra):
    obj = {
        "type": "indicator", "spec_version": "2.1",
        "id": f"indicator--00000000-0000-4000-8000-{n:012d}",
        "created": "2026-11-20T00:00:00.000Z", "modified": modified,
        "name": f"indicator {n}", "indicator_types": ["malicious-activity"],
        "pattern": pattern, "pattern_type": "stix", "valid_from": "2026-11-20T00:00:00Z",
        "valid_until": "2026-12-11T00:00:00Z", "confidence": 80,
        "object_marking_refs": [marking],
    }
    obj.update(extra)
    return obj


def bundle():
    return {
        "type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000",
        "objects": [
            indicator(1, "[ipv4-addr:value = '198.51.100.7']"),
            indicator(2, "[ipv4-addr:value = '203.0.113.0/24']", modified="2026-11-22T00:00:00.000Z"),
            indicator(3, "[ipv6-addr:value = '2001:db8::7']"),
            indicator(4, "[domain-name:value = 'listed.test']"),
            indicator(5, "[url:value = 'http://malware.test/x.sh']", modified="2026-11-22T10:00:00.000Z"),
            indicator(6, "[ipv4-addr:value = '198.51.100.10']", marking=RED),
            indicator(7, "[ipv4-addr:value = '2001:db8::1']"),
        ],
    }


def yamori(tmp_path, *args):
    cmd = [yamori_bin(), "--data-dir", str(tmp_path / "data"), *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def export(tmp_path, out):
    return yamori(tmp_path, "export", "--format", "misp-feed", "--collection", "telescope",
                  "--now", "2026-12-01T00:00:00Z", "--org", "Example CSIRT", "-o", str(out), "--json")


def test_misp_feed_loads_in_pymisp(tmp_path):
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps(bundle()))
    r = yamori(tmp_path, "publish", str(path), "--local", "--collection", "telescope")
    assert r.returncode == 0, r.stderr
    feed = tmp_path / "feed"
    r = export(tmp_path, feed)
    # 3: written, but indicator 7 is malformed (an IPv6 address in an ipv4-addr comparison).
    assert r.returncode == 3, r.stderr
    summary = json.loads(r.stdout)
    assert summary["read"] == 7 and summary["selected"] == 5
    assert summary["skipped"]["by_kind"] == {"tlp": 1, "value": 1}
    assert any(s["id"].endswith("000000000007") and "IPv6" in s["reason"]
               for s in summary["skipped"]["listed"])
    assert summary["written"] == {"events": 2, "attributes": 5}

    manifest = json.loads((feed / "manifest.json").read_text())
    assert len(manifest) == 2
    # PyMISP's event schema and its table of attribute types per category.
    data = pathlib.Path(pymisp.__file__).parent / "data"
    schema = json.loads((data / "schema.json").read_text())
    types = json.loads((data / "describeTypes.json").read_text())["result"]
    values = {}
    for uuid in manifest:
        raw = json.loads((feed / f"{uuid}.json").read_text())
        jsonschema.validate(raw, schema)
        for a in raw["Event"]["Attribute"]:
            assert a["type"] in types["category_type_mappings"][a["category"]], a
        event = MISPEvent()
        event.load_file(str(feed / f"{uuid}.json"))
        assert event.uuid == uuid
        assert event.Orgc.name == "Example CSIRT"
        assert [t.name for t in event.tags] == ["tlp:green"]
        for a in event.attributes:
            assert a.to_ids
            values[a.value] = a.type
    assert values == {
        "198.51.100.7": "ip-src", "203.0.113.0/24": "ip-src", "2001:db8::7": "ip-src",
        "listed.test": "domain", "http://malware.test/x.sh": "url",
    }
    assert "198.51.100.10" not in values, "TLP:RED is not exported by default"

    # PyMISP's feed generator over the same events gives the same manifest and hashes.
    again = tmp_path / "regenerated"
    again.mkdir()
    for uuid in manifest:
        shutil.copy(feed / f"{uuid}.json", again / f"{uuid}.json")
    feed_meta_generator(again)
    assert json.loads((again / "manifest.json").read_text()) == manifest
    ours = sorted((feed / "hashes.csv").read_text().splitlines())
    theirs = sorted((again / "hashes.csv").read_text().splitlines())
    assert ours == theirs and len(ours) == 5

    # Deterministic: a second export writes the same bytes.
    second = tmp_path / "feed2"
    assert export(tmp_path, second).returncode == 3
    for name in ["manifest.json", "hashes.csv", *(f"{u}.json" for u in manifest)]:
        assert (feed / name).read_bytes() == (second / name).read_bytes(), name
