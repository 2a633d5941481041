"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-23

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0001'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('illust_pages',
    sa.Column('illust_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('page', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('original_url', sa.Text(), nullable=True),
    sa.Column('large_url', sa.Text(), nullable=True),
    sa.Column('medium_url', sa.Text(), nullable=True),
    sa.Column('square_medium_url', sa.Text(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('illust_id', 'page')
    )
    op.create_table('illust_series',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('caption', sa.Text(), nullable=False),
    sa.Column('cover_url', sa.Text(), nullable=True),
    sa.Column('work_count', sa.Integer(), nullable=False),
    sa.Column('create_date', sa.DateTime(timezone=True), nullable=True),
    sa.Column('raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('illust_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_illust_series_user_id'), ['user_id'], unique=False)

    op.create_table('illust_tags',
    sa.Column('illust_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('tag', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('illust_id', 'tag')
    )
    with op.batch_alter_table('illust_tags', schema=None) as batch_op:
        batch_op.create_index('ix_illust_tags_tag', ['tag'], unique=False)

    op.create_table('illusts',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('type', sa.String(length=16), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('caption', sa.Text(), nullable=False),
    sa.Column('create_date', sa.DateTime(timezone=True), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('width', sa.Integer(), nullable=False),
    sa.Column('height', sa.Integer(), nullable=False),
    sa.Column('sanity_level', sa.SmallInteger(), nullable=False),
    sa.Column('x_restrict', sa.SmallInteger(), nullable=False),
    sa.Column('restrict', sa.SmallInteger(), nullable=False),
    sa.Column('ai_type', sa.SmallInteger(), nullable=True),
    sa.Column('book_style', sa.SmallInteger(), nullable=True),
    sa.Column('total_view', sa.BigInteger(), nullable=False),
    sa.Column('total_bookmarks', sa.BigInteger(), nullable=False),
    sa.Column('total_comments', sa.BigInteger(), nullable=True),
    sa.Column('visible', sa.Boolean(), nullable=False),
    sa.Column('series_id', sa.BigInteger(), nullable=True),
    sa.Column('ugoira_zip_url', sa.Text(), nullable=True),
    sa.Column('ugoira_frames', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('illusts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_illusts_create_date'), ['create_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_illusts_series_id'), ['series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_illusts_user_id'), ['user_id'], unique=False)

    op.create_table('novel_series',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('caption', sa.Text(), nullable=False),
    sa.Column('is_original', sa.Boolean(), nullable=True),
    sa.Column('is_concluded', sa.Boolean(), nullable=True),
    sa.Column('content_count', sa.Integer(), nullable=False),
    sa.Column('total_character_count', sa.Integer(), nullable=True),
    sa.Column('raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('novel_series', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_novel_series_user_id'), ['user_id'], unique=False)

    op.create_table('novel_tags',
    sa.Column('novel_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('tag', sa.Text(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('novel_id', 'tag')
    )
    with op.batch_alter_table('novel_tags', schema=None) as batch_op:
        batch_op.create_index('ix_novel_tags_tag', ['tag'], unique=False)

    op.create_table('novels',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('user_id', sa.BigInteger(), nullable=False),
    sa.Column('series_id', sa.BigInteger(), nullable=True),
    sa.Column('series_order', sa.Integer(), nullable=True),
    sa.Column('title', sa.Text(), nullable=False),
    sa.Column('caption', sa.Text(), nullable=False),
    sa.Column('create_date', sa.DateTime(timezone=True), nullable=False),
    sa.Column('page_count', sa.Integer(), nullable=False),
    sa.Column('text_length', sa.Integer(), nullable=False),
    sa.Column('x_restrict', sa.SmallInteger(), nullable=False),
    sa.Column('restrict', sa.SmallInteger(), nullable=False),
    sa.Column('is_original', sa.Boolean(), nullable=False),
    sa.Column('ai_type', sa.SmallInteger(), nullable=True),
    sa.Column('total_view', sa.BigInteger(), nullable=False),
    sa.Column('total_bookmarks', sa.BigInteger(), nullable=False),
    sa.Column('total_comments', sa.BigInteger(), nullable=True),
    sa.Column('visible', sa.Boolean(), nullable=False),
    sa.Column('cover_url', sa.Text(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('webview_raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('novels', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_novels_create_date'), ['create_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_novels_series_id'), ['series_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_novels_user_id'), ['user_id'], unique=False)

    op.create_table('tags',
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('translated_name', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('users',
    sa.Column('id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('account', sa.Text(), nullable=True),
    sa.Column('profile_image_url', sa.Text(), nullable=True),
    sa.Column('raw', sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True, astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table('users')
    op.drop_table('tags')
    with op.batch_alter_table('novels', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_novels_user_id'))
        batch_op.drop_index(batch_op.f('ix_novels_series_id'))
        batch_op.drop_index(batch_op.f('ix_novels_create_date'))

    op.drop_table('novels')
    with op.batch_alter_table('novel_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_novel_tags_tag')

    op.drop_table('novel_tags')
    with op.batch_alter_table('novel_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_novel_series_user_id'))

    op.drop_table('novel_series')
    with op.batch_alter_table('illusts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_illusts_user_id'))
        batch_op.drop_index(batch_op.f('ix_illusts_series_id'))
        batch_op.drop_index(batch_op.f('ix_illusts_create_date'))

    op.drop_table('illusts')
    with op.batch_alter_table('illust_tags', schema=None) as batch_op:
        batch_op.drop_index('ix_illust_tags_tag')

    op.drop_table('illust_tags')
    with op.batch_alter_table('illust_series', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_illust_series_user_id'))

    op.drop_table('illust_series')
    op.drop_table('illust_pages')
