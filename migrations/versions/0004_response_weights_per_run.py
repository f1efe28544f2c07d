"""response weights per run

A recompute appends each response's weight to ``response_weight`` instead of
rewriting the ``response`` rows (a million row versions and five indexes per
run on PostgreSQL). The current weights are not carried over: the next
recompute of each wave stores them again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 11:01:03.440385
"""
from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('response_weight',
    sa.Column('weight_run_id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.CheckConstraint('weight > 0', name=op.f('ck_response_weight_weight_positive')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_response_weight_response_id_response'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['weight_run_id'], ['weight_run.id'], name=op.f('fk_response_weight_weight_run_id_weight_run'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('weight_run_id', 'response_id', name=op.f('pk_response_weight'))
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_response_weight_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_response_weight_has_run'), type_='check')
        batch_op.drop_index(batch_op.f('ix_response_weight_run_id'))
        batch_op.drop_constraint(batch_op.f('fk_response_weight_run_id_weight_run'), type_='foreignkey')
        batch_op.drop_column('weight')
        batch_op.drop_column('weight_run_id')



def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.add_column(sa.Column('weight_run_id', sa.INTEGER(), nullable=True))
        batch_op.add_column(sa.Column('weight', sa.FLOAT(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_response_weight_run_id_weight_run'), 'weight_run', ['weight_run_id'], ['id'], ondelete='SET NULL')
        batch_op.create_index(batch_op.f('ix_response_weight_run_id'), ['weight_run_id'], unique=False)
        batch_op.create_check_constraint(batch_op.f('ck_response_weight_positive'), 'weight IS NULL OR weight > 0')
        batch_op.create_check_constraint(batch_op.f('ck_response_weight_has_run'), '(weight IS NULL) = (weight_run_id IS NULL)')

    op.drop_table('response_weight')
