"""The patient record as intake systems send it: pydantic models (published as JSON Schema by `screening schema
patient`), dates to the day, month or year, quantities with their units.
"""
from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (AliasChoices, BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, WithJsonSchema,
                      field_validator, model_validator)



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


def _status_word(v: Any) -> Any:
    """A status as intake systems send it: "Active", or FHIR's clinicalStatus {"coding": [{"code": "resolved"}]}."""
    if isinstance(v, dict):
        coding = v.get("coding") or [{}]
        v = (coding[0] if isinstance(coding, list) and coding and isinstance(coding[0], dict) else {}).get("code") \
            or v.get("code") or v.get("text")
    return v.strip().lower() if isinstance(v, str) else v


#: a status under the names intake systems give it (FHIR: clinicalStatus)
_STATUS_NAMES = AliasChoices("status", "clinicalStatus", "clinical_status")


class ConditionIn(_Named):
    code: str | None = Field(default=None, description="SNOMED CT or ICD-10-CM code")
    onset: Day | None = None
    end: Day | None = None
    status: Annotated[Literal["active", "resolved", "remission", "inactive", "recurrence", "relapse"] | None,
                      BeforeValidator(_status_word)] = Field(
        default=None, validation_alias=_STATUS_NAMES)
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
    status: Annotated[Literal["active", "inactive", "resolved"] | None, BeforeValidator(_status_word)] = Field(
        default=None, validation_alias=_STATUS_NAMES)
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

    @field_validator("birth_date")
    @classmethod
    def _born(cls, v: Any) -> Any:
        if v is not None and first_day(v) > dt.date.today():  # type: ignore[operator]
            raise ValueError("a birth date in the future")
        return v

