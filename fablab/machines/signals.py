"""What the machines domain announces, for the domains above it (booking) to react.

Receivers are connected by those domains at application setup (their ``init_app``).
"""

from blinker import Namespace

_signals = Namespace()

resource_unavailable = _signals.signal("resource-unavailable", doc="""
A resource was put out of order or in maintenance. Sent with the resource and the
keywords ``actor`` and ``reason``; each receiver returns how many bookings it cancelled.
""")

machine_page = _signals.signal("machine-page", doc="""
A resource's page is being shown. Sent with the resource; each receiver returns the
:class:`fablab.core.templating.PagePart` list it adds (places ``book`` and ``week``).
""")
