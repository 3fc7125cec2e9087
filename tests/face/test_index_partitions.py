"""The two partition kinds on their own (no database): IVF agrees with exact search on clear cases,
changes apply in place, kinds change at the thresholds, and the encrypted files round-trip."""

from __future__ import annotations

import numpy as np
import pytest

from zhucan.face import index, index_store, partitions
from zhucan.face.partitions import ExactPartition, IVFPartition


@pytest.fixture(autouse=True)
def _small_ivf(settings):
    settings.ZHUCAN_FACE_IVF_MIN_SIZE = 40
    settings.ZHUCAN_FACE_IVF_NLIST = 8
    settings.ZHUCAN_FACE_IVF_NPROBE = 2


def clustered(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n rows around 8 well-separated centres, ids 1000.."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.0, (8, 128)).astype(np.float32)
    rows = centres[np.arange(n) % 8] + rng.normal(0, 0.03, (n, 128)).astype(np.float32)
    return np.arange(1000, 1000 + n, dtype=np.int64), rows.astype(np.float32)


def near(row: np.ndarray, seed: int) -> np.ndarray:
    return (row + np.random.default_rng(seed).normal(0, 0.002, 128)).astype(np.float32)


def test_ivf_finds_what_exact_finds_on_clear_cases():
    ids, rows = clustered(400)
    exact = ExactPartition.of(1, 5, ids, rows)
    ivf = IVFPartition.train(1, 5, ids, rows)
    assert ivf.nlist == 8 and ivf.index.nprobe == 2 and len(ivf) == 400
    for i in range(0, 400, 37):
        q = near(rows[i], i)
        got, want = ivf.search(q, 2), exact.search(q, 2)
        assert got[0][0] == want[0][0] == ids[i] and got[1][0] == want[1][0]
        for (elder_id, dist), (_, exact_dist) in zip(got, want, strict=True):
            true = float(np.linalg.norm(rows[ids == elder_id][0] - q))
            assert dist == pytest.approx(true, abs=1e-4)  # IVFFlat distances are exact
            assert exact_dist == pytest.approx(true, abs=1e-3)


def test_ivf_changes_apply_in_place_and_the_last_change_per_elder_wins():
    ids, rows = clustered(200)
    ivf = IVFPartition.train(1, 5, ids, rows)
    moved = near(rows[3], 99)  # elder 1001 gets elder 1003's face; 1002 leaves; 5000 arrives
    same = ivf.apply([(1001, rows[0]), (1002, None), (1001, moved), (5000, rows[7] + 0.5)], 6)
    assert same is ivf and ivf.generation == 6 and len(ivf) == 200
    found = set(ivf.elder_ids.tolist())
    assert 1002 not in found and {1001, 5000} <= found
    top = ivf.search(rows[3], 2)
    assert {top[0][0], top[1][0]} == {1001, 1003}
    assert all(e != 1002 for e, _ in ivf.search(rows[2], 2))
    got_ids, got_rows = ivf.contents()
    np.testing.assert_array_equal(got_rows[got_ids == 1001][0], moved)


def test_exact_changes_make_a_copy():
    ids, rows = clustered(10)
    exact = ExactPartition.of(1, 1, ids, rows)
    after = exact.apply([(1000, None), (7, rows[0])], 2)
    assert after is not exact and len(exact) == 10 and exact.generation == 1
    assert after.generation == 2 and 1000 not in after.elder_ids
    assert after.search(rows[0], 1)[0] == (7, pytest.approx(0.0, abs=1e-2))


def reshaped(part):
    if not partitions.needs_reshape(part):
        return None
    return partitions.build(part.district_id, part.generation, *part.contents())


def test_kind_follows_size_with_a_gap_and_ivf_retrains_when_it_has_grown(settings):
    ids, rows = clustered(200)
    assert isinstance(partitions.build(1, 1, ids[:39], rows[:39]), ExactPartition)
    assert not partitions.needs_reshape(ExactPartition.of(1, 1, ids[:39], rows[:39]))
    ivf = reshaped(ExactPartition.of(1, 1, ids[:40], rows[:40]))
    assert isinstance(ivf, IVFPartition) and ivf.trained_on == 40 and ivf.generation == 1
    assert not partitions.needs_reshape(ivf.apply([(int(i), None) for i in ids[:15]], 2))  # 25: above half
    small = reshaped(ivf.apply([(int(i), None) for i in ids[15:21]], 3))  # 19 < 20
    assert isinstance(small, ExactPartition) and len(small) == 19 and small.generation == 3

    big = IVFPartition.train(1, 1, ids[:50], rows[:50])
    big.apply(list(zip(ids[50:199].tolist(), rows[50:199], strict=True)), 2)  # 199 < 4 × 50
    assert not partitions.needs_reshape(big)
    big.apply([(int(ids[199]), rows[199])], 3)
    retrained = reshaped(big)
    assert isinstance(retrained, IVFPartition) and retrained.trained_on == 200 and len(retrained) == 200


def test_lists_follow_the_factor_and_never_outnumber_the_sample(settings):
    settings.ZHUCAN_FACE_IVF_NLIST = 0
    settings.ZHUCAN_FACE_IVF_NLIST_FACTOR = 4
    assert partitions.nlist_for(2_000_000) == 5657
    assert partitions.nlist_for(100_000) == 1265
    assert partitions.nlist_for(400) == 10  # 4·√400 = 80 lists would need 3,120 rows to train
    assert partitions.nlist_for(10) == 1


@pytest.mark.parametrize("kind", ["exact", "ivf"])
def test_snapshot_round_trips_encrypted_and_refuses_tampering(settings, tmp_path, kind):
    settings.ZHUCAN_FACE_INDEX_DIR = tmp_path
    ids, rows = clustered(120)
    part = (IVFPartition.train if kind == "ivf" else ExactPartition.of)(7, 3, ids, rows)
    index_store.write_snapshot(part)
    path = index_store.snapshot_path(7)
    assert all(line.startswith("v1:") for line in path.read_text().splitlines())
    back = index_store.read_snapshot(7)
    assert back.kind == kind and back.generation == 3 and back.district_id == 7
    assert sorted(back.elder_ids.tolist()) == ids.tolist()
    assert back.search(rows[5], 2) == part.search(rows[5], 2)

    older = (IVFPartition.train if kind == "ivf" else ExactPartition.of)(7, 2, ids[:60], rows[:60])
    assert index_store.write_snapshot(older) is False  # a slower writer of an older state
    assert index_store.read_snapshot(7).generation == 3

    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0], *lines[2:]]) + "\n")  # a chunk dropped
    assert index_store.read_snapshot(7) is None
    path.write_text("\n".join(lines) + "\n")
    path.rename(index_store.snapshot_path(8))  # another district's file
    assert index_store.read_snapshot(8) is None


def test_log_replays_in_generation_order_and_stops_at_a_gap(settings, tmp_path):
    settings.ZHUCAN_FACE_INDEX_DIR = tmp_path
    ids, rows = clustered(50)
    index_store.write_snapshot(IVFPartition.train(7, 10, ids, rows))
    index_store.append_change(7, 12, 1001, None)  # written before 11 by another process
    index_store.append_change(7, 11, 6000, rows[0])
    index_store.append_change(7, 14, 1002, None)  # 13 never logged
    assert "6000" not in index_store.log_path(7).read_text()  # entries are encrypted too
    part = index_store.load(7)
    assert part.generation == 12 and len(part) == 50
    assert 6000 in part.elder_ids and 1001 not in part.elder_ids and 1002 in part.elder_ids
    assert index_store.load(7, upto=11).generation == 11

    index_store.write_snapshot(part)  # compaction keeps only what is newer than the snapshot
    assert [line.split()[0] for line in index_store.log_path(7).read_text().splitlines()] == ["14"]

    lines = index_store.log_path(7).read_text().splitlines()
    index_store.log_path(7).write_text(lines[0].replace("14 ", "13 ", 1) + "\n")  # relabelled entry
    assert index_store.load(7).generation == 12


def test_a_rebuild_of_another_kind_catches_up_with_changes_made_meanwhile(settings, tmp_path):
    settings.ZHUCAN_FACE_INDEX_DIR = tmp_path
    ids, rows = clustered(60)
    # The cache moved on to 5 (elder 1000 left) while the IVF of generation 4 was being trained.
    index._cache[7] = ExactPartition.of(7, 5, ids[1:], rows[1:])
    index_store.append_change(7, 5, 1000, None)
    index._reshape(7, 4, ids, rows)
    swapped = index._cache[7]
    assert swapped.kind == "ivf" and swapped.generation == 5 and 1000 not in swapped.elder_ids
    assert index_store.read_snapshot(7).generation == 5

    # A gap in the log (6 is missing): the new one cannot reach 7, so the cached one stays.
    index._cache[7] = kept = ExactPartition.of(7, 7, ids[2:], rows[2:])
    index_store.append_change(7, 7, 1001, None)
    index._reshape(7, 5, ids[1:], rows[1:])
    assert index._cache[7] is kept
