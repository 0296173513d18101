"""The dashboard: `/` by role, the drill-down list with its filters and Excel export, a
household's items, and `/dashboard/overdue.json`.

Thin views: each one parses the query, asks `xigang.obligations` (through `selectors.overdue`)
for the user's overdue list once, and only groups and counts what comes back. The engine's rules
go through `xigang.scope`, so every number and list is already the user's own."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from typing import Any, cast

import orjson
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboard import charts, selectors
from dashboard.selectors import Query, QueryError
from duties.models import Department, Village
from households import services as household_services
from households.assessments.selectors import gap_list, open_gaps
from households.models import HelpPlan, Household
from households.selectors import household_record
from oversight import services as oversight_services
from oversight.models import Commendation
from visits import views as visits_views
from visits.selectors import HISTORY_LIMIT, household_visits
from xigang import obligations, roles
from xigang.db_router import primary_reads, reads_from_replica
from xigang.ledgers import write_workbook
from xigang.obligations import OverdueItem
from xigang.overdue_query import FILTERS
from xigang.scope import get_visible_or_404, mask_id, scope_of, visible, writable

RANKING_TOP = 10
PAGE_SIZE = 100
MAX_PAGE = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(request: HttpRequest) -> Query:
    params: Mapping[str, str] = request.GET
    cadre = request.GET.get("cadre", "").strip()
    if cadre:  # typed as a name (the suggestions offer names): the engine filters by user name
        params = {**request.GET.dict(), "cadre": selectors.cadre_username(request.user, cadre)}
    return selectors.parse_query(params, today=timezone.localdate())


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
            obligations.rule_label(item.rule),
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
@reads_from_replica
def home(request: HttpRequest) -> HttpResponse:
    """Whole-town roles: counts, rankings and the trend. Others: their items by household."""
    try:
        query = _query(request)
    except QueryError as error:
        return _bad_request(request, error)
    user = request.user
    scope = scope_of(user)
    if scope.roles == {roles.PAIRING}:
        # A pairing cadre's home is the phone-first list of their households, read from the
        # primary: it shows the visit just entered, which the replica may not have yet.
        with primary_reads():
            return visits_views.my_households(request)
    # Queries: the scope (<= 4, once per request), then the engine's fixed set per rule: the
    # whole town its counts (no item built), cadres and units their overdue and pending lists.
    met_later: list = []
    if scope.whole_town:
        tallies, met_later = selectors.tallies_and_met_later(user, query)
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
        )
        points = selectors.trend(tallies, query.as_of, met_later)
        context["trend"] = charts.columns(
            [
                (label, count, _list_url(query, due_before=cut.isoformat()))
                for label, cut, count in points
            ]
        )
        context["flow"] = [
            (label, count, opened, closed)
            for (label, _cut, count), (_label, opened, closed) in zip(
                points, selectors.flow(tallies, query.as_of, met_later), strict=True
            )
        ]
    else:
        pending = obligations.pending_items(user=user, as_of=query.as_of, filters=query.filters)
        if scope.department_ids and not scope.village_ids:
            return _department_desk(request, query, context, items, pending)
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


def _department_desk(
    request: HttpRequest,
    query: Query,
    context: dict[str, Any],
    items: list[OverdueItem],
    pending: list[OverdueItem],
) -> HttpResponse:
    """A department's home: its own duties first, then the problems routed to it, then the
    pairing items in its reach as one line per cadre (counts and a link to the list), never one
    card per household (民政科: 2,718 items). The user's own pairings, if any, stay on
    "My households"."""
    pairing = [i for i in items if selectors.is_pairing_item(i)]
    pairing_pending = [i for i in pending if selectors.is_pairing_item(i)]
    routed, unit_overdue, unit_pending = selectors.by_household(
        [i for i in items if not selectors.is_pairing_item(i)],
        [i for i in pending if not selectors.is_pairing_item(i)],
    )
    cadres = selectors.by_cadre(pairing, pairing_pending)
    for row in cadres:
        row.url = _list_url(query, cadre=row.cadre)
    context.update(
        unit_overdue=unit_overdue,
        unit_pending=unit_pending,
        routed_overdue=_rows(query, [i for g in routed for i in g.overdue]),
        routed_pending=[i for g in routed for i in g.pending],
        cadres=cadres,
        # One query: the 两不愁三保障 gaps routed to the department and still open.
        open_gaps=gap_list(user=request.user).count(),
        pairing_total=len(pairing),
        pairing_url=_list_url(query, rule=None),
    )
    return render(request, "dashboard/department_home.html", context)


@login_required
@reads_from_replica
def person(request: HttpRequest, username: str) -> HttpResponse:
    """履职档案: one cadre's overdue items, the findings and accountability measures about them
    and their commendations, all within the reader's scope; a cadre out of scope is a 404."""
    try:
        query = _query(request)
    except QueryError as error:
        return _bad_request(request, error)
    user = request.user
    cadre = get_visible_or_404(user, selectors.cadres_in_scope(user), user__username=username)
    items, total = selectors.overdue_page(user, query.narrowed(cadre=username), PAGE_SIZE)
    record = selectors.person_record(user, cadre)
    return render(
        request,
        "dashboard/person.html",
        {
            "query": query,
            "cadre": cadre,
            "items": _rows(query, items),
            "total": total,
            "list_url": _list_url(query, cadre=username),
            **record,
        },
    )


RANKINGS = {
    "village": (gettext_lazy("Villages, most overdue first"), None),
    "department": (gettext_lazy("Departments, most overdue first"), None),
    "cadre": (gettext_lazy("Cadres, most overdue first"), "cadre_name"),
}
RANKING_PAGE = 50


@login_required
@reads_from_replica
def ranking(request: HttpRequest, key: str) -> HttpResponse:
    """A whole ranking (every village, department or cadre with something overdue), a page at
    a time, each number linking to its list; the home page shows the first ten."""
    if key not in RANKINGS:
        raise Http404
    try:
        query = _query(request)
    except QueryError as error:
        return _bad_request(request, error)
    title, label_key = RANKINGS[key]
    counts = selectors.ranking(selectors.tallies(request.user, query), key, label_key)
    page = Paginator(counts, RANKING_PAGE).get_page(request.GET.get("page"))
    top = counts[0].count if counts else 0
    rows = [
        (
            page.start_index() + index,
            count,
            _list_url(query, **{key: count.key}),
            round(100 * count.count / top) if top else 0,
            reverse("dashboard:person", args=[count.key]) if key == "cadre" else None,
        )
        for index, count in enumerate(page.object_list)
    ]
    return render(
        request,
        "dashboard/ranking.html",
        {
            "query": query,
            "title": title,
            "rows": rows,
            "page": page,
            "page_query": f"{query.params()}&",
            "total": sum(c.count for c in counts),
        },
    )


def _filter_choices(user: User | AnonymousUser) -> dict[str, list[Any]]:
    # Two queries: the villages in the user's scope, and the departments (public in the scope).
    return {
        "villages": list(
            visible(user, Village.objects.order_by("name")).values_list("name", flat=True)
        ),
        "departments": list(
            visible(user, Department.objects.order_by("name")).values_list("name", flat=True)
        ),
        "rule_choices": [(r.id, obligations.rule_label(r.id)) for r in obligations.rules()],
    }


def _page_number(asked: str | None) -> int:
    """The page asked, as the Paginator reads it, 1 if none; a page past the end shows the last
    (read again if the first read fell short), so the bound only keeps the read sane."""
    try:
        return min(max(int(asked or 1), 1), MAX_PAGE)
    except ValueError:
        return 1


@login_required
@reads_from_replica
def item_list(request: HttpRequest) -> HttpResponse:
    """The list behind every number, with its filters; the same query exports to Excel."""
    try:
        query = _query(request)
    except QueryError as error:
        return _bad_request(request, error)
    # A page at a time, built alone (a county's whole list is 170,000 rows); the export has them all.
    asked = request.GET.get("page")
    items = selectors.OverdueList(request.user, query, reach=PAGE_SIZE * _page_number(asked))
    page = Paginator(items, PAGE_SIZE).get_page(asked)
    context = {
        "query": query,
        "total": page.paginator.count,
        "page": page,
        "page_query": f"{query.params()}&",
        "items": _rows(query, page.object_list),
        "export_url": f"{reverse('dashboard:items_xlsx')}?{query.params()}",
        "cadre_typed": request.GET.get("cadre", "")[:50],
        **_filter_choices(request.user),
    }
    return render(request, "dashboard/item_list.html", context)


@login_required
@reads_from_replica
def item_export(request: HttpRequest) -> HttpResponse:
    """The list as an Excel workbook (formula-safe cells), the same items as on screen."""
    try:
        query = _query(request)
    except QueryError as error:
        return _bad_request(request, error)
    items = selectors.overdue(request.user, query)
    buffer = io.BytesIO()
    narrowed = "、".join(
        obligations.rule_label(value) if key == "rule" else str(value)
        for key in FILTERS
        if (value := getattr(query.filters, key)) not in (None, "")
    )
    subtitle = _("as of %(as_of)s, since %(since)s") % {
        "as_of": query.as_of.isoformat(),
        "since": query.since.isoformat(),
    }
    write_workbook(
        buffer,
        title="逾期事项",
        subtitle=f"{_('filter: %(filter)s') % {'filter': narrowed}}；{subtitle}"
        if narrowed
        else subtitle,
        headers=obligations.SHEET_HEADERS,
        rows=(obligations.sheet_row(item, obligations.rule_label) for item in items),
    )
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    # The file name says what was filtered (RFC 5987 for the Chinese).
    name = "-".join(["overdue", *([narrowed] if narrowed else []), query.as_of.isoformat()])
    response["Content-Disposition"] = content_disposition_header(True, f"{name}.xlsx") or ""
    return response


@login_required
@reads_from_replica
def suggest(request: HttpRequest, kind: str) -> HttpResponse:
    """Names for the filters (cadre, village, department), from the user's scope only."""
    rows = selectors.suggestions(request.user, kind, request.GET.get("q", ""))
    return _json({"results": [{"value": value, "label": label} for value, label in rows]})


@reads_from_replica
def overdue_json(request: HttpRequest) -> HttpResponse:
    """docs/design.md's overdue list as JSON, scoped to the signed-in user; anonymous: 401, no data.
    With `limit` (and `offset`) a page of it, with the whole list's `total`."""
    if not request.user.is_authenticated:
        return _json({"error": _("Sign in to read the overdue list.")}, status=401)
    try:
        query = _query(request)
    except QueryError as error:
        return _json({"error": str(error)}, status=400)
    paging = query.paging
    if paging is None:
        items = selectors.overdue(request.user, query)
        data = obligations.as_json(items, as_of=query.as_of, since=query.since)
    else:  # a page of the list, and where it stands in the whole
        offset, limit = paging
        if limit is None:  # the rest of the list: all of it built
            items = selectors.overdue(request.user, query)
            total = len(items)
        else:  # the first offset + limit built alone
            items, total = selectors.overdue_page(request.user, query, offset + limit)
        page = obligations.as_json(items[offset:], as_of=query.as_of, since=query.since)
        data = {**page, "total": total, "offset": offset, "limit": limit}
    return _json(data)


@login_required
@reads_from_replica
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
    user = request.user
    # Six scoped queries for the registry rows, one for the visits (the latest hundred).
    record = household_record(user=user, household=found)
    for member in record["members"]:
        member.shown_id = mask_id(user, member.id_number)
    context = {
        "query": query,
        "household": found,
        **record,
        "visits": list(household_visits(user=user, household=found)[:HISTORY_LIMIT]),
        "visit_limit": HISTORY_LIMIT,
        "can_record_change": user.has_perm("households.add_memberchange"),
        # A department marks its own measures carried out; it records no plan step.
        "user_departments": scope_of(user).department_ids,
        "overdue": _rows(query, overdue),
        "pending": _rows(query, pending),
        "visit_url": visit_url(found.pk)
        if scope_of(request.user).cadre_id and request.user.has_perm("visits.add_visit")
        else None,
        # One query: the open 两不愁三保障 gaps the user sees.
        "gaps": open_gaps(user=user, household=found),
        "assess_url": reverse("households:assessment_new", args=[found.pk])
        if user.has_perm("households.add_assessment")
        and (scope_of(user).cadre_id or scope_of(user).village_ids)
        else None,
    }
    return render(request, "dashboard/household.html", context)


APPROVAL_PAGE = 50


@login_required
def approvals(request: HttpRequest) -> HttpResponse:
    """What waits for a leader's approval: help plans and proposed commendations, each approved
    with one button (the date, who and when are set by the server)."""
    user = request.user
    may_plans = user.has_perm("households.approve_helpplan")
    may_commendations = user.has_perm("oversight.approve_commendation")
    if not (may_plans or may_commendations):
        raise PermissionDenied
    plans = Paginator(
        selectors.pending_plans(user) if may_plans else HelpPlan.objects.none(), APPROVAL_PAGE
    ).get_page(request.GET.get("page"))
    commendations = (
        list(selectors.pending_commendations(user)[:APPROVAL_PAGE]) if may_commendations else []
    )
    return render(
        request,
        "dashboard/approvals.html",
        {
            "may_plans": may_plans,
            "may_commendations": may_commendations,
            "page": plans,
            "page_query": "",
            "commendations": commendations,
            "limit": APPROVAL_PAGE,
        },
    )


def _approve(request: HttpRequest, permission: str, queryset: QuerySet, pk: int, act: Any) -> Any:
    """One approval: POST only, the permission, the row in the user's write scope (else 404),
    the service; a refusal is shown as a message, nothing written."""
    if request.method != "POST":
        raise Http404
    if not request.user.has_perm(permission):
        raise PermissionDenied
    row = writable(request.user, queryset).filter(pk=pk).first()
    if row is None:
        raise Http404
    try:
        return act(row)
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return None


@login_required
def plan_approve(request: HttpRequest, pk: int) -> HttpResponse:
    plan = _approve(
        request,
        "households.approve_helpplan",
        HelpPlan.objects.select_related("household"),
        pk,
        lambda row: household_services.plan_approve(plan=row, by=cast(User, request.user)),
    )
    if plan is not None:
        messages.success(
            request,
            _("the %(year)d plan of household %(number)s is approved")
            % {"year": plan.year, "number": plan.household.number},
        )
    return redirect("dashboard:approvals")


@login_required
def commendation_approve(request: HttpRequest, pk: int) -> HttpResponse:
    commendation = _approve(
        request,
        "oversight.approve_commendation",
        Commendation.objects.all(),
        pk,
        lambda row: oversight_services.commendation_approve(
            commendation=row, by=cast(User, request.user)
        ),
    )
    if commendation is not None:
        messages.success(request, _("the commendation is approved"))
    return redirect("dashboard:approvals")
