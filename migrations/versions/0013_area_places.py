"""area places

``area_place``: the localities (villages, towns, micro-districts) and streets a precinct
serves, in kk, ru and en, with a folded search key (case, ё, Kazakh letters and accents
ignored) so that a citizen can find their precinct by where they live. Filled from the
unit tree file's optional place columns; no area has any before.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-12 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('area_place',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('name_kk', sa.String(length=200), nullable=False),
    sa.Column('name_ru', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('search_key', sa.String(length=700), nullable=False),
    sa.CheckConstraint("kind IN ('locality', 'street')", name=op.f('ck_area_place_kind')),
    sa.CheckConstraint('length(name_kk) > 0 AND length(name_ru) > 0 AND length(name_en) > 0', name=op.f('ck_area_place_names_present')),
    sa.CheckConstraint('position >= 0', name=op.f('ck_area_place_position_nonnegative')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_area_place_area_id_area'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area_place')),
    sa.UniqueConstraint('area_id', 'kind', 'position', name=op.f('uq_area_place_area_id_kind_position'))
    )
    with op.batch_alter_table('area_place', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_place_area_id'), ['area_id'], unique=False)


def downgrade():
    with op.batch_alter_table('area_place', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_place_area_id'))

    op.drop_table('area_place')
