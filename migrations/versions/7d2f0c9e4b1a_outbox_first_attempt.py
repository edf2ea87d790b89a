"""Outbox: when a message was first tried, so that retries run for a time (at least 72
hours, OUTBOX_GIVE_UP_HOURS) rather than a number of attempts.

Revision ID: 7d2f0c9e4b1a
Revises: 3b8e41c7d5a2
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7d2f0c9e4b1a'
down_revision = '3b8e41c7d5a2'
branch_labels = None
depends_on = None


def upgrade():
    op.add_column('outbox', sa.Column('first_attempt_at', sa.DateTime(timezone=True),
                                      nullable=True))
    # Messages already tried: their creation is the best guess of their first attempt.
    op.execute("UPDATE outbox SET first_attempt_at = created_at WHERE attempts > 0")
    # No foreign key points at the outbox: SQLite's batch mode may rebuild it.
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_outbox_first_attempt_known'), 'attempts = 0 OR first_attempt_at IS NOT NULL')


def downgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_first_attempt_known'), type_='check')
        batch_op.drop_column('first_attempt_at')
