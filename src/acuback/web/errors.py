from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def forbidden(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "web/error.html", {
        "title": "Not allowed",
        "message": "Your role does not give access to this page. "
        "Ask your clinic admin if you need it.",
    }, status=403)


def not_found(request: HttpRequest, exception=None) -> HttpResponse:
    return render(request, "web/error.html", {
        "title": "Not found",
        "message": "There is nothing here, or it belongs to a clinic you do not work for.",
    }, status=404)
