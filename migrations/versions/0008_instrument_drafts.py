"""instrument drafts

An instrument version may now be a ``draft`` (uploaded in the administration, not yet
published): ``instrument.status`` admits 'draft', ``published_at`` is NULL until the
version is published (required otherwise), and each version records when it was stored
(``created_at``: for the versions stored before, their publication time) and by whom
(``created_by_id``, NULL for the command line). Going down deletes the drafts: a version
that was never published was never fielded.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 09:00:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.add_column(sa.Column('created_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('created_by_id', sa.Integer(), nullable=True))
    op.execute("UPDATE instrument SET created_at = published_at")
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.alter_column('created_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('published_at', existing_type=sa.DateTime(timezone=True), nullable=True)
        batch_op.create_foreign_key(
            batch_op.f('fk_instrument_created_by_id_user_account'),
            'user_account', ['created_by_id'], ['id'], ondelete='SET NULL',
        )
        batch_op.drop_constraint(batch_op.f('ck_instrument_status'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_instrument_status'), "status IN ('draft', 'published', 'retired')"
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_instrument_published_has_date'),
            "status = 'draft' OR published_at IS NOT NULL",
        )


def downgrade():
    # Drafts were never fielded (no wave may refer to one): they go.
    drafts = "SELECT id FROM instrument WHERE status = 'draft'"
    op.execute(
        "DELETE FROM option WHERE question_id IN "
        f"(SELECT id FROM question WHERE instrument_id IN ({drafts}))"
    )
    op.execute(f"UPDATE question SET condition_question_id = NULL, condition_values = NULL WHERE instrument_id IN ({drafts})")
    op.execute(f"DELETE FROM question WHERE instrument_id IN ({drafts})")
    op.execute(f"DELETE FROM section WHERE instrument_id IN ({drafts})")
    op.execute(f"DELETE FROM instrument WHERE status = 'draft'")
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_instrument_published_has_date'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_instrument_status'), type_='check')
        batch_op.create_check_constraint(
            batch_op.f('ck_instrument_status'), "status IN ('published', 'retired')"
        )
        batch_op.drop_constraint(
            batch_op.f('fk_instrument_created_by_id_user_account'), type_='foreignkey'
        )
        batch_op.alter_column('published_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.drop_column('created_by_id')
        batch_op.drop_column('created_at')
