import random
import signal
import time

from django.core.management.base import BaseCommand

from zhucan.core import clock
from zhucan.demo.lunch import _demo_canteens, lunch_tick


class Command(BaseCommand):
    help = "Simulated lunch for the demo: meals through the real checkout at several canteens every few seconds."

    def add_arguments(self, parser):
        parser.add_argument("--every", type=float, default=5.0, help="seconds between beats")
        parser.add_argument("--canteens", type=int, default=4, help="canteens served per beat")
        parser.add_argument("--once", action="store_true", help="one beat, then stop")

    def handle(self, *args, every, canteens, once, **options):
        stop = {"now": False}
        signal.signal(signal.SIGTERM, lambda *_a: stop.update(now=True))
        rng = random.Random()
        places = _demo_canteens()
        if not places:
            self.stderr.write("没有可供餐的演示助餐点（请先运行 zhucan seed_demo）")
            return
        self.stdout.write(f"模拟午餐：{len(places)} 家助餐点，每 {every:g} 秒一批"
                          f"（演示时钟 {clock.local_now():%H:%M}）")
        try:
            while not stop["now"]:
                made = lunch_tick(rng=rng, canteens=canteens, places=places)
                if made:
                    self.stdout.write(f"{clock.local_now():%H:%M:%S} 新增就餐 {made} 笔")
                if once:
                    break
                time.sleep(every)
        except KeyboardInterrupt:
            pass
