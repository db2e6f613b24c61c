"""A summary's headline may be not generated yet (NULL), which differs from generated but unusable ("").

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('summaries') as batch_op:
        batch_op.alter_column('headline', existing_type=sa.Text(), nullable=True)
    # Headlines made before this revision may be cut sentences: they are made again.
    op.execute("UPDATE summaries SET headline = NULL")


def downgrade() -> None:
    op.execute("UPDATE summaries SET headline = '' WHERE headline IS NULL")
    with op.batch_alter_table('summaries') as batch_op:
        batch_op.alter_column('headline', existing_type=sa.Text(), nullable=False)
