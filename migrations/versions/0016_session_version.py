"""user session version

``user_account.session_version``: part of the user id every session carries
("<id>.<version>"); raising it ends every session of the account (sign-out, password
change or reset, deactivation, role change). Existing sessions carry the bare id and end
with the upgrade: everybody signs in once more.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-20 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('session_version', sa.Integer(), server_default='0', nullable=False)
        )


def downgrade():
    with op.batch_alter_table('user_account', schema=None) as batch_op:
        batch_op.drop_column('session_version')
