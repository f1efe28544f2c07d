"""hourly times

A citizen's times are kept to the hour (issue #17, docs/privacy.md "Time fields"):
``response.duration_seconds`` (new) keeps the completion time, rounded to 10 s and capped at
2 h, filled here from the exact times (NULL for fieldwork interviews and unfinished
responses); then ``response.started_at`` and ``submitted_at``, ``invitation_token.used_at``
and ``comment.created_at`` are floored to the hour, in UTC. An invitation's use is never put
before the invitation was made (``used_at >= created_at``): it becomes ``created_at`` then.
Flooring keeps ``submitted_at >= started_at``.

Going back drops the durations; the seconds thrown away do not come back.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-03 01:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None

STEP = 10
CAP = 2 * 3600


def _hour(column):
    """SQL for ``column`` floored to the hour (UTC) on this database."""
    if op.get_bind().dialect.name == 'postgresql':
        return f"(date_trunc('hour', {column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
    # SQLAlchemy keeps SQLite datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC).
    return f"(substr({column}, 1, 13) || ':00:00.000000')"


def _seconds():
    """SQL for the seconds from started_at to submitted_at."""
    if op.get_bind().dialect.name == 'postgresql':
        return 'EXTRACT(EPOCH FROM (submitted_at - started_at))'
    # julianday() keeps milliseconds; rounding to them takes the floating-point noise away.
    return 'ROUND((julianday(submitted_at) - julianday(started_at)) * 86400.0, 3)'


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('duration_seconds', sa.Integer(), nullable=True))

    seconds = _seconds()
    # Halves up to the step; CAST truncates on SQLite (the value is positive), rounds on
    # PostgreSQL, hence FLOOR there.
    steps = f"({seconds} + {STEP // 2}) / {STEP}"
    if op.get_bind().dialect.name == 'postgresql':
        steps = f"FLOOR({steps})"
    op.execute(
        "UPDATE response SET duration_seconds = "
        f"CASE WHEN {seconds} <= 0 THEN 0 "
        f"WHEN {seconds} >= {CAP} THEN {CAP} "
        f"ELSE CAST({steps} AS INTEGER) * {STEP} END "
        "WHERE submitted_at IS NOT NULL AND channel <> 'interview'"
    )
    op.execute(
        f"UPDATE response SET started_at = {_hour('started_at')}, "
        f"submitted_at = CASE WHEN submitted_at IS NULL THEN NULL "
        f"ELSE {_hour('submitted_at')} END"
    )
    op.execute(f"UPDATE comment SET created_at = {_hour('created_at')}")
    op.execute(
        "UPDATE invitation_token SET used_at = "
        f"CASE WHEN {_hour('used_at')} < created_at THEN created_at ELSE {_hour('used_at')} END "
        "WHERE used_at IS NOT NULL"
    )


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_column('duration_seconds')
