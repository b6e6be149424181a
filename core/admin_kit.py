"""The admin base classes every app's back office derives from, so the theme is chosen in one place.

django-unfold's: the same API as django.contrib.admin's, with its layout, widgets and
collapsible filters.
"""

from unfold.admin import ModelAdmin as _UnfoldModelAdmin
from unfold.admin import StackedInline as _UnfoldStackedInline
from unfold.admin import TabularInline as _UnfoldTabularInline


class ModelAdmin(_UnfoldModelAdmin):
    # Filters open in a side sheet (collapsed until asked for) and apply on submit, so a
    # list keeps its width for the columns.
    list_filter_sheet = True
    list_filter_submit = True
    # Form fields read as a compact two-column layout on detail pages.
    compressed_fields = True
    warn_unsaved_form = True


class TabularInline(_UnfoldTabularInline):
    pass


class StackedInline(_UnfoldStackedInline):
    pass
