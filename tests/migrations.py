"""Moving the test database along the migration graph, for tests of data migrations on real rows.

Most of such a test's time is Django re-rendering historical models: with this project's web of
related models, every operation applied to a rendered state re-renders most of them. Two ways
around it here, neither changing what runs against the database:
- Going back, one migration at a time (`migrate`): asked to undo several at once, the executor first
  works out the state before each by replaying the rest of the graph on rendered models; given one,
  it replays the graph up to it unrendered, renders once and stops. The executor keeps the applied
  set it loaded, so each step sees the state the whole plan would have given that migration.
- Coming back to the latest migrations (`returning_to_latest`): on PostgreSQL, where DDL is
  transactional, by rolling back instead of applying again what the test undid.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.migrations.executor import MigrationExecutor

_in_rolled_back_transaction = False


def migrate(targets):
    """Migrate to `targets` (as `manage.py migrate <app> <name>` for each) and return the historical
    apps of that state."""
    executor = _move(targets)
    return executor.loader.project_state(targets).apps


def migrate_to_latest() -> None:
    """Apply every migration not applied, without rendering a state for the caller."""
    executor = _executor()
    _move(executor.loader.graph.leaf_nodes(), executor)


@contextmanager
def returning_to_latest():
    """Leave the database at the latest migrations however the body moved it along the graph.

    On PostgreSQL the body runs in one transaction that is rolled back. Each migration then runs in a
    savepoint of it instead of committing on its own, so the deferred foreign-key checks a commit
    would run are run before and after each migration (see `_at_migration_boundary`). SQLite's schema
    editor cannot run inside a transaction: there what the body undid is applied again."""
    global _in_rolled_back_transaction
    if connection.vendor != "postgresql":
        try:
            yield
        finally:
            migrate_to_latest()
    else:
        with transaction.atomic():
            _in_rolled_back_transaction = True
            try:
                yield
            finally:
                _in_rolled_back_transaction = False
                transaction.set_rollback(True)
    executor = MigrationExecutor(connection)
    assert executor.migration_plan(executor.loader.graph.leaf_nodes()) == [], "not back at the latest migrations"


def _at_migration_boundary(action, migration=None, fake=False):
    """Where a migration would start or commit: check the pending deferred constraints (Django's
    foreign keys are DEFERRABLE INITIALLY DEFERRED, none else is deferrable here), then defer them
    again. Without it a migration's ALTER TABLE would meet the previous one's pending checks."""
    if _in_rolled_back_transaction and action.startswith(("apply_", "unapply_")):
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cur.execute("SET CONSTRAINTS ALL DEFERRED")


def _executor() -> MigrationExecutor:
    return MigrationExecutor(connection, progress_callback=_at_migration_boundary)


def _move(targets, executor: MigrationExecutor | None = None) -> MigrationExecutor:
    executor = executor or _executor()
    plan = executor.migration_plan(targets)
    # Rendering historical models makes garbage in cycles, so the collector runs thousands of times;
    # set aside what the test run holds already, or each full collection walks all of it again.
    gc.freeze()
    try:
        if plan and all(backwards for _, backwards in plan):
            for step in plan:  # see the module docstring
                executor.migrate(targets, plan=[step])
        else:
            executor.migrate(targets, plan=plan)
    finally:
        gc.unfreeze()
    return executor


def row(sql, params=()):
    with connection.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()
