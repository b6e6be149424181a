"""The back office's Content-Security-Policy: the site's, plus what its theme needs.

django-unfold's pages run Alpine.js, which evaluates its attribute expressions
(`x-data`, `x-show`) as code, and carry small inline scripts: under the site-wide
script policy ('self' only) menus, filters and dialogs would not work. Only admin pages
get this, and they still load nothing from anywhere but our own origin.
"""

ADMIN_SCRIPT_SRC = ["'self'", "'unsafe-inline'", "'unsafe-eval'"]


class BackOfficePolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.prefix = "/admin/"

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(self.prefix):
            update = dict(getattr(response, "_csp_update", None) or {})
            update["script-src"] = ADMIN_SCRIPT_SRC
            response._csp_update = update
        return response
