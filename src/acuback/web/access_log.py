"""gunicorn's access log without query strings.

A search for a patient puts the name, date of birth or e-mail address in the query
string (`/patients/?q=Okonkwo`), and the next page's referrer repeats it; the access log
keeps the path, never the query, of both (and of anything else that could carry one)."""

from __future__ import annotations

from gunicorn.glogging import Logger

# Atoms that hold a URL (the query and fragment are cut off) or a bare query string (left
# out): gunicorn's own, and the request headers and WSGI variables a format can name.
URL_ATOMS = {"f", "{referer}i", "{raw_uri}e", "{request_uri}e", "{http_referer}e"}
QUERY_ATOMS = {"q", "{query_string}e"}


def without_query(url: str) -> str:
    return url.split("?", 1)[0].split("#", 1)[0]


class AccessLogWithoutQueries(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        atoms["r"] = " ".join((environ.get("REQUEST_METHOD", "-"),
                               without_query(environ.get("RAW_URI", "-")),
                               environ.get("SERVER_PROTOCOL", "-")))
        for key in URL_ATOMS & atoms.keys():
            if isinstance(atoms[key], str):
                atoms[key] = without_query(atoms[key])
        for key in QUERY_ATOMS & atoms.keys():
            atoms[key] = "-"
        return atoms
