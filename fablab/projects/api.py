"""``GET /api/v1/projects``: published projects in the open-data API (see fablab/core/api.py).

Authors appear under the public name they chose for their published work, never their
account's name or e-mail; drafts and hidden projects are never listed."""

from __future__ import annotations

from flask import current_app, url_for

from fablab.core import api
from fablab.projects import services
from fablab.projects.models import DIFFICULTIES, LICENCES, Project

_STRING = {"type": "string"}
_URL = {"type": "string", "format": "uri"}
PROJECT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "title", "summary", "authors", "tags", "machines", "licence",
                 "difficulty", "language", "published_at", "url", "okh_manifest"],
    "properties": {
        "id": {"type": "integer"}, "title": _STRING, "summary": _STRING,
        "authors": {"type": "array", "items": _STRING},
        "tags": {"type": "array", "items": _STRING},
        "machines": {"type": "array", "items": _STRING},
        "licence": {"type": "string", "enum": list(LICENCES), "description": "SPDX identifier"},
        "difficulty": {"type": "string", "enum": list(DIFFICULTIES)},
        "language": _STRING,
        "published_at": {"type": "string", "format": "date-time"},
        "url": _URL, "okh_manifest": _URL,
    },
}


def _absolute(endpoint: str, **values) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)


def _as_json(project: Project) -> dict:
    return {
        "id": project.id, "title": project.title, "summary": project.summary,
        "authors": services.author_names(project), "tags": [t.tag for t in project.tags],
        "machines": [m.slug for m in project.machines], "licence": project.licence,
        "difficulty": project.difficulty, "language": project.language,
        "published_at": project.published_at.isoformat(),
        "url": _absolute("projects.detail", project_id=project.id),
        "okh_manifest": _absolute("projects.okh", project_id=project.id),
    }


def fetch_projects(query: api.Query):
    stmt = services.published_query(q=(query.arg("q") or "")[:100],
                                     machine=(query.arg("machine") or "")[:80],
                                     tag=(query.arg("tag") or "")[:40],
                                     licence=query.arg("licence", tuple(LICENCES)) or "")
    if query.start:
        stmt = stmt.where(Project.published_at >= query.start)
    if query.end:
        stmt = stmt.where(Project.published_at < query.end)
    return query.page_of(stmt, _as_json)


def register_endpoints() -> None:
    """Called by the projects' ``init_app``."""
    api.register("projects", "/projects", PROJECT, fetch_projects,
                 summary="Published projects (open documentation)",
                 description="Published between `from` and `to` when given; newest first.",
                 params=[("q", "Words to search in the title, summary, steps and tags", None),
                         ("machine", "Slug of a machine used", None),
                         ("tag", "Tag", None),
                         ("licence", "SPDX identifier of the licence", tuple(LICENCES))])
