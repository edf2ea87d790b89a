"""Project rules: who sees and edits what, drafts, steps, files, bill of
materials, co-authors, publication, revisions, reports, search and exports."""

from __future__ import annotations

import csv
import difflib
import io
import re
import unicodedata
import zipfile
from decimal import Decimal, InvalidOperation
from typing import Any

import tomli_w
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Float, Integer, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from fablab.accounts import services as accounts
from fablab.accounts.models import User
from fablab.core import audit
from fablab.core.errors import DomainError
from fablab.core.mail import absolute_url, queue_email
from fablab.core.spreadsheet import formula_safe
from fablab.core.timeutil import utcnow
from fablab.extensions import db
from fablab.machines.models import Resource
from fablab.projects import storage
from fablab.projects.models import (DIFFICULTIES, LICENCES, BomLine, Project, ProjectAuthor,
                                    ProjectFile, ProjectReport, ProjectRevision, ProjectStep,
                                    ProjectTag)

DIFFICULTY_LABELS = {"easy": _l("Easy"), "medium": _l("Intermediate"), "hard": _l("Advanced")}
STATUS_LABELS = {"draft": _l("Draft"), "published": _l("Published"),
                 "hidden": _l("Unpublished by the staff")}
KIND_LABELS = {"image": _l("Image"), "stl": "STL", "3mf": "3MF", "step": "STEP", "dxf": "DXF",
               "svg": "SVG", "scad": "OpenSCAD", "fcstd": "FreeCAD", "gerber": "Gerber (ZIP)",
               "ino": "Arduino", "pdf": "PDF"}
CHANGE_LABELS = {"title": _l("title"), "summary": _l("summary"), "intro": _l("introduction"),
                 "steps": _l("order of the steps")}
TAG_RE = re.compile(r"^[\w][\w +.#-]*$")
MAX_TAGS = 10


# --- who may see and edit ----------------------------------------------------------------


def _is_staff(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_staff)


def author_link(project: Project, user) -> ProjectAuthor | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return next((a for a in project.authors if a.user_id == user.id), None)


def can_edit(project: Project, user) -> bool:
    link = author_link(project, user)
    return _is_staff(user) or (link is not None and link.accepted_at is not None)


def can_view(project: Project, user) -> bool:
    """Published projects are public; a draft or a hidden project only shows to its
    authors (and invited co-authors) and to staff: to others it does not exist."""
    return project.is_public or _is_staff(user) or author_link(project, user) is not None


# --- loading -----------------------------------------------------------------------------


def _author_options():
    return selectinload(Project.authors).selectinload(ProjectAuthor.user).options(
        selectinload(User.public_profile), selectinload(User.skills))


def project_for_page(project_id: int) -> Project | None:
    """A project with everything its page shows, in a fixed number of queries."""
    return db.session.scalar(
        select(Project).where(Project.id == project_id).options(
            _author_options(), selectinload(Project.steps), selectinload(Project.bom),
            selectinload(Project.files), selectinload(Project.tags),
            selectinload(Project.machines)))


def display_name(user: User | None) -> str:
    profile = getattr(user, "public_profile", None) if user is not None else None
    if profile is None or user.anonymised_at is not None:
        return _("Former member")
    return profile.display_name


def author_names(project: Project) -> list[str]:
    return [display_name(a.user) for a in project.accepted_authors]


# --- creating and editing ----------------------------------------------------------------


def slugify(value: str) -> str:
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")[:80] or "projet"


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise DomainError(_("Please give the project a title."), "title")
    if len(title) > 120:
        raise DomainError(_("120 characters at most."), "title")
    return title


def create_project(user: User, title: str, summary: str = "") -> Project:
    title = _clean_title(title)
    accounts.public_profile(user)  # the author's public name, changeable on /account/skills
    project = Project(title=title, slug=slugify(title), summary=(summary or "").strip()[:300],
                      status="draft", updated_at=utcnow())
    project.authors.append(ProjectAuthor(user_id=user.id, is_owner=True, accepted_at=utcnow()))
    db.session.add(project)
    db.session.flush()
    record_revision(user, project)
    return project


def parse_tags(raw: str) -> list[str]:
    tags: list[str] = []
    for part in (raw or "").split(","):
        tag = " ".join(part.lower().split())
        if not tag:
            continue
        if len(tag) > 40 or not TAG_RE.match(tag):
            raise DomainError(_("A tag is a word or a few (letters, digits, spaces, dashes), "
                                "40 characters at most: %(tag)s", tag=tag[:40]), "tags")
        if tag not in tags:
            tags.append(tag)
    if len(tags) > MAX_TAGS:
        raise DomainError(_("%(num)d tags at most.", num=MAX_TAGS), "tags")
    return tags


def update_project(user: User, project: Project, *, title: str, summary: str, intro: str,
                   difficulty: str, duration_minutes: int | None, cost_cents: int | None,
                   licence: str, language: str, tags: str, machine_ids: list[int]) -> None:
    project.title = _clean_title(title)
    project.slug = slugify(project.title)
    project.summary = (summary or "").strip()[:300]
    project.intro = (intro or "").strip()
    if difficulty not in DIFFICULTIES:
        raise DomainError(_("Please choose a difficulty."), "difficulty")
    if licence not in LICENCES:
        raise DomainError(_("Please choose a licence from the list."), "licence")
    if language not in current_app.config["LANGUAGES"]:
        raise DomainError(_("Unknown language."), "language")
    if duration_minutes is not None and duration_minutes <= 0:
        raise DomainError(_("The time must be positive."), "duration_hours")
    if cost_cents is not None and cost_cents < 0:
        raise DomainError(_("The cost cannot be negative."), "cost")
    project.difficulty, project.licence, project.language = difficulty, licence, language
    project.duration_minutes, project.cost_cents = duration_minutes, cost_cents
    wanted = parse_tags(tags)
    project.tags = [t for t in project.tags if t.tag in wanted] + [
        ProjectTag(tag=t) for t in wanted if t not in {x.tag for x in project.tags}]
    machines = db.session.scalars(select(Resource).where(Resource.id.in_(machine_ids or []))).all()
    project.machines = list(machines)
    touch(user, project)


def touch(user: User, project: Project) -> None:
    """After any change of the text: the search text, the date, a revision."""
    db.session.flush()
    project.search_text = " ".join(
        [f"{s.title} {s.body}" for s in project.steps] + [t.tag for t in project.tags])
    project.updated_at = utcnow()
    record_revision(user, project)


def _step(project: Project, step_id: int) -> ProjectStep:
    step = next((s for s in project.steps if s.id == step_id), None)
    if step is None:
        raise DomainError(_("This step is not in the project."))
    return step


def _clean_step(title: str, body: str) -> tuple[str, str]:
    title = " ".join((title or "").split())
    if not title:
        raise DomainError(_("Please give the step a title."), "title")
    if len(title) > 120:
        raise DomainError(_("120 characters at most."), "title")
    return title, (body or "").strip()


def add_step(user: User, project: Project, title: str, body: str,
             image=None, image_filename: str = "") -> ProjectStep:
    title, body = _clean_step(title, body)
    if len(project.steps) >= 100:
        raise DomainError(_("100 steps at most."), "title")
    step = ProjectStep(title=title, body=body,
                       position=max((s.position for s in project.steps), default=0) + 1)
    project.steps.append(step)
    if image is not None:
        step.image_name = add_file(user, project, image, image_filename, field="image").stored_name
    touch(user, project)
    return step


def update_step(user: User, project: Project, step_id: int, title: str, body: str,
                image=None, image_filename: str = "", remove_image: bool = False) -> ProjectStep:
    step = _step(project, step_id)
    step.title, step.body = _clean_step(title, body)
    if image is not None:
        step.image_name = add_file(user, project, image, image_filename, field="image").stored_name
    elif remove_image:
        step.image_name = None
    touch(user, project)
    return step


def move_step(user: User, project: Project, step_id: int, direction: str) -> None:
    steps = list(project.steps)
    step = _step(project, step_id)
    index = steps.index(step)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(steps):
        raise DomainError(_("This step cannot move further."))
    steps[index], steps[other] = steps[other], steps[index]
    for position, item in enumerate(steps, start=1):
        item.position = position
    touch(user, project)


def delete_step(user: User, project: Project, step_id: int) -> None:
    step = _step(project, step_id)
    project.steps.remove(step)
    touch(user, project)


def _quantity(raw) -> Decimal:
    try:
        value = Decimal(str(raw).replace(",", ".").strip())
    except (InvalidOperation, ValueError) as error:
        raise DomainError(_("Please give a quantity, e.g. 2 or 0.5."), "quantity") from error
    if not value.is_finite() or value <= 0 or value >= Decimal("10000000"):
        raise DomainError(_("Please give a quantity greater than 0."), "quantity")
    return value.quantize(Decimal("0.001"))


def add_bom_line(user: User, project: Project, name: str, quantity, unit: str,
                 source: str) -> BomLine:
    name = " ".join((name or "").split())
    if not name:
        raise DomainError(_("Please name the material or part."), "name")
    if len(project.bom) >= 200:
        raise DomainError(_("200 lines at most."), "name")
    line = BomLine(name=name[:120], quantity=_quantity(quantity), unit=(unit or "").strip()[:20],
                   source=(source or "").strip()[:300],
                   position=max((b.position for b in project.bom), default=0) + 1)
    project.bom.append(line)
    project.updated_at = utcnow()
    return line


def delete_bom_line(user: User, project: Project, line_id: int) -> None:
    line = next((b for b in project.bom if b.id == line_id), None)
    if line is None:
        raise DomainError(_("This line is not in the bill of materials."))
    project.bom.remove(line)


# --- files -------------------------------------------------------------------------------


def add_file(user: User, project: Project, stream, filename: str,
             field: str = "upload") -> ProjectFile:
    """Check the limits (per file, per project, number of files), then the
    content; store it. Past a size limit: UploadTooLarge (the view answers 413)."""
    config = current_app.config
    if len(project.files) >= config["PROJECT_MAX_FILES"]:
        raise DomainError(_("%(num)d files at most per project.",
                            num=config["PROJECT_MAX_FILES"]), field)
    used = sum(f.size for f in project.files)
    room = config["PROJECT_MAX_TOTAL_BYTES"] - used
    limit = min(config["PROJECT_MAX_FILE_BYTES"], max(room, 0))
    try:
        stored = storage.store_upload(stream, filename, limit)
    except storage.UploadTooLarge as error:
        if limit < config["PROJECT_MAX_FILE_BYTES"]:
            raise storage.UploadTooLarge(
                _("This project's files would pass the limit of %(size)s per project.",
                  size=storage.human_size(config["PROJECT_MAX_TOTAL_BYTES"])), field) from error
        error.field = field
        raise
    except DomainError as error:
        error.field = field
        raise
    item = ProjectFile(stored_name=stored.stored_name, filename=stored.filename,
                       kind=stored.kind, size=stored.size, sha256=stored.sha256,
                       uploaded_by_id=user.id)
    project.files.append(item)
    if stored.kind == "image" and not project.cover_name:
        project.cover_name = stored.stored_name
    project.updated_at = utcnow()
    return item


def _file(project: Project, file_id: int) -> ProjectFile:
    item = next((f for f in project.files if f.id == file_id), None)
    if item is None:
        raise DomainError(_("This file is not in the project."))
    return item


def delete_file(user: User, project: Project, file_id: int) -> str:
    item = _file(project, file_id)
    if project.cover_name == item.stored_name:
        project.cover_name = next((f.stored_name for f in project.images if f is not item), None)
    for step in project.steps:
        if step.image_name == item.stored_name:
            step.image_name = None
    project.files.remove(item)
    return item.stored_name  # the view deletes it from disk once committed


def set_cover(user: User, project: Project, file_id: int) -> None:
    item = _file(project, file_id)
    if item.kind != "image":
        raise DomainError(_("Only an image can be the cover."))
    project.cover_name = item.stored_name


# --- co-authors, publication -------------------------------------------------------------


def invite_coauthor(user: User, project: Project, email: str) -> ProjectAuthor:
    invitee = accounts.find_by_email(email)
    if invitee is None or not invitee.is_active:
        raise DomainError(_("No member has this e-mail address."), "email")
    if author_link(project, invitee) is not None:
        raise DomainError(_("This member is already an author or invited."), "email")
    link = ProjectAuthor(user_id=invitee.id, is_owner=False)
    project.authors.append(link)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # invited twice at once: one wins
        raise DomainError(_("This member is already an author or invited."), "email") from error
    queue_email(invitee.email, "project_invitation", locale=invitee.locale,
                kind="projects.invitation", project=project,
                inviter=display_name(user) if getattr(user, "public_profile", None)
                else accounts.public_profile(user).display_name,
                url=absolute_url("projects.my_projects"))
    return link


def accept_invitation(user: User, project: Project) -> None:
    link = author_link(project, user)
    if link is None or link.accepted_at is not None:
        raise DomainError(_("There is no invitation for you on this project."))
    accounts.public_profile(user)
    link.accepted_at = utcnow()


def decline_invitation(user: User, project: Project) -> None:
    link = author_link(project, user)
    if link is None or link.accepted_at is not None:
        raise DomainError(_("There is no invitation for you on this project."))
    project.authors.remove(link)


def publish(user: User, project: Project) -> None:
    if project.status == "published":
        raise DomainError(_("The project is already published."))
    if project.status == "hidden" and not _is_staff(user):
        raise DomainError(_("The staff unpublished this project: ask them to publish it "
                            "again."))
    if not project.summary or not project.steps:
        raise DomainError(_("Before publishing, give a summary and at least one step."))
    project.status = "published"
    project.hidden_reason = ""
    project.published_at = utcnow()
    if _is_staff(user) and not author_link(project, user):
        audit.record(user, "project.publish", project, summary=project.title)


def unpublish(user: User, project: Project) -> None:
    if project.status != "published":
        raise DomainError(_("The project is not published."))
    project.status = "draft"
    project.featured = False


def report(user: User, project: Project, reason: str) -> ProjectReport:
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise DomainError(_("Please say what is wrong (10 characters at least)."), "reason")
    item = ProjectReport(project_id=project.id, reporter_id=user.id, reason=reason[:2000])
    db.session.add(item)
    return item


def open_reports() -> list[ProjectReport]:
    return db.session.scalars(
        select(ProjectReport).where(ProjectReport.handled_at.is_(None))
        .options(selectinload(ProjectReport.project))
        .order_by(ProjectReport.id)).all()


def hide(staff: User, project: Project, reason: str) -> None:
    """Unpublish after a report: the authors receive the reason."""
    reason = (reason or "").strip()
    if len(reason) < 5:
        raise DomainError(_("Please give the reason sent to the authors."), "reason")
    if project.status == "hidden":
        raise DomainError(_("The project is already unpublished."))
    project.status = "hidden"
    project.hidden_reason = reason[:1000]
    project.featured = False
    now = utcnow()
    for item in db.session.scalars(select(ProjectReport).where(
            ProjectReport.project_id == project.id, ProjectReport.handled_at.is_(None))):
        item.handled_at, item.handled_by_id = now, staff.id
    for link in project.accepted_authors:
        if link.user.email:
            queue_email(link.user.email, "project_unpublished", locale=link.user.locale,
                        kind="projects.unpublished", project=project, reason=reason,
                        url=absolute_url("projects.detail", project_id=project.id))
    audit.record(staff, "project.unpublish", project, summary=project.title, reason=reason)


def dismiss_reports(staff: User, project: Project) -> None:
    now = utcnow()
    for item in db.session.scalars(select(ProjectReport).where(
            ProjectReport.project_id == project.id, ProjectReport.handled_at.is_(None))):
        item.handled_at, item.handled_by_id = now, staff.id
    audit.record(staff, "project.reports_dismissed", project, summary=project.title)


def set_featured(staff: User, project: Project, featured: bool) -> None:
    if featured and not project.is_public:
        raise DomainError(_("Only a published project can be featured."))
    project.featured = featured
    audit.record(staff, "project.feature" if featured else "project.unfeature", project,
                 summary=project.title)


# --- revisions ---------------------------------------------------------------------------


def snapshot(project: Project) -> dict[str, Any]:
    return {"title": project.title, "summary": project.summary, "intro": project.intro,
            "steps": [{"id": s.id, "title": s.title, "body": s.body} for s in project.steps]}


def what_changed(before: dict[str, Any] | None, after: dict[str, Any]) -> list[str]:
    """Keys of what differs: title, summary, intro, steps (order), step:N (changed or
    added, N its number), removed:TITLE."""
    if before is None:
        return ["created"]
    changes = [key for key in ("title", "summary", "intro") if before.get(key) != after.get(key)]
    old = {s["id"]: s for s in before.get("steps", [])}
    new_ids = [s["id"] for s in after["steps"]]
    kept_old_order = [i for i in (s["id"] for s in before.get("steps", [])) if i in new_ids]
    if kept_old_order != [i for i in new_ids if i in old]:
        changes.append("steps")
    for number, step in enumerate(after["steps"], start=1):
        previous = old.get(step["id"])
        if previous is None or (previous["title"], previous["body"]) != (step["title"],
                                                                         step["body"]):
            changes.append(f"step:{number}")
    changes += [f"removed:{s['title']}" for i, s in old.items() if i not in new_ids]
    return changes


def record_revision(user: User, project: Project) -> ProjectRevision | None:
    """Keep the text as it is now, unless nothing changed since the last revision."""
    current = snapshot(project)
    last = db.session.scalar(select(ProjectRevision).where(
        ProjectRevision.project_id == project.id).order_by(ProjectRevision.number.desc())
        .limit(1)) if project.revision_count else None
    changes = what_changed(last.snapshot if last else None, current)
    if not changes:
        return None
    project.revision_count += 1
    revision = ProjectRevision(project_id=project.id, number=project.revision_count,
                               author_id=user.id, changes=changes, snapshot=current)
    db.session.add(revision)
    return revision


def change_label(key: str) -> str:
    if key == "created":
        return _("created")
    if key.startswith("step:"):
        return _("step %(num)s", num=key[5:])
    if key.startswith("removed:"):
        return _("step removed: %(title)s", title=key[8:])
    return str(CHANGE_LABELS.get(key, key))


def revisions_of(project: Project) -> list[ProjectRevision]:
    return db.session.scalars(
        select(ProjectRevision).where(ProjectRevision.project_id == project.id)
        .options(selectinload(ProjectRevision.author).selectinload(User.public_profile))
        .order_by(ProjectRevision.number.desc())).all()


def revision(project: Project, number: int) -> ProjectRevision | None:
    return db.session.scalar(select(ProjectRevision).where(
        ProjectRevision.project_id == project.id, ProjectRevision.number == number))


def snapshot_markdown(data: dict[str, Any]) -> str:
    parts = [f"# {data['title']}", data.get("summary", ""), data.get("intro", "")]
    for number, step in enumerate(data.get("steps", []), start=1):
        parts += [f"## {number}. {step['title']}", step["body"]]
    return "\n\n".join(p for p in parts if p) + "\n"


def revision_diff(project: Project, rev: ProjectRevision) -> list[str]:
    previous = revision(project, rev.number - 1) if rev.number > 1 else None
    before = snapshot_markdown(previous.snapshot).splitlines() if previous else []
    after = snapshot_markdown(rev.snapshot).splitlines()
    return list(difflib.unified_diff(before, after, lineterm="", n=2))[2:]


# --- gallery and search ------------------------------------------------------------------

# Accents are folded on both engines (SQLite: the FTS5 tokenizer; PostgreSQL: the
# function projects_search_vector made by the migration, translate() inside, as the
# unaccent extension may not be installed). The GIN index is on that same call.
SEARCH_VECTOR = ("projects_search_vector(projects.title, projects.summary, projects.intro, "
                 "projects.search_text)")
# Best first on PostgreSQL: the projects whose title holds the first word, then the
# newest (ts_rank would compute a vector for every match: too dear for common words).
TITLE_FOLDED = ("translate(lower(projects.title), 'áàâäãåéèêëíìîïóòôöõúùûüýÿçñ', "
                "'aaaaaaeeeeiiiiooooouuuuyycn')")


def search_words(q: str) -> list[str]:
    plain = unicodedata.normalize("NFKD", (q or "").lower())
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return re.findall(r"\w+", plain)[:8]


def _search(query, words: list[str]):
    """Restrict ``query`` to the projects matching every word (as a prefix), best first."""
    if db.engine.dialect.name == "postgresql":
        tsquery = " & ".join(f"{w}:*" for w in words)
        return query.where(text(f"{SEARCH_VECTOR} @@ to_tsquery('simple', :tsq)").bindparams(
            tsq=tsquery)).order_by(
            text(f"({TITLE_FOLDED} LIKE :in_title) DESC").bindparams(
                in_title=f"%{words[0]}%"))
    match = " ".join('"' + w.replace('"', "") + '"*' for w in words)
    hits = (text("SELECT rowid AS id, bm25(projects_fts) AS rank FROM projects_fts "
                 "WHERE projects_fts MATCH :match").bindparams(match=match)
            .columns(id=Integer, rank=Float).subquery("hits"))
    return query.join(hits, hits.c.id == Project.id).order_by(hits.c.rank)


def published_query(q: str = "", machine: str = "", tag: str = "", licence: str = ""):
    """Published projects matching the gallery's search and filters, newest first, with
    what a listing shows loaded in a fixed number of queries (the gallery and the API)."""
    query = select(Project).where(Project.status == "published")
    if machine:
        query = query.where(Project.machines.any(Resource.slug == machine))
    if tag:
        query = query.where(Project.tags.any(ProjectTag.tag == tag.lower()))
    if licence:
        query = query.where(Project.licence == licence)
    words = search_words(q)
    if words:
        query = _search(query, words)
    return query.order_by(Project.published_at.desc(), Project.id.desc()).options(
        _author_options(), selectinload(Project.tags), selectinload(Project.machines))


def gallery(q: str = "", machine: str = "", tag: str = "", licence: str = "",
            limit: int = 24, offset: int = 0) -> list[Project]:
    return db.session.scalars(published_query(q, machine, tag, licence)
                              .limit(limit).offset(offset)).all()


def gallery_filters() -> dict[str, list]:
    """Machines and tags used by published projects, for the filter menus."""
    published = select(Project.id).where(Project.status == "published")
    machines = db.session.execute(
        select(Resource.slug, Resource.name).join(
            Project.machines.property.secondary,
            Project.machines.property.secondary.c.resource_id == Resource.id)
        .where(Project.machines.property.secondary.c.project_id.in_(published))
        .distinct().order_by(Resource.name)).all()
    tags = db.session.scalars(select(ProjectTag.tag).where(
        ProjectTag.project_id.in_(published)).distinct().order_by(ProjectTag.tag).limit(200)).all()
    return {"machines": machines, "tags": tags}


def featured_projects(limit: int = 3) -> list[Project]:
    return db.session.scalars(
        select(Project).where(Project.status == "published", Project.featured.is_(True))
        .options(_author_options())
        .order_by(Project.published_at.desc()).limit(limit)).all()


def latest_published(limit: int = 20) -> list[Project]:
    return db.session.scalars(
        select(Project).where(Project.status == "published")
        .options(_author_options(), selectinload(Project.tags))
        .order_by(Project.published_at.desc(), Project.id.desc()).limit(limit)).all()


def projects_of(user: User) -> list[tuple[Project, ProjectAuthor]]:
    return db.session.execute(
        select(Project, ProjectAuthor).join(ProjectAuthor, ProjectAuthor.project_id == Project.id)
        .where(ProjectAuthor.user_id == user.id)
        .order_by(Project.updated_at.desc())).all()


def projects_for_machine(resource: Resource, limit: int = 6) -> list[Project]:
    return db.session.scalars(
        select(Project).where(Project.status == "published",
                              Project.machines.any(Resource.id == resource.id))
        .order_by(Project.published_at.desc()).limit(limit)).all()


# --- exports -----------------------------------------------------------------------------


def format_quantity(value: Decimal) -> str:
    """For the pages: 120, 0,5 (in French), never 1.2E+2."""
    from flask_babel import format_decimal

    return format_decimal(value.normalize(), format="#,##0.###")


def _number(value: Decimal) -> str:
    text_value = format(value.normalize(), "f")
    return text_value


def bom_csv(project: Project) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["name", "quantity", "unit", "source"])
    for line in project.bom:
        writer.writerow([formula_safe(line.name), _number(line.quantity), formula_safe(line.unit),
                         formula_safe(line.source)])
    return out.getvalue()


def markdown_document(project: Project) -> str:
    lines = [f"# {project.title}", ""]
    if project.summary:
        lines += [f"*{project.summary}*", ""]
    lines += [f"- {_('Authors')}: {', '.join(author_names(project))}",
              f"- {_('Licence')}: {project.licence_name} ({project.licence}) – "
              f"{project.licence_url}",
              f"- {_('Difficulty')}: {DIFFICULTY_LABELS[project.difficulty]}"]
    if project.duration_minutes:
        lines.append(f"- {_('Time')}: {project.duration_minutes // 60} h "
                     f"{project.duration_minutes % 60:02d}")
    if project.cost_cents is not None:
        lines.append(f"- {_('Cost')}: {project.cost_cents / 100:.2f} €")
    if project.machines:
        lines.append(f"- {_('Machines')}: {', '.join(m.name for m in project.machines)}")
    if project.tags:
        lines.append(f"- {_('Tags')}: {', '.join(t.tag for t in project.tags)}")
    lines += ["", project.intro, ""]
    for number, step in enumerate(project.steps, start=1):
        lines += [f"## {number}. {step.title}", ""]
        if step.image_name:
            lines += [f"![]({'images/' + step.image_name})", ""]
        lines += [step.body, ""]
    if project.bom:
        lines += [f"## {_('Bill of materials')}", "",
                  f"| {_('Name')} | {_('Quantity')} | {_('Unit')} | {_('Source or note')} |",
                  "| --- | --- | --- | --- |"]
        for line in project.bom:
            cells = [line.name, _number(line.quantity), line.unit, line.source]
            lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
        lines.append("")
    if project.documents:
        lines += [f"## {_('Files')}", ""]
        lines += [f"- [{f.filename}](files/{f.filename})" for f in project.documents]
        lines.append("")
    return "\n".join(lines)


# OKH-LOSH v1.0 tells a part's source (the native design) from its exports (STL, STEP,
# a PDF of a drawing...); these kinds are designs, the others exports made from one.
_OKH_SOURCE_KINDS = frozenset({"scad", "fcstd", "svg", "ino"})


def okh_manifest(project: Project) -> str:
    """The Open Know-How manifest (okh.toml) following OKH-LOSH v1.0
    (github.com/OPEN-NEXT/OKH-LOSH, OKH-LOSH.md at tag v1.0.0), written by a TOML library
    so that any title or name is escaped. Every reference is an absolute URL: the
    project lives on its page, not in a repository of files."""
    def url(endpoint: str, **values) -> str:
        return absolute_url(endpoint, project_id=project.id, **values)

    lab = current_app.config["LAB_NAME"]
    fields = {
        "okhv": "OKH-LOSHv1.0",
        "name": project.title,
        "repo": url("projects.detail"),
        "version": project.version,
        # The release package of this version: the ZIP, once the project is published.
        "release": url("projects.export_zip") if project.is_public else None,
        "license": project.licence,
        "licensor": ", ".join(author_names(project)) or lab,
        "organisation": lab,
        "readme": url("projects.readme"),
        "image": url("projects.image", name=project.cover_name) if project.cover_name else None,
        "documentation-language": project.language,
        "function": project.summary or project.title,
        "bom": url("projects.bom_csv") if project.bom else None,
        "manufacturing-instructions": url("projects.detail"),
        "part": [_okh_part(project, item) for item in project.documents] or None,
    }
    manifest = {key: value for key, value in fields.items() if value is not None}
    return ("# Open Know-How manifest (OKH-LOSH v1.0), written by the fablab's application.\n"
            + tomli_w.dumps(manifest))


def _okh_part(project: Project, item: ProjectFile) -> dict[str, Any]:
    key = "source" if item.kind in _OKH_SOURCE_KINDS else "export"
    return {"name": item.filename,
            key: [absolute_url("projects.download", project_id=project.id, file_id=item.id)]}


def export_zip(project: Project, stream) -> None:
    """Write into ``stream`` a ZIP: README.md, bom.csv, okh.toml, files/, images/."""
    with zipfile.ZipFile(stream, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.md", markdown_document(project))
        archive.writestr("okh.toml", okh_manifest(project))
        if project.bom:
            archive.writestr("bom.csv", bom_csv(project))
        used: set[str] = set()
        for item in project.files:
            path = storage.path_of(item.stored_name)
            if path is None:
                continue
            if item.kind == "image":
                archive.write(path, f"images/{item.stored_name}")
                continue
            name = item.filename
            while name in used:
                name = f"{item.id}-{name}"
            used.add(name)
            archive.write(path, f"files/{name}")


# --- GDPR --------------------------------------------------------------------------------


def export_projects(user: User) -> list[dict[str, Any]]:
    return [{"title": p.title, "status": p.status, "role": "owner" if a.is_owner else "co-author",
             "accepted": a.accepted_at is not None, "created_at": p.created_at.isoformat()}
            for p, a in projects_of(user)]


def erase_projects(user: User) -> None:
    """Published work stays under its free licence; the author's name goes with the
    public profile (shown as "Former member"). Pending invitations and drafts of which
    the member is the only author are deleted."""
    for project, link in projects_of(user):
        if link.accepted_at is None:
            project.authors.remove(link)
        elif project.status != "published" and len(project.accepted_authors) == 1:
            for item in project.files:
                storage.delete_stored(item.stored_name)
            db.session.delete(project)

