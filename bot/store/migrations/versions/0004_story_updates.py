"""Story updates: the articles each channel has been given, and what it was told of each story.

Articles of stories posted before this revision count as given, so old stories do not come back
as updates.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('posted_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('channel_id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('digest_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['article_id'], ['articles.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['digest_id'], ['digests.id'], ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('channel_id', 'article_id', name='uq_posted_article')
    )
    with op.batch_alter_table('posted_stories') as batch_op:
        batch_op.add_column(sa.Column('told', sa.Text(), nullable=True))
    op.execute(
        "INSERT INTO posted_articles (channel_id, article_id, digest_id) "
        "SELECT posted_stories.channel_id, articles.id, posted_stories.digest_id "
        "FROM posted_stories JOIN articles ON articles.story_id = posted_stories.story_id"
    )


def downgrade() -> None:
    with op.batch_alter_table('posted_stories') as batch_op:
        batch_op.drop_column('told')
    op.drop_table('posted_articles')
