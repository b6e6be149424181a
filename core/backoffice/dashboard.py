"""The home page: the queues waiting for someone, and today's figures.

Every tile and figure comes from the registry (the apps contribute them) and is shown
only to a user allowed to open what it links to.
"""

from django.conf import settings
from django.templatetags.static import static

from core.backoffice import registry
from core.backoffice.navigation import can_view, changelist_url, visible_menu


def waiting_tiles(request) -> list[dict]:
    shown = []
    for tile in registry.tiles():
        if not can_view(request, tile.model):
            continue
        count = tile.count()
        shown.append(
            {
                "key": tile.key,
                "title": tile.title,
                "count": count,
                "link": changelist_url(tile.model, tile.query),
                "description": tile.description,
                # A queue with nothing in it is calm, whatever its usual urgency.
                "tone": tile.tone if count else "calm",
            }
        )
    return shown


def today_figures(request) -> list[dict]:
    return [
        {"key": figure.key, "title": figure.title, "values": figure.value()}
        for figure in registry.figures()
        if not figure.permission or request.user.has_perm(figure.permission)
    ]


def dashboard_callback(request, context):
    context.update(
        {
            "waiting_tiles": waiting_tiles(request),
            "today_figures": today_figures(request),
            # The home page repeats the user's menu as shortcuts, System left to the sidebar.
            "nav_groups": [
                (group, items) for group, items in visible_menu(request).items() if group != registry.SYSTEM
            ],
        }
    )
    return context


def environment_callback(request):
    """The badge beside the site name: which world these numbers come from."""
    if settings.IS_PRODUCTION:
        return None
    return [f"{settings.APP_ENV} environment", "warning"]


def stylesheet(request):
    return static("backoffice/backoffice.css")
