"""PDF responses of the certificate screens (住民票の写し, 戸籍証明書): the 見本 framed by its confirmation page,
and the issued paper as a download."""

from __future__ import annotations

from django.http import HttpResponse

# For the 見本 response only: CSP frame-ancestors 'self' and object-src 'self' (Chromium shows a PDF with its
# plugin viewer, which object-src 'none' would block); the site default stays 'none' everywhere else. See
# CONTENT_SECURITY_POLICY in settings.
PREVIEW_CSP = {"frame-ancestors": ["'self'"], "object-src": ["'self'"]}


def pdf_preview(document: bytes, filename: str) -> HttpResponse:
    """A 見本 PDF, shown inline in an iframe of this site's confirmation page and never cached."""
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    # Framed by this site only (the site default is DENY).
    response["X-Frame-Options"] = "SAMEORIGIN"
    # What django-csp's csp_replace decorator sets (its typing does not allow a view with URL arguments).
    setattr(response, "_csp_replace", PREVIEW_CSP)  # noqa: B010
    return response


def pdf_attachment(document: bytes, filename: str) -> HttpResponse:
    """An issued certificate, downloaded. The file name is ASCII: the 発行番号 is Japanese (令和8年第000001号),
    which not every browser saves well."""
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response
