"""Translations of source sentences into channels' languages, cached with the check's verdict.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from bot.store.tables import UTCDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'translations',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('source_hash', sa.String(64), nullable=False),
        sa.Column('model', sa.String(300), nullable=False),
        sa.Column('language', sa.String(8), nullable=False),
        sa.Column('rendering', sa.Text(), nullable=False),
        sa.Column('reasons', sa.JSON(), nullable=False),
        sa.Column('created_at', UTCDateTime(timezone=True), nullable=False),
        sa.UniqueConstraint('source_hash', 'model', 'language', name='uq_translation_key'),
    )


def downgrade() -> None:
    op.drop_table('translations')
