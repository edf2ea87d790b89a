"""The indexes the reports and the desk need on other domains' tables (the reports own
no table).

Declared here, on the other models' tables, so that those domains' files stay as they
are; the migration of the visits creates them.
"""

from sqlalchemy import Index, text

from fablab.booking.models import Booking, OpenSlot
from fablab.loans.models import Loan
from fablab.memberships.models import Membership

REPORT_INDEXES = (
    # Cover the lending figures and the machine hours: a year of loans or of bookings
    # is read from the index, each machine's bookings in order (no sort of the year).
    Index("ix_loans_report", Loan.checked_out_at, Loan.item_id, Loan.member_id, Loan.due_on,
          Loan.returned_at),
    Index("ix_bookings_report", Booking.resource_id, Booking.starts_at, Booking.status,
          Booking.ends_at, Booking.checked_in_at, Booking.no_show),
    Index("ix_open_slots_starts_at", OpenSlot.starts_at),
    Index("ix_memberships_starts_on", Membership.starts_on),
    # The desk's room requests to answer: the few pending bookings, not the history.
    Index("ix_bookings_pending", Booking.ends_at, sqlite_where=text("status = 'pending'"),
          postgresql_where=text("status = 'pending'")),
)
