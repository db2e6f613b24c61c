"""A Telegram channel may give each feed a forum topic of its own (topics: per_feed): the channel says
so, each outbox message names its feed, and the topics the bot created are kept.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('channels') as batch_op:
        batch_op.add_column(sa.Column('topics', sa.String(length=16), nullable=True))
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.add_column(sa.Column('feed', sa.String(length=200), nullable=True))
    op.create_table(
        'forum_topics',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('channel_id', sa.Integer(), sa.ForeignKey('channels.id', ondelete='CASCADE'), nullable=False),
        sa.Column('feed', sa.String(length=200), nullable=False),
        sa.Column('thread_id', sa.BigInteger(), nullable=False),
        sa.UniqueConstraint('channel_id', 'feed', name='uq_forum_topic_feed'),
    )


def downgrade() -> None:
    op.drop_table('forum_topics')
    with op.batch_alter_table('outbox') as batch_op:
        batch_op.drop_column('feed')
    with op.batch_alter_table('channels') as batch_op:
        batch_op.drop_column('topics')
