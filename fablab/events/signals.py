"""What the events domain announces, for the domains above it to react.

Receivers are connected by those domains at application setup (their ``init_app``).
"""

from blinker import Namespace

_signals = Namespace()

attendance_marked = _signals.signal("attendance-marked", doc="""
A participant was marked present. Sent with the registration and the keyword ``actor``
(the desk counts the visit).
""")

calendar_attachments = _signals.signal("registration-calendar-attachments", doc="""
An e-mail about a registration is being written. Sent with the registration and the
keyword ``locale``; each receiver returns a list of outbox attachments (the agenda's .ics).
""")
