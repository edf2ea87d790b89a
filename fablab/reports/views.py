"""The activity report: a page per period and site, each table as CSV."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from fablab.core.errors import DomainError
from fablab.core.permissions import staff_required
from fablab.core.sites import active_sites
from fablab.core.timeutil import local_today
from fablab.reports import bp, charts, services


def _shortcuts():
    today = local_today()
    this_month = today.replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    return [
        (_("This month"), {"month": this_month.strftime("%Y-%m")}),
        (_("Last month"), {"month": last_month.strftime("%Y-%m")}),
        (_("This year"), {"year": str(today.year)}),
        (_("Last year"), {"year": str(today.year - 1)}),
    ]


@bp.route("/reports")
@staff_required
def index():
    try:
        period = services.parse_period(request.args)
    except DomainError as error:
        return render_template("reports/index.html", error=error.message, report=None,
                               period=None, sites=active_sites(), args=request.args,
                               shortcuts=_shortcuts()), 400
    report = services.build_report(period)
    visits_chart = charts.bar_chart(
        "chart-visits", _("Visits by month"),
        [(services.short_month_label(key), count) for key, count, _walk_ins
         in report.visits["months"]], _("visits"))
    audience_chart = charts.share_chart(
        "chart-audiences", _("Attendance by audience"), report.events["audience_shares"],
        _("participants"))
    return render_template("reports/index.html", error=None, report=report, period=period,
                           sites=active_sites(), args=request.args, shortcuts=_shortcuts(),
                           visits_chart=visits_chart, audience_chart=audience_chart)


@bp.route("/reports/export.csv")
@staff_required
def export_csv():
    key = request.args.get("table", "")
    try:
        period = services.parse_period(request.args)
    except DomainError as error:
        flash(error.message, "danger")
        return redirect(url_for("reports.index"))
    if key not in services.TABLE_KEYS:
        flash(_("Unknown table."), "danger")
        return redirect(url_for("reports.index", **period.query_args()))
    table = services.table_for(period, key)
    name = f"{key}_{period.start.isoformat()}_{period.end.isoformat()}"
    if period.site is not None:
        name += f"_{period.site.slug}"
    return Response(services.to_csv(table), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.app_template_filter("report_number")
def report_number(value):
    """Numbers in the reader's language (1 234,5 in French); text is left as it is."""
    from flask_babel import format_decimal

    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return value
    return format_decimal(value, format="#,##0.##")
