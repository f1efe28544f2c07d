"""job run progress

``job_run.progress``: what a running job has done so far (a recompute: the scope being
computed and the outcome of each scope done), committed as it goes so that the run's page
in the administration can show it; NULL for the runs stored before it and for jobs that
record none.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.add_column(sa.Column('progress', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('job_run', schema=None) as batch_op:
        batch_op.drop_column('progress')
