"""What the booking domain announces, for the domains above it to react.

Receivers are connected by those domains at application setup (their ``init_app``).
"""

from blinker import Namespace

_signals = Namespace()

booking_checked_in = _signals.signal("booking-checked-in", doc="""
A member arrived for their booking. Sent with the booking and the keyword ``staff``
(the desk counts the visit).
""")

calendar_attachments = _signals.signal("booking-calendar-attachments", doc="""
A booking's confirmation e-mail is being written. Sent with the booking and the keyword
``locale``; each receiver returns a list of outbox attachments (the agenda's .ics file).
""")
