"""area urban share

``area.urban_share``: the share (0-1) of an area's adults living in a city,
known from outside the survey (the census), an auxiliary variable of the
small-area model; NULL when unknown, which every area stored before is.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 07:25:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.add_column(sa.Column('urban_share', sa.Float(), nullable=True))
        batch_op.create_check_constraint(batch_op.f('ck_area_urban_share_range'), 'urban_share IS NULL OR (urban_share >= 0 AND urban_share <= 1)')


def downgrade():
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_area_urban_share_range'), type_='check')
        batch_op.drop_column('urban_share')
