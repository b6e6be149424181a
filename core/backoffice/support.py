"""Support notes on detail pages (sessions, payments, orders), one mechanism for all.

A note is written by the owning app's service, which records it where the API's
`POST /sessions/{id}/support-note` does: on the object's timeline, with its audit row
(merchants.AuditEntry, action `support_note`). The page reads the notes back from the audit
trail, so there is no second store. The form posts to `<object>/support-note/` and is
redirected back (POST-redirect-GET); its one-time token makes a double click one note.
"""

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from core.exceptions import DomainError
from core.ids import random_token
from merchants.audit.selectors import audit_list

NOTE_PERMISSION = "merchants.add_support_note"
FORM_TOKEN_SECONDS = 24 * 3600


def form_token() -> str:
    return random_token(24)


def form_token_claim(token: str) -> bool:
    """True the first time a form's token is presented. The cache is shared by every web
    process (Redis outside the local run), and `add` sets only a missing key."""
    return bool(token) and cache.add(f"backoffice:form-token:{token}", 1, timeout=FORM_TOKEN_SECONDS)


def staff_actor(request) -> str:
    return f"staff:{request.user.get_username()}"


def staff_author(request) -> str:
    return request.user.get_full_name() or request.user.get_username()


class SupportNotesMixin:
    """For a ModelAdmin (listed before it): adds the notes card below the change page and
    the view its form posts to. The admin says what its objects are in the audit trail
    (`support_note_object_type`, `support_note_target(obj) -> (merchant_id, object_id)`)
    and writes a note through its app's service (`support_note_write(request, obj, note)`)."""

    support_note_object_type = ""
    change_form_outer_after_template = "admin/includes/support_notes.html"

    def support_note_target(self, obj) -> tuple[int, str]:
        return obj.merchant_id, obj.public_id

    def support_note_write(self, request, obj, note: str) -> None:
        raise NotImplementedError

    def has_support_note_permission(self, request) -> bool:
        return request.user.has_perm(NOTE_PERMISSION)

    def get_urls(self):
        name = f"{self.opts.app_label}_{self.opts.model_name}_support_note"
        view = self.admin_site.admin_view(require_POST(self.support_note_view))
        return [path("<path:object_id>/support-note/", view, name=name), *super().get_urls()]

    def change_page_url(self, obj) -> str:
        return reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[obj.pk])

    def support_note_view(self, request, object_id):
        obj = self.get_object(request, object_id)
        if obj is None or not self.has_view_permission(request, obj):
            raise Http404
        if not self.has_support_note_permission(request):
            raise PermissionDenied
        back = HttpResponseRedirect(f"{self.change_page_url(obj)}#support")
        if not form_token_claim(request.POST.get("token", "")):
            messages.info(request, "That note was added already.")
            return back
        note = request.POST.get("note", "").strip()
        if not note:
            messages.error(request, "Write the note first.")
            return back
        try:
            self.support_note_write(request, obj, note[:4000])
        except DomainError as exc:
            messages.error(request, exc.message)
            return back
        messages.success(request, "Note added.")
        return back

    def support_context(self, request, obj) -> dict:
        merchant_id, object_id = self.support_note_target(obj)
        entries = audit_list(
            merchant_id=merchant_id, object_type=self.support_note_object_type, object_id=object_id
        ).order_by("-created_at", "-id")
        return {
            "notes": [
                {"note": entry.data.get("note", ""), "author": entry.data.get("author", ""), "actor": entry.actor,
                 "when": entry.created_at}
                for entry in entries.filter(action="support_note")[:100]
            ],
            "can_add_note": self.has_support_note_permission(request),
            "note_action": reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_support_note", args=[obj.pk]),
            "token": form_token(),
        }  # fmt: skip

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, object_id)
        extra = {"support": self.support_context(request, obj)} if obj is not None else {}
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})
