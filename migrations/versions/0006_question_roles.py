"""question roles

``question.role`` declares what a question is for besides being asked: the
trust question (``trust``) and the overall-satisfaction question, the outcome of
the drivers (``overall_satisfaction``); the pipeline, the exports and the
dashboard find them by role instead of by code. At most one question of an
instrument has each role.

Instruments already stored get the roles their questions had by convention
until now (the questions coded ``trust_level`` and ``overall_satisfaction``),
written into the stored source document too, with its content hash
recomputed: the stored version then stays identical to its file as shipped
now, so that importing that file again is a no-op.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000
"""
import hashlib
import json

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The codes the code base used for these questions before roles were declared.
CONVENTIONAL_CODES = {'trust_level': 'trust', 'overall_satisfaction': 'overall_satisfaction'}
# The types that can take each role (surveyapp/imports/instrument.py, ROLE_TYPES).
ROLE_TYPES = {
    'trust': ('single', 'likert5', 'yes_no'),
    'overall_satisfaction': ('scale0_10', 'likert5', 'single'),
}

instrument = sa.table(
    'instrument',
    sa.column('id', sa.Integer),
    sa.column('source', sa.JSON),
    sa.column('content_hash', sa.String),
)
question = sa.table(
    'question',
    sa.column('id', sa.Integer),
    sa.column('instrument_id', sa.Integer),
    sa.column('code', sa.String),
    sa.column('type', sa.String),
    sa.column('in_csi', sa.Boolean),
    sa.column('role', sa.String),
)


def _content_hash(document):
    """SHA-256 of the canonical JSON (surveyapp/imports/instrument.py, content_hash)."""
    canonical = json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(',', ':'))
    return hashlib.sha256(canonical.encode('utf-8')).hexdigest()


def _rewrite_sources(connection, roles_of):
    """Set each stored source's question roles to ``roles_of(instrument id)`` (code -> role)
    and recompute its content hash."""
    for instrument_id, source in connection.execute(sa.select(instrument.c.id, instrument.c.source)).all():
        roles = roles_of(instrument_id)
        for section in source.get('sections', []):
            for entry in section.get('questions', []):
                entry.pop('role', None)
                if entry.get('code') in roles:
                    entry['role'] = roles[entry['code']]
        connection.execute(
            instrument.update()
            .where(instrument.c.id == instrument_id)
            .values(source=source, content_hash=_content_hash(source))
        )


def upgrade():
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.add_column(sa.Column('role', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_question_instrument_id_role'), ['instrument_id', 'role'])
        batch_op.create_check_constraint(batch_op.f('ck_question_role'), "role IS NULL OR role IN ('trust', 'overall_satisfaction')")

    connection = op.get_bind()
    rows = connection.execute(
        sa.select(question.c.id, question.c.instrument_id, question.c.code, question.c.type, question.c.in_csi)
        .where(question.c.code.in_(list(CONVENTIONAL_CODES)))
    ).all()
    given = {}
    for question_id, instrument_id, code, kind, in_csi in rows:
        role = CONVENTIONAL_CODES[code]
        if kind not in ROLE_TYPES[role] or (role == 'overall_satisfaction' and not in_csi):
            continue  # the question would not fit its role: the instrument keeps none
        connection.execute(question.update().where(question.c.id == question_id).values(role=role))
        given.setdefault(instrument_id, {})[code] = role
    _rewrite_sources(connection, lambda instrument_id: given.get(instrument_id, {}))


def downgrade():
    _rewrite_sources(op.get_bind(), lambda instrument_id: {})
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_question_role'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_question_instrument_id_role'), type_='unique')
        batch_op.drop_column('role')
