"""What the accounts domain announces, for the domains above it to add their part.

Receivers are connected by those domains at application setup (their ``init_app``).
"""

from blinker import Namespace

_signals = Namespace()

account_page = _signals.signal("account-page", doc="""
A member's own account page is being shown. Sent with the member; each receiver returns
the :class:`fablab.core.templating.PagePart` list it adds (place ``main``).
""")

member_page = _signals.signal("member-page", doc="""
The staff's page of a member is being shown. Sent with the member; each receiver returns
the :class:`fablab.core.templating.PagePart` list it adds (place ``side``).
""")
