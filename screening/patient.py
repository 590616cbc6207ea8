"""Patient records: a pydantic model for the JSON people send, normalized once into a fast view.

Normalizing at load (units to canonical, names to vocabulary keys, dates to ordinals) is what lets
evaluation compare plain numbers. Lists the record carries are complete (no entry means none);
lists or fields it leaves out are ``None`` and evaluate to ``unknown``.
"""
from __future__ import annotations

import calendar
import datetime as dt
import decimal
import os
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Annotated, Any, ClassVar, Literal

import orjson
from pydantic import (BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, ValidationError, WithJsonSchema,
                      field_validator, model_validator)

from . import units, vocab
from .errors import PatientDataError, ScreeningError, UnitError

# ---------------------------------------------------------------------------------------------
# The record as sent (JSON Schema published by `screening schema patient`)
# ---------------------------------------------------------------------------------------------


def _date_part(value: Any) -> Any:
    """Intake systems send datetimes ("2026-01-10T08:30:00Z"); screening works in days."""
    if isinstance(value, str) and len(value) > 10 and value[4] == "-" and value[10] in "T ":
        return value[:10]
    if isinstance(value, dt.datetime):
        return value.date()
    return value


ExactDay = Annotated[dt.date, BeforeValidator(_date_part)]


class DateSpan:
    """A date known only to the month or the year, as FHIR and intake systems send it ("2010", "2010-05"): its
    first and last possible day. A check that the span straddles cannot be decided from it (unknown)."""

    __slots__ = ("first", "last", "text")

    def __init__(self, first: dt.date, last: dt.date, text: str) -> None:
        self.first, self.last, self.text = first, last, text

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"DateSpan({self.text!r})"


_PARTIAL_DATE = re.compile(r"(\d{4})(?:-(\d{2}))?")
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _day_or_span(value: Any) -> dt.date | DateSpan:
    value = _date_part(value)
    if isinstance(value, (dt.date, DateSpan)):
        return value
    text = value.strip() if isinstance(value, str) else None
    m = _PARTIAL_DATE.fullmatch(text) if text else None
    try:
        if m is not None:
            year, month = int(m[1]), int(m[2]) if m[2] else None
            if month is None:
                return DateSpan(dt.date(year, 1, 1), dt.date(year, 12, 31), m[0])
            return DateSpan(dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1]), m[0])
        if text and _FULL_DATE.fullmatch(text):
            return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not a date: {exc}") from None
    raise ValueError(f"{value!r} is not a date like 2026-01-15 (or 2026-01, 2026 when only the month or year is known)")


#: a day, or a month or year when that is all the record knows (DateSpan)
Day = Annotated[dt.date | DateSpan, PlainValidator(_day_or_span), WithJsonSchema(
    {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2}([T ].*)?)?)?$",
     "description": "YYYY-MM-DD (a date-time is cut to its day); YYYY-MM or YYYY when only the month or year is known"})]


def first_day(d: dt.date | DateSpan | None) -> dt.date | None:
    return d.first if isinstance(d, DateSpan) else d


def last_day(d: dt.date | DateSpan | None) -> dt.date | None:
    return d.last if isinstance(d, DateSpan) else d


class _In(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)


class QuantityIn(_In):
    """A number with its unit: {"value": 62, "unit": "kg"}; "62 kg" is read the same."""

    value: float
    unit: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _written(cls, v: Any) -> Any:
        if isinstance(v, str):
            m = _QUANTITY_TEXT.fullmatch(v)
            if m is None:
                raise ValueError(f"{v!r} is not a quantity like \"62 kg\" or {{\"value\": 62, \"unit\": \"kg\"}}")
            return {"value": float(m[1]), "unit": m[2]}
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            raise ValueError(f"{v!r} has no unit: write {{\"value\": {v!r}, \"unit\": ...}}")
        if not isinstance(v, dict) and not isinstance(v, QuantityIn):
            raise ValueError("a quantity is an object like {\"value\": 62, \"unit\": \"kg\"}")
        return v


#: a number and its unit in one string ("12.5 g/dL", "80%", "62 kg")
_QUANTITY_TEXT = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+))\s*([^\d\s.,].*?)\s*")


class ReferenceRange(_In):
    """Normal range of a lab; either bound may be missing. Same unit as the value unless ``unit`` is given."""

    low: float | None = None
    high: float | None = None
    unit: str | None = None


class _Named(_In):
    """A record entry: named by ``name`` or ``code`` (at least one), with an optional period."""

    name: str | None = None
    code: str | None = None
    _what: ClassVar[str] = "an entry"
    _period: ClassVar[tuple[str, str] | None] = None  # (start field, end field)

    @model_validator(mode="after")
    def _check(self) -> "_Named":
        if not self.name and not self.code:
            raise ValueError(f"{self._what} needs a name or a code")
        if self._period:
            first, last = (getattr(self, f) for f in self._period)
            if first and last and last_day(last) < first_day(first):
                raise ValueError(f"end is before {self._period[0]}")
        return self


class ObservationIn(_Named):
    code: str | None = Field(default=None, description="LOINC code")
    # int kept apart: "221" was reported to 1, "221.0" to 0.1
    value: int | float | str | bool | None = Field(default=None, description=(
        "a number; a number with its unit (\"12.5 g/dL\"); a result (positive, negative, reactive, ...); a titer "
        "(\"1:160\"); a censored value (\"<0.5\", read as no value); \"130/85\" for a blood pressure"))
    unit: str | None = None
    date: Day | None = None
    reference_range: ReferenceRange | None = None
    _what: ClassVar[str] = "an observation"


class ConditionIn(_Named):
    code: str | None = Field(default=None, description="SNOMED CT or ICD-10-CM code")
    onset: Day | None = None
    end: Day | None = None
    status: Literal["active", "resolved", "remission", "inactive", "recurrence", "relapse"] | None = None
    _what: ClassVar[str] = "a condition"
    _period: ClassVar[tuple[str, str] | None] = ("onset", "end")


class MedicationIn(_Named):
    code: str | None = Field(default=None, description="RxNorm or ATC code")
    dose: QuantityIn | None = None
    route: str | None = None
    frequency: str | None = None
    start: Day | None = None
    end: Day | None = None
    _what: ClassVar[str] = "a medication"
    _period: ClassVar[tuple[str, str] | None] = ("start", "end")


class AllergyIn(_Named):
    """An allergy or intolerance (FHIR AllergyIntolerance): the substance by name or code."""

    code: str | None = Field(default=None, description="RxNorm or ATC code of the substance")
    reaction: str | None = None
    onset: Day | None = None
    status: Literal["active", "inactive", "resolved"] | None = None
    _what: ClassVar[str] = "an allergy"


class EventIn(_Named):
    date: Day | None = None


class StudyIn(_In):
    id: str | None = None
    start: Day | None = None
    end: Day | None = None


class PatientRecord(_In):
    """One patient as an intake system sends it."""

    id: str = Field(min_length=1)
    as_of: ExactDay | None = None
    birth_date: Day | None = None
    age: float | None = Field(default=None, ge=0, le=130)
    sex: Literal["female", "male", "other", "unknown"] | None = None
    weight: QuantityIn | None = None
    height: QuantityIn | None = None
    pregnant: bool | None = None
    lactating: bool | None = None
    conditions: list[ConditionIn] | None = None
    observations: list[ObservationIn] | None = None
    medications: list[MedicationIn] | None = None
    procedures: list[EventIn] | None = None
    immunizations: list[EventIn] | None = None
    studies: list[StudyIn] | None = None
    #: allergies and intolerances, complete when present (an empty list: none known)
    allergies: list[AllergyIn] | None = None
    attestations: dict[str, bool] | None = None

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, v: Any) -> Any:
        aliases = {"f": "female", "m": "male", "woman": "female", "man": "male"}
        return aliases.get(v.strip().lower(), v.strip().lower()) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _dates(self) -> "PatientRecord":
        if self.birth_date and self.as_of and first_day(self.birth_date) > self.as_of:
            raise ValueError("birth_date is after as_of")
        return self


# ---------------------------------------------------------------------------------------------
# The normalized view evaluation reads
# ---------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def record_values() -> dict[str, Any]:
    """data/record_values.toml, read once: result words for loading records, unlisted states for the evaluator."""
    return tomllib.loads(resources.files("screening.data").joinpath("record_values.toml").read_text("utf-8"))


_RESULTS: dict[str, frozenset[str]] = {kind: frozenset(words) for kind, words in record_values()["results"].items()}
POSITIVE_WORDS, NEGATIVE_WORDS, INDETERMINATE_WORDS = (_RESULTS[k] for k in ("positive", "negative", "indeterminate"))


@dataclass(frozen=True, slots=True)
class Obs:
    """One observation in canonical units; ``day`` is a date ordinal (None: undated)."""

    value: float | None  # numeric value in the quantity's canonical unit
    result: str | None  # "positive" / "negative" for qualitative tests
    day: int | None
    uln: float | None  # upper/lower reference limits, canonical unit
    lln: float | None
    path: str
    summary: str
    # The value as reported: canonical = reported * scale, read to the nearest ``step`` of the reported unit
    # ("221" µmol/L: 1). A limit written in another unit may fall between two reportable values; then the
    # record cannot tell on which side the patient is (evaluate: at the limit). None: not known or not linear.
    scale: float | None = None
    step: float | None = None
    # the record's top-level weight or height with no `as_of` to date it: the patient's value now, at whatever
    # date the screening is for (evaluate.observations_of dates it then)
    current: bool = False


@dataclass(frozen=True, slots=True)
class Entry:
    """A condition, medication, procedure, immunization or study, resolved to vocabulary keys.

    ``keys`` is None when the vocabularies do not recognise the entry: it may be anything.
    ``start``/``end`` are date ordinals; ``end`` None with ``ongoing`` True means still going on.
    """

    keys: frozenset[str] | None
    start: int | None
    end: int | None
    ongoing: bool
    path: str
    summary: str
    dose: float | None = None
    dose_unit: str | None = None
    classified: bool = True  # False: known to exist, but its class (drug class, live or not) is not known
    prednisone_factor: float | None = None  # mg prednisone per mg, for glucocorticoids
    leaves: frozenset[str] = frozenset()  # the most specific concepts among keys
    #: False for a topical, inhaled, ophthalmic ... route; None for a route we cannot place ("buccal": a
    #: clotrimazole troche acts in the mouth, a fentanyl buccal tablet in the whole body); True otherwise
    systemic: bool | None = True
    #: ended on an unknown date, known to be over by this day (a "resolved" status speaks for the
    #: record's as_of); None: over by any screening date
    over_by: int | None = None
    #: False when the entry gives no date at all (and, for a condition, no "active" status): it
    #: says that it happened, not when, so a look-back window cannot be decided from it
    dated: bool = True
    #: the route as a canonical name of medication_use.toml [route_names] ("oral", "intravenous"); a
    #: spelling none names is kept lower-cased as written; None: the record gives no route
    route: str | None = None
    #: a procedure: days after its date by which it is over (data/procedure_courses.toml: 0 for a one-day
    #: procedure, 70 for a radiotherapy course); an acute event among the conditions: days after its onset
    #: (28 for a myocardial infarction); None: it may still be going on
    course_days: int | None = None
    #: classes the entry may or may not be in (a drug whose class depends on a dose the record does not give, a
    #: condition some protocols count in a class and others not: conditions.toml maybe_parents)
    maybe_classes: frozenset[str] = frozenset()
    #: (first, last) day ordinals of each date the record gives only to the month or year ("2010-05"); ``start``
    #: and ``end`` hold their first days. A window that one of them straddles cannot be decided from the entry
    spans: tuple[tuple[int, int], ...] = ()
    #: an event among the conditions (a stroke, a pulmonary embolism: procedure_courses.toml [condition_events])
    #: with an onset and neither an end nor a status: not taken as still going on, nor as over
    event: bool = False


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


def _day(d: dt.date | DateSpan | None) -> int | None:
    """The day's ordinal; for a month or a year, its first day's (see Entry.spans)."""
    return first_day(d).toordinal() if d else None  # type: ignore[union-attr]


def _spans(*dates: dt.date | DateSpan | None) -> tuple[tuple[int, int], ...]:
    return tuple((d.first.toordinal(), d.last.toordinal()) for d in dates if isinstance(d, DateSpan))


_CENSORED = re.compile(r"\s*(?:<=?|>=?|≤|≥)\s*\S")


def _range_bound(v: float | None, unit: str | None, key: str, path: str) -> float | None:
    if v is None:
        return None
    if not unit:
        return None
    return _convert(v, unit, key, path)


def _convert(value: float, unit: str, key: str, path: str) -> float:
    try:
        return units.to_canonical(value, unit, key)
    except UnitError as exc:
        try:  # the unit is fine: then the value is what is wrong
            units.normalize_unit(unit)
            if path.endswith(".unit"):
                path = path[: -len(".unit")] + ".value"
        except UnitError:
            pass
        raise PatientDataError(str(exc.message), path=path, suggestion=exc.suggestion) from exc




def _number_with_unit(v: str, unit: str | None, q: units.QuantityDef, path: str) -> tuple[str, str]:
    """A value written with its unit ("12.5 g/dL", "80%"), as some feeds send it: the number as written, and the
    unit. A unit inside the value that contradicts the record's ``unit`` is refused."""
    m = _QUANTITY_TEXT.fullmatch(v)
    if m is None:
        raise PatientDataError(f"{v!r} is not a number", path=f"{path}.value")
    written = m[2]
    if q.unit in ("1", ""):
        if written not in units.local_units(q.key):
            raise PatientDataError(f"{v!r}: {q.name} has no unit", path=f"{path}.value")
        return m[1], written
    try:
        spelling = units.normalize_unit(written)
    except UnitError as exc:
        raise PatientDataError(f"{v!r}: {exc.message}", path=f"{path}.value") from exc
    try:
        same = unit is None or spelling == units.normalize_unit(unit)
    except UnitError:
        same = True  # the record's own unit is wrong: reported at its path when it converts
    if not same:
        raise PatientDataError(f"{v!r} is written in {written}, but its unit says {unit}", path=f"{path}.value")
    return m[1], written


def _observation(o: ObservationIn, path: str, q: units.QuantityDef) -> Obs:
    day = None if isinstance(o.date, DateSpan) else _day(o.date)  # a value "in 2025": when exactly, unknown
    when = f" on {o.date}" if o.date else ""
    label = o.name or o.code or q.name
    v = o.value
    if q.kind == "qualitative":
        word = str(v).strip().lower() if v is not None else None
        result = "positive" if word in POSITIVE_WORDS else "negative" if word in NEGATIVE_WORDS else None
        if isinstance(v, (int, float)) and not isinstance(v, bool) and q.key.endswith(("_dna", "_rna")):
            result = "positive" if v > 0 else "negative"  # a viral load: any copies detected
            word = f"{v:g}{' ' + o.unit if o.unit else ''}"
        elif result is None and q.key == "pregnancy_test" and (
                (isinstance(v, (int, float)) and not isinstance(v, bool)) or (isinstance(v, str) and (
                    _CENSORED.match(v) or re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", v)))):
            # a quantitative hCG ("serum hCG 3 mIU/mL", "<2"): kept, read as no result (which cut-off the
            # lab applies is not ours to guess)
            word = f"{v:g}" if isinstance(v, (int, float)) else v.strip()
            return Obs(None, None, day, None, None, path, f"{label} {word}{' ' + o.unit if o.unit else ''}{when}")
        if v is not None and result is None and word not in INDETERMINATE_WORDS:
            raise PatientDataError(f"{v!r} is not a test result: use positive, negative or indeterminate",
                                   path=f"{path}.value")
        # "indeterminate", "equivocal" ...: kept, and read as no result (unknown), not as an error
        return Obs(None, result, day, None, None, path, f"{label} {word}{when}")
    value: float | None
    embedded: str | None = None  # a unit written inside the value ("12.5 g/dL", "80%"), and its number
    number = ""
    if v is None:
        value = None
    elif isinstance(v, bool):
        raise PatientDataError("a measurement needs a number, not true/false", path=f"{path}.value")
    elif isinstance(v, str) and _CENSORED.match(v):
        value = None  # "<0.5", ">=1:640": below or above what the lab reports; kept, read as no value
    elif q.kind == "titer" and isinstance(v, str):
        value = units.parse_titer(v)
        if value is None:
            raise PatientDataError(f"{v!r} is not a titer like 1:160", path=f"{path}.value")
    elif q.kind == "ordinal" and isinstance(v, str):
        table = {name.lower(): num for name, num in q.ordinals}
        text = v.strip().lower()
        for prefix in ("class ", "grade ", "stage "):
            text = text.removeprefix(prefix)
        if text in table:
            value = table[text]
        else:
            try:
                value = float(text)
            except ValueError:
                raise PatientDataError(f"{v!r} is not a value of {q.name}", path=f"{path}.value") from None
    elif isinstance(v, str):
        text = v.strip()
        if "/" in text and q.unit == "1":  # a score written as 142/150
            text = text.split("/", 1)[0]
        try:
            value = float(text)
        except ValueError:
            number, embedded = _number_with_unit(v, o.unit, q, path)
            value = float(number)
    else:
        value = float(v)
    shown = number if embedded is not None else o.value
    unit = o.unit or embedded
    if value is not None and q.kind == "numeric" and q.unit not in ("1", ""):
        if not unit:
            raise PatientDataError(f"{label} needs a unit ({q.name} is measured in {q.unit})", path=f"{path}.unit")
        value = _convert(value, unit, q.key, f"{path}.unit")
    if value is not None and ((q.min is not None and value < q.min) or (q.max is not None and value > q.max)):
        raise PatientDataError(f"{shown} {unit or ''} is not a possible {q.name}".replace("  ", " "),
                               path=f"{path}.value")
    uln = lln = None
    rr = o.reference_range
    if rr is not None and value is not None and q.kind == "numeric":
        rr_unit = rr.unit or unit or q.unit
        uln = _range_bound(rr.high, rr_unit, q.key, f"{path}.reference_range.high")
        lln = _range_bound(rr.low, rr_unit, q.key, f"{path}.reference_range.low")
    shown_text = f"{shown:g}" if isinstance(shown, float) else str(shown)
    summary = f"{label} {shown_text}{' ' + unit if unit else ''}{when}"
    scale, step = _resolution(shown, unit, q) if value is not None else (None, None)
    return Obs(value, None, day, uln, lln, path, summary, scale, step)


def _derived_bmi(weights: tuple[Obs, ...], heights: tuple[Obs, ...]) -> tuple[Obs, ...]:
    """A record with weight and height but no BMI: the BMI of each weight with the newest height (height never
    goes stale: quantities.toml), dated as the weight. Its precision is not the lab's: compared exactly."""
    height = heights[0]
    if height.value is None:
        return ()
    metres = height.value / 100  # canonical cm
    return tuple(Obs(w.value / metres ** 2, None, w.day, None, None, w.path,
                     f"BMI {w.value / metres ** 2:.1f} kg/m2 (from {w.summary} and {height.summary})", current=w.current)
                 for w in weights if w.value is not None)


def _resolution(shown: Any, unit: str | None, q: units.QuantityDef) -> tuple[float | None, float | None]:
    """How the reported number converts (a plain factor) and the smallest step it was written to:
    "2.5" -> 0.1, "221" -> 1, "2.50" -> 0.01. (None, None) when either is not known."""
    if q.kind != "numeric" or isinstance(shown, bool) or not isinstance(shown, (int, float, str)):
        return None, None
    scale = units.scale_to_canonical(unit, q.key) if unit and q.unit not in ("1", "") else 1.0
    try:
        exponent = decimal.Decimal(shown.strip() if isinstance(shown, str) else repr(shown)).as_tuple().exponent
    except decimal.InvalidOperation:
        return None, None
    if scale is None or not isinstance(exponent, int) or exponent > 0:
        return None, None
    return scale, 10.0 ** exponent


_VACCINE_KINDS = frozenset({"live_vaccine", "non_live_vaccine"})


@lru_cache(maxsize=1)
def medication_use() -> dict[str, Any]:
    """Frequencies, routes, stable-dose phrases and drug-class rules (data/medication_use.toml), read once for
    records, the criteria lexer and the evaluator."""
    return tomllib.loads(resources.files("screening.data").joinpath("medication_use.toml").read_text("utf-8"))


@lru_cache(maxsize=1)
def _dose_forms() -> frozenset[str]:
    return frozenset(medication_use()["dose_forms"]["units"])


def _dose_form(unit: str) -> bool:
    """"1 tablet": a count of dosage forms, not an amount of drug (medication_use.toml [dose_forms])."""
    return " ".join(unit.strip().strip("{}").lower().split()) in _dose_forms()


@lru_cache(maxsize=1)
def _dose_class_rules() -> tuple[tuple[str, dict[str, Any], frozenset[str]], ...]:
    """medication_use.toml [dose_classes], each drug with the classes (and their ancestors) its low dose is not in."""
    out = []
    for drug, rule in medication_use().get("dose_classes", {}).items():
        classes = frozenset(c for k in rule["classes"] for c in vocab.ancestors(k))
        kept = frozenset(c for p in vocab.get_concept(drug).parents if p not in rule["classes"] for c in vocab.ancestors(p))
        out.append((drug, rule, classes - kept - {drug}))
    return tuple(out)


def _dose_classes(keys: frozenset[str], dose: float | None, unit: str | None,
                  name: str) -> tuple[frozenset[str], frozenset[str]]:
    """(keys, classes it may be in) for a drug whose class depends on its dose (medication_use.toml [dose_classes])."""
    for drug, rule, dropped in _dose_class_rules():
        if drug not in keys:
            continue
        limit = rule["up_to_mg_per_day"] if "up_to_mg_per_day" in rule else rule["up_to_mg_per_week"] / 7
        if unit == "mg/d" and dose is not None and dose > limit:
            return keys, frozenset()
        if rule.get("low_dose_is") == "maybe":  # a low dose may still be the class (maintenance chemotherapy)
            return keys - dropped, dropped
        if unit == "mg/d" and dose is not None:
            return keys - dropped, frozenset()
        low = any(w in name.lower() for w in rule["low_names"]) or (
            unit == "mg" and dose is not None and dose <= rule["low_dose_mg"])  # one dose, no frequency: 81 mg
        return keys - dropped, frozenset() if low else dropped
    return keys, frozenset()


def _route_in_name(name: str | None) -> str | None:
    """The route a drug's name states ("hydrocortisone cream": topical), when it states one only."""
    words = medication_use()["name_routes"]["words"]
    found = {words[w] for w in re.findall(r"[a-z]+", (name or "").lower()) if w in words}
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=1)
def _route_spellings() -> dict[str, str]:
    return {w: name for name, words in medication_use()["route_names"].items() for w in words}


def route_name(text: str) -> str:
    """A record's route in its canonical name ("IV" -> "intravenous"); unknown spellings as written."""
    key = " ".join(text.strip().lower().split())
    return _route_spellings().get(key, key)


@lru_cache(maxsize=1)
def route_names() -> frozenset[str]:
    """The routes a criterion can name: every canonical route and route group."""
    return frozenset((*medication_use()["route_names"], *medication_use()["route_groups"]))


@lru_cache(maxsize=1)
def record_routes() -> frozenset[str]:
    """The canonical routes a record's route is read as (a route outside them is one we cannot place)."""
    return frozenset(medication_use()["route_names"])


def route_members(route: str) -> frozenset[str]:
    """The routes a criterion's route covers ("parenteral": intravenous, intramuscular, ..., and a record
    that says "parenteral")."""
    return frozenset((route, *medication_use()["route_groups"].get(route, ())))


def _leaves(keys: frozenset[str]) -> frozenset[str]:
    """Keys that are not a parent of another key: what the entry most specifically is."""
    broader = {a for k in keys for a in vocab.ancestors(k) if a != k}
    return frozenset(keys - broader)


def _entries(items: list[Any] | None, category: str, field: str,
             as_of: dt.date | None = None) -> tuple[Entry, ...] | None:
    if items is None:
        return None
    out = []
    for i, it in enumerate(items):
        path = f"{field}[{i}]"
        keys = vocab.resolve(category, it.name, it.code)
        # a drug the NER library knows but our tables do not list ("drug:<generic>", perhaps with a
        # class guessed from its stem) is known to exist, but its other classes are not known
        classified = keys is None or not any(k.startswith("drug:") for k in keys)
        if category == "vaccine" and keys is not None:
            classified = not keys.isdisjoint(_VACCINE_KINDS)
        maybe: frozenset[str] = frozenset()
        if category == "condition" and keys:
            keys, maybe = vocab.split_doubtful(keys)
        leaves = frozenset() if keys is None else _leaves(keys)
        allergy = isinstance(it, AllergyIn)
        if allergy:  # an allergy lasts unless the record says it no longer holds
            start, end = _day(it.onset), None
            spans = _spans(it.onset)
            ongoing = it.status not in ("resolved", "inactive")
        elif category == "drug":
            start, end = _day(it.start), _day(it.end)
            spans = _spans(it.start, it.end)
            ongoing = it.end is None
        elif category == "condition":
            start, end = _day(it.onset), _day(it.end)
            spans = _spans(it.onset, it.end)
            ongoing = it.end is None and it.status not in ("resolved", "remission", "inactive")
        else:
            start = end = _day(it.date)
            spans = _spans(it.date)
            ongoing = False
        dose = dose_unit = None
        systemic = True
        route = None
        if category == "drug" and not allergy and it.dose is not None and not _dose_form(it.dose.unit):
            try:
                dose, dose_unit = units.dose_to_canonical(it.dose.value, it.dose.unit)
            except UnitError as exc:
                raise PatientDataError(exc.message, path=f"{path}.dose.unit") from exc
            if dose < 0:
                raise PatientDataError("a dose cannot be negative", path=f"{path}.dose.value")
            per_day = medication_use()["frequency"].get((it.frequency or "").strip().lower())
            if per_day is not None and not dose_unit.endswith("/d"):  # 200 mg bid -> 400 mg/d
                dose, dose_unit = dose * per_day, dose_unit + "/d"
        given = (it.route or _route_in_name(it.name)) if category == "drug" and not allergy else None
        if given:
            route = route_name(given)
            if given.strip().lower() in medication_use()["routes"]["non_systemic"]:
                systemic = False
            elif route not in medication_use()["routes"]["systemic"]:
                systemic = None  # "buccal", "swish and swallow": whether the body takes it up depends on the drug
        label = it.name or it.code
        summary = label + (f" {it.dose.value:g} {it.dose.unit}" if category == "drug" and not allergy and it.dose else "")
        if category == "condition" and it.status:
            summary += f" ({it.status})"
        if allergy:
            summary = f"allergy to {label}" + (f" ({it.reaction})" if it.reaction else "") + (
                f" ({it.status})" if it.status else "")
        factor = None
        if category == "drug" and keys:
            factor = next((f for k in keys if (f := vocab.prednisone_equivalent_factor(k)) is not None), None)
        if category == "drug" and not allergy and it.route:
            summary += f" ({it.route})"
        course = course_days(keys) if category == "procedure" else event_days(leaves) if category == "condition" else None
        event = False
        if category == "condition" and course is not None and start is not None and end is None:
            ongoing = False  # an acute event (a myocardial infarction) is over within its course, whatever the status
        elif (category == "condition" and ongoing and start is not None and end is None and it.status is None
              and is_event(leaves)):
            ongoing, event = False, True  # a stroke with an onset and nothing else: over when, the record does not say
        over_by = _day(as_of) if category == "condition" and not ongoing and end is None else None
        dated = allergy or start is not None or end is not None or (
            category == "condition" and getattr(it, "status", None) in ("active", "recurrence", "relapse"))
        if category == "drug" and not allergy and keys:
            keys, maybe = _dose_classes(keys, dose, dose_unit, it.name or "")
            if systemic is not False:
                maybe |= frozenset(c for k, classes in medication_use()["maybe_classes"].items() if k in keys
                                   for c in classes if c not in keys)
        out.append(Entry(keys, start, end, ongoing, path, summary, dose, dose_unit, classified, factor, leaves,
                         systemic, over_by, dated, route, course, maybe, spans, event))
    return tuple(out)


@lru_cache(maxsize=1024)
def course_days(keys: frozenset[str] | None) -> int | None:
    """Days after its date by which a procedure entry is over (data/procedure_courses.toml); None: cannot tell."""
    if not keys:
        return None
    data = _procedure_courses()
    spans: list[int] = []
    for k in keys:
        up = vocab.ancestors(k)
        if not up.isdisjoint(data["one_day"]):
            spans.append(0)
        elif known := [d for a, d in data["course_days"].items() if a in up]:
            spans.append(max(known))
        else:
            return None  # one of its concepts may run on without end
    return max(spans)


@lru_cache(maxsize=1024)
def event_days(leaves: frozenset[str]) -> int | None:
    """Days after its onset by which an acute event (a condition entry of data/procedure_courses.toml
    [condition_course_days], such as a myocardial infarction) is over; None: not such an event."""
    table = _procedure_courses()["condition_course_days"]
    spans = [max((d for a, d in table.items() if a in vocab.ancestors(k)), default=None) for k in leaves]
    return max(spans) if spans and None not in spans else None  # type: ignore[type-var]


@lru_cache(maxsize=1024)
def is_event(leaves: frozenset[str]) -> bool:
    """Every concept of the entry is an event with no fixed course (data/procedure_courses.toml [condition_events])."""
    events = _procedure_courses()["condition_events"]["keys"]
    return bool(leaves) and all(any(a in vocab.ancestors(k) for a in events) for k in leaves)


@lru_cache(maxsize=1)
def _procedure_courses() -> dict[str, Any]:
    return tomllib.loads(resources.files("screening.data").joinpath("procedure_courses.toml").read_text("utf-8"))


def _studies(items: list[StudyIn] | None) -> tuple[Entry, ...] | None:
    if items is None:
        return None
    return tuple(Entry(frozenset({"study"}), _day(s.start), _day(s.end), s.end is None, f"studies[{i}]",
                       f"study {s.id or '(no id)'}", dated=s.start is not None or s.end is not None,
                       spans=_spans(s.start, s.end))
                 for i, s in enumerate(items))


_PAIR = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*(\S.*?)?\s*")


@lru_cache(maxsize=1)
def _paired_values() -> tuple[tuple[frozenset[str], frozenset[str], tuple[str, ...]], ...]:
    """(names, codes, part quantities) of record_values.toml [paired_values]."""
    return tuple((frozenset(vocab.normalize(n) for n in t["names"]), frozenset(t.get("codes", ())), tuple(t["parts"]))
                 for t in record_values()["paired_values"].values())


def _paired_parts(o: ObservationIn, path: str) -> list[tuple[str, ObservationIn]] | None:
    """"Blood pressure 130/85": the observations it holds, or None when it is no such pair."""
    name = vocab.normalize(o.name or "")
    code = (o.code or "").rpartition("|")[2].rpartition(":")[2].strip()
    for names, codes, parts in _paired_values():
        if name in names or code in codes:
            m = _PAIR.fullmatch(str(o.value)) if o.value is not None else None
            if m is None or len(parts) != 2:
                raise PatientDataError(f"{o.value!r}: a {o.name or o.code} value is written like 130/85",
                                       path=f"{path}.value")
            unit = o.unit or m[3]
            return [(key, o.model_copy(update={"value": v, "unit": unit, "code": None,
                                                      "name": units.get_quantity(key).name})) for key, v in zip(parts, m.groups())]
    return None


def normalize(record: PatientRecord) -> Patient:
    """Resolve names to vocabulary keys and values to canonical units, once."""
    by_key: dict[str, list[Obs]] = {}
    unrecognized: list[str] = []
    for i, o in enumerate(record.observations or ()):
        q = units.find_quantity(o.name, o.code)
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
