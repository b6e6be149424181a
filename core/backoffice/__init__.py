"""The back office's shell: theme, navigation, home dashboard, roles and staff sign-in.

Apps contribute their menus, "work waiting" tiles and dashboard figures through
`core.backoffice.registry` from their AppConfig.ready(); nothing here imports an app.
"""
