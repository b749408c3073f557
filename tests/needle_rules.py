"""What no signed note may hold (safety.md §3.3, §5): shared by the tests of every path
that writes sessions (the service, the demo, the synthetic network)."""

from __future__ import annotations

from acuback.clinical import electrodes, points


def violations(sessions) -> list[str]:
    """Every rule a signed session of `sessions` (a queryset) breaks, in words."""
    found = []
    for session in sessions.filter(status="signed").prefetch_related("insertions",
                                                                       "needle_sets"):
        rows = list(session.insertions.all())
        for i in rows:
            point = points.site_point(i.point_code)  # an Ashi site: None, by its location
            where = f"session {session.pk} {i.point_code or 'Ashi'} {i.side}"
            if not i.angle:
                found.append(f"{where}: no angle")
            if i.depth_mm > i.length_mm:
                found.append(f"{where}: deeper than the needle")
            if points.acknowledgement_needed(point=point, side=i.side, depth_mm=i.depth_mm,
                                             angle=i.angle, location=i.location_text) \
                    and not i.caution_acknowledged:
                found.append(f"{where}: {i.depth_mm} mm {i.angle} without acknowledgement")
            if i.stimulation == "electrical":
                paired = points.lookup(i.paired_with or "")
                if point is None or paired is None:
                    found.append(f"{where}: electrical without a coded pair")
                    continue
                for a, b in electrodes.ends(point, i.side, paired, i.paired_side):
                    if electrodes.refusal(a, b):
                        found.append(f"{where}: pair {a.label} - {b.label} forbidden")
        if any(points.site_needs_chest_check(points.site_point(i.point_code), i.location_text)
               for i in rows) \
                and not session.chest_check:
            found.append(f"session {session.pk}: chest-wall point without the symptom check")
        if session.electroacupuncture and not any(i.stimulation == "electrical" and i.paired_with
                                                  for i in rows):
            found.append(f"session {session.pk}: electrical stimulation without a pair")
        rows_as_dicts = [{"needle_set": i.needle_set, "stimulation": i.stimulation}
                         for i in rows]
        sets = [{"order": s.order, "electrical": s.electrical} for s in session.needle_sets.all()]
        found += [f"session {session.pk}: {p}"
                  for p in electrodes.needle_set_problems(sets, rows_as_dicts)]
    return found
