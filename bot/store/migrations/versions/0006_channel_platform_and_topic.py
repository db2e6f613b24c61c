"""A channel names its platform (Telegram, Matrix) and, in a Telegram forum group, its topic: one
group may hold several channels, one a topic.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

# The unique constraint on channels.chat was created unnamed: SQLite's copy of the table names it
# by this convention, PostgreSQL by its own.
_NAMING = {"uq": "uq_%(table_name)s_%(column_0_name)s"}


def _chat_constraint() -> str:
    return "channels_chat_key" if op.get_bind().dialect.name == "postgresql" else "uq_channels_chat"


def upgrade() -> None:
    with op.batch_alter_table('channels', naming_convention=_NAMING) as batch_op:
        batch_op.add_column(sa.Column('platform', sa.String(length=16), nullable=False, server_default='telegram'))
        batch_op.add_column(sa.Column('topic', sa.BigInteger(), nullable=False, server_default='0'))
        batch_op.drop_constraint(_chat_constraint(), type_='unique')
        batch_op.create_unique_constraint('uq_channel_address', ['platform', 'chat', 'topic'])


def downgrade() -> None:
    with op.batch_alter_table('channels', naming_convention=_NAMING) as batch_op:
        batch_op.drop_constraint('uq_channel_address', type_='unique')
        batch_op.create_unique_constraint(_chat_constraint(), ['chat'])
        batch_op.drop_column('topic')
        batch_op.drop_column('platform')
