"""fieldwork replicate weights

``response_design.replicate_weights``: an imported interview's replicate base weights
(jackknife or bootstrap, as a fieldwork agency delivers them) with the wave's replicate scheme
(kind, scale, rscales), stored as the JSON of ``ReplicateWeights`` (format 1); NULL when the
agency delivered none.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-15 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('response_design', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replicate_weights', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('response_design', schema=None) as batch_op:
        batch_op.drop_column('replicate_weights')
