"""Interop of survey results: `yamori publish survey.json` gives a bundle OASIS stix2-validator
accepts in strict mode, and the objects posted to a hub (SQLite and PostgreSQL) come back
through the OASIS taxii2-client unchanged and valid.
Run: YAMORI_BIN=... .venv/bin/python -m pytest -q tests/interop/test_survey.py
"""
import json
import subprocess

from stix2validator import ValidationOptions, validate_file
from taxii2client.v21 import Server

from conftest import yamori_bin


def survey_result():
    """A camera with a KEV CVE and an OSV-only record, a router with a weak telnet password,
    an unidentified IPv6 MQTT broker with a weak password, and a plain SSH service."""
    kev = {"date_added": "2022-01-10", "due_date": "2022-01-24",
           "required_action": "Apply updates per vendor instructions.", "ransomware_use": "Known"}
    rule = {"configuration": 0, "node": 0,
            "criteria": "cpe:2.3:h:hikvision:ds-2cd2026g2-iu:*:*:*:*:*:*:*:*",
            "range": "< 5.5.800", "device_cpe": "cpe:2.3:h:hikvision:ds-2cd2026g2-iu:5.5.0:*:*:*:*:*:*:*"}
    camera = {
        "port": 80, "transport": "tcp", "protocol": "http", "banner": "HTTP/1.1 401\r\n",
        "fields": {"server": "Hikvision-Webs"}, "evidence": [], "weak_credential": None,
        "device": {"vendor": "Hikvision", "product": "DS-2CD2026G2-IU", "version": "5.5.0",
                   "device_type": "camera",
                   "cpe": "cpe:2.3:h:hikvision:ds-2cd2026g2-iu:5.5.0:*:*:*:*:*:*:*",
                   "rule_id": "hikvision-web"},
        "vulnerabilities": [
            {"id": "CVE-2021-36260", "source": "nvd", "certainty": "affected", "kev": kev,
             "cvss": {"version": "3.1", "score": 9.8, "severity": "CRITICAL",
                      "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"},
             "summary": "Command injection.", "rule": rule},
            {"id": "GHSA-aaaa-bbbb-cccc", "source": "osv", "certainty": "unknown",
             "unknown_reason": "no version", "summary": "", "rule": rule},
        ],
    }
    router = {"port": 23, "transport": "tcp", "protocol": "telnet", "banner": "login: ",
              "device": {"vendor": "ZTE", "product": "F660", "version": None, "device_type": "router",
                         "cpe": None, "rule_id": "zte-telnet"},
              "weak_credential": {"username": "root", "password_masked": "Zt****", "source": "mirai-list"}}
    broker = {"port": 1883, "transport": "tcp", "protocol": "mqtt",
              "weak_credential": {"username": "admin", "password_masked": "pa******", "source": "vendor"}}
    ssh = {"port": 22, "transport": "tcp", "protocol": "ssh", "banner": "SSH-2.0-dropbear\r\n"}
    return {
        "schema": "yamori.survey.result/1", "scope": ["198.51.100.0/24", "2001:db8::/64"],
        "started": "2026-11-20T00:00:00Z", "finished": "2026-11-20T01:00:00Z", "targets": 256,
        "hosts": [
            {"address": "198.51.100.9", "services": [ssh, camera]},
            {"address": "198.51.100.10", "services": [router]},
            {"address": "2001:db8::7", "services": [broker]},
        ],
    }


def publish(tmp_path, *args):
    path = tmp_path / "survey.json"
    path.write_text(json.dumps(survey_result(), indent=2))
    cmd = [yamori_bin(), "--data-dir", str(tmp_path / "data"), "publish", str(path),
           "--org", "Example CSIRT", *args]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r


def test_survey_bundle_passes_stix2_validator_strict(tmp_path):
    publish(tmp_path, "--out", str(tmp_path / "bundle.json"))
    # 103 (uuid-check) is off: our SDO ids are UUIDv5 on purpose (see yamori_intel's docs).
    opts = ValidationOptions(version="2.1", strict=True, disabled="103", silent=True)
    result = validate_file(str(tmp_path / "bundle.json"), opts)
    messages = [str(m) for o in result.object_results or [] for m in (o.errors or []) + (o.warnings or [])]
    assert result.is_valid and not messages, messages
    objects = json.loads((tmp_path / "bundle.json").read_text())["objects"]
    types = {o["type"] for o in objects}
    assert {"identity", "marking-definition", "infrastructure", "ipv4-addr", "ipv6-addr",
            "software", "vulnerability", "relationship", "note"} <= types, types
    amber = "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"  # TLP:AMBER (2.0)
    assert all(o.get("object_marking_refs") == [amber] for o in objects
               if o["type"] not in ("identity", "marking-definition"))
    assert sum(o["type"] == "infrastructure" for o in objects) == 3  # not the plain SSH service


def test_survey_objects_posted_to_the_hub_come_back_valid(hub, tmp_path, every_returned_object_is_valid_stix):
    bundle = tmp_path / "bundle.json"
    publish(tmp_path, "--out", str(bundle))
    sent = {o["id"]: o for o in json.loads(bundle.read_text())["objects"]}
    r = publish(tmp_path, "--to", hub.api_root, "--collection", "telescope",
                "--token", hub.tokens["alice"], "--ca-cert", hub.cert)
    assert "(0 refused)" in r.stderr, r.stderr
    root = Server(hub.url + "taxii2/", user="alice", password=hub.tokens["alice"], verify=hub.cert).api_roots[0]
    coll = next(c for c in root.collections if c.alias == "telescope")
    got = coll.get_objects(limit=1000)["objects"]
    assert {o["id"] for o in got} == set(sent)
    for o in got:
        assert o == sent[o["id"]]
    assert every_returned_object_is_valid_stix["objects"] >= len(sent)
