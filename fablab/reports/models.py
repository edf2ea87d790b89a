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
    Index("ix_loans_checked_out_at", Loan.checked_out_at),
    # Covers the machine-hours figures: a year of bookings is read from the index.
    Index("ix_bookings_report", Booking.starts_at, Booking.status, Booking.resource_id,
          Booking.ends_at, Booking.checked_in_at, Booking.no_show),
    Index("ix_open_slots_starts_at", OpenSlot.starts_at),
    Index("ix_memberships_starts_on", Membership.starts_on),
    # The desk's room requests to answer: the few pending bookings, not the history.
    Index("ix_bookings_pending", Booking.ends_at, sqlite_where=text("status = 'pending'"),
          postgresql_where=text("status = 'pending'")),
)
