"""Summaries no longer keep the names and numbers the model invented: nothing read them (a digest
posts no text with any, and the summary's flags say when sentences were removed).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('summaries') as batch_op:
        batch_op.drop_column('ungrounded')


def downgrade() -> None:
    with op.batch_alter_table('summaries') as batch_op:
        batch_op.add_column(sa.Column('ungrounded', sa.JSON(), nullable=False, server_default='[]'))
