"""fieldwork interviews

Responses of a face-to-face or telephone survey imported from a fieldwork agency's file
(``flask surveyapp import-fieldwork``): the channel ``interview``, and ``response_design``,
the agency's stratum, primary sampling unit, base weight and finite-population correction of
each imported interview (online responses have none); ``pending_upload.kind`` ``interviews``
(an agency's file kept between its preview and its import).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-14 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

OLD_CHANNELS = "channel IN ('web', 'qr', 'token', 'paper', 'synthetic')"
NEW_CHANNELS = "channel IN ('web', 'qr', 'token', 'paper', 'synthetic', 'interview')"


OLD_KINDS = "kind IN ('areas', 'margins')"
NEW_KINDS = "kind IN ('areas', 'margins', 'interviews')"


def upgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_response_channel'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_response_channel'), NEW_CHANNELS)
    with op.batch_alter_table('pending_upload', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_pending_upload_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_pending_upload_kind'), NEW_KINDS)
    op.create_table('response_design',
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('stratum', sa.String(length=64), nullable=False),
    sa.Column('psu', sa.String(length=64), nullable=False),
    sa.Column('base_weight', sa.Float(), nullable=False),
    sa.Column('fpc', sa.Float(), nullable=True),
    sa.CheckConstraint('base_weight > 0', name=op.f('ck_response_design_base_weight_positive')),
    sa.CheckConstraint('fpc IS NULL OR fpc > 0', name=op.f('ck_response_design_fpc_positive')),
    sa.CheckConstraint('length(stratum) > 0 AND length(psu) > 0', name=op.f('ck_response_design_codes_present')),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_response_design_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', name=op.f('pk_response_design'))
    )


def downgrade():
    op.execute("DELETE FROM pending_upload WHERE kind = 'interviews'")
    with op.batch_alter_table('pending_upload', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_pending_upload_kind'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_pending_upload_kind'), OLD_KINDS)
    op.drop_table('response_design')
    op.execute("DELETE FROM response WHERE channel = 'interview'")
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_response_channel'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_response_channel'), OLD_CHANNELS)
