"""Every domain's models, imported once so that the metadata is complete."""

from fablab.accounts.models import Child, Organisation, OrganisationMember, User  # noqa: F401
from fablab.booking.models import Booking, Closure, OpenSlot, SlotSeries  # noqa: F401
from fablab.events.models import (Event, EventPrice, EventSeries, Registration,  # noqa: F401
                                  RepairCategory, RepairItem)
from fablab.core.models import AuditLog, OutboxMessage, Site  # noqa: F401
from fablab.loans.models import Hold, Item, ItemCondition, ItemEvent, Loan  # noqa: F401
from fablab.machines.models import (Incident, Resource, ResourcePrice, Training,  # noqa: F401
                                    TrainingGrant)
from fablab.memberships.models import Membership, Tariff  # noqa: F401
from fablab.accounts.models import PublicProfile, Skill, SkillMessage  # noqa: F401,E402
from fablab.projects.models import (BomLine, Project, ProjectAuthor, ProjectFile,  # noqa: F401,E402
                                    ProjectReport, ProjectRevision, ProjectStep, ProjectTag)
