"""`zhucan worker`: the platform's one background process. It runs the queued tasks (django-tasks'
database worker) and, between runs, enqueues the periodic jobs that are due (zhucan.core.scheduler).
Stops cleanly on Ctrl-C / SIGTERM after the task it is running."""

from __future__ import annotations

import logging
import signal
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker

from zhucan.core import scheduler

logger = logging.getLogger("zhucan.worker")


class Command(BaseCommand):
    help = "Run background tasks and enqueue the periodic jobs when due (one process for the platform)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=5.0,
                            help="seconds to wait when there is nothing to do (default 5)")
        parser.add_argument("--once", action="store_true",
                            help="enqueue the due jobs, run every queued task, then exit")

    def handle(self, *args, interval: float, once: bool, **options) -> None:
        self.stopping = False
        self.worker: Worker | None = None
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        worker_id = get_random_string(32)
        while not self.stopping:
            close_old_connections()
            due = scheduler.tick()
            if due:
                logger.info("enqueued periodic jobs: %s", ", ".join(due))
            self.worker = Worker(queue_names=["*"], excluded_queue_names=[], interval=0, batch=True,
                                 backend_name="default", startup_delay=False, max_tasks=None, worker_id=worker_id)
            self.worker.run()
            self.worker = None
            if once:
                break
            waited = 0.0
            while waited < interval and not self.stopping:
                time.sleep(min(0.5, interval - waited))
                waited += 0.5
        close_old_connections()

    def _stop(self, signum, frame) -> None:
        self.stopping = True
        if self.worker is not None:
            self.worker.running = False  # finish the running task, take no other
