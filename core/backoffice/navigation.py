"""The sidebar: the registered menu grouped by job, cut down to what this user may see.

A model admin registered without a menu entry still appears (under System) for the
users allowed to see it, so nothing is unreachable between a merge and its menu entry.
"""

from urllib.parse import parse_qs

from django.apps import apps
from django.contrib import admin
from django.urls import NoReverseMatch, reverse

from core.backoffice import registry


def model_admin_for(label: str):
    try:
        model = apps.get_model(label)
    except (LookupError, ValueError):
        return None
    return admin.site._registry.get(model)


def changelist_url(label: str, query: str = "") -> str:
    app_label, model_name = label.lower().split(".")
    url = reverse(f"admin:{app_label}_{model_name}_changelist")
    return f"{url}?{query}" if query else url


def can_view(request, label: str) -> bool:
    model_admin = model_admin_for(label)
    return model_admin is not None and model_admin.has_view_or_change_permission(request)


def _visible(request, item: registry.MenuItem) -> bool:
    if item.superuser_only and not request.user.is_superuser:
        return False
    if item.permission and not request.user.has_perm(item.permission):
        return False
    if item.model:
        return can_view(request, item.model)
    return bool(item.url_name)


def _link(item: registry.MenuItem) -> str:
    if item.model:
        return changelist_url(item.model, item.query)
    url = reverse(item.url_name)
    return f"{url}?{item.query}" if item.query else url


def _unplaced(request) -> list[registry.MenuItem]:
    placed = {item.model.lower() for item in registry.menu_items() if item.model}
    extra = []
    for model, model_admin in admin.site._registry.items():
        if model._meta.label_lower in placed or not model_admin.has_view_or_change_permission(request):
            continue
        extra.append(
            registry.MenuItem(
                group=registry.SYSTEM,
                title=str(model._meta.verbose_name_plural).capitalize(),
                model=model._meta.label,
                order=1000,
            )
        )
    return extra


def visible_menu(request) -> dict[str, list[tuple[registry.MenuItem, str]]]:
    """{group: [(item, link)]} for this user, groups in the job order, empty ones left out."""
    groups: dict[str, list[tuple[registry.MenuItem, str]]] = {}
    for item in [*registry.menu_items(), *_unplaced(request)]:
        if not _visible(request, item):
            continue
        try:
            link = _link(item)
        except NoReverseMatch:
            continue  # an entry whose page is not mounted here (an app's optional admin)
        groups.setdefault(item.group, []).append((item, link))
    return {name: groups[name] for name in sorted(groups, key=registry.group_order)}


def _active_link(request, links: list[str]) -> str:
    """The one entry for this page: its path, and the most of its filters this page has
    (so "Payments" and "Authorized, to capture" are not both lit)."""
    best, best_score = "", -1
    for link in links:
        path, _, query = link.partition("?")
        wanted = parse_qs(query)
        if path == reverse("admin:index"):
            matches = request.path == path
        else:
            matches = request.path.startswith(path) and all(request.GET.getlist(k) == v for k, v in wanted.items())
        if matches and len(wanted) > best_score:
            best, best_score = link, len(wanted)
    return best


def sidebar(request) -> list[dict]:
    """Unfold's SIDEBAR["navigation"]: called for each page with the request."""
    menu = visible_menu(request)
    home = reverse("admin:index")
    active = _active_link(request, [home, *(link for items in menu.values() for _, link in items)])
    dashboard = {"title": "Dashboard", "icon": "dashboard", "link": home, "active": active == home}
    return [{"items": [dashboard]}] + [
        {
            "title": group,
            "separator": True,
            "collapsible": False,
            "items": [
                {"title": item.title, "icon": item.icon, "link": link, "active": link == active} for item, link in items
            ],
        }
        for group, items in menu.items()
    ]


def otp_setup_link(request) -> str:
    """The account menu's link to set up (or see) the user's authenticator app."""
    return reverse("admin:otp_setup")
