"""FHIR search parameters: what each one means, how its values are read, and which
modifiers and prefixes it honours.

What is declared here is exactly what the server honours: the search, the
CapabilityStatement and the SearchParameter resources are all written from these
declarations. A parameter, modifier, prefix or result parameter that is not declared is
refused with a 400 naming it, never silently dropped (a dropped ``subject:Patient=3``
would answer with every patient's records).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import DateTimeField, Q

from acuback.row_ids import row_id  # noqa: F401  (the one rule for ids; read here by FHIR)

NOTHING = Q(pk__in=[])
# Primary keys are 64-bit (BigAutoField): a larger number names no row (row_ids.row_id).
ASCII_ID = re.compile(r"[0-9]{1,64}")  # str.isdigit() also accepts "²" and "١"
FHIR_ID = re.compile(r"[A-Za-z0-9\-.]{1,64}")
NUMBER = re.compile(r"[0-9]{1,18}")  # at most 18 digits: fits a 64-bit OFFSET

# Every modifier FHIR R4 defines (search-modifier-code), as written after the colon;
# a resource type name (":Patient") is the "type" modifier.
FHIR_MODIFIERS = ("missing", "exact", "contains", "not", "text", "in", "not-in", "below",
                  "above", "identifier", "of-type", "iterate")
FHIR_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb", "ap")
# Result parameters the server honours, and the values it honours for each.
SUMMARY_VALUES = ("false", "true", "data", "count")  # no narrative is kept: no "text"
TOTAL_VALUES = ("none", "estimate", "accurate")
FORMAT_VALUES = ("json", "application/json", "application/fhir+json")
RESULT_PARAMS = ("_count", "_offset", "_sort", "_summary", "_elements", "_total", "_include",
                 "_revinclude", "_format")
# Given more than once, these add to each other (every other result parameter is given once).
REPEATABLE = ("_include", "_revinclude")
MAX_COUNT = 500
DEFAULT_COUNT = 50
# Project rule: at most this many comma-separated values for one parameter, and in one
# request. Each value is one or a few SQL terms; without a bound ~1,000 values reached
# SQLite's expression depth (1,000) and answered 500. Checked at the maximum on SQLite and
# PostgreSQL (tests/interop/test_search_exact.py).
MAX_OR_VALUES = 100
MAX_VALUES = 200


class SearchError(ValueError):
    """A search the server cannot do; the message names the parameter."""


# --- reading values ------------------------------------------------------------------------

def split_or(value: str) -> list[str]:
    """A value's comma-separated alternatives (OR); '\\,' is a comma inside a value."""
    parts, current, escaped = [], [], False
    for char in value:
        if escaped:
            current.append("\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == ",":
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    if escaped:
        current.append("\\")
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    return re.sub(r"\\([\\,$|])", r"\1", value)


def split_token(value: str) -> tuple[str | None, str]:
    """'code' (any system), '|code' (no system) or 'system|code' -> (system, code)."""
    parts = re.split(r"(?<!\\)\|", value)
    if len(parts) > 2:
        raise SearchError(f"{value!r} has more than one '|'; use system|code")
    if len(parts) == 1:
        return None, _unescape(parts[0])
    system, code = (_unescape(p) for p in parts)
    if not code:
        raise SearchError(f"{value!r}: a code is needed after '|' (searching a whole code "
                          "system is not supported)")
    return system, code


# --- parameter declarations ----------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    name: str
    type: str  # the FHIR search parameter type
    expression: str  # FHIRPath into the resource acuback sends
    description: str
    match: Callable[[str, str | None, type], Q]  # (one value, modifier, model) -> Q
    modifiers: tuple[str, ...] = ()  # honoured, as written after the colon
    comparators: tuple[str, ...] = ()
    target: tuple[str, ...] = ()
    sort_field: str | None = None  # the field _sort orders by; None: not sortable
    path: str | None = None  # a reference's field (the referenced row's id): _include

    @property
    def definition_id(self) -> str:
        return self.name.lstrip("_")


def string(name: str, fields: tuple[str, ...], expression: str, description: str,
           *, word_start: bool = False) -> Param:
    """A string parameter on one or more text fields. Default: a field equals or starts
    with the value, ignoring case (word_start: any word of the field does); :exact is the
    whole field, case included; :contains anywhere, ignoring case. Accents are compared
    as written (docs/fhir.md)."""
    def match(value: str, modifier: str | None, model) -> Q:
        value = _unescape(value)
        clauses = []
        for f in fields:
            if modifier == "exact":
                clauses.append(Q(**{f: value}))
            elif modifier == "contains":
                clauses.append(Q(**{f"{f}__icontains": value}))
            else:
                clauses.append(Q(**{f"{f}__istartswith": value}))
                if word_start:
                    clauses.append(Q(**{f"{f}__icontains": " " + value}))
        return reduce(or_, clauses)
    return Param(name, "string", expression, description, match, ("exact", "contains"))


def token(name: str, match_code: Callable[[str | None, str], Q], expression: str,
          description: str) -> Param:
    """A token parameter: 'code', '|code' or 'system|code'; :not excludes the matches."""
    def match(value: str, modifier: str | None, model) -> Q:
        system, code = split_token(value)
        return match_code(system, code)
    return Param(name, "token", expression, description, match, ("not",))


def reference(name: str, path: str, target: str, expression: str, description: str) -> Param:
    """A reference to one of our resources: '12', 'Target/12', or ':Target' with '12'."""
    def match(value: str, modifier: str | None, model) -> Q:
        value = _unescape(value)
        type_name, _, pk = value.rpartition("/")
        if type_name and type_name != target:
            raise SearchError(f"expected a reference to {target} ('{target}/12' or '12'), "
                              f"got {value!r}")
        if not ASCII_ID.fullmatch(pk):
            raise SearchError(f"{value!r} is not an id here (ids are ASCII digits)")
        number = row_id(pk)
        return Q(**{path: number}) if number else NOTHING
    return Param(name, "reference", expression, description, match, (target,),
                 target=(target,), path=path)


DATE_RE = re.compile(r"(eq|ne|gt|ge|lt|le|sa|eb|ap)?([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2})"
                     r"(?:T([0-9]{2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?"
                     r"(Z|[+-][0-9]{2}:[0-9]{2})?)?)?)?")
# Stored times have microseconds: a finer search value cannot be honoured as given.
MAX_FRACTION_DIGITS = 6
DATE_PREFIXES = ("eq", "ne", "gt", "lt", "ge", "le", "sa", "eb")


def date_range(value: str) -> tuple[str, datetime, datetime]:
    """A FHIR date search value -> (prefix, start, end): the implicit range of the value
    at its precision, as aware datetimes, end exclusive. A value without a time zone is
    read as UTC."""
    found = DATE_RE.fullmatch(value)
    if not found:
        raise SearchError(f"not a FHIR date: {value!r} (use e.g. ge2026-01-31)")
    prefix, year, month, day, hour, minute, second, fraction, zone = found.groups()
    if prefix == "ap":
        raise SearchError("date prefix 'ap' (approximately) is not supported; use "
                          f"{', '.join(DATE_PREFIXES)}")
    if fraction is not None and len(fraction) > MAX_FRACTION_DIGITS:
        raise SearchError(f"{value!r}: at most {MAX_FRACTION_DIGITS} digits after the "
                          "seconds' point (times are kept to the microsecond)")
    try:
        if hour is not None:
            tz = UTC if zone in (None, "Z") else datetime.strptime(zone, "%z").tzinfo
            # The value's range at its precision: "00.5" is [00.5, 00.6), "00" a second.
            step = 10 ** (MAX_FRACTION_DIGITS - len(fraction or ""))
            start = datetime(int(year), int(month), int(day), int(hour), int(minute),
                             int(second or 0), int(fraction or 0) * step, tzinfo=tz)
            end = start + (timedelta(microseconds=step) if second else timedelta(minutes=1))
        elif day is not None:
            start = datetime(int(year), int(month), int(day), tzinfo=UTC)
            end = start + timedelta(days=1)
        elif month is not None:
            start = datetime(int(year), int(month), 1, tzinfo=UTC)
            end = datetime(int(year) + (int(month) == 12), int(month) % 12 + 1, 1,
                           tzinfo=UTC)
        else:
            start = datetime(int(year), 1, 1, tzinfo=UTC)
            end = datetime(int(year) + 1, 1, 1, tzinfo=UTC)
        start, end = start.astimezone(UTC), end.astimezone(UTC)
    except (ValueError, OverflowError) as error:
        raise SearchError(f"not a valid date: {value!r} ({error})") from error
    return prefix or "eq", start, end


# A stored date covers a day, or (kept with its precision, say an imported "2024-05") the
# whole month or year; the field holds the first day of it.
DATE_UNITS = ("day", "month", "year")


def _unit_floor(moment: datetime, unit: str) -> date:
    """The first day of the day, month or year the (UTC) moment falls in."""
    day = moment.date()
    return {"day": day, "month": day.replace(day=1), "year": day.replace(month=1, day=1)}[unit]


def _unit_ceiling(moment: datetime, unit: str) -> date:
    """The first day of the first whole day, month or year starting at or after the moment."""
    floor = _unit_floor(moment, unit)
    if datetime(floor.year, floor.month, floor.day, tzinfo=UTC) == moment:
        return floor
    if unit == "day":
        return floor + timedelta(days=1)
    if unit == "month":
        return date(floor.year + (floor.month == 12), floor.month % 12 + 1, 1)
    return date(floor.year + 1, 1, 1)


def date_clause(field_name: str, is_datetime: bool, value: str, unit: str = "day") -> Q:
    """The FHIR R4 prefix rules, comparing the search value's range [s0, s1) with the
    stored value's range [t0, t1): a timestamp is a point, a date the whole (UTC) day, or
    month or year (`unit`).
      eq: s0 <= t0 and t1 <= s1    ne: not eq
      gt: t1 > s1    lt: t0 < s0    ge: gt or eq    le: lt or eq
      sa: t0 >= s1   eb: t1 <= s0
    For a stored unit starting at t0, t1 > x exactly when t0 >= the floor of x to the unit,
    and t0 >= x exactly when t0 >= its ceiling."""
    prefix, s0, s1 = date_range(value)
    f = field_name
    if is_datetime:
        def t0_ge(x): return Q(**{f"{f}__gte": x})
        def t0_lt(x): return Q(**{f"{f}__lt": x})
        def t1_gt(x): return Q(**{f"{f}__gte": x})
        def t1_le(x): return Q(**{f"{f}__lt": x})
    else:
        def t0_ge(x): return Q(**{f"{f}__gte": _unit_ceiling(x, unit)})
        def t0_lt(x): return Q(**{f"{f}__lt": _unit_ceiling(x, unit)})
        def t1_gt(x): return Q(**{f"{f}__gte": _unit_floor(x, unit)})
        def t1_le(x): return Q(**{f"{f}__lt": _unit_floor(x, unit)})
    eq = t0_ge(s0) & t1_le(s1)
    clauses = {"eq": eq, "ne": Q(**{f"{f}__isnull": False}) & ~eq,
               "gt": t1_gt(s1), "lt": t0_lt(s0), "ge": t1_gt(s1) | eq, "le": t0_lt(s0) | eq,
               "sa": t0_ge(s1), "eb": t1_le(s0)}
    return clauses[prefix]


PRECISION_FIELD = "date_precision"  # field name -> "month" or "year"; absent: a full date


def date_param(name: str, field_name: str, expression: str, description: str) -> Param:
    """A date parameter. On a model that keeps dates with their precision (a JSON field
    `date_precision`), each stored value is compared as the range its precision covers."""
    def match(value: str, modifier: str | None, model) -> Q:
        value = _unescape(value)
        is_datetime = isinstance(model._meta.get_field(field_name), DateTimeField)
        if is_datetime or PRECISION_FIELD not in {f.name for f in model._meta.get_fields()}:
            return date_clause(field_name, is_datetime, value)
        # has_key first, so the comparisons are never NULL (a negated clause stays exact).
        stored = Q(**{f"{PRECISION_FIELD}__has_key": field_name})
        partial = {unit: stored & Q(**{f"{PRECISION_FIELD}__{field_name}": unit})
                   for unit in DATE_UNITS[1:]}
        whole_day = ~stored | (stored & ~reduce(or_, partial.values()))
        return reduce(or_, [whole_day & date_clause(field_name, False, value),
                            *(partial[unit] & date_clause(field_name, False, value, unit)
                              for unit in partial)])
    return Param(name, "date", expression, description, match, comparators=DATE_PREFIXES,
                 sort_field=field_name)


def _id_match(value: str, modifier: str | None, model) -> Q:
    value = _unescape(value)
    if not FHIR_ID.fullmatch(value):
        raise SearchError(f"{value!r} is not a FHIR id")
    number = row_id(value)  # a valid id that is not ours matches nothing
    return Q(pk=number) if number else NOTHING


ID_PARAM = Param("_id", "token", "Resource.id", "The resource's logical id.", _id_match,
                 ("not",), sort_field="pk")


def last_updated(field_name: str) -> Param:
    """_lastUpdated: when the record last changed (meta.lastUpdated), on every type."""
    return date_param("_lastUpdated", field_name, "Resource.meta.lastUpdated",
                      "When the record last changed (meta.lastUpdated).")


# --- the search itself ---------------------------------------------------------------------

@dataclass(frozen=True)
class Options:
    """The result parameters: which page, and what the Bundle carries."""

    offset: int = 0
    count: int = DEFAULT_COUNT
    summary: str = "false"  # "count": the total only; "true", "data": subsetted resources
    total: str = "accurate"  # "none": no total
    sort: tuple[tuple[str, bool], ...] = ()  # (parameter name, descending)
    elements: tuple[str, ...] = ()  # _elements as given; () for every element
    include: tuple[str, ...] = ()  # _include values as given (resources.includes reads them)
    revinclude: tuple[str, ...] = ()

    @property
    def entries_wanted(self) -> bool:
        return self.summary != "count" and self.count > 0


def parse_modifier(raw_name: str) -> tuple[str, str | None]:
    name, colon, modifier = raw_name.partition(":")
    return name, (modifier if colon else None)


def _one(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise SearchError(f"{name} is given {len(values)} times; give it once")
    if not values[0]:
        raise SearchError(f"{name}: an empty value (leave the parameter out instead)")
    return values[0]


def _sort(params, declared: dict[str, Param]) -> tuple[tuple[str, bool], ...]:
    """_sort=date,-_lastUpdated: the sortable parameters, each ascending or (-) descending."""
    raw = _one(params, "_sort")
    if raw is None:
        return ()
    sortable = sorted(name for name, p in declared.items() if p.sort_field)
    keys = []
    for key in raw.split(","):
        name = key.removeprefix("-")
        if name not in sortable:
            raise SearchError(f"_sort={key!r} is not supported; sortable: "
                              f"{', '.join(sortable)} (with '-' for descending)")
        if name in {k for k, _ in keys}:
            raise SearchError(f"_sort names {name!r} twice")
        keys.append((name, key.startswith("-")))
    return tuple(keys)


def _elements(params) -> tuple[str, ...]:
    raw = _one(params, "_elements")
    if raw is None:
        return ()
    names = tuple(raw.split(","))
    if "" in names:
        raise SearchError("_elements: an empty element name")
    return names


def _whole_number(params, name: str, default: int) -> int:
    raw = _one(params, name)
    if raw is None:
        return default
    if not NUMBER.fullmatch(raw):
        raise SearchError(f"{name} must be a whole number ≥ 0 written in ASCII digits "
                          f"(at most 18), got {raw!r}")
    return int(raw)


def _choice(params, name: str, allowed: tuple[str, ...], default: str) -> str:
    raw = _one(params, name)
    if raw is None:
        return default
    if raw not in allowed:
        raise SearchError(f"{name}={raw!r} is not supported; supported: {', '.join(allowed)}")
    return raw


def result_options(params: dict[str, list[str]],
                   declared: dict[str, Param] | None = None) -> Options:
    """The result parameters; `declared` (the type's search parameters) for _sort."""
    _choice(params, "_format", FORMAT_VALUES, "json")
    count = _whole_number(params, "_count", DEFAULT_COUNT)
    if count > MAX_COUNT:  # refused, not capped: a client asking for more would miss rows
        raise SearchError(f"_count={count} is above the maximum page size {MAX_COUNT}; ask "
                          f"for at most {MAX_COUNT} and follow the next links")
    options = Options(offset=_whole_number(params, "_offset", 0), count=count,
                      summary=_choice(params, "_summary", SUMMARY_VALUES, "false"),
                      total=_choice(params, "_total", TOTAL_VALUES, "accurate"),
                      sort=_sort(params, declared or {}), elements=_elements(params),
                      include=_repeated(params, "_include"),
                      revinclude=_repeated(params, "_revinclude"))
    if options.elements and options.summary != "false":
        raise SearchError("_elements and _summary cannot be used together; give one")
    return options


def _repeated(params, name: str) -> tuple[str, ...]:
    values = tuple(params.get(name, ()))
    if "" in values:
        raise SearchError(f"{name}: an empty value (leave the parameter out instead)")
    return values


def filter_clauses(declared: dict[str, Param], params: dict[str, list[str]],
                   model, type_name: str) -> list[Q]:
    """One Q per parameter occurrence (AND between them; commas inside are OR). Raises
    SearchError naming the parameter for anything not honoured exactly."""
    clauses = []
    _check_value_counts(params)
    for raw_name, values in params.items():
        name, modifier = parse_modifier(raw_name)
        if name in RESULT_PARAMS:
            if modifier is not None:
                raise SearchError(f"{raw_name!r}: {name} takes no modifier")
            continue
        param = declared.get(name)
        if param is None:
            raise SearchError(f"unknown search parameter {raw_name!r} for {type_name}; "
                              f"supported: {', '.join(sorted([*declared, *RESULT_PARAMS]))}")
        if modifier is not None and modifier not in param.modifiers:
            honoured = ", ".join(f":{m}" for m in param.modifiers) or "none"
            raise SearchError(f"modifier {raw_name!r} is not supported for {name} "
                              f"({param.type}); supported modifiers: {honoured}")
        for value in values:
            try:
                alternatives = split_or(value)
                if any(not a for a in alternatives):
                    raise SearchError("an empty value")
                q = reduce(or_, (param.match(a, None if modifier == "not" else modifier,
                                             model) for a in alternatives))
            except SearchError as error:
                raise SearchError(f"{raw_name}: {error}") from error
            if modifier == "not":  # none of the alternatives (a subquery is null-safe)
                q = ~Q(pk__in=model._default_manager.filter(q).values("pk"))
            clauses.append(q)
    return clauses


def _check_value_counts(params: dict[str, list[str]]) -> None:
    """At most MAX_OR_VALUES alternatives for one parameter and MAX_VALUES in the request
    (project rule: what both databases run; docs/fhir.md)."""
    total = 0
    for raw_name, values in params.items():
        if parse_modifier(raw_name)[0] in RESULT_PARAMS:
            continue
        count = sum(len(split_or(value)) for value in values)
        if count > MAX_OR_VALUES:
            raise SearchError(f"{raw_name}: {count} values; at most {MAX_OR_VALUES} for one "
                              "parameter (split the search into several)")
        total += count
    if total > MAX_VALUES:
        raise SearchError(f"the search has {total} values in all; at most {MAX_VALUES} in one "
                          "request (split the search into several)")


# --- declarations as FHIR ------------------------------------------------------------------

MODIFIER_CODE = {"exact": "exact", "contains": "contains", "not": "not"}


def search_parameter(ns: str, type_name: str, param: Param) -> dict:
    """The SearchParameter resource for one declared parameter: its modifiers and
    comparators are exactly those honoured."""
    modifiers = sorted({MODIFIER_CODE.get(m, "type") for m in param.modifiers})
    resource = {
        "resourceType": "SearchParameter", "id": f"{type_name}-{param.definition_id}",
        "url": f"{ns}/SearchParameter/{type_name}-{param.definition_id}",
        "name": f"{type_name}_{param.definition_id}".replace("-", "_"),
        "status": "active", "publisher": "acuback",
        "description": param.description, "code": param.name, "base": [type_name],
        "type": param.type, "expression": param.expression,
        "multipleOr": True, "multipleAnd": True,
    }
    if param.target:
        resource["target"] = list(param.target)
    if param.comparators:
        resource["comparator"] = list(param.comparators)
    if modifiers:
        resource["modifier"] = modifiers
    return resource


def documentation(param: Param) -> str:
    """The CapabilityStatement's words for what is honoured."""
    parts = []
    if param.modifiers:
        parts.append("modifiers " + ", ".join(f":{m}" for m in param.modifiers))
    else:
        parts.append("no modifiers")
    if param.comparators:
        parts.append("prefixes " + ", ".join(param.comparators))
    parts.append("comma = OR, repeated = AND")
    if param.sort_field:
        parts.append("sortable with _sort")
    return param.description + " (" + "; ".join(parts) + ")"
