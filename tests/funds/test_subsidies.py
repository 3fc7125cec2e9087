"""LC-3 construction subsidies: amounts from the policy, the workflow, and every refusal."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhucan.core.errors import DomainError, NotFound, PermissionDenied
from zhucan.core.models import AuditLog
from zhucan.funds import services
from zhucan.funds.models import ConstructionSubsidy, SubsidyEvidence, SubsidyStatus


def _state():
    return (list(ConstructionSubsidy.objects.order_by("pk").values()), SubsidyEvidence.objects.count(),
            AuditLog.objects.filter(action__startswith="funds.").count())


def _apply(lc, canteen=None, actor=None, **kw):
    return services.subsidy_apply(actor=actor or lc.lc_users["district_admin"],
                                  canteen_id=(canteen or lc.new_build).pk,
                                  evidence_note=kw.pop("evidence_note", "已竣工并通过验收"), **kw)


@pytest.mark.parametrize(("attr", "yuan"), [("new_build", 100_000), ("upgrade", 40_000), ("branded", 10_000)])
def test_amounts_per_type_come_from_the_policy(lc, attr, yuan):
    subsidy = _apply(lc, getattr(lc, attr))
    assert (subsidy.city_fen, subsidy.district_fen) == (yuan * 100, yuan * 100)
    assert subsidy.total_fen == 2 * yuan * 100
    assert subsidy.policy_id == "liaocheng" and subsidy.policy_version == "lc-2022"
    assert "四（一）" in subsidy.policy_ref
    assert subsidy.canteen_type == getattr(lc, attr).canteen_type


def test_full_workflow_by_the_right_roles(lc):
    manager, district, city = (lc.lc_users[r] for r in ("canteen_manager", "district_admin", "city_admin"))
    files = [SimpleUploadedFile("验收报告.pdf", b"%PDF-1.4 test", content_type="application/pdf")]
    subsidy = services.subsidy_apply(actor=manager, canteen_id=lc.new_build.pk, evidence_note="新建养老设施+幸福食堂",
                                     documents=[services.Document("竣工验收备案表", "KFQ-2022-017")], files=files)
    assert subsidy.status == SubsidyStatus.APPLIED and subsidy.applied_by == manager
    assert subsidy.evidence.count() == 2
    stored = subsidy.evidence.get(file_name="验收报告.pdf")
    assert bytes(stored.content) == b"%PDF-1.4 test" and stored.size == 13 and len(stored.sha256) == 64
    subsidy = services.subsidy_review(actor=district, subsidy_id=subsidy.pk, approve=True, reason="材料齐全")
    assert subsidy.status == SubsidyStatus.DISTRICT_REVIEWED and subsidy.reviewed_by == district
    subsidy = services.subsidy_approve(actor=city, subsidy_id=subsidy.pk, approve=True, reason="")
    assert subsidy.status == SubsidyStatus.CITY_APPROVED and subsidy.approved_at is not None
    subsidy = services.subsidy_mark_paid(actor=city, subsidy_id=subsidy.pk, reference="LCCZ-2022-0099")
    assert subsidy.status == SubsidyStatus.PAID and subsidy.payment_reference == "LCCZ-2022-0099"
    actions = list(AuditLog.objects.filter(object_type="funds.constructionsubsidy").order_by("id")
                   .values_list("action", flat=True))
    assert actions == ["funds.subsidy.apply", "funds.subsidy.review", "funds.subsidy.approve", "funds.subsidy.pay"]


def test_returned_application_is_resubmitted_and_rejected_one_frees_the_canteen(lc):
    district, city = lc.lc_users["district_admin"], lc.lc_users["city_admin"]
    subsidy = _apply(lc)
    subsidy = services.subsidy_review(actor=district, subsidy_id=subsidy.pk, approve=False, reason="缺少验收材料")
    assert subsidy.status == SubsidyStatus.RETURNED and subsidy.review_reason == "缺少验收材料"
    again = _apply(lc, evidence_note="补充验收材料")
    assert again.pk == subsidy.pk and again.status == SubsidyStatus.APPLIED and "补充验收材料" in again.evidence_note
    services.subsidy_review(actor=district, subsidy_id=again.pk, approve=True)
    rejected = services.subsidy_approve(actor=city, subsidy_id=again.pk, approve=False, reason="类型不符")
    assert rejected.status == SubsidyStatus.REJECTED and rejected.approval_reason == "类型不符"
    fresh = _apply(lc)
    assert fresh.pk != rejected.pk and fresh.status == SubsidyStatus.APPLIED


def _refused(exc_type, call, code=None):
    before = _state()
    with pytest.raises(exc_type) as info:
        call()
    assert _state() == before, "a refused call changed something"
    if code:
        assert info.value.code == code
    return info.value


@pytest.mark.parametrize("role", ["city_admin", "subdistrict_staff", "cashier", "auditor"])
def test_wrong_role_cannot_apply(lc, role):
    _refused(PermissionDenied, lambda: _apply(lc, actor=lc.lc_users[role]))


@pytest.mark.parametrize("role", ["city_admin", "subdistrict_staff", "canteen_manager", "cashier", "auditor"])
def test_wrong_role_cannot_review(lc, role):
    subsidy = _apply(lc)
    _refused(PermissionDenied, lambda: services.subsidy_review(actor=lc.lc_users[role], subsidy_id=subsidy.pk,
                                                               approve=True))


@pytest.mark.parametrize("role", ["district_admin", "subdistrict_staff", "canteen_manager", "auditor"])
def test_wrong_role_cannot_approve_or_pay(lc, role):
    subsidy = _apply(lc)
    services.subsidy_review(actor=lc.lc_users["district_admin"], subsidy_id=subsidy.pk, approve=True)
    _refused(PermissionDenied, lambda: services.subsidy_approve(actor=lc.lc_users[role], subsidy_id=subsidy.pk,
                                                                approve=True))
    services.subsidy_approve(actor=lc.lc_users["city_admin"], subsidy_id=subsidy.pk, approve=True)
    _refused(PermissionDenied, lambda: services.subsidy_mark_paid(actor=lc.lc_users[role], subsidy_id=subsidy.pk,
                                                                  reference="X1"))


def test_other_district_and_other_city_get_not_found(lc, world):
    subsidy = _apply(lc)
    _refused(NotFound, lambda: services.subsidy_review(actor=lc.other_district_admin, subsidy_id=subsidy.pk,
                                                       approve=True))
    services.subsidy_review(actor=lc.lc_users["district_admin"], subsidy_id=subsidy.pk, approve=True)
    _refused(NotFound, lambda: services.subsidy_approve(actor=world.users["city_admin"], subsidy_id=subsidy.pk,
                                                        approve=True))  # Hangzhou's city admin
    _refused(NotFound, lambda: _apply(lc, lc.foreign))  # a canteen of another district
    _refused(NotFound, lambda: _apply(lc, lc.upgrade, actor=lc.other_manager))  # not the manager's canteen
    _refused(NotFound, lambda: services.subsidy_review(actor=lc.lc_users["district_admin"], subsidy_id=999999,
                                                       approve=True))


def test_second_application_refused(lc):
    first = _apply(lc)
    _refused(DomainError, lambda: _apply(lc), "FUNDS_SUBSIDY_EXISTS")
    services.subsidy_review(actor=lc.lc_users["district_admin"], subsidy_id=first.pk, approve=True)
    _refused(DomainError, lambda: _apply(lc, actor=lc.lc_users["canteen_manager"]), "FUNDS_SUBSIDY_EXISTS")


def test_out_of_order_steps_refused(lc):
    district, city = lc.lc_users["district_admin"], lc.lc_users["city_admin"]
    subsidy = _apply(lc)
    _refused(DomainError, lambda: services.subsidy_mark_paid(actor=city, subsidy_id=subsidy.pk, reference="P1"),
             "FUNDS_BAD_STATUS")
    _refused(DomainError, lambda: services.subsidy_approve(actor=city, subsidy_id=subsidy.pk, approve=True),
             "FUNDS_BAD_STATUS")
    services.subsidy_review(actor=district, subsidy_id=subsidy.pk, approve=True)
    _refused(DomainError, lambda: services.subsidy_review(actor=district, subsidy_id=subsidy.pk, approve=True),
             "FUNDS_BAD_STATUS")
    _refused(DomainError, lambda: services.subsidy_mark_paid(actor=city, subsidy_id=subsidy.pk, reference="P1"),
             "FUNDS_BAD_STATUS")
    services.subsidy_approve(actor=city, subsidy_id=subsidy.pk, approve=True)
    _refused(DomainError, lambda: services.subsidy_mark_paid(actor=city, subsidy_id=subsidy.pk, reference="  "),
             "FUNDS_REFERENCE_REQUIRED")
    services.subsidy_mark_paid(actor=city, subsidy_id=subsidy.pk, reference="P1")
    err = _refused(DomainError, lambda: services.subsidy_mark_paid(actor=city, subsidy_id=subsidy.pk,
                                                                   reference="P2"), "FUNDS_BAD_STATUS")
    assert "已拨付" in err.message_zh


def test_bad_input_refused(lc):
    district = lc.lc_users["district_admin"]
    _refused(DomainError, lambda: _apply(lc, evidence_note="  "), "FUNDS_EVIDENCE_REQUIRED")
    _refused(DomainError, lambda: _apply(lc, evidence_note="负责人身份证 11010519491231002X"),
             "FUNDS_EVIDENCE_HAS_ID_NUMBER")
    _refused(DomainError, lambda: _apply(lc, files=[SimpleUploadedFile("a.exe", b"MZ")]), "FUNDS_FILE_TYPE")
    big = SimpleUploadedFile("big.pdf", b"0" * (services.MAX_FILE_BYTES + 1))
    _refused(DomainError, lambda: _apply(lc, files=[big]), "FUNDS_FILE_TOO_LARGE")
    subsidy = _apply(lc)
    _refused(DomainError, lambda: services.subsidy_review(actor=district, subsidy_id=subsidy.pk, approve=False,
                                                          reason=""), "FUNDS_REASON_REQUIRED")
    services.subsidy_review(actor=district, subsidy_id=subsidy.pk, approve=True)
    _refused(DomainError, lambda: services.subsidy_approve(actor=lc.lc_users["city_admin"], subsidy_id=subsidy.pk,
                                                           approve=False, reason=" "), "FUNDS_REASON_REQUIRED")


def test_hangzhou_has_no_construction_subsidy(world):
    _refused(DomainError, lambda: services.subsidy_apply(actor=world.users["district_admin"],
                                                         canteen_id=world.canteen.pk, evidence_note="x"),
             "FUNDS_NO_SCHEME")


def test_closed_canteen_cannot_apply(lc):
    lc.upgrade.status = "closed"
    lc.upgrade.save()
    _refused(DomainError, lambda: _apply(lc, lc.upgrade), "FUNDS_CANTEEN_CLOSED")


def test_one_live_subsidy_per_canteen_is_a_database_constraint(lc):
    from django.db import IntegrityError, transaction

    first = _apply(lc)
    with pytest.raises(IntegrityError), transaction.atomic():
        ConstructionSubsidy.objects.create(
            canteen=lc.new_build, canteen_type=first.canteen_type, city_fen=1, district_fen=1, policy_id="x",
            policy_version="x", policy_ref="x", applied_by=first.applied_by, applied_at=first.applied_at)
