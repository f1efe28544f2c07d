"""wave pause

A wave can be paused by an administrator (``wave.status = 'paused'``): it takes no
responses until it is resumed, and the scheduler does not reopen it.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 11:15:00.000000
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_wave_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_wave_status'), "status IN ('planned', 'open', 'paused', 'closed')")


def downgrade():
    # The older schema has no pause: a paused wave becomes closed, the one status there that
    # keeps it from taking responses (open or planned would let the scheduler reopen it).
    op.execute("UPDATE wave SET status = 'closed' WHERE status = 'paused'")
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_wave_status'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_wave_status'), "status IN ('planned', 'open', 'closed')")
