"""Signed versions: a detached EdDSA JWS over the canonical ninjs document, keys per office
with rotation, the JWKS, and ``pressdesk verify`` offline."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from pressdesk.formats import jws, keys
from pressdesk.formats.cli import verify_command
from pressdesk.formats.verify import main as standalone_main
from tests.formats_support import permalink_path, published, withdrawn


@pytest.fixture(autouse=True)
def fresh_keys(app):  # type: ignore[no-untyped-def]
    """Every test starts without keys (they live in the session's instance folder)."""
    with app.app_context():
        shutil.rmtree(keys.keys_dir(), ignore_errors=True)
    yield


def _save(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _verify(app, *args: str):  # type: ignore[no-untyped-def]
    return app.test_cli_runner().invoke(verify_command, list(args))


def test_canonical_json_is_sorted_compact_utf8():
    assert jws.canonical({"b": 1, "a": ["ä", {"d": 2, "c": None}]}) == (
        '{"a":["ä",{"c":null,"d":2}],"b":1}'.encode())


def test_signed_file_verifies_offline_and_a_changed_number_does_not(app, demo, tmp_path):
    r = published(embargo=False)
    client = app.test_client()
    signed = client.get(f"{permalink_path(r)}/signed.json")
    assert signed.status_code == 200
    keyset = client.get("/.well-known/pressdesk-keys.json")
    assert keyset.headers["Access-Control-Allow-Origin"] == "*"
    [jwk] = keyset.json["keys"]
    assert jwk["kty"] == "OKP" and jwk["crv"] == "Ed25519" and jwk["alg"] == "EdDSA"
    assert jwk["office"] == "landkreis-leer" and "d" not in jwk and "private" not in jwk
    keys_file = _save(tmp_path, "keys.json", keyset.data)
    real = _save(tmp_path, "real.json", signed.data)

    out = _verify(app, str(real), "--keys", str(keys_file))
    assert out.exit_code == 0, out.output
    assert "VERIFIED: signed by Landkreis Leer" in out.output and "Version 1" in out.output

    forged = json.loads(signed.data)
    body = forged["ninjs"]["bodies"][1]
    assert "12 Kilometern" in body["value"]
    body["value"] = body["value"].replace("12 Kilometern", "120 Kilometern")
    fake = _save(tmp_path, "forged.json", json.dumps(forged).encode())
    out = _verify(app, str(fake), "--keys", str(keys_file))
    assert out.exit_code == 1 and "NOT VERIFIED" in out.output
    # the same answer without the app: python -m pressdesk.formats.verify
    assert standalone_main([str(real), "--keys", str(keys_file)]) == 0
    assert standalone_main([str(fake), "--keys", str(keys_file)]) == 1


def test_bare_ninjs_with_its_jws_and_the_header(app, demo, tmp_path):
    r = published(embargo=False)
    client = app.test_client()
    doc = client.get(f"{permalink_path(r)}/ninjs.json")
    token = client.get(f"{permalink_path(r)}/ninjs.jws").get_data(as_text=True)
    assert doc.headers["X-Pressdesk-Signature"] == token
    header = json.loads(jws.unb64(token.split(".")[0]))
    assert header["alg"] == "EdDSA" and header["kid"] == "landkreis-leer-1"
    assert token.split(".")[1] == ""  # detached: no payload in the token
    keyset = client.get("/.well-known/pressdesk-keys.json").json
    assert jws.verify(doc.json, token, keyset).ok
    path = _save(tmp_path, "ninjs.json", doc.data)
    _save(tmp_path, "ninjs.jws", token.encode())
    keys_file = _save(tmp_path, "keys.json", json.dumps(keyset).encode())
    assert _verify(app, str(path), "--keys", str(keys_file)).exit_code == 0


def test_rotated_key_old_files_still_verify_new_ones_use_the_new_key(app, demo, tmp_path):
    r = published(embargo=False)
    client = app.test_client()
    before = _save(tmp_path, "before.json", client.get(f"{permalink_path(r)}/signed.json").data)
    kid = app.test_cli_runner().invoke(args=["signing-keys", "rotate", "landkreis-leer"])
    assert kid.exit_code == 0 and "landkreis-leer-2" in kid.output
    keyset = client.get("/.well-known/pressdesk-keys.json").json
    assert [(k["kid"], bool(k.get("retired"))) for k in keyset["keys"]] == [
        ("landkreis-leer-1", True), ("landkreis-leer-2", False)]
    keys_file = _save(tmp_path, "keys.json", json.dumps(keyset).encode())
    out = _verify(app, str(before), "--keys", str(keys_file))
    assert out.exit_code == 0 and "key landkreis-leer-1, retired" in out.output
    after = json.loads(client.get(f"{permalink_path(r)}/signed.json").data)
    assert json.loads(jws.unb64(after["signature"].split(".")[0]))["kid"] == "landkreis-leer-2"
    # without the retired key, the old file cannot be checked
    only_new = {"keys": [k for k in keyset["keys"] if not k.get("retired")]}
    assert not jws.verify(json.loads(before.read_bytes())["ninjs"],
                          json.loads(before.read_bytes())["signature"], only_new).ok


def test_withdrawn_release_verifies_as_withdrawn(app, demo, tmp_path):
    r = withdrawn(published(embargo=False))
    client = app.test_client()
    signed = _save(tmp_path, "w.json", client.get(f"{permalink_path(r)}/signed.json").data)
    keys_file = _save(tmp_path, "keys.json",
                      client.get("/.well-known/pressdesk-keys.json").data)
    out = _verify(app, str(signed), "--keys", str(keys_file))
    assert out.exit_code == 3 and "WITHDRAWN" in out.output


def test_a_key_of_another_office_is_refused(app, demo):
    r = published(embargo=False)
    client = app.test_client()
    signed = json.loads(client.get(f"{permalink_path(r)}/signed.json").data)
    other = keys.current("stadt-lingen")
    token = jws.sign(signed["ninjs"], other.private, other.kid)
    from pressdesk.formats.verify import check

    verdict = check(signed["ninjs"], token, keys.jwks())
    assert not verdict.ok and "stadt-lingen" in verdict.lines[0]


def test_private_keys_are_stored_encrypted(app, demo):
    published(embargo=False)
    app.test_client().get("/.well-known/pressdesk-keys.json")
    with app.app_context():
        keys.current("landkreis-leer")
        stored = (keys.keys_dir() / "landkreis-leer.json").read_text()
    assert "ENCRYPTED PRIVATE KEY" in stored and "BEGIN PRIVATE KEY" not in stored


def test_verify_a_url_online_says_corrected_since(app, demo, live_server):
    from tests.formats_support import corrected

    r = corrected(published(embargo=False))
    url = f"{live_server}{permalink_path(r)}/version/1/ninjs.json"
    out = _verify(app, url)
    assert out.exit_code == 0, out.output
    assert "VERIFIED" in out.output and "Version 1" in out.output
    assert "Since then: version 2" in out.output
    current = _verify(app, f"{live_server}{permalink_path(r)}")
    assert current.exit_code == 0 and "Since then" not in current.output
