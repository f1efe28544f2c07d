"""comment moderation reason

``comment.moderation_reason``: why a moderator approved or hid the comment (scrubbed of
personal data), given with a bulk moderation; NULL for every comment moderated before.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 11:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('moderation_reason', sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_column('moderation_reason')
