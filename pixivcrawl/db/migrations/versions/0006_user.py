"""users: the profile columns (the user spider's /v1/user/detail)

Revision ID: 0006_user
Revises: 0006_bookmarks
Create Date: 2026-12-01

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = '0006_user'
down_revision: str | Sequence[str] | None = '0006_bookmarks'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COUNTERS = ('total_illusts', 'total_manga', 'total_novels', 'total_illust_series', 'total_novel_series',
            'total_illust_bookmarks_public', 'total_follow_users', 'total_mypixiv_users')


def _json() -> sa.types.TypeEngine:
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), 'postgresql')


def upgrade() -> None:
    """Upgrade schema: nullable profile columns on users (NULL until a profile is stored). Rows stored before keep
    every value."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        for name in ('comment', 'webpage', 'twitter_account', 'twitter_url', 'pawoo_url'):
            batch_op.add_column(sa.Column(name, sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('gender', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('region', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('job', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('birth_day', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('birth_year', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('is_premium', sa.Boolean(), nullable=True))
        for name in COUNTERS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('background_image_url', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('workspace', _json(), nullable=True))
        batch_op.add_column(sa.Column('profile_raw', _json(), nullable=True))
        batch_op.add_column(sa.Column('profile_fetched_at', sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        for name in ('profile_fetched_at', 'profile_raw', 'workspace', 'background_image_url', *reversed(COUNTERS),
                     'is_premium', 'birth_year', 'birth_day', 'job', 'region', 'gender', 'pawoo_url', 'twitter_url',
                     'twitter_account', 'webpage', 'comment'):
            batch_op.drop_column(name)
