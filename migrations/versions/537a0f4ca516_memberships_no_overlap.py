"""memberships: the database refuses two overlapping periods of one member

Like bookings: an exclusion constraint on PostgreSQL (btree_gist), triggers on
SQLite (where writing requests are serialised, see
``core.db.configure_sqlite_transactions``). Both days are inclusive, as in
``Membership.covers`` and the service's check: a renewal starting the day after
the current membership ends is accepted.

A database already holding overlapping periods is not changed: the upgrade stops
and names each pair, for a person to correct (no period is shortened silently).

Revision ID: 537a0f4ca516
Revises: 7d2f0c9e4b1a
Create Date: 2026-12-01 10:00:00.000000

"""
from alembic import op
from alembic.util import CommandError
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '537a0f4ca516'
down_revision = '7d2f0c9e4b1a'
branch_labels = None
depends_on = None

SHOWN_PAIRS = 20

# Rows of the member's other memberships whose period meets NEW's (days inclusive).
OVERLAP = """
    SELECT 1 FROM memberships AS m
    WHERE m.member_id = NEW.member_id AND m.id != NEW.id
      AND m.starts_on <= NEW.ends_on AND m.ends_on >= NEW.starts_on
"""


def upgrade():
    refuse_existing_overlaps()
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
        op.execute(
            "ALTER TABLE memberships ADD CONSTRAINT ex_memberships_no_overlap "
            "EXCLUDE USING gist (member_id WITH =, daterange(starts_on, ends_on, '[]') WITH &&)"
        )
    elif dialect == "sqlite":
        # On INSERT NEW.id is not yet known, so "m.id != NEW.id" must not exclude rows.
        insert_overlap = OVERLAP.replace("AND m.id != NEW.id", "")
        op.execute(f"""
            CREATE TRIGGER tr_memberships_no_overlap_insert BEFORE INSERT ON memberships
            WHEN EXISTS ({insert_overlap})
            BEGIN SELECT RAISE(ABORT, 'ex_memberships_no_overlap'); END
        """)
        op.execute(f"""
            CREATE TRIGGER tr_memberships_no_overlap_update
            BEFORE UPDATE OF member_id, starts_on, ends_on ON memberships
            WHEN EXISTS ({OVERLAP})
            BEGIN SELECT RAISE(ABORT, 'ex_memberships_no_overlap'); END
        """)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute("ALTER TABLE memberships DROP CONSTRAINT IF EXISTS ex_memberships_no_overlap")
    elif dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS tr_memberships_no_overlap_insert")
        op.execute("DROP TRIGGER IF EXISTS tr_memberships_no_overlap_update")


def refuse_existing_overlaps():
    """Stop before any change when periods already overlap, naming them: which of
    two periods is wrong is for a person to decide."""
    pairs = op.get_bind().execute(sa.text("""
        SELECT a.member_id, a.id, a.starts_on, a.ends_on, b.id, b.starts_on, b.ends_on
        FROM memberships AS a JOIN memberships AS b
          ON b.member_id = a.member_id AND b.id > a.id
         AND b.starts_on <= a.ends_on AND b.ends_on >= a.starts_on
        ORDER BY a.member_id, a.id, b.id
    """)).all()
    if not pairs:
        return
    lines = [f"  member {member}: membership {a} ({a_start} to {a_end}) "
             f"and membership {b} ({b_start} to {b_end})"
             for member, a, a_start, a_end, b, b_start, b_end in pairs[:SHOWN_PAIRS]]
    if len(pairs) > SHOWN_PAIRS:
        lines.append(f"  … and {len(pairs) - SHOWN_PAIRS} more pairs")
    raise CommandError(
        f"{len(pairs)} pair(s) of memberships overlap, so the database cannot refuse "
        "overlaps yet. Nothing was changed. Correct the dates of one membership of each "
        "pair, or delete it (UPDATE or DELETE on the table memberships), then run "
        "`flask db upgrade` again:\n" + "\n".join(lines)
    )
