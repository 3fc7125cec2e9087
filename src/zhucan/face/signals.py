"""Whatever deletes an enrolment (withdrawal, re-enrolment, the elder's deletion by cascade) also
moves the district's index number forward in the same transaction and, after commit, takes the
elder out of the cached index and its file."""

from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_delete, pre_delete
from django.dispatch import receiver

from zhucan.face.models import FaceEnrolment


def district_id_of_path(path: str) -> int | None:
    from zhucan.regions.models import Level, Region

    parts = [p for p in path.split("/") if p]
    for depth in range(len(parts), 0, -1):
        prefix = "/".join(parts[:depth]) + "/"
        row = Region.objects.filter(path=prefix).values_list("pk", "level").first()
        if row and row[1] == Level.DISTRICT:
            return row[0]
    return None


def district_id_of_elder(elder_id: int) -> int | None:
    from zhucan.elders.models import Elder

    path = Elder.objects.filter(pk=elder_id).values_list("community__path", flat=True).first()
    return district_id_of_path(path) if path else None


@receiver(pre_delete, sender=FaceEnrolment)
def _remember_district(sender, instance: FaceEnrolment, **kwargs) -> None:
    instance._face_district_id = district_id_of_elder(instance.elder_id)


@receiver(post_delete, sender=FaceEnrolment)
def _out_of_index(sender, instance: FaceEnrolment, **kwargs) -> None:
    from zhucan.face import index

    district_id = getattr(instance, "_face_district_id", None)
    if district_id is None:
        return
    generation = index.bump(district_id)
    elder_id = instance.elder_id
    transaction.on_commit(lambda: index.apply_change(district_id, generation, elder_id=elder_id, vector=None))
