"""Clinical units and the table of measurable quantities.

Units come from our own pint definitions file (``data/units.txt``) loaded into a dedicated
registry that holds nothing else, so an unknown unit is an error, never a guess. Unit text is
first cleaned (micro signs, superscripts, ``x10^9``, UCUM brackets, ``/1.73 m2``, ``x ULN``)
and rewritten by the alias table in ``data/quantities.toml``; then each term is read by pint.
Quantities (``data/quantities.toml``) name a canonical unit each; ``to_canonical`` converts to it.
Everything parsed or looked up is cached.
"""
from __future__ import annotations

import difflib
import math
import operator
import re
import tomllib
from dataclasses import dataclass
from functools import cache, lru_cache, reduce
from importlib import resources
from typing import Any

import pint

from .errors import UnitError, VocabularyError

__all__ = ["QuantityDef", "quantities", "get_quantity", "find_quantity", "normalize_unit", "to_canonical",
           "from_canonical", "is_reference_multiple", "dose_to_canonical", "parse_titer", "format_quantity",
           "ordinal_value", "registry"]


@dataclass(frozen=True, slots=True)
class QuantityDef:
    """One measurable quantity: a lab, vital sign, score or qualitative test."""

    key: str
    name: str
    synonyms: tuple[str, ...]
    loinc: tuple[str, ...]
    unit: str
    kind: str
    molar_mass: float | None = None
    ordinals: tuple[tuple[str, float], ...] = ()
    min: float | None = None
    max: float | None = None
    max_age_days: int | None = 90
    bare_units: tuple[tuple[float, float, str], ...] = ()  # (low, high, unit): how a number written alone reads
    #: (low, high) in the canonical unit: a criterion's threshold outside it is a typo ("ANC > 100,000/mm3")
    thresholds: tuple[float, float] | None = None
    #: (qualitative tests) the condition a positive result proves present, and that proves it positive
    shows: str | None = None
    #: the condition ``shows`` does not end (HIV infection): a test named alone is it ever diagnosed
    lasting: bool = False
    #: a value beyond a threshold is an episode that comes and goes (fever): a stated window means any value in it
    episodic: bool = False
    #: which reference limits "normal" holds it to: "upper", "lower" or "both"
    normal: str = "both"
    #: what a healthy adult has: (low, high) in the canonical unit, or a qualitative result ("negative"); None unknown
    healthy: tuple[float, float] | str | None = None
    #: (qualitative tests) result words of this test alone ("3+" of a HER2 stain): {word: positive | negative |
    #: indeterminate}, read before the shared words of record_values.toml [results]
    results: tuple[tuple[str, str], ...] = ()


KINDS = ("numeric", "ordinal", "titer", "qualitative")
_DATA = resources.files("screening.data")


# --- data ----------------------------------------------------------------------------------------

@cache
def _toml() -> dict[str, Any]:
    return tomllib.loads((_DATA / "quantities.toml").read_text(encoding="utf-8"))


@cache
def registry() -> pint.UnitRegistry:
    """The clinical unit registry: only the units of ``data/units.txt``."""
    ureg = pint.UnitRegistry(None, on_redefinition="raise", cache_folder=None)
    with resources.as_file(_DATA / "units.txt") as path:
        ureg.load_definitions(str(path))
    return ureg


def _quantity(key: str, d: dict[str, Any]) -> QuantityDef:
    if d.get("kind") not in KINDS:
        raise ValueError(f"quantities.toml [{key}]: kind must be one of {KINDS}")
    age = d.get("max_age_days", 90)
    return QuantityDef(
        key=key, name=d["name"], synonyms=tuple(d.get("synonyms", ())), loinc=tuple(d.get("loinc", ())),
        unit=d["unit"], kind=d["kind"], molar_mass=d.get("molar_mass"),
        ordinals=tuple((k, float(v)) for k, v in d.get("ordinals", {}).items()),
        min=d.get("min"), max=d.get("max"), max_age_days=None if age is False else int(age),
        bare_units=tuple((float(lo), float(hi), str(u)) for lo, hi, u in d.get("bare_units", ())),
        thresholds=(float(d["thresholds"][0]), float(d["thresholds"][1])) if "thresholds" in d else None,
        shows=d.get("shows"), lasting=bool(d.get("lasting", False)), episodic=bool(d.get("episodic", False)),
        normal=_normal(key, d.get("normal", "both")), healthy=_healthy(key, d.get("healthy")),
        results=_results(key, d.get("results", {})))


def _results(key: str, table: dict[str, str]) -> tuple[tuple[str, str], ...]:
    if any(v not in ("positive", "negative", "indeterminate") for v in table.values()):
        raise ValueError(f"quantities.toml [{key}]: results must be positive, negative or indeterminate")
    return tuple((k.lower(), v) for k, v in table.items())


def _healthy(key: str, value: Any) -> tuple[float, float] | str | None:
    if value is None or isinstance(value, str):
        return value
    low, high = (float(v) for v in value)
    if low > high:
        raise ValueError(f"quantities.toml [{key}]: healthy must be [low, high]")
    return low, high


def _normal(key: str, side: str) -> str:
    if side not in ("upper", "lower", "both"):
        raise ValueError(f"quantities.toml [{key}]: normal must be upper, lower or both")
    return side


@cache
def quantities() -> dict[str, QuantityDef]:
    """Every quantity by key, loaded once from ``data/quantities.toml``."""
    return {key: _quantity(key, d) for key, d in _toml()["quantity"].items()}


@lru_cache(maxsize=None)
def get_quantity(key: str) -> QuantityDef:
    """The quantity named ``key``; VocabularyError with a close match when there is none."""
    table = quantities()
    if key in table:
        return table[key]
    known = find_quantity(key)
    close = [known.key] if known else difflib.get_close_matches(key, list(table), n=1)
    raise VocabularyError(f"unknown quantity {key!r}", suggestion=f"did you mean '{close[0]}'?" if close else None)


# --- unit text -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class _Unit:
    spelling: str
    display: str
    factor: float
    terms: tuple[tuple[str, str, int], ...]  # (prefix, unit name, exponent)

    @property
    def pint(self) -> pint.Unit:
        ureg = registry()
        parts = [ureg.Unit(prefix + name) ** exp for prefix, name, exp in self.terms]
        return reduce(operator.mul, parts) if parts else ureg.dimensionless


_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_CLEAN: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(a, re.I), b) for a, b in (
    (r"[µμ]", "u"), (r"[×✕⨯]", "x"), (r"[·⋅•]", "*"), (r"°\s*([CF])\b", r"deg\1"), (r"℃", "degC"),
    (r"\s+per\s+|^per\s+|^1\s*/", "/"),
    (r"/\s*\(?\{?\s*1[.,]73\s*(?:_|\s)*(?:sq\.?\s*)?m(?:\s*\^?\s*2)?\s*\}?\)?", "/standard_body_surface"),
    (r"/\s*24\s*-?\s*h(?:ours?|rs?)?\b", "/d"),
    (r"\{[^}]*\}", ""), (r"\[([A-Za-z]+)(?:_[a-z]+)?\]", r"\1"),
    # UCUM's product dot: "10*6.[iU]" is 10^6 IU, "mg/(kg.d)" is mg/kg/d
    (r"(10\s*[*^]\s*\d+)\.(?=[A-Za-z])", r"\1 "), (r"/\(([A-Za-z]+)\.([A-Za-z]+)\)", r"/\1/\2"),
    (r"^(?:x|\*|times)\s*(?=10|ULN\b|LLN\b|upper\b|lower\b|institutional\b|the\b)", ""), (r"^the\s+", ""),
    (r"\s*\((?:ULN|LLN)\)$", ""), (r"\s+", " ")))
_FACTOR = re.compile(r"(?:10\s*(?:\^|\*\*|\*|[eE])\s*\+?(-?\d+)|1[eE]\+?(-?\d+))(?![\d.])\s*")
_TERM = re.compile(r"\s*(?P<op>[/*.]?)\s*(?P<name>[A-Za-z_%]+)(?:\^|\*\*)?(?P<exp>-?\d+)?")
_STANDALONE = {"day", "week", "month", "year", "hour"}
_SPELL = {"standard_body_surface": "1.73m2"}
_DISPLAY = {**_SPELL, "degree_Celsius": "°C", "degree_Fahrenheit": "°F"}


def _clean(text: str) -> str:
    s = re.sub(r"[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+", lambda m: "^" + m.group().translate(_SUPER), text.strip())
    for pattern, repl in _CLEAN:
        s = pattern.sub(repl, s)
    return s.strip()


@cache
def _aliases() -> tuple[dict[str, str], dict[str, str]]:
    table: dict[str, str] = _toml().get("unit_aliases", {})
    return table, {k.casefold(): v for k, v in table.items()}


@cache
def _known_spellings() -> tuple[str, ...]:
    ureg = registry()
    names = {s for name in ureg._units for s in (name, ureg.get_symbol(name))}  # noqa: SLF001
    common = {"mg/dL", "g/dL", "ng/mL", "10^3/uL", "/uL", "IU/L", "mg/d", "mg/kg/d", "mg/m2", "IU/d"}
    table = _aliases()[0]
    return tuple(sorted(names | common | set(table) | set(table.values()) | {q.unit for q in quantities().values()}))


def _unknown(text: str, why: str) -> UnitError:
    close = difflib.get_close_matches(_clean(text), _known_spellings(), n=3, cutoff=0.5)
    hint = f"did you mean {' or '.join(repr(c) for c in close)}?" if close else "write a unit such as mg/dL, 10^9/L or U/L"
    return UnitError(f"unknown unit {text!r}: {why}", unit=text, suggestion=hint)


def _resolve(name: str, text: str, case_sensitive: bool) -> tuple[str, str]:
    """(prefix, unit) of one term; an exact (unprefixed) unit wins over a prefixed reading."""
    found = registry().parse_unit_name(name if case_sensitive else name.lower(), case_sensitive)
    if not found:
        raise _unknown(text, f"'{name}' is not a unit")
    plain = [c for c in found if not c[0]] or list(found)
    symbols = {registry().get_symbol(p + u) for p, u, _ in found}
    # with its case lost, a text whose readings differ only in case ("MIU": MIU or mIU) is refused
    if (not case_sensitive and len(symbols) > 1) or len({(p, u) for p, u, _ in plain}) > 1:
        options = " or ".join(sorted(symbols))
        raise UnitError(f"ambiguous unit {text!r}: '{name}' may be {options}", unit=text,
                        suggestion=f"write the unit with its exact case, e.g. {options}")
    return plain[0][0], plain[0][1]


def _symbol(prefix: str, name: str, display: bool) -> str:
    if name in (_DISPLAY if display else _SPELL):
        return (_DISPLAY if display else _SPELL)[name]
    if display and prefix == "micro":
        return "µ" + registry().get_symbol(name)
    return registry().get_symbol(prefix + name)


def _render(factor: float, terms: tuple[tuple[str, str, int], ...], display: bool) -> str:
    if not terms and factor == 1:
        return "1"
    if len(terms) == 1 and factor == 1 and terms[0][2] == 1 and not terms[0][0] and terms[0][1] in _STANDALONE:
        return terms[0][1]
    head = f"10^{round(math.log10(factor))}" if factor != 1 else ""

    def term(p: str, n: str, e: int) -> str:
        return _symbol(p, n, display) + (str(abs(e)) if abs(e) != 1 else "")
    num = "*".join(term(*t) for t in terms if t[2] > 0)
    den = "".join("/" + term(*t) for t in terms if t[2] < 0)
    return (head + " " + num if head and num else head or num) + den


def _parse(text: str) -> _Unit:
    found = _parse_or_error(text)
    if isinstance(found, UnitError):
        raise found.with_traceback(None)  # the kept error, its old traceback dropped so none piles up
    return found


@lru_cache(maxsize=8192)
def _parse_or_error(text: str) -> _Unit | UnitError:
    """A unit or why not, kept: the criteria lexer tries the same unknown spellings again and again, and the
    error's spelling suggestion is costly to find."""
    try:
        return _parse_text(text)
    except UnitError as exc:
        return exc


def _parse_text(text: str) -> _Unit:
    s = _clean(text)
    table, folded = _aliases()
    s = table.get(s) or folded.get(s.casefold()) or s
    factor, pos = 1.0, 0
    if s in ("", "1"):
        return _Unit("1", "1", 1.0, ())
    if m := _FACTOR.match(s):
        factor, pos = 10.0 ** int(m.group(1) or m.group(2)), m.end()
    raw: list[tuple[str, int]] = []
    while pos < len(s):
        m = _TERM.match(s, pos)
        if not m:
            raise _unknown(text, f"cannot read {s[pos:]!r}")
        exp = int(m.group("exp") or 1)
        raw.append((m.group("name"), -exp if m.group("op") == "/" else exp))
        pos = m.end()
    try:
        resolved = [(*_resolve(n, text, True), e) for n, e in raw]
    except UnitError:
        # all-caps lab output has lost its case: read every term without it, and refuse when that
        # is ambiguous ("MIU/ML" may be million or milli international units)
        lost = not any(c.islower() for c in s)
        resolved = [(*_resolve(n, text, not lost and _ok(n)), e) for n, e in raw]
    terms = tuple(resolved)
    return _Unit(_render(factor, terms, False), _render(factor, terms, True), factor, terms)


def _ok(name: str) -> bool:
    return bool(registry().parse_unit_name(name, True))


def normalize_unit(text: str) -> str:
    """The canonical spelling of a clinical unit (``x10^9/l`` -> ``10^9/L``); UnitError if unknown."""
    return _parse(text).spelling


def is_reference_multiple(unit: str) -> str | None:
    """'ULN' or 'LLN' when ``unit`` is a multiple of a reference limit (``x ULN``), else None."""
    try:
        spelling = _parse(unit).spelling
    except UnitError:
        return None
    return spelling if spelling in ("ULN", "LLN") else None


# --- conversion ----------------------------------------------------------------------------------

def local_units(key: str) -> frozenset[str]:
    """Spellings a quantity reads in its own way (quantities.toml ``local_units``: "%" for a Karnofsky score)."""
    return frozenset(_toml()["quantity"][key].get("local_units", {}))


def _local(q: QuantityDef, unit: str) -> tuple[float, pint.Unit, str]:
    """(factor, pint unit, spelling) of ``unit`` as quantity ``q`` reads it."""
    parsed = _parse(unit)
    local = _toml()["quantity"][q.key].get("local_units", {}).get(parsed.spelling)
    if local is None:
        return parsed.factor, parsed.pint, parsed.spelling
    scale, name = (1.0, local) if isinstance(local, str) else (float(local[0]), local[1])
    target = _parse(name)
    return parsed.factor * scale * target.factor, target.pint, parsed.spelling


@lru_cache(maxsize=4096)
def _converter(unit: str, key: str) -> tuple[float, float]:
    """(a, b) with canonical = a * value + b, for ``unit`` into the canonical unit of ``key``."""
    q = get_quantity(key)
    if q.kind == "qualitative":
        raise UnitError(f"{key} is a qualitative test (positive/negative), it has no unit", unit=unit)
    sf, su, sname = _local(q, unit)
    tf, tu, tname = _local(q, q.unit)
    if tname in ("1", "titer") and su.dimensionless and (sf * registry().Quantity(1, su).to("").magnitude != 1):
        raise UnitError(f"{unit!r} is not a unit of {key} ({q.name} is a plain number)", unit=unit,
                        suggestion=f"give {key} without a unit")
    ureg = registry()

    def convert(x: float) -> float:
        source = ureg.Quantity(x * sf, su)
        try:
            return float(source.to(tu).magnitude) / tf
        except pint.DimensionalityError:
            if q.molar_mass is None:
                raise
            return float(source.to(tu, "clinical", mw=ureg.Quantity(q.molar_mass, "g/mol")).magnitude) / tf
    try:
        b = convert(0.0)
        return convert(1.0) - b, b
    except pint.DimensionalityError:
        raise UnitError(f"cannot convert {unit!r} to {q.unit!r} for {key}", unit=unit,
                        suggestion=f"{q.name} is measured in {q.unit} or a unit convertible to it") from None


def to_canonical(value: float, unit: str, quantity: str) -> float:
    """``value unit`` in the canonical unit of ``quantity``; UnitError when not convertible or
    when the result is outside the quantity's plausible range (almost always a wrong unit).
    Multiples of ULN/LLN come back unchanged: the caller compares them with reference limits."""
    if is_reference_multiple(unit):
        q = get_quantity(quantity)
        if q.kind != "numeric" or value < 0:
            raise UnitError(f"{quantity} cannot be given as a multiple of {unit!r}", unit=unit)
        return float(value)
    a, b = _converter(unit, quantity)
    result = _tidy(a * value + b)
    q = get_quantity(quantity)
    if (q.min is not None and result < q.min) or (q.max is not None and result > q.max) or math.isnan(result):
        given, shown = format_quantity(value, unit), format_quantity(result, q.unit)
        raise UnitError(f"{given}{f' (= {shown})' if shown != given else ''} is not a plausible {q.name}", unit=unit,
                        suggestion=f"{q.name} lies between {format_quantity(q.min or 0, q.unit)} and "
                                   f"{format_quantity(q.max or 0, q.unit)}: check the unit")
    return result


def scale_to_canonical(unit: str, quantity: str) -> float | None:
    """Canonical units per one ``unit`` of ``quantity`` when the conversion is a plain factor (None for
    an offset scale such as °F, or for multiples of ULN/LLN)."""
    if is_reference_multiple(unit):
        return None
    a, b = _converter(unit, quantity)
    return a if b == 0 else None


def from_canonical(value: float, unit: str, quantity: str) -> float:
    """The inverse of ``to_canonical``: a canonical value expressed in ``unit`` (no range check)."""
    a, b = _converter(unit, quantity)
    return _tidy((value - b) / a)


def _tidy(x: float) -> float:
    """Drop binary noise (350.00000000000006 -> 350.0): 12 significant digits are plenty."""
    return float(f"{x:.12g}")


_DOSE_PARTS = {("[mass]", 1): "mg", ("[biological_activity]", 1): "IU",
               ("[mass]", -1): "/kg", ("[length]", -2): "/m2", ("[time]", -1): "/d"}


@lru_cache(maxsize=1024)
def _dose(unit: str) -> tuple[float, str]:
    """(factor, canonical dose unit): one mass or IU term, then optional /kg, /m2 and /time."""
    parsed = _parse(unit)
    parts: list[str | None] = []
    for prefix, name, exp in parsed.terms:
        dims = list(registry().get_dimensionality(prefix + name).items())
        parts.append(_DOSE_PARTS.get((dims[0][0], exp)) if len(dims) == 1 and dims[0][1] == 1 else None)
    head, *tail = parts or [None]
    if head not in ("mg", "IU") or None in tail or len(set(tail)) < len(tail) or {"mg", "IU"} & set(tail):
        raise UnitError(f"{unit!r} is not a dose unit", unit=unit,
                        suggestion="write a dose as mg, mg/d, mg/kg, mg/kg/d, mg/m2, IU or IU/d")
    canon = str(head) + "".join(p for p in ("/kg", "/m2", "/d") if p in tail)
    factor = registry().Quantity(parsed.factor, parsed.pint).to(_parse(canon).pint).magnitude
    return _tidy(float(factor)), canon


def dose_to_canonical(value: float, unit: str) -> tuple[float, str]:
    """A dose in its canonical dose unit: mg, mg/d, mg/kg, mg/kg/d, mg/m2, IU, IU/d ..."""
    factor, canon = _dose(unit)
    return _tidy(value * factor), canon


# --- values and text -----------------------------------------------------------------------------

_TITER = re.compile(r"\s*1\s*[:/]\s*(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*")


def parse_titer(text: str) -> float | None:
    """The dilution of a titer (``1:160`` -> 160.0), or None when ``text`` is not one."""
    m = _TITER.fullmatch(text)
    value = float(m.group(1).replace(",", "")) if m else 0.0
    return value if value >= 1 else None


def ordinal_value(text: str, quantity: str) -> float | None:
    """The number of an ordinal level (NYHA 'class III' -> 3.0), or None when not a level."""
    return dict(get_quantity(quantity).ordinals).get(re.sub(r"\s+", " ", text.strip().casefold()))


def _number(value: float) -> str:
    text = f"{value:.6g}"
    if "e" in text:
        text = f"{value:.12f}".rstrip("0").rstrip(".") if abs(value) < 1 else f"{value:.0f}"
    return text


def format_quantity(value: float, unit: str) -> str:
    """``value unit`` for people: '100 ×10^9/L', '1.5 mg/kg/d', '3 × ULN', '1:160', '45%'."""
    number = _number(value)
    try:
        parsed = _parse(unit) if unit else None
    except UnitError:
        return f"{number} {unit}"
    if parsed is None or parsed.spelling == "1":
        return number
    if parsed.spelling == "titer":
        return f"1:{number}"
    if parsed.spelling in ("ULN", "LLN"):
        return f"{number} × {parsed.spelling}"
    if parsed.spelling in _STANDALONE:
        return f"{number} {parsed.spelling}{'' if value == 1 else 's'}"
    if parsed.spelling == "%" or parsed.display.startswith("/"):
        return number + parsed.display
    return f"{number} {'×' if parsed.factor != 1 else ''}{parsed.display}"


# record and criteria names of quantities (a module of its own; it reads quantities() above)
from .quantity_names import find_quantity  # noqa: E402
