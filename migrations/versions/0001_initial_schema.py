"""initial schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 09:34:27.933025
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('area',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('name_kk', sa.String(length=200), nullable=False),
    sa.Column('name_ru', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('path', sa.String(length=400), nullable=False),
    sa.Column('depth', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.CheckConstraint("(kind = 'country') = (parent_id IS NULL)", name=op.f('ck_area_root_is_country')),
    sa.CheckConstraint("kind IN ('country', 'region', 'department', 'district', 'precinct')", name=op.f('ck_area_kind')),
    sa.CheckConstraint('depth >= 0', name=op.f('ck_area_depth_nonnegative')),
    sa.CheckConstraint('length(name_kk) > 0 AND length(name_ru) > 0 AND length(name_en) > 0', name=op.f('ck_area_names_present')),
    sa.ForeignKeyConstraint(['parent_id'], ['area.id'], name=op.f('fk_area_parent_id_area'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_area')),
    sa.UniqueConstraint('code', name=op.f('uq_area_code')),
    sa.UniqueConstraint('path', name=op.f('uq_area_path'))
    )
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_area_parent_id'), ['parent_id'], unique=False)

    op.create_table('instrument',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('format', sa.String(length=40), nullable=False),
    sa.Column('title_kk', sa.String(length=300), nullable=False),
    sa.Column('title_ru', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.Column('intro_kk', sa.Text(), nullable=False),
    sa.Column('intro_ru', sa.Text(), nullable=False),
    sa.Column('intro_en', sa.Text(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('source', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('published', 'retired')", name=op.f('ck_instrument_status')),
    sa.CheckConstraint('version >= 1', name=op.f('ck_instrument_version_positive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_instrument')),
    sa.UniqueConstraint('code', 'version', name=op.f('uq_instrument_code_version'))
    )
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_instrument_code'), ['code'], unique=False)

    op.create_table('margin_set',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('is_demonstration', sa.Boolean(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('year >= 1990 AND year <= 2100', name=op.f('ck_margin_set_year_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_margin_set')),
    sa.UniqueConstraint('content_hash', name=op.f('uq_margin_set_content_hash'))
    )
    op.create_table('population_margin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('margin_set_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('variable', sa.String(length=32), nullable=False),
    sa.Column('category', sa.String(length=32), nullable=False),
    sa.Column('population', sa.BigInteger(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=300), nullable=False),
    sa.CheckConstraint("variable IN ('sex', 'age_group', 'settlement')", name=op.f('ck_population_margin_variable')),
    sa.CheckConstraint('population >= 0', name=op.f('ck_population_margin_population_nonnegative')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_population_margin_area_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['margin_set_id'], ['margin_set.id'], name=op.f('fk_population_margin_margin_set_id_margin_set'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_population_margin')),
    sa.UniqueConstraint('margin_set_id', 'area_id', 'variable', 'category', name=op.f('uq_population_margin_margin_set_id_area_id_variable_category'))
    )
    with op.batch_alter_table('population_margin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_population_margin_area_id'), ['area_id'], unique=False)

    op.create_table('section',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('title_kk', sa.String(length=300), nullable=False),
    sa.Column('title_ru', sa.String(length=300), nullable=False),
    sa.Column('title_en', sa.String(length=300), nullable=False),
    sa.ForeignKeyConstraint(['instrument_id'], ['instrument.id'], name=op.f('fk_section_instrument_id_instrument'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_section')),
    sa.UniqueConstraint('instrument_id', 'code', name=op.f('uq_section_instrument_id_code')),
    sa.UniqueConstraint('instrument_id', 'position', name=op.f('uq_section_instrument_id_position'))
    )
    op.create_table('user_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('scope_area_id', sa.Integer(), nullable=True),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("locale IN ('kk', 'ru', 'en')", name=op.f('ck_user_account_locale')),
    sa.CheckConstraint("role <> 'unit_head' OR scope_area_id IS NOT NULL", name=op.f('ck_user_account_unit_head_has_scope')),
    sa.CheckConstraint("role IN ('admin', 'researcher', 'unit_head')", name=op.f('ck_user_account_role')),
    sa.CheckConstraint('length(username) >= 3', name=op.f('ck_user_account_username_length')),
    sa.ForeignKeyConstraint(['scope_area_id'], ['area.id'], name=op.f('fk_user_account_scope_area_id_area'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_account')),
    sa.UniqueConstraint('username', name=op.f('uq_user_account_username'))
    )
    op.create_table('wave',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('name_kk', sa.String(length=200), nullable=False),
    sa.Column('name_ru', sa.String(length=200), nullable=False),
    sa.Column('name_en', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('opens_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('cross_section', 'continuous')", name=op.f('ck_wave_kind')),
    sa.CheckConstraint("status IN ('planned', 'open', 'closed')", name=op.f('ck_wave_status')),
    sa.CheckConstraint('closes_at IS NULL OR closes_at > opens_at', name=op.f('ck_wave_closes_after_opens')),
    sa.ForeignKeyConstraint(['instrument_id'], ['instrument.id'], name=op.f('fk_wave_instrument_id_instrument'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wave')),
    sa.UniqueConstraint('code', name=op.f('uq_wave_code'))
    )
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_wave_instrument_id'), ['instrument_id'], unique=False)

    op.create_table('audit_event',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=64), nullable=True),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_audit_event_user_id_user_account'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index('ix_audit_event_action_time', ['action', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('question',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instrument_id', sa.Integer(), nullable=False),
    sa.Column('section_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('required', sa.Boolean(), nullable=False),
    sa.Column('text_kk', sa.Text(), nullable=False),
    sa.Column('text_ru', sa.Text(), nullable=False),
    sa.Column('text_en', sa.Text(), nullable=False),
    sa.Column('help_kk', sa.Text(), nullable=True),
    sa.Column('help_ru', sa.Text(), nullable=True),
    sa.Column('help_en', sa.Text(), nullable=True),
    sa.Column('condition_question_id', sa.Integer(), nullable=True),
    sa.Column('condition_values', sa.JSON(), nullable=True),
    sa.Column('index_dimension', sa.String(length=64), nullable=True),
    sa.Column('index_direction', sa.String(length=16), nullable=True),
    sa.Column('in_csi', sa.Boolean(), nullable=False),
    sa.Column('weighting_variable', sa.String(length=32), nullable=True),
    sa.Column('min_value', sa.Float(), nullable=True),
    sa.Column('max_value', sa.Float(), nullable=True),
    sa.Column('max_choices', sa.Integer(), nullable=True),
    sa.Column('max_length', sa.Integer(), nullable=True),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.CheckConstraint("index_direction IS NULL OR index_direction IN ('positive', 'negative')", name=op.f('ck_question_index_direction')),
    sa.CheckConstraint("type IN ('consent', 'area', 'likert5', 'scale0_10', 'single', 'multi', 'yes_no', 'number', 'text')", name=op.f('ck_question_type')),
    sa.CheckConstraint("weighting_variable IS NULL OR weighting_variable IN ('sex', 'age_group', 'settlement')", name=op.f('ck_question_weighting_variable')),
    sa.CheckConstraint('(condition_question_id IS NULL) = (condition_values IS NULL)', name=op.f('ck_question_condition_complete')),
    sa.CheckConstraint('(index_dimension IS NULL) = (index_direction IS NULL)', name=op.f('ck_question_index_role_complete')),
    sa.CheckConstraint('NOT in_csi OR index_dimension IS NOT NULL', name=op.f('ck_question_csi_needs_index_role')),
    sa.CheckConstraint('max_choices IS NULL OR max_choices >= 1', name=op.f('ck_question_max_choices_positive')),
    sa.CheckConstraint('max_length IS NULL OR (max_length >= 1 AND max_length <= 4000)', name=op.f('ck_question_max_length_range')),
    sa.CheckConstraint('min_value IS NULL OR max_value IS NULL OR min_value <= max_value', name=op.f('ck_question_range_ordered')),
    sa.ForeignKeyConstraint(['condition_question_id'], ['question.id'], name=op.f('fk_question_condition_question_id_question'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['instrument_id'], ['instrument.id'], name=op.f('fk_question_instrument_id_instrument'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['section_id'], ['section.id'], name=op.f('fk_question_section_id_section'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_question')),
    sa.UniqueConstraint('instrument_id', 'code', name=op.f('uq_question_instrument_id_code')),
    sa.UniqueConstraint('instrument_id', 'position', name=op.f('uq_question_instrument_id_position'))
    )
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_question_section_id'), ['section_id'], unique=False)

    op.create_table('synthetic_truth',
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_synthetic_truth_area_id_area'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_synthetic_truth_wave_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wave_id', 'area_id', 'measure', name=op.f('pk_synthetic_truth'))
    )
    op.create_table('wave_area',
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('target_n', sa.Integer(), nullable=True),
    sa.CheckConstraint('target_n IS NULL OR target_n >= 0', name=op.f('ck_wave_area_target_nonnegative')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_wave_area_area_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_wave_area_wave_id_wave'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('wave_id', 'area_id', name=op.f('pk_wave_area'))
    )
    op.create_table('weight_run',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=True),
    sa.Column('window_start', sa.Date(), nullable=True),
    sa.Column('window_end', sa.Date(), nullable=True),
    sa.Column('margin_set_id', sa.Integer(), nullable=True),
    sa.Column('method_version', sa.String(length=40), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('inputs', sa.JSON(), nullable=False),
    sa.Column('diagnostics', sa.JSON(), nullable=False),
    sa.CheckConstraint("status IN ('running', 'succeeded', 'failed')", name=op.f('ck_weight_run_status')),
    sa.CheckConstraint('window_start IS NULL OR window_end IS NULL OR window_start <= window_end', name=op.f('ck_weight_run_window_ordered')),
    sa.ForeignKeyConstraint(['margin_set_id'], ['margin_set.id'], name=op.f('fk_weight_run_margin_set_id_margin_set'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_weight_run_wave_id_wave'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_weight_run'))
    )
    with op.batch_alter_table('weight_run', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_weight_run_wave_id'), ['wave_id'], unique=False)

    op.create_table('indicator_snapshot',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('weight_run_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('input_hash', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.CheckConstraint("status IN ('draft', 'published', 'superseded')", name=op.f('ck_indicator_snapshot_status')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['indicator_snapshot.id'], name=op.f('fk_indicator_snapshot_supersedes_id_indicator_snapshot'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['weight_run_id'], ['weight_run.id'], name=op.f('fk_indicator_snapshot_weight_run_id_weight_run'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_snapshot'))
    )
    with op.batch_alter_table('indicator_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_snapshot_weight_run_id'), ['weight_run_id'], unique=False)

    op.create_table('option',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('is_missing', sa.Boolean(), nullable=False),
    sa.Column('label_kk', sa.Text(), nullable=False),
    sa.Column('label_ru', sa.Text(), nullable=False),
    sa.Column('label_en', sa.Text(), nullable=False),
    sa.CheckConstraint('NOT is_missing OR value IS NULL', name=op.f('ck_option_missing_has_no_value')),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_option_question_id_question'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_option')),
    sa.UniqueConstraint('question_id', 'code', name=op.f('uq_option_question_id_code')),
    sa.UniqueConstraint('question_id', 'position', name=op.f('uq_option_question_id_position'))
    )
    op.create_table('response',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('wave_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('channel', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('exclusion_reason', sa.String(length=200), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sex', sa.String(length=16), nullable=True),
    sa.Column('age_group', sa.String(length=16), nullable=True),
    sa.Column('settlement', sa.String(length=16), nullable=True),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('weight', sa.Float(), nullable=True),
    sa.Column('weight_run_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("(status = 'excluded') = (exclusion_reason IS NOT NULL)", name=op.f('ck_response_exclusion_has_reason')),
    sa.CheckConstraint("age_group IS NULL OR age_group IN ('18-24', '25-34', '35-44', '45-54', '55-64', '65+')", name=op.f('ck_response_age_group')),
    sa.CheckConstraint("channel IN ('web', 'qr', 'token', 'paper', 'synthetic')", name=op.f('ck_response_channel')),
    sa.CheckConstraint("locale IN ('kk', 'ru', 'en')", name=op.f('ck_response_locale')),
    sa.CheckConstraint("settlement IS NULL OR settlement IN ('city', 'village')", name=op.f('ck_response_settlement')),
    sa.CheckConstraint("sex IS NULL OR sex IN ('male', 'female')", name=op.f('ck_response_sex')),
    sa.CheckConstraint("status IN ('complete', 'partial', 'excluded')", name=op.f('ck_response_status')),
    sa.CheckConstraint('(weight IS NULL) = (weight_run_id IS NULL)', name=op.f('ck_response_weight_has_run')),
    sa.CheckConstraint('submitted_at IS NULL OR submitted_at >= started_at', name=op.f('ck_response_submitted_after_start')),
    sa.CheckConstraint('weight IS NULL OR weight > 0', name=op.f('ck_response_weight_positive')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_response_area_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['wave_id'], ['wave.id'], name=op.f('fk_response_wave_id_wave'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['weight_run_id'], ['weight_run.id'], name=op.f('fk_response_weight_run_id_weight_run'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response')),
    sa.UniqueConstraint('nonce', name=op.f('uq_response_nonce'))
    )
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_response_area_id'), ['area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_submitted_at'), ['submitted_at'], unique=False)
        batch_op.create_index('ix_response_wave_status_area', ['wave_id', 'status', 'area_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_response_weight_run_id'), ['weight_run_id'], unique=False)

    op.create_table('answer',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('option_id', sa.Integer(), nullable=True),
    sa.Column('value_num', sa.Float(), nullable=True),
    sa.CheckConstraint('(option_id IS NOT NULL) <> (value_num IS NOT NULL)', name=op.f('ck_answer_option_xor_number')),
    sa.ForeignKeyConstraint(['option_id'], ['option.id'], name=op.f('fk_answer_option_id_option'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_answer_question_id_question'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_answer_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_answer')),
    sa.UniqueConstraint('response_id', 'question_id', 'option_id', name=op.f('uq_answer_response_id_question_id_option_id'))
    )
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.create_index('ix_answer_question_option', ['question_id', 'option_id'], unique=False)

    op.create_table('comment',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('response_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('question_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('locale', sa.String(length=2), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('moderation', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('moderated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('moderated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("locale IN ('kk', 'ru', 'en')", name=op.f('ck_comment_locale')),
    sa.CheckConstraint("moderation IN ('pending', 'approved', 'hidden')", name=op.f('ck_comment_moderation')),
    sa.CheckConstraint('length(body) > 0 AND length(body) <= 4000', name=op.f('ck_comment_body_length')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_comment_area_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['moderated_by_id'], ['user_account.id'], name=op.f('fk_comment_moderated_by_id_user_account'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['question_id'], ['question.id'], name=op.f('fk_comment_question_id_question'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['response_id'], ['response.id'], name=op.f('fk_comment_response_id_response'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_comment'))
    )
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.create_index('ix_comment_area_moderation', ['area_id', 'moderation'], unique=False)
        batch_op.create_index(batch_op.f('ix_comment_response_id'), ['response_id'], unique=False)

    op.create_table('indicator_value',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('snapshot_id', sa.Integer(), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=64), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('effective_n', sa.Float(), nullable=True),
    sa.Column('estimate', sa.Float(), nullable=True),
    sa.Column('se', sa.Float(), nullable=True),
    sa.Column('ci_low', sa.Float(), nullable=True),
    sa.Column('ci_high', sa.Float(), nullable=True),
    sa.Column('model_estimate', sa.Float(), nullable=True),
    sa.Column('model_mse', sa.Float(), nullable=True),
    sa.Column('publication', sa.String(length=16), nullable=False),
    sa.Column('flags', sa.JSON(), nullable=False),
    sa.CheckConstraint("publication IN ('published', 'low_precision', 'insufficient')", name=op.f('ck_indicator_value_publication')),
    sa.CheckConstraint('ci_low IS NULL OR ci_high IS NULL OR ci_low <= ci_high', name=op.f('ck_indicator_value_ci_ordered')),
    sa.CheckConstraint('effective_n IS NULL OR effective_n >= 0', name=op.f('ck_indicator_value_effective_n_nonnegative')),
    sa.CheckConstraint('model_mse IS NULL OR model_mse >= 0', name=op.f('ck_indicator_value_mse_nonnegative')),
    sa.CheckConstraint('n >= 0', name=op.f('ck_indicator_value_n_nonnegative')),
    sa.CheckConstraint('se IS NULL OR se >= 0', name=op.f('ck_indicator_value_se_nonnegative')),
    sa.ForeignKeyConstraint(['area_id'], ['area.id'], name=op.f('fk_indicator_value_area_id_area'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['snapshot_id'], ['indicator_snapshot.id'], name=op.f('fk_indicator_value_snapshot_id_indicator_snapshot'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_indicator_value')),
    sa.UniqueConstraint('snapshot_id', 'area_id', 'measure', name=op.f('uq_indicator_value_snapshot_id_area_id_measure'))
    )
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_indicator_value_area_id'), ['area_id'], unique=False)



def downgrade():
    with op.batch_alter_table('indicator_value', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_value_area_id'))

    op.drop_table('indicator_value')
    with op.batch_alter_table('comment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_comment_response_id'))
        batch_op.drop_index('ix_comment_area_moderation')

    op.drop_table('comment')
    with op.batch_alter_table('answer', schema=None) as batch_op:
        batch_op.drop_index('ix_answer_question_option')

    op.drop_table('answer')
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_response_weight_run_id'))
        batch_op.drop_index('ix_response_wave_status_area')
        batch_op.drop_index(batch_op.f('ix_response_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_response_area_id'))

    op.drop_table('response')
    op.drop_table('option')
    with op.batch_alter_table('indicator_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_indicator_snapshot_weight_run_id'))

    op.drop_table('indicator_snapshot')
    with op.batch_alter_table('weight_run', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_weight_run_wave_id'))

    op.drop_table('weight_run')
    op.drop_table('wave_area')
    op.drop_table('synthetic_truth')
    with op.batch_alter_table('question', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_question_section_id'))

    op.drop_table('question')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_occurred_at'))
        batch_op.drop_index('ix_audit_event_action_time')

    op.drop_table('audit_event')
    with op.batch_alter_table('wave', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_wave_instrument_id'))

    op.drop_table('wave')
    op.drop_table('user_account')
    op.drop_table('section')
    with op.batch_alter_table('population_margin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_population_margin_area_id'))

    op.drop_table('population_margin')
    op.drop_table('margin_set')
    with op.batch_alter_table('instrument', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_instrument_code'))

    op.drop_table('instrument')
    with op.batch_alter_table('area', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_area_parent_id'))

    op.drop_table('area')
