"""invitation tokens

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 09:57:18.982748
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('invitation_token',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=True),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('expires_at IS NULL OR expires_at > created_at', name=op.f('ck_invitation_token_expires_after_creation')),
    sa.CheckConstraint('used_at IS NULL OR used_at >= created_at', name=op.f('ck_invitation_token_used_after_creation')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_invitation_token_area_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_invitation_token_wave_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitation_token')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_invitation_token_token_hash'))
    )
    with op.batch_alter_table('invitation_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitation_token_expires_at'), ['expires_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_invitation_token_wave_id'), ['wave_id'], unique=False)

    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requires_token', sa.Boolean(), server_default=sa.false(), nullable=False))



def downgrade():
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_column('requires_token')

    with op.batch_alter_table('invitation_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invitation_token_wave_id'))
        batch_op.drop_index(batch_op.f('ix_invitation_token_expires_at'))

    op.drop_table('invitation_token')
