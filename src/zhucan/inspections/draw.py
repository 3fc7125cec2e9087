"""The draw of 双随机: which canteens are inspected and by whom, from a recorded seed.

Anyone can re-run it: Python's `random.Random(seed)` (Mersenne Twister), the canteen ids sorted
ascending, `sample` of k = ⌈n × proportion / 100⌉ of them; then, for each drawn canteen in ascending
id order, `sample` of the inspectors per inspection from the inspector user ids sorted ascending.
The same seed and the same lists give the same result on any machine and Python version ≥ 3.2."""

from __future__ import annotations

import math
import random
import secrets
from collections.abc import Iterable

METHOD_ZH = (
    "抽取方法：以记录的随机种子初始化 Python 标准库的随机数发生器 random.Random(种子)（梅森旋转算法）。"
    "先将参与抽取的助餐点编号按升序排列，用 sample 抽取 k 个（k = 助餐点总数 × 抽取比例，向上取整）；"
    "再按编号升序逐个对抽中的助餐点，从按编号升序排列的在册检查人员中用 sample 抽取每组所需人数。"
    "任何人使用相同的种子和名单重新计算，都会得到相同的结果。"
)

SNIPPET = """import math, random
rng = random.Random({seed})
canteens = {canteens}
inspectors = {inspectors}
k = max(1, math.ceil(len(canteens) * {proportion} / 100))
for c in sorted(rng.sample(canteens, k)):
    print(c, sorted(rng.sample(inspectors, {per})))"""


def new_seed() -> int:
    return secrets.randbelow(2**31)


def draw(*, canteen_ids: Iterable[int], inspector_ids: Iterable[int], proportion: int, per_inspection: int,
         seed: int) -> list[tuple[int, list[int]]]:
    """[(canteen id, [inspector user ids])] for the seed; inputs are sorted here, so the order the
    caller passes them in does not matter."""
    canteens, inspectors = sorted(set(canteen_ids)), sorted(set(inspector_ids))
    rng = random.Random(seed)
    k = max(1, math.ceil(len(canteens) * proportion / 100)) if canteens else 0
    return [(c, sorted(rng.sample(inspectors, per_inspection))) for c in sorted(rng.sample(canteens, k))]


def snippet(*, seed: int, canteen_ids, inspector_ids, proportion: int, per_inspection: int) -> str:
    return SNIPPET.format(seed=seed, canteens=sorted(canteen_ids), inspectors=sorted(inspector_ids),
                          proportion=proportion, per=per_inspection)
