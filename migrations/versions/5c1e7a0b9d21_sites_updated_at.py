"""sites.updated_at: the public agenda's validator sees a site's new name, address or
time zone (the feeds' locations and times), not only a new site.

Revision ID: 5c1e7a0b9d21
Revises: f98880d6d244
Create Date: 2026-11-30 21:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5c1e7a0b9d21'
down_revision = 'f98880d6d244'
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN, nullable: SQLite cannot add a NOT NULL column without a
    # constant default, and rebuilding the table (batch mode) fails on the foreign keys
    # that point at sites. Every row gets a value here and from the model afterwards.
    op.add_column('sites', sa.Column('updated_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE sites SET updated_at = created_at")


def downgrade():
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('updated_at')
