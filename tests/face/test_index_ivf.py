"""The IVF path through index.py and the services, with the size threshold lowered: enrolment and
withdrawal update the index and its log, a reload reads the files without retraining, a stale or
broken file is rebuilt from the database, and face_identify answers as with exact search."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import make_elder
from zhucan.face import index, index_store, partitions, services
from zhucan.face.models import FaceConsent, FaceEnrolment

IDENTIFY = "identify_1_n"
N_OTHERS = 30


@pytest.fixture
def world(world_in_savepoint):
    """The world, built once for this module; each test's writes roll back."""
    return world_in_savepoint


@pytest.fixture(autouse=True)
def _ivf_from_20_rows(settings):
    settings.ZHUCAN_FACE_IVF_MIN_SIZE = 20
    settings.ZHUCAN_FACE_IVF_NLIST = 4
    settings.ZHUCAN_FACE_IVF_NPROBE = 2


def add_others(world, vectors, n, *, seed=1, bump=True):
    """n elders with a 1:N consent and an embedding ≈ 1.0 away from the real faces."""
    rng = np.random.default_rng(seed)
    base = np.stack([vectors["astronaut"], vectors["grace_hopper"]])
    staff = world.users["subdistrict_staff"]
    out = []
    for i in range(n):
        elder = make_elder(world.xihu_c1, name=f"合成{seed}-{i}")
        v = base[i % 2] + rng.normal(0, 0.09, 128).astype(np.float32)
        v *= np.linalg.norm(base[i % 2]) / np.linalg.norm(v)
        FaceConsent.objects.create(elder=elder, scope=IDENTIFY, text_version="t", granted_by=staff,
                                   granted_at=elder.created_at)
        FaceEnrolment.objects.create(elder=elder, embedding_encrypted=index.seal_embedding(v), model_name="m",
                                     model_version="v", source="staff_upload", enrolled_at=elder.created_at)
        out.append((elder, v))
    if bump:
        index.bump(world.xihu.pk)
    return out


def enrol_elder(world, photos, commit):
    staff = world.users["subdistrict_staff"]
    with commit(execute=True):
        services.face_consent_record(actor=staff, elder_id=world.elder.pk, scope=IDENTIFY, text_version="v1")
        services.face_enrol(actor=staff, elder_id=world.elder.pk, image_bytes=photos["astronaut"],
                            source="staff_upload")
    services.face_canteen_setting_set(actor=world.users["district_admin"], canteen_id=world.canteen.pk,
                                      identify_enabled=True)


def current(world) -> int:
    return index.generations([world.xihu.pk])[world.xihu.pk]


def cached(world):
    return index._cache[world.xihu.pk]


def identify(world, photos, name="astronaut_flip"):
    return services.face_identify(canteen=world.canteen, image_bytes=photos[name])


def code_of(call) -> str:
    from zhucan.core.errors import DomainError

    with pytest.raises(DomainError) as exc:
        call()
    return exc.value.code


def test_a_large_district_is_searched_by_ivf_with_the_same_answers_as_exact(world, vectors):
    others = add_others(world, vectors, N_OTHERS)
    part = index.partition(world.xihu.pk, current(world))
    assert part.kind == "ivf" and len(part) == N_OTHERS and part.nlist == 4 and part.index.nprobe == 2
    exact = partitions.ExactPartition.of(world.xihu.pk, 0, [e.pk for e, _ in others], [v for _, v in others])
    rng = np.random.default_rng(7)
    for elder, v in others[::3]:
        q = (v + rng.normal(0, 0.005, 128)).astype(np.float32)
        got, want = index.search([world.xihu.pk], q, k=2), exact.search(q, 2)
        assert got[0][0] == want[0][0] == elder.pk
        assert got[0][1] == pytest.approx(want[0][1], abs=1e-3)


def test_enrolment_and_withdrawal_update_the_ivf_index_through_its_log(world, photos, vectors,
                                                                     django_capture_on_commit_callbacks):
    add_others(world, vectors, N_OTHERS)
    index.partition(world.xihu.pk, current(world))  # built and persisted: IVF of 30
    snapshot_generation = index_store.read_snapshot(world.xihu.pk).generation

    enrol_elder(world, photos, django_capture_on_commit_callbacks)
    assert cached(world).kind == "ivf" and cached(world).generation == current(world)
    assert world.elder.pk in cached(world).elder_ids
    match = identify(world, photos)
    assert match.elder == world.elder and match.runner_up_distance > match.distance + 0.08
    # Applied in memory and logged; the snapshot was not rewritten for one change.
    assert index_store.read_snapshot(world.xihu.pk).generation == snapshot_generation
    assert index_store.load(world.xihu.pk).generation == current(world)

    with django_capture_on_commit_callbacks(execute=True):
        services.face_consent_withdraw(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk,
                                       scope=IDENTIFY)
    assert cached(world).generation == current(world) and world.elder.pk not in cached(world).elder_ids
    assert code_of(lambda: identify(world, photos)) == "FACE_NO_MATCH"
    index.clear_cache()
    reloaded = index.partition(world.xihu.pk, current(world))
    assert reloaded.kind == "ivf" and world.elder.pk not in reloaded.elder_ids and len(reloaded) == N_OTHERS


def test_a_reload_reads_the_files_without_retraining(world, photos, vectors,
                                                     django_capture_on_commit_callbacks):
    add_others(world, vectors, N_OTHERS)
    enrol_elder(world, photos, django_capture_on_commit_callbacks)
    before = identify(world, photos)
    index.clear_cache()
    snapshot = index_store.snapshot_path(world.xihu.pk).stat()
    # The database can no longer give the others' embeddings: a rebuild (and its training) would
    # fail; only the persisted index still holds them.
    FaceEnrolment.objects.exclude(elder=world.elder).update(embedding_encrypted="unreadable")
    after = identify(world, photos)
    assert (after.elder, after.distance, after.runner_up_distance) == (
        before.elder, pytest.approx(before.distance, abs=1e-6), pytest.approx(before.runner_up_distance, abs=1e-6))
    assert cached(world).kind == "ivf" and cached(world).generation == current(world)
    reread = index_store.snapshot_path(world.xihu.pk).stat()
    assert (reread.st_ino, reread.st_mtime_ns) == (snapshot.st_ino, snapshot.st_mtime_ns)  # not rewritten


def test_another_process_change_is_caught_up_from_the_log(world, photos, vectors,
                                                          django_capture_on_commit_callbacks):
    add_others(world, vectors, N_OTHERS)
    index.partition(world.xihu.pk, current(world))
    enrol_elder(world, photos, django_capture_on_commit_callbacks)
    ours = cached(world)
    # Another process takes one of the synthetic elders out: its number and its log entry, not our cache.
    leaving = FaceEnrolment.objects.exclude(elder=world.elder).first().elder_id
    generation = index.bump(world.xihu.pk)
    index_store.append_change(world.xihu.pk, generation, leaving, None)
    # Without the snapshot file a reload would have to rebuild from the database (and write a new one).
    index_store.snapshot_path(world.xihu.pk).unlink()
    assert identify(world, photos).elder == world.elder
    assert cached(world) is ours and ours.generation == generation and leaving not in ours.elder_ids
    assert not index_store.snapshot_path(world.xihu.pk).exists()


def test_a_number_the_files_do_not_reach_is_rebuilt_from_the_database(world, photos, vectors,
                                                                       django_capture_on_commit_callbacks):
    add_others(world, vectors, N_OTHERS)
    index.partition(world.xihu.pk, current(world))
    index.clear_cache()
    # Another process enrolled the elder but its log entry never arrived (crash after commit).
    staff = world.users["subdistrict_staff"]
    services.face_consent_record(actor=staff, elder_id=world.elder.pk, scope=IDENTIFY, text_version="v1")
    services.face_enrol(actor=staff, elder_id=world.elder.pk, image_bytes=photos["astronaut"],
                        source="staff_upload")  # on_commit callbacks are not run: nothing logged
    services.face_canteen_setting_set(actor=world.users["district_admin"], canteen_id=world.canteen.pk,
                                      identify_enabled=True)
    assert index_store.load(world.xihu.pk).generation < current(world)
    assert identify(world, photos).elder == world.elder
    part = index_store.read_snapshot(world.xihu.pk)
    assert part.kind == "ivf" and part.generation == current(world) and world.elder.pk in part.elder_ids


def test_a_broken_ivf_snapshot_is_rebuilt(world, photos, vectors, django_capture_on_commit_callbacks):
    add_others(world, vectors, N_OTHERS)
    enrol_elder(world, photos, django_capture_on_commit_callbacks)
    identify(world, photos)
    index.clear_cache()
    path = index_store.snapshot_path(world.xihu.pk)
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[:-1]) + "\n")  # truncated
    assert identify(world, photos).elder == world.elder
    assert index_store.read_snapshot(world.xihu.pk).generation == current(world)


def test_crossing_the_threshold_turns_the_partition_into_ivf(world, photos, vectors, settings,
                                                             django_capture_on_commit_callbacks):
    add_others(world, vectors, 19)
    assert index.partition(world.xihu.pk, current(world)).kind == "exact"
    enrol_elder(world, photos, django_capture_on_commit_callbacks)  # the 20th row
    assert cached(world).kind == "ivf" and len(cached(world)) == 20
    assert index_store.read_snapshot(world.xihu.pk).kind == "ivf"  # a new kind: snapshot rewritten
    assert identify(world, photos).elder == world.elder


def test_a_long_log_is_folded_into_the_snapshot(world, photos, vectors, settings,
                                                django_capture_on_commit_callbacks):
    others = add_others(world, vectors, N_OTHERS)
    index.partition(world.xihu.pk, current(world))
    enrol_elder(world, photos, django_capture_on_commit_callbacks)  # a put: logged only
    one_entry = index_store.log_path(world.xihu.pk).stat().st_size
    assert index_store.read_snapshot(world.xihu.pk).generation == current(world) - 1
    settings.ZHUCAN_FACE_INDEX_LOG_MAX_BYTES = one_entry  # the next entry makes it too long
    newcomer = make_elder(world.xihu_c1, name="新来的")
    staff = world.users["subdistrict_staff"]
    with django_capture_on_commit_callbacks(execute=True):
        services.face_consent_record(actor=staff, elder_id=newcomer.pk, scope=IDENTIFY, text_version="v1")
        services.face_enrol(actor=staff, elder_id=newcomer.pk, image_bytes=photos["grace_hopper"],
                            source="staff_upload")
    snapshot = index_store.read_snapshot(world.xihu.pk)
    assert snapshot.generation == current(world) and index_store.log_path(world.xihu.pk).read_text() == ""
    assert {world.elder.pk, newcomer.pk, others[0][0].pk} <= set(snapshot.elder_ids.tolist())


@pytest.mark.parametrize("cached_here", [True, False])
def test_a_withdrawn_face_leaves_the_files_at_once(world, photos, vectors, cached_here,
                                                    django_capture_on_commit_callbacks):
    add_others(world, vectors, N_OTHERS)
    index.partition(world.xihu.pk, current(world))
    enrol_elder(world, photos, django_capture_on_commit_callbacks)
    log_with_face = index_store.log_path(world.xihu.pk).read_text()
    assert index_store.load(world.xihu.pk).generation == current(world)
    if not cached_here:
        index.clear_cache()  # e.g. the console process that records the withdrawal never searched
    with django_capture_on_commit_callbacks(execute=True):
        services.face_consent_withdraw(actor=world.users["subdistrict_staff"], elder_id=world.elder.pk,
                                       scope=IDENTIFY)
    snapshot = index_store.read_snapshot(world.xihu.pk)
    assert snapshot.generation == current(world) and world.elder.pk not in snapshot.elder_ids
    remaining = index_store.log_path(world.xihu.pk).read_text()
    assert remaining == "" and log_with_face.split(" ", 1)[1][:40] not in remaining
    assert len(snapshot) == N_OTHERS
