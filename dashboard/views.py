"""The dashboard: `/` by role, the drill-down list with its filters and Excel export, a
household's items, and `/dashboard/overdue.json`.

Thin views: each one parses the query, asks `xigang.obligations` (through `selectors.overdue`)
for the user's overdue list once, and only groups and counts what comes back. The engine's rules
go through `xigang.scope`, so every number and list is already the user's own."""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

import orjson
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dashboard import charts, selectors
from dashboard.selectors import Query, QueryError
from duties.models import Department, Village
from households.models import Household
from visits import views as visits_views
from xigang import obligations, roles
from xigang.ledgers import write_workbook
from xigang.obligations import OverdueItem
from xigang.scope import get_visible_or_404, scope_of, visible

RANKING_TOP = 10
PAGE_SIZE = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(request: HttpRequest) -> Query:
    return selectors.parse_query(request.GET, today=timezone.localdate())


def _json(data: dict[str, Any], status: int = 200) -> HttpResponse:
    """JSON in UTF-8, Chinese as is, through orjson: a county's whole list is tens of MB."""
    return HttpResponse(orjson.dumps(data), content_type="application/json", status=status)


def _bad_request(request: HttpRequest, error: QueryError) -> HttpResponse:
    return render(request, "dashboard/bad_query.html", {"errors": error.messages}, status=400)


def visit_url(household_id: int) -> str:
    """The visits app's quick-entry screen for a household (it checks the pairing itself)."""
    return reverse("visits:visit_new", kwargs={"household_id": household_id})


def _list_url(query: Query, **changes: str | None) -> str:
    return f"{reverse('dashboard:items')}?{query.params(**changes)}"


def _rows(query: Query, items: Iterable[OverdueItem]) -> list[tuple[OverdueItem, str, str | None]]:
    """(item, rule label, link to the same list narrowed to the item's cadre) per item."""
    return [
        (
            item,
            selectors.rule_label(item.rule),
            _list_url(query, cadre=item.cadre) if item.cadre else None,
        )
        for item in items
    ]


def _ranking_chart(query: Query, counts: list[selectors.Count], key: str) -> dict[str, Any]:
    return charts.horizontal_bars(
        [(c.label, c.count, _list_url(query, **{key: c.key})) for c in counts[:RANKING_TOP]]
    )


def _late_chart(counts: list[selectors.Count]) -> dict[str, Any]:
    """补录 counts, each linked to the visits marked 补录 (the admin's filter)."""
    url = reverse("admin:visits_visit_changelist") + "?late_entry__exact=1"
    return charts.horizontal_bars([(c.label, c.count, url) for c in counts[:RANKING_TOP]])


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Whole-town roles: counts, rankings and the trend. Others: their items by household."""
    try:
        query = _query(request)
    except QueryError as error:
        return _bad_request(request, error)
    user = request.user
    scope = scope_of(user)
    if scope.roles == {roles.PAIRING}:
        # A pairing cadre's home is the phone-first list of their households.
        return visits_views.my_households(request)
    # Queries: the scope (<= 4, once per request), then the engine's fixed set per rule: the
    # whole town its counts (no item built), cadres and units their overdue and pending lists.
    if scope.whole_town:
        tallies = selectors.tallies(user, query)
    else:
        items = selectors.overdue(user, query)
        tallies = obligations.tally(items)
    context = {"query": query, "total": selectors.total(tallies), "list_url": _list_url(query)}
    rule_counts = selectors.by_rule(tallies)
    context["rules"] = [(c, _list_url(query, rule=c.key)) for c in rule_counts]
    if scope.whole_town:
        articles = selectors.by_article(tallies)
        late_villages, late_cadres = selectors.met_by_late_entry(user, query)
        context.update(
            town=True,
            articles=[(c, _list_url(query, article=c.key)) for c in articles],
            villages=_ranking_chart(query, selectors.ranking(tallies, "village"), "village"),
            departments=_ranking_chart(
                query, selectors.ranking(tallies, "department"), "department"
            ),
            cadres=_ranking_chart(
                query, selectors.ranking(tallies, "cadre", "cadre_name"), "cadre"
            ),
            late_villages=_late_chart(late_villages),
            late_cadres=_late_chart(late_cadres),
            trend=charts.columns(
                [
                    (label, count, _list_url(query, due_before=cut.isoformat()))
                    for label, cut, count in selectors.trend(
                        tallies, query.as_of, selectors.met_later(user, query)
                    )
                ]
            ),
        )
    else:
        pending = obligations.pending_items(user=user, as_of=query.as_of, filters=query.filters)
        households, unit_overdue, unit_pending = selectors.by_household(items, pending)
        ids = {}
        if scope.cadre_id is not None and user.has_perm("visits.add_visit"):
            # One query: the ids of the listed households, for their quick-entry links.
            ids = dict(
                visible(
                    user, Household.objects.filter(number__in=[g.household for g in households])
                ).values_list("number", "pk")
            )
        for group in households:
            group.visit_url = visit_url(ids[group.household]) if group.household in ids else None
        context.update(
            town=False,
            households=households,
            unit_overdue=unit_overdue,
            unit_pending=unit_pending,
            pending_total=len(pending),
            show_households=bool(scope.village_ids) or roles.PAIRING in scope.roles,
        )
    return render(request, "dashboard/home.html", context)


def _filter_choices(user: User | AnonymousUser) -> dict[str, list[Any]]:
    # Two queries: the villages in the user's scope, and the departments (public in the scope).
    return {
        "villages": list(
            visible(user, Village.objects.order_by("name")).values_list("name", flat=True)
        ),
        "departments": list(
            visible(user, Department.objects.order_by("name")).values_list("name", flat=True)
        ),
        "rule_choices": [(r.id, selectors.rule_label(r.id)) for r in obligations.rules()],
    }


@login_required
def item_list(request: HttpRequest) -> HttpResponse:
    """The list behind every number, with its filters; the same query exports to Excel."""
    try:
        query = _query(request)
    except QueryError as error:
        return _bad_request(request, error)
    items = selectors.overdue(request.user, query)
    # A page at a time (a county's whole list is 140,000 rows); the export has them all.
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "query": query,
        "total": len(items),
        "page": page,
        "page_query": f"{query.params()}&",
        "items": _rows(query, page.object_list),
        "export_url": f"{reverse('dashboard:items_xlsx')}?{query.params()}",
        **_filter_choices(request.user),
    }
    return render(request, "dashboard/item_list.html", context)


@login_required
def item_export(request: HttpRequest) -> HttpResponse:
    """The list as an Excel workbook (formula-safe cells), the same items as on screen."""
    try:
        query = _query(request)
    except QueryError as error:
        return _bad_request(request, error)
    items = selectors.overdue(request.user, query)
    buffer = io.BytesIO()
    write_workbook(
        buffer,
        title="逾期事项",
        subtitle=_("as of %(as_of)s, since %(since)s")
        % {"as_of": query.as_of.isoformat(), "since": query.since.isoformat()},
        headers=obligations.REPORT_HEADERS,
        rows=(obligations.report_row(item) for item in items),
    )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    filename = f"overdue-{query.as_of.isoformat()}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def overdue_json(request: HttpRequest) -> HttpResponse:
    """docs/design.md's overdue list as JSON, scoped to the signed-in user; anonymous: 401, no data.
    With `limit` (and `offset`) a page of it, with the whole list's `total`."""
    if not request.user.is_authenticated:
        return _json({"error": _("Sign in to read the overdue list.")}, status=401)
    try:
        query = _query(request)
    except QueryError as error:
        return _json({"error": str(error)}, status=400)
    items = selectors.overdue(request.user, query)
    paging = query.paging
    if paging is None:
        data = obligations.as_json(items, as_of=query.as_of, since=query.since)
    else:  # a page of the list, and where it stands in the whole
        offset, limit = paging
        end = None if limit is None else offset + limit
        page = obligations.as_json(items[offset:end], as_of=query.as_of, since=query.since)
        data = {**page, "total": len(items), "offset": offset, "limit": limit}
    return _json(data)


@login_required
def household(request: HttpRequest, number: str) -> HttpResponse:
    """One household's overdue and due-soon items; out of scope answers 404 like a missing one."""
    try:
        query = _query(request)
    except QueryError as error:
        return _bad_request(request, error)
    found = get_visible_or_404(
        request.user, Household.objects.select_related("village"), number=number
    )
    narrowed = query.narrowed(village=found.village.name)
    overdue = [i for i in selectors.overdue(request.user, narrowed) if i.household == number]
    pending = [
        i
        for i in obligations.pending_items(
            user=request.user, as_of=query.as_of, filters=narrowed.filters
        )
        if i.household == number
    ]
    # One query: the household's latest visits, with who entered them, when, and 补录 marks.
    visits = found.visits.select_related("cadre", "entered_by").order_by("-on", "-id")[:20]
    context = {
        "query": query,
        "household": found,
        "visits": visits,
        "overdue": _rows(query, overdue),
        "pending": _rows(query, pending),
        "visit_url": visit_url(found.pk)
        if scope_of(request.user).cadre_id and request.user.has_perm("visits.add_visit")
        else None,
    }
    return render(request, "dashboard/household.html", context)
