"""Demo identification media, seeded idempotently through the services.

Call after the demo's regions, canteens, users and elders exist (zhucan.demo.seed.seed_all):
`seed_demo_identity()`. It
- (the demo elders' cards are created by the seed itself, with their records);
- picks one elder of 北山街道 (西湖区) without a phone account, sets the PIN 123456, prints one card
  code to var/demo/card-code-<elder id>.png, records both face consents (1:1 and 1:N) and enrols
  the face from scikit-image's astronaut photo; a mirrored copy of that photo is written to
  var/demo/face-<elder id>.jpg to try face identification at the till;
- turns 1:N face identification on at 北山街道颐乐食堂 (same district) and makes that canteen
  confirm printed card codes with the PIN.
Running it again changes nothing, except that a card code whose PNG file has gone is printed anew
(the token is a credential: it is never stored, so a lost file cannot be redrawn).
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from zhucan.accounts.models import User
from zhucan.canteens.models import Canteen
from zhucan.core import clock
from zhucan.core.errors import DomainError
from zhucan.elders.models import Elder, ElderStatus, Verification
from zhucan.identity import qr, services
from zhucan.identity.models import CanteenIdentitySettings, CardCode, ElderPin, SecondFactor

SUBDISTRICT_CODE = "330106002"  # 北山街道 (西湖区), where beishan_staff works
CANTEEN_NAME = "北山街道颐乐食堂"  # the demo cashier's canteen
DEMO_PIN = "123456"
SAMPLE_PHOTO = "astronaut"  # scikit-image's sample photo (public domain), shipped with the package


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first() or User.objects.filter(
        is_superuser=True).order_by("pk").first()


def demo_elder() -> Elder | None:
    """An active, verified woman of 北山街道 — the same one on every run; the last by id, so not one
    of the elders with a demo phone account (zhucan.elderphone.demo takes the first ones)."""
    return (Elder.objects.filter(community__path__contains=f"/{SUBDISTRICT_CODE}/", status=ElderStatus.ACTIVE,
                                 verification=Verification.VERIFIED, sex="F")
            .select_related("community").order_by("-pk").first())


def _card_code(staff, elder: Elder, out_dir: Path) -> Path:
    path = out_dir / f"card-code-{elder.pk}.png"
    live = CardCode.objects.filter(elder=elder, revocation__isnull=True, expires_at__gt=clock.real_now()).exists()
    if live and path.exists():
        return path
    token, _code = services.card_code_issue(actor=staff, elder_id=elder.pk)  # revokes an earlier one
    out_dir.mkdir(parents=True, exist_ok=True)
    path.write_bytes(qr.render_png(token, scale=8))
    return path


def _face(staff, elder: Elder, out_dir: Path) -> str:
    from zhucan.face import services as face
    from zhucan.face.models import ConsentScope, FaceConsent, FaceEnrolment
    from zhucan.face.views import CONSENT_TEXT_VERSION

    for scope in ConsentScope.values:
        if not FaceConsent.objects.filter(elder=elder, scope=scope, withdrawn_at__isnull=True).exists():
            face.face_consent_record(actor=staff, elder_id=elder.pk, scope=scope, text_version=CONSENT_TEXT_VERSION)
    if FaceEnrolment.objects.filter(elder=elder).exists():
        return "enrolled before"
    try:  # the sample photos come with the development packages (scikit-image, matplotlib)
        from zhucan.face import samples

        rgb = samples.photo(SAMPLE_PHOTO)
    except ImportError:
        return "skipped: scikit-image is not installed"
    face.face_enrol(actor=staff, elder_id=elder.pk, image_bytes=samples.to_bytes(rgb, "JPEG", 92),
                    source="staff_upload")
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"face-{elder.pk}.jpg").write_bytes(samples.to_bytes(samples.TRANSFORMS["flip"](rgb), "JPEG", 90))
    return "enrolled"


def _canteen(district_admin, manager) -> Canteen | None:
    from zhucan.face import services as face
    from zhucan.face.models import FaceCanteenSetting

    canteen = Canteen.objects.filter(name=CANTEEN_NAME).first()
    if canteen is None:
        return None
    if not FaceCanteenSetting.objects.filter(canteen=canteen, identify_enabled=True).exists():
        face.face_canteen_setting_set(actor=district_admin, canteen_id=canteen.pk, identify_enabled=True)
    if not CanteenIdentitySettings.objects.filter(canteen=canteen, card_code_factor=SecondFactor.PIN).exists():
        services.canteen_card_code_factor_set(actor=manager, canteen_id=canteen.pk, factor=SecondFactor.PIN)
    return canteen


def seed_demo_identity(*, out_dir: Path | None = None, echo=print) -> dict:
    """Returns what it found or did: {"cards": created, "elder": id, "card_code": PNG path, "face": …}."""
    out_dir = Path(out_dir) if out_dir else Path(settings.VAR_DIR) / "demo"
    result = {"cards": 0, "elder": None, "card_code": None, "face": "", "canteen": None}
    staff, district_admin = _user("beishan_staff"), _user("xihu_admin")
    manager = _user("beishan_mgr")
    elder = demo_elder()
    if elder is None or staff is None:
        return result
    result["elder"] = elder.pk
    if not ElderPin.objects.filter(elder=elder).exists():
        services.elder_pin_set(actor=staff, elder_id=elder.pk, pin=DEMO_PIN)
    result["card_code"] = _card_code(staff, elder, out_dir)
    try:
        result["face"] = _face(staff, elder, out_dir)
    except DomainError as exc:  # a demo still starts if the photo were ever refused
        result["face"] = f"skipped: {exc.message_en}"
    canteen = _canteen(district_admin, manager)
    result["canteen"] = canteen.pk if canteen else None
    where = f"{elder.community.name} {elder.name}（档案 /elders/{elder.pk}/）"
    echo(f"长者卡码与人脸演示：{where}，卡码密码 {DEMO_PIN}；{CANTEEN_NAME}已开启刷脸、卡码用密码核验")
    echo(f"  打印的长者卡码：{result['card_code']}")
    face_photo = out_dir / f"face-{elder.pk}.jpg"
    if face_photo.exists():
        echo(f"  刷脸试用照片：{face_photo}")
    return result
