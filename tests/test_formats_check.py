"""The public page "Ist diese Meldung echt?": a real text, a forged one (changed number), a
withdrawn release, a corrected one, a URL of this portal (never of another site), a saved
mail; CSRF and errors tied to their fields."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage

from pressdesk.extensions import db
from pressdesk.releases import services
from tests.formats_support import corrected, permalink_path, published, withdrawn
from tests.helpers import csrf_token, draft

PASTED = ("Neue Radwege im Rheiderland\n\nDer Kreistag hat am Montag den Ausbau von 12 "
          "Kilometern Radwegen beschlossen. Die Kosten liegen bei 1,2 Millionen Euro. "
          "Bunde, Weener. Ein guter Tag für das Rheiderland.")


def _check(client, **data):  # type: ignore[no-untyped-def]
    token = csrf_token(client.get("/echt").get_data(as_text=True))
    return client.post("/echt", data={"csrf_token": token, **data},
                       content_type="multipart/form-data")


def test_page_is_german_with_labelled_fields(app, demo):
    page = app.test_client().get("/echt").get_data(as_text=True)
    assert "Ist diese Meldung echt?" in page
    for field in ("text", "url", "eml"):
        assert f'<label for="{field}">' in page and f'id="{field}"' in page
    assert 'name="csrf_token"' in page


def test_real_text_matches(app, demo):
    r = published()
    page = _check(app.test_client(), text=PASTED)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Ja – diese Meldung ist echt." in html
    assert "Landkreis Leer" in html and r.reference in html and "Version 1" in html


def test_forged_number_is_a_difference_shown_at_the_closest_version(app, demo):
    published()
    forged = PASTED.replace("12 Kilometern", "21 Kilometern")
    html = _check(app.test_client(), text=forged).get_data(as_text=True)
    assert "Nein – so wurde diese Meldung nicht veröffentlicht." in html
    assert "echt." not in html.split("verify-result")[1].split("</h2>")[0]
    assert "12</del>" in html and "21</ins>" in html


def test_withdrawn_release_is_named_as_withdrawn(app, demo):
    withdrawn(published())
    html = _check(app.test_client(), text=PASTED).get_data(as_text=True)
    assert "Echt, aber zurückgezogen" in html and "Bitte nicht mehr verwenden." in html


def test_text_of_a_corrected_version_says_corrected_since(app, demo):
    corrected(published())
    html = _check(app.test_client(), text=PASTED).get_data(as_text=True)
    assert "Ja – diese Meldung ist echt." in html and "Version 1" in html
    assert "Seitdem korrigiert: Es gilt Version 2" in html


def test_unknown_and_embargoed_texts_are_not_found(app, demo):
    e = draft(headline="Geheimer Haushaltsentwurf",
              body="Der Haushaltsentwurf sieht Investitionen von vierzig Millionen vor. " * 4)
    e.embargo_until = datetime.now(UTC) + timedelta(hours=3)
    db.session.commit()
    services.publish_release(e, None)
    db.session.commit()
    html = _check(app.test_client(), text="Geheimer Haushaltsentwurf. " + e.body
                  ).get_data(as_text=True)
    assert "Keine passende Meldung gefunden." in html and "Haushaltsentwurf" not in html.split(
        "verify-result")[1].split("</section>")[0]


def test_url_of_this_portal_and_refusal_of_other_sites(app, demo):
    r = corrected(published(embargo=False))
    client = app.test_client()
    base = app.extensions["pressdesk.settings"].base_url
    html = _check(client, url=f"{base}{permalink_path(r)}").get_data(as_text=True)
    assert "Ja – diese Meldung ist echt." in html and "Version 2" in html
    via_mail_link = client.get("/echt", query_string={"url": f"{base}{permalink_path(r)}"})
    assert "Ja – diese Meldung ist echt." in via_mail_link.get_data(as_text=True)
    other = _check(client, url="https://evil.example/presse/landkreis-leer/2026/1-x")
    html = other.get_data(as_text=True)
    assert other.status_code == 400
    assert 'aria-invalid="true"' in html and 'id="url-error"' in html
    assert "url-hint url-error" in html and "Andere Seiten rufen wir nicht auf" in html
    missing = _check(client, url=f"{base}/presse/landkreis-leer/2020/99-nichts")
    assert "Keine passende Meldung gefunden." in missing.get_data(as_text=True)


def test_saved_mail_is_checked(app, demo):
    published()
    msg = EmailMessage()
    msg["Subject"] = "Neue Radwege im Rheiderland"
    msg["From"] = "presse@landkreis-leer.example"
    msg.set_content("Pressemitteilung Landkreis Leer\n\n" + PASTED + "\n\nPressekontakt:\nAnna")
    html = _check(app.test_client(), eml=(io.BytesIO(msg.as_bytes()), "mail.eml")
                  ).get_data(as_text=True)
    assert "Ja – diese Meldung ist echt." in html


def test_nothing_given_is_an_error_at_the_text_field_and_csrf_is_required(app, demo):
    client = app.test_client()
    empty = _check(client)
    html = empty.get_data(as_text=True)
    assert empty.status_code == 400 and 'id="text-error"' in html
    assert 'aria-describedby="text-error"' in html
    no_token = client.post("/echt", data={"text": PASTED})
    assert no_token.status_code == 400


def test_signed_file_with_a_rotated_key_and_a_forged_one(app, demo):
    import json
    import shutil

    from pressdesk.formats import keys

    with app.app_context():
        shutil.rmtree(keys.keys_dir(), ignore_errors=True)
    r = published(embargo=False)
    client = app.test_client()
    signed = client.get(f"{permalink_path(r)}/signed.json").data
    assert app.test_cli_runner().invoke(
        args=["signing-keys", "rotate", "landkreis-leer"]).exit_code == 0
    html = _check(client, signed=(io.BytesIO(signed), "signed.json")).get_data(as_text=True)
    assert "Ja – diese Meldung ist echt." in html and "Version 1" in html
    forged = json.loads(signed)
    forged["ninjs"]["headlines"][0]["value"] = "Keine Radwege im Rheiderland"
    html = _check(client, signed=(io.BytesIO(json.dumps(forged).encode()), "signed.json")
                  ).get_data(as_text=True)
    assert "Nein – die Signatur passt nicht." in html


def test_newspaper_mail_carries_the_verification_line(app, demo):
    from pressdesk.delivery.render import render_message
    from pressdesk.releases.services import mail_for

    r = published(embargo=False)
    msg = render_message(mail_for(r.versions[-1]), app.jinja_env)
    text = msg.get_body(preferencelist=("plain",)).get_content()
    base = app.extensions["pressdesk.settings"].base_url
    line = f"Echtheit prüfen: {base}/echt?url={base}{permalink_path(r)}"
    assert line in text
    link = line.split(": ", 1)[1]
    html = app.test_client().get(link.removeprefix(base)).get_data(as_text=True)
    assert "Ja – diese Meldung ist echt." in html


def test_check_page_is_valid_html_with_results_and_errors(app, demo, tmp_path):
    from tests.test_html_validity import nu_check

    published()
    client = app.test_client()
    pages = {
        "empty": client.get("/echt").get_data(as_text=True),
        "match": _check(client, text=PASTED).get_data(as_text=True),
        "differs": _check(client, text=PASTED.replace("12", "21")).get_data(as_text=True),
        "error": _check(client, url="https://evil.example/x").get_data(as_text=True),
    }
    assert nu_check(pages, tmp_path) == {}


def _picture(seed: int) -> bytes:
    """A photo with large-scale structure (a difference hash of a flat image says nothing)."""
    import random

    from PIL import Image, ImageDraw

    rnd = random.Random(seed)
    im = Image.new("RGB", (1800, 1200), (128, 128, 128))
    draw = ImageDraw.Draw(im)
    for _ in range(14):
        x, y = rnd.randrange(1500), rnd.randrange(900)
        draw.rectangle((x, y, x + rnd.randrange(150, 600), y + rnd.randrange(150, 500)),
                       fill=(rnd.randrange(256), rnd.randrange(256), rnd.randrange(256)))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_photo_check_served_retouched_and_unknown(app, demo, tmp_path):
    import shutil
    import subprocess

    import pytest
    from PIL import Image, ImageDraw

    from pressdesk.releases.images import add_image

    exiftool = shutil.which("exiftool")
    if exiftool is None:
        pytest.skip("exiftool (libimage-exiftool-perl) writes the metadata the check reads")
    r = draft(headline="Hafenfest in Leer")
    add_image(r, "hafen.jpg", _picture(1), "Das Hafenfest", "Foto: Maria Meyer",
              "Menschen an der Hafenkante", "")
    db.session.commit()
    services.publish_release(r, None)
    db.session.commit()
    client = app.test_client()
    served = client.get(f"/bilder/{r.images[0].public_id}/original.jpg").data
    html = _check(client, image=(io.BytesIO(served), "foto.jpg")).get_data(as_text=True)
    assert "Ja – diese Meldung ist echt." in html and "„Das Hafenfest“" in html

    # retouched, its metadata (naming the release) kept
    im = Image.open(io.BytesIO(served)).convert("RGB")
    ImageDraw.Draw(im).rectangle((0, 0, 900, 1200), fill=(255, 0, 0))
    fake = tmp_path / "fake.jpg"
    im.save(fake, "JPEG")
    (tmp_path / "served.jpg").write_bytes(served)
    subprocess.run([exiftool, "-q", "-overwrite_original", "-tagsFromFile",
                    str(tmp_path / "served.jpg"), "-xmp:all", str(fake)], check=True)
    html = _check(client, image=(io.BytesIO(fake.read_bytes()), "fake.jpg")
                  ).get_data(as_text=True)
    assert "Nein – dieses Foto wurde verändert." in html and "Hafenfest in Leer" in html

    html = _check(client, image=(io.BytesIO(_picture(2)), "anderes.jpg")).get_data(as_text=True)
    assert "Keine passende Meldung gefunden." in html
    bad = _check(client, image=(io.BytesIO(b"not an image"), "x.jpg"))
    assert bad.status_code == 400 and 'id="image-error"' in bad.get_data(as_text=True)
