"""Visits (members and walk-in visitors, one per person, site and day) and the
indexes the activity reports count over.

Revision ID: f98880d6d244
Revises: 267a0295e2b6
Create Date: 2026-11-30 14:12:53.419825

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f98880d6d244'
down_revision = "267a0295e2b6"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('site_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('child_id', sa.Integer(), nullable=True),
    sa.Column('source', sa.String(length=10), nullable=False),
    sa.Column('reason', sa.String(length=15), nullable=True),
    sa.Column('age_group', sa.String(length=10), nullable=True),
    sa.Column('commune', sa.String(length=120), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("age_group IS NULL OR age_group IN ('0-11', '12-17', '18-25', '26-59', '60+')", name=op.f('ck_visits_age_group_valid')),
    sa.CheckConstraint("reason IS NULL OR reason IN ('open_lab', 'workshop', 'repair_cafe', 'coworking', 'other')", name=op.f('ck_visits_reason_valid')),
    sa.CheckConstraint("source IN ('scan', 'booking', 'event', 'walk_in')", name=op.f('ck_visits_source_valid')),
    sa.CheckConstraint('member_id IS NULL OR child_id IS NULL', name=op.f('ck_visits_one_person')),
    sa.ForeignKeyConstraint(['child_id'], ['children.id'], name=op.f('fk_visits_child_id_children'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['users.id'], name=op.f('fk_visits_member_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_visits_recorded_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['site_id'], ['sites.id'], name=op.f('fk_visits_site_id_sites'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_visits'))
    )
    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.create_index('ix_visits_day_site', ['day', 'site_id', 'source', 'reason',
                                                     'member_id', 'child_id', 'age_group',
                                                     'commune'], unique=False)
        batch_op.create_index(batch_op.f('ix_visits_member_id'), ['member_id'], unique=False)
        batch_op.create_index('uq_visits_child_day', ['site_id', 'day', 'child_id'], unique=True, sqlite_where=sa.text('child_id IS NOT NULL'), postgresql_where=sa.text('child_id IS NOT NULL'))
        batch_op.create_index('uq_visits_member_day', ['site_id', 'day', 'member_id'], unique=True, sqlite_where=sa.text('member_id IS NOT NULL'), postgresql_where=sa.text('member_id IS NOT NULL'))

    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.create_index('ix_loans_checked_out_at', ['checked_out_at'], unique=False)

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index('ix_bookings_report', ['starts_at', 'status', 'resource_id',
                                                     'ends_at', 'checked_in_at', 'no_show'],
                              unique=False)
        batch_op.create_index('ix_bookings_pending', ['ends_at'], unique=False,
                              sqlite_where=sa.text("status = 'pending'"),
                              postgresql_where=sa.text("status = 'pending'"))

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index('ix_memberships_starts_on', ['starts_on'], unique=False)

    with op.batch_alter_table('open_slots', schema=None) as batch_op:
        batch_op.create_index('ix_open_slots_starts_at', ['starts_at'], unique=False)



def downgrade():
    with op.batch_alter_table('open_slots', schema=None) as batch_op:
        batch_op.drop_index('ix_open_slots_starts_at')

    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('ix_memberships_starts_on')

    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_bookings_pending', sqlite_where=sa.text("status = 'pending'"),
                            postgresql_where=sa.text("status = 'pending'"))
        batch_op.drop_index('ix_bookings_report')

    with op.batch_alter_table('loans', schema=None) as batch_op:
        batch_op.drop_index('ix_loans_checked_out_at')

    with op.batch_alter_table('visits', schema=None) as batch_op:
        batch_op.drop_index('uq_visits_member_day', sqlite_where=sa.text('member_id IS NOT NULL'), postgresql_where=sa.text('member_id IS NOT NULL'))
        batch_op.drop_index('uq_visits_child_day', sqlite_where=sa.text('child_id IS NOT NULL'), postgresql_where=sa.text('child_id IS NOT NULL'))
        batch_op.drop_index(batch_op.f('ix_visits_member_id'))
        batch_op.drop_index('ix_visits_day_site')

    op.drop_table('visits')
