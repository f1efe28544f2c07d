"""Security headers on every response: a strict Content-Security-Policy and the usual companions.

The pages need nothing but their own origin: scripts and styles are files under
``/static`` (no inline script, no ``style=`` attributes), charts are inline SVG
drawn with presentation attributes, and no form posts anywhere else.
"""

from __future__ import annotations

from flask import Flask, Response, request

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "manifest-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# Sent only over HTTPS (a browser ignores it on plain HTTP, and local HTTP must keep working).
STRICT_TRANSPORT_SECURITY = "max-age=31536000; includeSubDomains"


def register_security_headers(app: Flask) -> None:
    """Add :data:`SECURITY_HEADERS` to every response that does not set its own."""

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        return response
