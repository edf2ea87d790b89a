"""Activity report: covering indexes led by what the figures group by.

The machine hours are summed per machine over a year of bookings: an index led by
the resource gives each machine's bookings in order (no sort of the whole year), and
carries every column the figures read. A year of loans is counted, per borrower and
per item, from an index that carries the item, the borrower and the dates (no table
read per loan).

Revision ID: 3b8e41c7d5a2
Revises: 5c1e7a0b9d21
Create Date: 2026-11-30 23:55:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3b8e41c7d5a2'
down_revision = '5c1e7a0b9d21'
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index('ix_bookings_report', table_name='bookings')
    op.create_index('ix_bookings_report', 'bookings',
                    ['resource_id', 'starts_at', 'status', 'ends_at', 'checked_in_at',
                     'no_show'], unique=False)
    op.drop_index('ix_loans_checked_out_at', table_name='loans')
    op.create_index('ix_loans_report', 'loans',
                    ['checked_out_at', 'item_id', 'member_id', 'due_on', 'returned_at'],
                    unique=False)


def downgrade():
    op.drop_index('ix_loans_report', table_name='loans')
    op.create_index('ix_loans_checked_out_at', 'loans', ['checked_out_at'], unique=False)
    op.drop_index('ix_bookings_report', table_name='bookings')
    op.create_index('ix_bookings_report', 'bookings',
                    ['starts_at', 'status', 'resource_id', 'ends_at', 'checked_in_at',
                     'no_show'], unique=False)
