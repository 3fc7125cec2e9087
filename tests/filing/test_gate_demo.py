"""The demo seed designates its canteens through the real filing workflow: every open canteen
designated from before the June 2025 demo meals (which keep their benefits), one canteen of 西湖区
submitted and waiting in the district's queue (its meals at full price); seeding again changes
nothing."""

from __future__ import annotations

from datetime import date

from django.db.models import Sum

from zhucan.canteens.models import Canteen, DesignatedSpan
from zhucan.checkout.models import Meal
from zhucan.core.models import AuditLog
from zhucan.filing.models import Designation, Evidence, Filing, FilingStatus, Review, Stage


def test_the_demo_canteens_are_designated_through_the_workflow(db):
    from zhucan.demo.seed import seed_all

    # Without the recent days' meals (three quarters of the seed's time, twice over): what is checked
    # here is the designations and the June 2025 meals, which they do not touch.
    result = seed_all(elders=40, meals_per_canteen=8, recent_per_day=0)
    open_canteens = Canteen.objects.filter(status="open")
    stages = dict(Designation.objects.filter(canteen__in=open_canteens).values_list("canteen__name", "stage"))
    assert len(stages) == open_canteens.count()
    waiting = [name for name, stage in stages.items() if stage == Stage.SUBMITTED]
    assert waiting == ["文新街道社区食堂"]
    under_review = Canteen.objects.get(name=waiting[0])
    assert under_review.region.ancestor("district").name == "西湖区"
    assert all(stage == Stage.DESIGNATED for name, stage in stages.items() if name != waiting[0])
    assert result["designations"] == {Stage.DESIGNATED: open_canteens.count() - 1, Stage.SUBMITTED: 1}

    # Through the real services: a reviewed round, evidence files, a filing number, an audited trail.
    beishan = Designation.objects.get(canteen__name="北山街道颐乐食堂")
    assert beishan.filing_number.startswith("西湖〔2025〕第") and beishan.designated_on == date(2025, 5, 1)
    assert beishan.recheck_due == date(2027, 5, 1)
    approved = Filing.objects.get(canteen=beishan.canteen)
    assert approved.status == FilingStatus.APPROVED
    assert approved.items.filter(review=Review.PASSED).count() == approved.items.count()
    assert approved.items.get(requirement="F1").evidence.get().content_type == "application/pdf"
    assert Evidence.objects.filter(content_type="image/png").exists()
    for action in ("filing.select", "filing.agreement", "filing.submit", "filing.review", "filing.designate"):
        assert AuditLog.objects.filter(action=action).exists(), action
    pending = Filing.objects.get(canteen=under_review)
    assert pending.status == FilingStatus.SUBMITTED and not DesignatedSpan.objects.filter(canteen=under_review)

    # June 2025: designated canteens' elder meals keep their benefits; the waiting canteen's are at full price.
    june = Meal.objects.filter(local_date__gte=date(2025, 6, 1), local_date__lte=date(2025, 6, 30), kind="sale",
                               elder__isnull=False)
    assert june.exclude(canteen=under_review).aggregate(b=Sum("benefit_fen"))["b"] > 0
    assert june.filter(canteen=under_review).exists()
    assert june.filter(canteen=under_review).aggregate(b=Sum("benefit_fen"))["b"] == 0

    counts = (Designation.objects.count(), Filing.objects.count(), Evidence.objects.count(),
              DesignatedSpan.objects.count(), AuditLog.objects.filter(action__startswith="filing.").count())
    again = seed_all(elders=40, meals_per_canteen=8, recent_per_day=0)
    assert again["designations"] == result["designations"]
    assert counts == (Designation.objects.count(), Filing.objects.count(), Evidence.objects.count(),
                      DesignatedSpan.objects.count(), AuditLog.objects.filter(action__startswith="filing.").count())
