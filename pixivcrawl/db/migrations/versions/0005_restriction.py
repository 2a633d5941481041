"""restriction of illusts and novels

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema: a nullable ``restriction`` on illusts and novels. Rows stored before keep every value;
    those pixiv hid (``visible`` false) get ``hidden``, the others NULL (shown)."""
    with op.batch_alter_table('illusts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restriction', sa.String(length=32), nullable=True))

    with op.batch_alter_table('novels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('restriction', sa.String(length=32), nullable=True))

    for name in ('illusts', 'novels'):
        table = sa.table(name, sa.column('visible', sa.Boolean), sa.column('restriction', sa.String))
        op.execute(table.update().where(table.c.visible.is_(False)).values(restriction='hidden'))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('novels', schema=None) as batch_op:
        batch_op.drop_column('restriction')

    with op.batch_alter_table('illusts', schema=None) as batch_op:
        batch_op.drop_column('restriction')
