"""PDFs from the same templates as the pages (WeasyPrint), on A4 or US Letter."""

from __future__ import annotations

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
    document = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
