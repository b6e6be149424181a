"""The admin base classes every app's back office derives from, so the theme is chosen in one place."""

from django.contrib import admin

ModelAdmin = admin.ModelAdmin
TabularInline = admin.TabularInline
StackedInline = admin.StackedInline
