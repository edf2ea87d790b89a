"""Every domain's models, imported once so that the metadata is complete."""

from fablab.accounts.models import (Child, Organisation, OrganisationMember,  # noqa: F401
                                    PublicProfile, Skill, SkillMessage, User)
from fablab.agenda.models import CalendarFeed  # noqa: F401
from fablab.booking.models import Booking, OpenSlot, SlotSeries  # noqa: F401
from fablab.core.models import AuditLog, Closure, OutboxMessage, Site  # noqa: F401
from fablab.desk.models import Visit  # noqa: F401
from fablab.events.models import (Event, EventPrice, EventSeries, Registration,  # noqa: F401
                                  RepairCategory, RepairItem)
from fablab.loans.models import Hold, Item, ItemCondition, ItemEvent, Loan  # noqa: F401
from fablab.machines.models import (Incident, Resource, ResourcePrice, Training,  # noqa: F401
                                    TrainingGrant)
from fablab.memberships.models import Membership, Tariff  # noqa: F401
from fablab.projects.models import (BomLine, Project, ProjectAuthor, ProjectFile,  # noqa: F401
                                    ProjectReport, ProjectRevision, ProjectStep, ProjectTag)
from fablab.reports import models as _report_indexes  # noqa: F401  (indexes on others' tables)
