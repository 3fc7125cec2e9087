"""The identity demo seed: cards, the PIN, a printed card code, a face and the canteen settings, once.

Its own module: the seed needs the database empty of fixtures, and tests/identity/test_console.py
builds its world once for the whole module."""

from __future__ import annotations

from tests.identity.test_console import state
from zhucan.identity import qr, services
from zhucan.identity.models import CitizenCard


def test_demo_seeds_cards_pin_card_code_face_and_canteen_settings_once(db, tmp_path):
    from tests.conftest import _system_user
    from zhucan.demo.seed import seed_canteens, seed_elders, seed_regions, seed_users
    from zhucan.face.models import FaceCanteenSetting, FaceConsent, FaceEnrolment
    from zhucan.identity.demo import DEMO_PIN, seed_demo_identity

    seed_regions()
    seed_canteens(_system_user())
    seed_users()
    seed_elders(300)
    lines: list[str] = []
    first = seed_demo_identity(out_dir=tmp_path, echo=lines.append)
    elder = services.Elder.objects.get(pk=first["elder"])
    # The seed registers every elder with a card, in the card table (the only place card numbers live).
    assert CitizenCard.objects.filter(status="active").count() == services.Elder.objects.count() > 0
    services.verify_card_code_pin(elder=elder, pin=DEMO_PIN)
    png = tmp_path / f"card-code-{elder.pk}.png"
    assert str(png) in "\n".join(lines)
    canteen = services.Canteen.objects.get(name="北山街道颐乐食堂")
    token = qr.decode_png(png.read_bytes())[0]
    assert services.identify_by_qr(token=token, canteen=canteen)[0] == elder
    assert services.canteen_card_code_factor(canteen) == "pin"
    assert FaceCanteenSetting.objects.get(canteen=canteen).identify_enabled
    assert FaceConsent.objects.filter(elder=elder, withdrawn_at=None).count() == 2
    assert first["face"] == "enrolled" and FaceEnrolment.objects.filter(elder=elder).exists()
    assert (tmp_path / f"face-{elder.pk}.jpg").exists()
    # Again: nothing changes (the printed code is kept while its file exists).
    before = {**state(), "consents": list(FaceConsent.objects.values()),
              "enrolments": list(FaceEnrolment.objects.values_list("id", "enrolled_at"))}
    again = seed_demo_identity(out_dir=tmp_path, echo=lines.append)
    assert again["cards"] == 0 and again["elder"] == elder.pk and again["face"] == "enrolled before"
    assert {**state(), "consents": list(FaceConsent.objects.values()),
            "enrolments": list(FaceEnrolment.objects.values_list("id", "enrolled_at"))} == before
