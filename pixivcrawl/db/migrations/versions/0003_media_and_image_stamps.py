"""media and image stamps

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0003'
down_revision: str | Sequence[str] | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('media',
    sa.Column('work_id', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('page', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('url', sa.Text(), nullable=True),
    sa.Column('path', sa.Text(), nullable=True),
    sa.Column('size', sa.BigInteger(), nullable=True),
    sa.Column('width', sa.Integer(), nullable=True),
    sa.Column('height', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('first_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('work_id', 'kind', 'page')
    )
    with op.batch_alter_table('illusts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_stamp', sa.String(length=19), nullable=True))

    with op.batch_alter_table('novels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('image_stamp', sa.String(length=19), nullable=True))



def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('novels', schema=None) as batch_op:
        batch_op.drop_column('image_stamp')

    with op.batch_alter_table('illusts', schema=None) as batch_op:
        batch_op.drop_column('image_stamp')

    op.drop_table('media')
