"""What the apps contribute to the back office: menu entries, work-waiting tiles, figures.

An app calls these from its AppConfig.ready() (see payments/backoffice.py for a whole
example); core never imports an app, so a new app adds its menu and its queue's tile
without editing anything here. Entries are plain data; each is shown only to a user
who may see what it links to.
"""

from collections.abc import Callable
from dataclasses import dataclass

# The sidebar's groups, by job, in this order. An app may name another group: it is shown
# before "System".
PAYMENTS = "Payments"
ORDERS = "Orders"
REFUNDS = "Refunds & disputes"
FRAUD = "Fraud"
FINANCE = "Reconciliation & finance"
DEVELOPERS = "Merchants & developers"
SYSTEM = "System"
GROUPS = (PAYMENTS, ORDERS, REFUNDS, FRAUD, FINANCE, DEVELOPERS, SYSTEM)


@dataclass(frozen=True)
class MenuItem:
    """A sidebar link. `model` ("app_label.ModelName") links to its list, filtered by
    `query`, and is shown to users who may view that model; `url_name` links to any
    other admin page instead, shown to users holding `permission`."""

    group: str
    title: str
    model: str = ""
    url_name: str = ""
    query: str = ""
    icon: str = "chevron_right"  # a Material Symbols name (unfold ships the font)
    permission: str = ""
    superuser_only: bool = False
    order: int = 100


@dataclass(frozen=True)
class Tile:
    """A queue on the home dashboard: how many items wait, linking to the filtered list.

    `count` takes no argument and returns an int (one query: it runs on every visit of
    the home page); the tile is shown to users who may view `model`.
    """

    key: str
    title: str
    model: str
    count: Callable[[], int]
    query: str = ""
    description: str = ""
    tone: str = "warning"  # "danger" when waiting costs money or trust, else "warning"
    order: int = 100


@dataclass(frozen=True)
class Figure:
    """A number for the dashboard's "Today" row. `value` takes no argument and returns
    a list of (label, text) pairs, e.g. one per currency."""

    key: str
    title: str
    value: Callable[[], list[tuple[str, str]]]
    permission: str = ""
    order: int = 100


_menu: dict[tuple[str, str], MenuItem] = {}
_tiles: dict[str, Tile] = {}
_figures: dict[str, Figure] = {}


def add_menu(*items: MenuItem) -> None:
    """Adds sidebar entries; the same group and title again replaces the earlier one."""
    for item in items:
        _menu[(item.group, item.title)] = item


def add_tile(tile: Tile) -> None:
    """Adds a work-waiting tile; the same key again replaces the earlier one."""
    _tiles[tile.key] = tile


def add_figure(figure: Figure) -> None:
    _figures[figure.key] = figure


def menu_items() -> list[MenuItem]:
    return sorted(_menu.values(), key=lambda item: (item.order, item.title))


def tiles() -> list[Tile]:
    return sorted(_tiles.values(), key=lambda tile: (tile.order, tile.title))


def figures() -> list[Figure]:
    return sorted(_figures.values(), key=lambda figure: (figure.order, figure.title))


def group_order(name: str) -> int:
    return GROUPS.index(name) if name in GROUPS else GROUPS.index(SYSTEM) - 0.5
