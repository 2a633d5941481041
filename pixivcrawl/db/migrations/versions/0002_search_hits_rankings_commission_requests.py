"""search hits, rankings, commission requests

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0002'
down_revision: str | Sequence[str] | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('commission_creators',
    sa.Column('user_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('work_type', sa.String(length=16), nullable=False),
    sa.Column('mode', sa.String(length=8), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('user_id', 'work_type', 'mode')
    )
    op.create_table('commission_requests',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('work_type', sa.String(length=16), nullable=False),
    sa.Column('plan_id', sa.BigInteger(), nullable=True),
    sa.Column('fan_user_id', sa.BigInteger(), nullable=True),
    sa.Column('creator_user_id', sa.BigInteger(), nullable=False),
    sa.Column('price', sa.Integer(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('proposal', sa.Text(), nullable=False),
    sa.Column('proposal_html', sa.Text(), nullable=True),
    sa.Column('proposal_lang', sa.String(length=16), nullable=True),
    sa.Column('translations', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('tags', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('adult', sa.Boolean(), nullable=False),
    sa.Column('anonymous', sa.Boolean(), nullable=False),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('accept_collaborate', sa.Boolean(), nullable=False),
    sa.Column('response_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('post_deadline', sa.DateTime(timezone=True), nullable=True),
    sa.Column('post_work_id', sa.BigInteger(), nullable=True),
    sa.Column('plan_title', sa.Text(), nullable=True),
    sa.Column('plan_standard_price', sa.Integer(), nullable=True),
    sa.Column('collaborated_count', sa.Integer(), nullable=True),
    sa.Column('raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('commission_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_commission_requests_creator_user_id'), ['creator_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_requests_fan_user_id'), ['fan_user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_commission_requests_status'), ['status'], unique=False)

    op.create_table('rankings',
    sa.Column('source', sa.String(length=8), nullable=False),
    sa.Column('mode', sa.String(length=32), nullable=False),
    sa.Column('content', sa.String(length=16), nullable=False),
    sa.Column('date', sa.Date(), nullable=False),
    sa.Column('rank', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('work_type', sa.String(length=16), nullable=False),
    sa.Column('work_id', sa.BigInteger(), nullable=False),
    sa.Column('previous_rank', sa.Integer(), nullable=True),
    sa.Column('rating_count', sa.BigInteger(), nullable=True),
    sa.Column('view_count', sa.BigInteger(), nullable=True),
    sa.Column('raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('source', 'mode', 'content', 'date', 'rank')
    )
    with op.batch_alter_table('rankings', schema=None) as batch_op:
        batch_op.create_index('ix_rankings_work', ['work_type', 'work_id'], unique=False)

    op.create_table('search_hits',
    sa.Column('query_key', sa.Text(), nullable=False),
    sa.Column('work_type', sa.String(length=16), nullable=False),
    sa.Column('work_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('query', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('page', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('query_key', 'work_type', 'work_id')
    )
    with op.batch_alter_table('search_hits', schema=None) as batch_op:
        batch_op.create_index('ix_search_hits_work', ['work_type', 'work_id'], unique=False)

    with op.batch_alter_table('illusts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('update_date', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('novels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('language', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('update_date', sa.DateTime(timezone=True), nullable=True))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('novels', schema=None) as batch_op:
        batch_op.drop_column('update_date')
        batch_op.drop_column('language')

    with op.batch_alter_table('illusts', schema=None) as batch_op:
        batch_op.drop_column('update_date')

    with op.batch_alter_table('search_hits', schema=None) as batch_op:
        batch_op.drop_index('ix_search_hits_work')

    op.drop_table('search_hits')
    with op.batch_alter_table('rankings', schema=None) as batch_op:
        batch_op.drop_index('ix_rankings_work')

    op.drop_table('rankings')
    with op.batch_alter_table('commission_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_commission_requests_status'))
        batch_op.drop_index(batch_op.f('ix_commission_requests_fan_user_id'))
        batch_op.drop_index(batch_op.f('ix_commission_requests_creator_user_id'))

    op.drop_table('commission_requests')
    op.drop_table('commission_creators')
