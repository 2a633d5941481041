"""follows and feed entries

Revision ID: 0006_follows
Revises: 0006_user
Create Date: 2026-12-02

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0006_follows'
down_revision: str | Sequence[str] | None = '0006_user'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema: ``follows`` (who follows whom, from ``/v1/user/following``) and ``feed_entries`` (the
    account's follow feed, one row per work per day)."""
    op.create_table('follows',
    sa.Column('follower_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('followed_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('restrict', sa.String(length=8), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('follower_id', 'followed_id')
    )
    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.create_index('ix_follows_followed', ['followed_id'], unique=False)

    op.create_table('feed_entries',
    sa.Column('account_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('work_type', sa.String(length=16), nullable=False),
    sa.Column('restrict', sa.String(length=8), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('work_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('account_id', 'work_type', 'restrict', 'day', 'work_id')
    )
    with op.batch_alter_table('feed_entries', schema=None) as batch_op:
        batch_op.create_index('ix_feed_entries_work', ['work_type', 'work_id'], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('feed_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_feed_entries_work')
    op.drop_table('feed_entries')

    with op.batch_alter_table('follows', schema=None) as batch_op:
        batch_op.drop_index('ix_follows_followed')
    op.drop_table('follows')
