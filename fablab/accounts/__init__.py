"""Accounts: members, login, roles, profiles, children, organisations, GDPR.

Layer 1: may import core only. Higher domains add their part of the member's pages
(``fablab.accounts.signals``) and of the GDPR export and erasure
(``fablab.accounts.gdpr``) at application setup.
"""

from flask import Blueprint, Flask
from flask_babel import lazy_gettext as _l

from fablab.core.templating import add_menu_entries, add_template_labels

bp = Blueprint("accounts", __name__)

# views add their routes to bp
from fablab.accounts import forms, gdpr, services, views  # noqa: E402,F401
from fablab.accounts.models import Child, PublicProfile, Skill, User  # noqa: E402
from fablab.core.models import AuditLog, OutboxMessage  # noqa: E402


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    add_menu_entries(app, "staff", (80, "accounts.members", _l("Members")),
                     (100, "accounts.organisations", _l("Organisations")))
    add_menu_entries(app, "admin", (10, "accounts.admin_users", _l("Roles and accounts")),
                     (40, "accounts.admin_audit", _l("Audit log")))
    add_template_labels(app, organisation_kinds=dict(forms.ORGANISATION_KIND_CHOICES))
    # "account" first: it is erased last (anonymise goes from the top layer down).
    gdpr.register(app, "account", erase=services.erase_account,
                  erases=(User.name, User.email, User.phone, User.commune, Child.first_name))
    gdpr.register(app, "traces", erase=services.erase_traces,
                  erases=(OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body,
                          AuditLog.summary))
    gdpr.register(app, "skills", export=services.export_skills, erase=services.erase_skills,
                  erases=(PublicProfile.display_name, PublicProfile.about, Skill.name))
