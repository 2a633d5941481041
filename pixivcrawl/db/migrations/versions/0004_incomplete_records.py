"""incomplete records: what a stored illust or novel lacks

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02

``illusts.incomplete`` and ``novels.incomplete``: NULL for a whole record, else ``listing`` (a listing record
only), ``ugoira_frames`` (an ugoira without its frame delays) or ``text`` (a novel without its text). Rows
stored before this revision are marked from what they hold: visible illusts without pages are listing
records, visible ugoira with pages but no frames lack their frames, visible novels without text lack it.
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('illusts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incomplete', sa.String(length=16), nullable=True))

    with op.batch_alter_table('novels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('incomplete', sa.String(length=16), nullable=True))

    op.execute("update illusts set incomplete = 'listing' where visible and not exists "
               "(select 1 from illust_pages p where p.illust_id = illusts.id)")
    op.execute("update illusts set incomplete = 'ugoira_frames' where visible and type = 'ugoira' "
               "and ugoira_frames is null and exists (select 1 from illust_pages p where p.illust_id = illusts.id)")
    op.execute("update novels set incomplete = 'text' where visible and text is null")


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('novels', schema=None) as batch_op:
        batch_op.drop_column('incomplete')

    with op.batch_alter_table('illusts', schema=None) as batch_op:
        batch_op.drop_column('incomplete')
