"""Patient records: a pydantic model for the JSON people send, normalized once into a fast view.

Normalizing at load (units to canonical, names to vocabulary keys, dates to ordinals) is what lets
evaluation compare plain numbers. Lists the record carries are complete (no entry means none);
lists or fields it leaves out are ``None`` and evaluate to ``unknown``.

The package: record (the JSON as sent), observations, entries (the lists); this module builds the Patient.
"""
from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from typing import Any

import orjson
from pydantic import ValidationError

from .. import units
from ..errors import PatientDataError, ScreeningError
from .entries import (Entry, _day, _entries, _studies, course_days, event_days, event_fresh_days, event_longest_days,
                      is_event, medication_use, record_routes, route_members, route_name, route_names)
from .observations import Obs, stated_extreme, _convert, _derived_bmi, _observation, _paired_parts, _resolution, record_values
from .record import DateSpan, PatientRecord, first_day

__all__ = ["DateSpan", "Entry", "Obs", "Patient", "PatientRecord", "course_days", "event_days", "event_fresh_days",
           "event_longest_days", "is_event", "load_patient", "medication_use", "normalize", "parse_patient",
           "patient_schema", "record_routes", "record_values", "route_members", "route_name", "route_names"]


@dataclass(frozen=True, slots=True)
class Patient:
    """The normalized record. Built once per record; cheap to evaluate against many trials."""

    id: str
    as_of: dt.date | None
    birth_date: dt.date | None  # the first possible day when the record gives only a month or a year
    age: float | None
    sex: str | None
    pregnant: bool | None
    lactating: bool | None
    observations: dict[str, tuple[Obs, ...]]  # quantity key -> newest first
    unrecognized_observations: tuple[str, ...]
    conditions: tuple[Entry, ...] | None
    medications: tuple[Entry, ...] | None
    procedures: tuple[Entry, ...] | None
    immunizations: tuple[Entry, ...] | None
    studies: tuple[Entry, ...] | None
    attestations: dict[str, bool] | None
    allergies: tuple[Entry, ...] | None = None
    birth_last: dt.date | None = None  # the last possible birth day, when the record gives only a month or a year


def normalize(record: PatientRecord) -> Patient:
    """Resolve names to vocabulary keys and values to canonical units, once."""
    by_key: dict[str, list[Obs]] = {}
    unrecognized: list[str] = []
    for i, o in enumerate(record.observations or ()):
        q = units.find_quantity(o.name, o.code)
        if q is None and (stated := stated_extreme(o.name)) is not None:  # "CD4 nadir": the lowest ever, as of its date
            q, extreme = stated
            by_key.setdefault(f"{q.key}@{extreme}", []).append(_observation(o, f"observations[{i}]", q))
            continue
        if q is None:
            parts = _paired_parts(o, f"observations[{i}]")
            if parts is None:
                unrecognized.append(o.name or o.code or "?")
            for key, part in parts or ():
                by_key.setdefault(key, []).append(_observation(part, f"observations[{i}]", units.get_quantity(key)))
            continue
        by_key.setdefault(q.key, []).append(_observation(o, f"observations[{i}]", q))
    for field, key in (("weight", "body_weight"), ("height", "height")):
        qin = getattr(record, field)
        if qin is not None:
            value = _convert(qin.value, qin.unit, key, f"{field}.unit")
            q = units.get_quantity(key)
            if (q.min is not None and value < q.min) or (q.max is not None and value > q.max) or value <= 0:
                raise PatientDataError(f"{qin.value} {qin.unit} is not a possible {field}", path=f"{field}.value")
            day = _day(record.as_of)
            scale, step = _resolution(qin.value, qin.unit, q)
            by_key.setdefault(key, []).append(Obs(value, None, day, None, None, field, f"{field} {qin.value:g} {qin.unit}",
                                                  scale, step, current=day is None))
    observations = {k: tuple(sorted(v, key=lambda ob: ob.day if ob.day is not None else -1, reverse=True))
                    for k, v in by_key.items()}
    observations = {k: tuple(sorted(v, key=lambda ob: not ob.current)) for k, v in observations.items()}  # now: newest
    if "bmi" not in observations and "body_weight" in observations and "height" in observations:
        observations["bmi"] = _derived_bmi(observations["body_weight"], observations["height"])
    return Patient(
        id=record.id, as_of=record.as_of, birth_date=first_day(record.birth_date),
        birth_last=record.birth_date.last if isinstance(record.birth_date, DateSpan) else None,
        age=record.age, sex=record.sex,
        pregnant=record.pregnant, lactating=record.lactating, observations=observations,
        unrecognized_observations=tuple(unrecognized),
        conditions=_entries(record.conditions, "condition", "conditions", record.as_of),
        medications=_entries(record.medications, "drug", "medications"),
        procedures=_entries(record.procedures, "procedure", "procedures"),
        immunizations=_entries(record.immunizations, "vaccine", "immunizations"),
        studies=_studies(record.studies), attestations=record.attestations,
        allergies=_entries(record.allergies, "drug", "allergies"),
    )


def _json_path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not str(part).startswith(("function-", "float", "str", "bool", "literal[")):
            out += ("." if out else "") + str(part)
    return out


def parse_patient(data: Any, *, source: str | None = None) -> Patient:
    """Validate and normalize a record already decoded from JSON."""
    try:
        record = PatientRecord.model_validate(data)
    except ValidationError as exc:
        errors = tuple((_json_path(e["loc"]), e["msg"]) for e in exc.errors())
        raise PatientDataError(errors[0][1], path=errors[0][0], errors=errors, source=source) from None
    try:
        return normalize(record)
    except PatientDataError as exc:
        exc.source = source
        raise


def load_patient(path: str | os.PathLike[str]) -> Patient:
    """Read one patient JSON file."""
    try:
        raw = open(path, "rb").read()
    except OSError as exc:
        raise ScreeningError(f"cannot read patient file: {exc.strerror}", source=str(path)) from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise PatientDataError(f"not valid JSON: {exc}", source=str(path)) from None
    return parse_patient(data, source=str(path))


def patient_schema() -> dict[str, Any]:
    """The published JSON Schema of a patient record."""
    return PatientRecord.model_json_schema()

