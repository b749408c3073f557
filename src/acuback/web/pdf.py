"""PDFs from the same templates as the pages (WeasyPrint), on A4 or US Letter."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from urllib.parse import unquote

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

PAPERS = {"a4": "A4", "letter": "letter"}


def paper_from(request: HttpRequest) -> str:
    return PAPERS.get(request.GET.get("paper", "a4").lower(), "A4")


def wants_pdf(request: HttpRequest) -> bool:
    return request.GET.get("format") == "pdf"


def pdf_response(request: HttpRequest, template: str, context: dict, filename: str) -> HttpResponse:
    from weasyprint import HTML

    html = render_to_string(template, {**context, "pdf": True, "paper": paper_from(request)},
                            request)
    # The base is the configured address, never the request's Host header; every
    # resource goes through static_only_fetcher.
    document = HTML(string=html, base_url=settings.ACUBACK_BASE_URL + "/",
                    url_fetcher=static_only_fetcher).write_pdf()
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class ResourceRefused(ValueError):
    """WeasyPrint skips a resource whose fetch raises (and logs it)."""


def static_only_fetcher(url: str):
    """The resources a PDF may load: the project's static files, read from disk (the
    stylesheet), and data: URLs. Nothing over the network, and no other file: a URL in
    text that reached the page (`file:///etc/passwd`, `http://...`) loads nothing."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    if url.startswith("data:"):
        return URLFetcher(allowed_protocols={"data"}).fetch(url)
    static = settings.ACUBACK_BASE_URL + "/" + settings.STATIC_URL.lstrip("/")
    if url.startswith(static):
        name = unquote(url[len(static):].split("?", 1)[0].split("#", 1)[0])
        try:
            found = finders.find(name) if name else None
        except SuspiciousFileOperation:
            found = None
        if isinstance(found, str):
            kind = mimetypes.guess_type(found)[0] or "application/octet-stream"
            return URLFetcherResponse(url, body=Path(found).read_bytes(),
                                      headers={"Content-Type": kind})
    raise ResourceRefused("a PDF loads only the project's static files")
