"""Observations normalized once: canonical units, results of qualitative tests, the precision a value was reported
with, reference limits, values written with their units or in pairs (blood pressure), BMI from weight and height.
"""
from __future__ import annotations

import decimal
import re
import tomllib
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources
from typing import Any


from .. import units, vocab
from ..errors import PatientDataError, UnitError
from .entries import _day
from .record import DateSpan, ObservationIn, _QUANTITY_TEXT


@lru_cache(maxsize=1)
def record_values() -> dict[str, Any]:
    """data/record_values.toml, read once: result words for loading records, unlisted states for the evaluator."""
    return tomllib.loads(resources.files("screening.data").joinpath("record_values.toml").read_text("utf-8"))


def stated_extreme(name: str | None) -> tuple[units.QuantityDef, str] | None:
    """"CD4 nadir", "Nadir CD4 count", "Peak HbA1c": an observation that states a measurement's lowest or highest value
    ever (record_values.toml [stated_extremes]), its quantity and "lowest"/"highest"; None for any other name. Only
    a name that is nothing but the word and a quantity's name."""
    if not name:
        return None
    words = name.split()
    if len(words) < 2:
        return None
    for extreme in ("lowest", "highest"):
        said = frozenset(record_values()["stated_extremes"][extreme])
        for word, rest in ((words[0], words[1:]), (words[-1], words[:-1])):
            if word.strip(",:()").casefold() in said and (q := units.find_quantity(" ".join(rest).strip(" ,:"))) \
                    is not None and q.kind != "qualitative" and q.key != "age":
                return q, extreme
    return None


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
    # a value reported only as beyond a limit ("<0.5", ">= 1000"): ``value`` None, the limit in the canonical unit
    # and its comparator. It decides a criterion only when every value the limit allows answers alike
    bound: float | None = None
    bound_op: str | None = None


# a value beyond a reporting limit ("<0.5", ">= 1000", ">=1:640"): the comparator, and the limit as written
_CENSORED = re.compile(r"\s*(<=?|>=?|≤|≥)\s*(\S.*?)\s*", re.S)
_CENSOR_OPS = {"≤": "<=", "≥": ">="}
# digits grouped by thousands, as labs print counts ("250,000", "1,250.5", "250 000"): commas or spaces that only
# group. A comma before fewer or more than three digits ("1,5") is a decimal comma or a typo: left for the number
# check to refuse. "250.000" may be either: no value (_DOTTED)
# a lab's abnormal flag after a value, in brackets: high, low, critical, abnormal (the reference range says as much)
_FLAG = re.compile(r"\s*[(\[](?:" + "|".join(map(re.escape, record_values()["lab_flags"]["words"])) + r")[)\]]\s*$", re.I)
_HCG = record_values()["quantitative_hcg"]
_GROUPED = re.compile(r"(?<![\d.,])\d{1,3}(?:(?:,\d{3})+|(?: \d{3})+)(?![\d,])")
_DOTTED = re.compile(r"\s*\d{1,3}\.000\s*")


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


def _measures_something_else(unit: str, key: str) -> bool:
    """A unit we know that does not convert to the quantity at all (mL for a percentage): not a wrong value."""
    try:
        units.normalize_unit(unit)
    except UnitError:
        return False  # an unknown unit: refused at its path
    try:
        units.scale_to_canonical(unit, key)
    except UnitError:
        return True
    return False


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
    if isinstance(v, str):
        v = _FLAG.sub("", v)  # "1:640 (H)", "7.9 (L)": the lab's flag, not part of the value
    if q.kind == "qualitative":
        word = str(v).strip().lower() if v is not None else None
        own = dict(q.results).get(word) if word is not None else None  # "3+", "2+" of a HER2 stain: this test's words
        result = own if own in ("positive", "negative") else None if own else \
            "positive" if word in POSITIVE_WORDS else "negative" if word in NEGATIVE_WORDS else None
        if isinstance(v, (int, float)) and not isinstance(v, bool) and q.key.endswith(("_dna", "_rna")):
            result = "positive" if v > 0 else "negative"  # a viral load: any copies detected
            word = f"{v:g}{' ' + o.unit if o.unit else ''}"
        elif result is None and q.key == "pregnancy_test" and (
                (isinstance(v, (int, float)) and not isinstance(v, bool)) or (isinstance(v, str) and (
                    _CENSORED.fullmatch(v) or re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", v)))):
            # a quantitative hCG ("serum hCG 3 mIU/mL", "<2"): kept, read as no result (which cut-off the
            # lab applies is not ours to guess), but for a value reported below 5 mIU/mL, the lowest cut-off labs
            # use (5 to 25): negative by any of them (e2e review s9)
            word = f"{v:g}" if isinstance(v, (int, float)) else v.strip()
            below = _CENSORED.fullmatch(word)
            negative = below is not None and below[1] in ("<", "<=", "≤") and (o.unit or "").lower() in ("", *_HCG["units"]) \
                and re.fullmatch(r"\d+(?:\.\d+)?", below[2]) is not None and float(below[2]) <= _HCG["negative_below"]
            return Obs(None, "negative" if negative else None, day, None, None, path,
                       f"{label} {word}{' ' + o.unit if o.unit else ''}{when}")
        if v is not None and result is None and word not in INDETERMINATE_WORDS and own is None:
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
    elif isinstance(v, str) and _CENSORED.fullmatch(v):
        return _censored(o, path, q, v)
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
    elif isinstance(v, str) and _DOTTED.fullmatch(v):
        # "250.000": 250 with three decimals, or 250,000 as European feeds group thousands? Kept, read as no value
        return Obs(None, None, day, None, None, path, f"{label} {v.strip()}{' ' + o.unit if o.unit else ''}{when} "
                   "(a dot before three zeros: a decimal point or a thousands separator?)")
    elif isinstance(v, str):
        v = _GROUPED.sub(lambda m: m[0].replace(",", "").replace(" ", ""), v)
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
    shown = number if embedded is not None else v  # as written, less a flag or thousands commas
    unit = o.unit or embedded
    if value is not None and q.kind == "numeric" and q.unit not in ("1", ""):
        if not unit:
            raise PatientDataError(f"{label} needs a unit ({q.name} is measured in {q.unit})", path=f"{path}.unit")
        try:
            value = _convert(value, unit, q.key, f"{path}.unit")
        except PatientDataError:
            if not _measures_something_else(unit, q.key):
                raise
            # a unit that measures something else ("FEV1" in mL where the name reads as FEV1 % predicted): kept,
            # read as no value of this quantity (unknown), never a reason to refuse the whole record
            return Obs(None, None, day, None, None, path,
                       f"{label} {v}{' ' + unit if unit else ''}{when} ({unit} does not measure {q.name})")
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


def _censored(o: ObservationIn, path: str, q: units.QuantityDef, v: str) -> Obs:
    """"<0.5" mg/dL, ">=1:640": below or above what the lab reports. The limit is read as a value would be (its
    unit, its reference range), and kept as a bound: "creatinine <0.5 mg/dL" shows creatinine <= 1.5 mg/dL, and
    leaves "< 0.3 mg/dL" unknown."""
    m = _CENSORED.fullmatch(v)
    op = _CENSOR_OPS.get(m[1], m[1])  # type: ignore[index]
    limit = _observation(o.model_copy(update={"value": m[2]}), path, q)  # type: ignore[index]
    if limit.value is None:
        return limit  # a unit that measures something else, an ambiguous number: no value, and no bound either
    when = f" on {o.date}" if o.date else ""
    unit = f" {o.unit}" if o.unit and o.unit not in v else ""
    return replace(limit, value=None, bound=limit.value, bound_op=op,
                   summary=f"{o.name or o.code or q.name} {v.strip()}{unit}{when}", scale=None, step=None)


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


_PAIR = re.compile(r"\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)\s*(\S.*?)?\s*")


@lru_cache(maxsize=1)
def _paired_values() -> tuple[tuple[frozenset[str], frozenset[str], tuple[str, ...], str | None], ...]:
    """(names, codes, part quantities, the unit a value with none is in) of record_values.toml [paired_values]."""
    return tuple((frozenset(vocab.normalize(n) for n in t["names"]), frozenset(t.get("codes", ())), tuple(t["parts"]),
                  t.get("unit"))
                 for t in record_values()["paired_values"].values())


def _paired_parts(o: ObservationIn, path: str) -> list[tuple[str, ObservationIn]] | None:
    """"Blood pressure 130/85": the observations it holds, or None when it is no such pair."""
    name = vocab.normalize(o.name or "")
    code = (o.code or "").rpartition("|")[2].rpartition(":")[2].strip()
    for names, codes, parts, usual in _paired_values():
        if name in names or code in codes:
            m = _PAIR.fullmatch(str(o.value)) if o.value is not None else None
            if m is None or len(parts) != 2:
                raise PatientDataError(f"{o.value!r}: a {o.name or o.code} value is written like 130/85",
                                       path=f"{path}.value")
            unit = o.unit or m[3] or usual  # "155/90" with no unit: a blood pressure is in mmHg
            return [(key, o.model_copy(update={"value": v, "unit": unit, "code": None,
                                                      "name": units.get_quantity(key).name})) for key, v in zip(parts, m.groups())]
    return None

