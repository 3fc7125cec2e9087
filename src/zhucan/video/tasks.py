"""Background tasks of the video app (run by `zhucan worker`, see zhucan.core.scheduler)."""

from __future__ import annotations

from django_tasks import task

from zhucan.video.health import probe_all
from zhucan.video.playback import playback_check_all


@task()
def video_probe_task() -> dict:
    """Every few minutes: probe every channel, keep transitions, raise dark-channel alerts."""
    return probe_all().as_dict()


@task()
def video_playback_task() -> dict:
    """Daily: the 7-day playback check of every canteen with a dining-area channel."""
    return playback_check_all()
