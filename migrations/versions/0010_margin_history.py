"""margin history and pending uploads

The margin sets become the margins' edit history: ``margin_set.version`` numbers
them (1, 2, ... in import order; the sets stored before are numbered by id),
``imported_by_id`` is the account that imported a set (NULL from the command line),
``supersedes_id`` the set that was current when it was imported, ``note`` the
importer's remark. ``pending_upload`` keeps an uploaded tree or margins file
between its preview and its import.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 11:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('margin_set', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('imported_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('supersedes_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('note', sa.String(length=500), nullable=True))
    # The sets stored so far: numbered in import order, each superseding the one before.
    op.execute(
        'UPDATE margin_set SET version = '
        '(SELECT count(*) FROM margin_set AS earlier WHERE earlier.id <= margin_set.id)'
    )
    op.execute(
        'UPDATE margin_set SET supersedes_id = '
        '(SELECT max(earlier.id) FROM margin_set AS earlier WHERE earlier.id < margin_set.id)'
    )
    with op.batch_alter_table('margin_set', schema=None) as batch_op:
        batch_op.alter_column('version', existing_type=sa.Integer(), nullable=False)
        batch_op.create_unique_constraint(batch_op.f('uq_margin_set_version'), ['version'])
        batch_op.create_check_constraint(batch_op.f('ck_margin_set_version_positive'), 'version >= 1')
        batch_op.create_foreign_key(batch_op.f('fk_margin_set_imported_by_id_user_account'), 'user_account', ['imported_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_margin_set_supersedes_id_margin_set'), 'margin_set', ['supersedes_id'], ['id'], ondelete='SET NULL')

    op.create_table('pending_upload',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('options', sa.JSON(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('areas', 'margins')", name=op.f('ck_pending_upload_kind')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['user_account.id'], name=op.f('fk_pending_upload_uploaded_by_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pending_upload'))
    )
    with op.batch_alter_table('pending_upload', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pending_upload_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_pending_upload_uploaded_by_id'), ['uploaded_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('pending_upload', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pending_upload_uploaded_by_id'))
        batch_op.drop_index(batch_op.f('ix_pending_upload_created_at'))
    op.drop_table('pending_upload')

    with op.batch_alter_table('margin_set', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_margin_set_supersedes_id_margin_set'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_margin_set_imported_by_id_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('ck_margin_set_version_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_margin_set_version'), type_='unique')
        batch_op.drop_column('note')
        batch_op.drop_column('supersedes_id')
        batch_op.drop_column('imported_by_id')
        batch_op.drop_column('version')
