"""Units and the quantity table: real conversions, errors that name the unit, a sound table."""
from __future__ import annotations

import math
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening import quantity_names, units
from screening.errors import UnitError, VocabularyError

Q = units.quantities()


# --- normalize_unit ------------------------------------------------------------------------------

SPELLINGS = {
    "10^9/L": ["10^9/L", "×10^9/L", "x10^9/l", "10*9/L", "10E9/L", "x 10^9/L", "10⁹/L", "1e9/L", "X10^9/L"],
    "10^3/uL": ["x10^3/uL", "10^3/µL", "K/uL", "k/ul", "10*3/uL", "thou/uL", "10^3/μL"],
    "/mm3": ["/mm3", "/mm³", "/mmc", "per mm3", "/cumm"],
    "/uL": ["/µl", "/uL", "/μL", "{cells}/uL"],
    "cells/uL": ["cells/µL", "cells/uL", "cells/μl"],
    "g/dL": ["g/dL", "g/dl", "gm%", "g%", "gm/dL", "G/DL"],
    "g/L": ["g/l", "g/L"],
    "mg/dL": ["mg/dL", "mg%", "MG/DL", "Mg/dl"],
    "mmol/L": ["mmol/L", "mmol/l", "MMOL/L"],
    "umol/L": ["µmol/L", "umol/l", "μmol/L", "mcmol/L"],
    "mL/min": ["mL/min", "ml/min", "ML/MIN"],
    "mL/min/1.73m2": ["ml/min/1.73 m2", "mL/min/1.73m²", "mL/min/1.73 m^2", "mL/min per 1.73 m2",
                      "mL/min/{1.73_m2}", "mL/min/(1.73 m2)"],
    "mmHg": ["mmHg", "mm Hg", "mm[Hg]", "mmhg"],
    "kg/m2": ["kg/m2", "kg/m²", "kg/m^2"],
    "ms": ["msec", "ms"],
    "%": ["%"],
    "IU/L": ["IU/L", "[IU]/L", "iu/l"],
    "U/L": ["U/L", "Units/L", "u/l"],
    "IU/mL": ["IU/mL"],
    "MIU": ["MIU"],
    "10^6 IU": ["10^6 IU", "10^6IU", "10*6.[iU]", "10*6.[IU]"],  # UCUM product dot (e2e review s7)
    "mIU/L": ["mIU/L"],
    "mg/kg/d": ["mg/kg/d", "mg/kg/day", "mg/kg/24h", "mg/(kg.d)"],
    "mg/d": ["mg/day", "mg/d", "mg/24 hours", "mg per day"],
    "g/d": ["g/day", "g/24h", "g/24 h", "g/24hr"],
    "mg": ["mg"],
    "ug": ["mcg", "µg", "ug"],
    "cm": ["cm"],
    "mm": ["mm"],
    "kg": ["kg"],
    "lb": ["lb", "lbs"],
    "year": ["years", "year", "yrs", "years old"],
    "month": ["months", "month"],
    "week": ["weeks", "week", "wks"],
    "day": ["days", "day"],
    "ULN": ["ULN", "x ULN", "× ULN", "xULN", "times ULN", "upper limit of normal", "x the upper limit of normal",
            "× institutional upper limit of normal", "times the ULN"],
    "LLN": ["LLN", "x LLN", "lower limit of normal"],
    "1": ["", "1", "points", "score", "{score}", "ratio"],
    "mEq/L": ["mEq/L", "meq/l", "MEQ/L"],
    "/min": ["/min", "bpm", "beats/min", "per minute"],
    "degC": ["°C", "degC", "Cel", "℃"],
    "titer": ["titer"],
    "copies/mL": ["copies/mL"],
}


@pytest.mark.parametrize(("text", "canonical"), [(t, c) for c, ts in SPELLINGS.items() for t in ts])
def test_normalize_unit(text: str, canonical: str) -> None:
    assert units.normalize_unit(text) == canonical
    assert units.normalize_unit(canonical) == canonical  # canonical spellings are fixed points


@pytest.mark.parametrize("text", ["furlong", "mg/(kg*d)", "10 mg", "g%%", "K", "/HPF", "mg/dL/foo", "x"])
def test_unknown_unit_is_an_error_naming_it(text: str) -> None:
    with pytest.raises(UnitError) as e:
        units.normalize_unit(text)
    assert e.value.unit == text
    assert e.value.suggestion
    assert repr(text) in str(e.value)


def test_unknown_unit_suggests_a_close_spelling() -> None:
    with pytest.raises(UnitError) as e:
        units.normalize_unit("mg/dk")
    assert "mg/dL" in (e.value.suggestion or "")


def test_case_lost_in_capitals_is_not_guessed() -> None:
    # "MIU/ML" from an all-caps lab system: milli- or million international units? Refuse.
    with pytest.raises(UnitError, match="ambiguous"):
        units.normalize_unit("MIU/ML")
    assert units.normalize_unit("MIU/mL") == "MIU/mL"  # written with case: million IU per mL
    assert units.normalize_unit("miu/ml") == "mIU/mL"


def test_reference_multiples() -> None:
    assert units.is_reference_multiple("x ULN") == "ULN"
    assert units.is_reference_multiple("× LLN") == "LLN"
    assert units.is_reference_multiple("U/L") is None
    assert units.is_reference_multiple("no such unit") is None
    assert units.to_canonical(3, "ULN", "alt") == 3.0
    assert units.to_canonical(2.5, "x ULN", "total_bilirubin") == 2.5
    with pytest.raises(UnitError):
        units.to_canonical(1, "ULN", "hiv_antibody")


# --- to_canonical --------------------------------------------------------------------------------

CONVERSIONS = [
    (100_000, "/mm³", "platelet_count", 100.0),
    (100_000, "/uL", "platelet_count", 100.0),
    (1.5, "x10^3/uL", "neutrophil_count", 1.5),
    (1500, "cells/mm3", "neutrophil_count", 1.5),
    (1.5, "K/uL", "neutrophil_count", 1.5),
    (350, "cells/mm3", "cd4_count", 350.0),
    (0.35, "10^9/L", "cd4_count", 350.0),
    (9, "g/dL", "hemoglobin", 90.0),
    (9, "gm%", "hemoglobin", 90.0),
    (1.0, "mg/dL", "creatinine", 88.4017),
    (88.4, "µmol/L", "creatinine", 88.4),
    (1.2, "mg/dL", "total_bilirubin", 20.52475),
    (126, "mg/dL", "glucose", 6.99378),
    (10, "mg/dL", "calcium", 2.49513),
    (5, "mEq/L", "calcium", 2.5),
    (4.2, "mEq/L", "potassium", 4.2),
    (30, "mL/min/1.73m2", "egfr", 30.0),
    (30, "mL/min", "egfr", 30.0),
    (60, "ml/min/1.73 m²", "creatinine_clearance", 60.0),
    (3.5, "g/dL", "albumin", 35.0),
    (500, "mg/24h", "proteinuria_24h", 0.5),
    (0.5, "g/g", "upcr", 0.5),
    (500, "mg/g", "upcr", 0.5),
    (56.56, "mg/mmol", "upcr", 0.5),
    (470, "msec", "qtc", 470.0),
    (0.47, "s", "qtc", 470.0),
    (70, "%", "karnofsky", 70.0),
    (2, "", "ecog", 2.0),
    (55, "%", "ejection_fraction", 55.0),
    (0.55, "1", "ejection_fraction", 55.0),
    (98.6, "°F", "body_temperature", 37.0),
    (150, "lb", "body_weight", 68.0389),
    (70, "in", "height", 177.8),
    (12, "weeks", "life_expectancy", 2.75975),
    (45, "mm", "patient_global_vas", 4.5),
    (160, "titer", "ana_titer", 160.0),
    (50, "ng/dL", "testosterone", 1.73358),
    (4, "uIU/mL", "tsh", 4.0),
    (20, "mg/dL", "bun", 7.13944),
    (0.1, "ng/mL", "troponin", 100.0),
    (45, "years", "age", 45.0),
    (540, "months", "age", 45.0),
]


def test_hba1c_ngsp_percent_to_ifcc_is_affine() -> None:
    # IFCC master equation: mmol/mol = 10.929 x (% - 2.15)
    assert round(units.to_canonical(6.5, "%", "hba1c")) == 48
    assert units.to_canonical(7.0, "%", "hba1c") == pytest.approx(53.0, abs=0.1)
    assert units.to_canonical(48, "mmol/mol", "hba1c") == 48.0
    assert units.from_canonical(47.54115, "%", "hba1c") == pytest.approx(6.5)


def test_hemoglobin_mmol_uses_the_monomer() -> None:
    assert units.to_canonical(9, "g/dL", "hemoglobin") == 90.0
    assert units.to_canonical(5.585, "mmol/L", "hemoglobin") == pytest.approx(90.0, rel=1e-3)


@pytest.mark.parametrize(("value", "unit", "key"), [
    (1, "mg", "platelet_count"),            # wrong dimension
    (1, "%", "platelet_count"),             # a percentage is not a count
    (3, "mmol/L", "alt"),                   # no molar mass for an enzyme activity
    (6.5, "1", "hba1c"),                    # a bare fraction is not an HbA1c unit
    (5, "%", "ecog"),                       # a score has no percent
    (2, "IU", "vitamin_d"),                 # IU to mass needs a substance factor: never guessed
    (1, "mg/dL", "hiv_antibody"),           # qualitative tests have no unit
])
def test_unconvertible_is_an_error_naming_unit_and_quantity(value: float, unit: str, key: str) -> None:
    with pytest.raises(UnitError) as e:
        units.to_canonical(value, unit, key)
    assert e.value.unit == unit
    assert key in str(e.value) or units.get_quantity(key).name in str(e.value)


@pytest.mark.parametrize(("value", "unit", "key"), [
    (150_000, "10^9/L", "platelet_count"),  # /uL value with a 10^9/L unit
    (9, "g/L", "hemoglobin"),               # g/dL value with a g/L unit
    (-1, "g/dL", "hemoglobin"),
    (1.0, "umol/L", "creatinine"),          # mg/dL value with a umol/L unit
    (120, "%", "ejection_fraction"),
])
def test_implausible_values_are_refused(value: float, unit: str, key: str) -> None:
    with pytest.raises(UnitError, match="plausible") as e:
        units.to_canonical(value, unit, key)
    assert e.value.unit == unit
    assert "check the unit" in (e.value.suggestion or "")


def test_unknown_quantity_suggests() -> None:
    with pytest.raises(VocabularyError) as e:
        units.get_quantity("platelets")
    assert "platelet_count" in (e.value.suggestion or "")
    with pytest.raises(VocabularyError) as e:
        units.get_quantity("hemoglobn")
    assert "hemoglobin" in (e.value.suggestion or "")


# --- doses, titers, formatting ------------------------------------------------------------------

@pytest.mark.parametrize(("value", "unit", "expected"), [
    (10, "mg/day", (10.0, "mg/d")),
    (1, "g/24h", (1000.0, "mg/d")),
    (0.5, "mg/kg/day", (0.5, "mg/kg/d")),
    (1, "mcg/kg/min", (1.44, "mg/kg/d")),
    (15, "mg/week", (15 / 7, "mg/d")),
    (40, "mg", (40.0, "mg")),
    (2, "g", (2000.0, "mg")),
    (5, "mg/kg", (5.0, "mg/kg")),
    (375, "mg/m2", (375.0, "mg/m2")),
    (3, "MIU", (3e6, "IU")),
    (3, "10^6 IU", (3e6, "IU")),
    (1000, "IU/day", (1000.0, "IU/d")),
    (10, "units/d", (10.0, "IU/d")),
    (5000, "[IU]/d", (5000.0, "IU/d")),
])
def test_dose_to_canonical(value: float, unit: str, expected: tuple[float, str]) -> None:
    got = units.dose_to_canonical(value, unit)
    assert got[1] == expected[1]
    assert got[0] == pytest.approx(expected[0])


@pytest.mark.parametrize("unit", ["mL", "mg/dL", "10^9/L", "%", "ULN", "/d", "mg/mg/mg"])
def test_not_a_dose_unit(unit: str) -> None:
    with pytest.raises(UnitError) as e:
        units.dose_to_canonical(1, unit)
    assert e.value.unit == unit


def test_parse_titer() -> None:
    assert units.parse_titer("1:160") == 160.0
    assert units.parse_titer(" 1 : 80 ") == 80.0
    assert units.parse_titer("1/1,280") == 1280.0
    for text in ("160", "1:0", "2:160", "positive", ""):
        assert units.parse_titer(text) is None


def test_format_quantity() -> None:
    assert units.format_quantity(100, "10^9/L") == "100 ×10^9/L"
    assert units.format_quantity(1.5, "mg/kg/d") == "1.5 mg/kg/d"
    assert units.format_quantity(88.40169731, "umol/L") == "88.4017 µmol/L"
    assert units.format_quantity(3.0, "ULN") == "3 × ULN"
    assert units.format_quantity(160, "titer") == "1:160"
    assert units.format_quantity(45, "%") == "45%"
    assert units.format_quantity(2, "1") == "2"
    assert units.format_quantity(80, "/min") == "80/min"
    assert units.format_quantity(3, "month") == "3 months"
    assert units.format_quantity(30, "mL/min") == "30 mL/min"


def test_ordinals() -> None:
    assert units.ordinal_value("Class III", "nyha_class") == 3.0
    assert units.ordinal_value("IV", "nyha_class") == 4.0
    assert units.ordinal_value("NYHA class II", "nyha_class") == 2.0
    assert units.ordinal_value("V", "nyha_class") is None
    assert units.get_quantity("nyha_class").kind == "ordinal"


# --- find_quantity -------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "key"), [
    ("Platelets", "platelet_count"), ("PLT", "platelet_count"), ("platelet count", "platelet_count"),
    ("Hgb", "hemoglobin"), ("Haemoglobin", "hemoglobin"), ("ANC", "neutrophil_count"),
    ("Absolute Neutrophil Count (ANC)", "neutrophil_count"), ("Neutrophils #", "neutrophil_count"),
    ("WBC", "leukocyte_count"), ("S-Creatinine", "creatinine"),
    ("Creatinine [Mass/volume] in Serum or Plasma", "creatinine"),
    ("Platelets [#/volume] in Blood by Automated count", "platelet_count"),
    ("SELENA-SLEDAI", "sledai"), ("SLEDAI-2K", "sledai"), ("HbA1c", "hba1c"), ("LVEF (%)", "ejection_fraction"),
    ("QuantiFERON-TB Gold Plus", "tuberculosis_test"), ("anti-dsDNA", "anti_dsdna"), ("NYHA class", "nyha_class"),
])
def test_find_quantity_by_name(name: str, key: str) -> None:
    found = units.find_quantity(name)
    assert found is not None and found.key == key


def test_find_quantity_by_code_and_misses() -> None:
    assert units.find_quantity(None, "777-3").key == "platelet_count"  # type: ignore[union-attr]
    assert units.find_quantity(None, "http://loinc.org|2160-0").key == "creatinine"  # type: ignore[union-attr]
    assert units.find_quantity("Platelets", "777-3").key == "platelet_count"  # type: ignore[union-attr]
    assert units.find_quantity("Hemoglobin", "777-3") is None  # code and name disagree: no guess
    assert units.find_quantity("Lymphocytes %") is None          # a percentage, not the count
    assert units.find_quantity("transaminases") is None          # a group word names no one quantity
    assert units.find_quantity("no such test") is None
    assert units.find_quantity(None) is None


# --- the table itself ----------------------------------------------------------------------------

def test_every_quantity_has_a_usable_canonical_unit() -> None:
    assert len(Q) >= 60
    for key, q in Q.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", key), key
        assert q.kind in ("numeric", "ordinal", "titer", "qualitative"), key
        if q.kind == "qualitative":
            assert q.unit == "", key
            continue
        assert units.normalize_unit(q.unit) == q.unit, key
        mid = (q.min + q.max) / 2 if q.min is not None and q.max is not None else 1.0
        assert units.to_canonical(mid, q.unit, key) == pytest.approx(mid), key
        if q.min is not None and q.max is not None:
            assert q.min < q.max, key


def test_canonical_units_are_one_word() -> None:
    # the rules language reads a unit as one word (grammars/rules.lark UNIT)
    for key, q in Q.items():
        assert not re.search(r"\s", q.unit), key


def test_alias_and_local_unit_targets_parse() -> None:
    table = units._toml()  # noqa: SLF001
    for text, target in table["unit_aliases"].items():
        assert units.normalize_unit(target) == units.normalize_unit(text), text
    for key, d in table["quantity"].items():
        for text, target in d.get("local_units", {}).items():
            assert units.normalize_unit(text) == text, (key, text)
            units.normalize_unit(target if isinstance(target, str) else target[1])


@pytest.mark.parametrize(("name", "key"), [
    ("Hemoglobin A1c/Hemoglobin.total in Blood", "hba1c"),
    ("Glomerular filtration rate/1.73 sq M.predicted", "egfr"),
    ("CD3+CD4+ (T4 helper) cells [#/volume] in Blood", "cd4_count"),
    ("Protein/Creatinine [Mass Ratio] in Urine", "upcr"),
    ("Hepatitis B virus surface Ag [Presence] in Serum", "hbsag"),
])
def test_find_quantity_by_loinc_long_name(name: str, key: str) -> None:
    found = units.find_quantity(name)
    assert found is not None and found.key == key


def test_loinc_percent_names_are_not_counts() -> None:
    assert units.find_quantity("Lymphocytes/100 leukocytes in Blood by Automated count") is None
    assert units.find_quantity("Neutrophils/100 leukocytes in Blood") is None


def test_synonyms_name_one_quantity_each() -> None:
    seen: dict[str, str] = {}
    for key, q in Q.items():
        for text in {key, q.name, *q.synonyms}:
            norm = quantity_names._norm_name(text)  # noqa: SLF001  (the normalization find_quantity uses)
            assert norm, (key, text)
            assert seen.setdefault(norm, key) == key, f"{text!r} names both {seen[norm]} and {key}"
        for s in q.synonyms:
            assert s == s.lower(), (key, s)
    assert "transaminases" not in seen


def _luhn_ok(code: str) -> bool:
    digits, check = code.split("-")
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 == 0 else 1)
        total += d // 10 + d % 10
    return (10 - total % 10) % 10 == int(check)


def test_loinc_codes_are_well_formed_and_unique() -> None:
    owner: dict[str, str] = {}
    for key, q in Q.items():
        for code in q.loinc:
            assert re.fullmatch(r"\d{1,7}-\d", code), (key, code)
            assert _luhn_ok(code), f"{key}: {code} fails the LOINC check digit"
            assert owner.setdefault(code, key) == key, f"{code} in {owner[code]} and {key}"


def test_max_age_rule() -> None:
    assert Q["age"].max_age_days is None and Q["height"].max_age_days is None
    assert Q["platelet_count"].max_age_days == 90 and Q["ecog"].max_age_days == 90
    assert Q["pregnancy_test"].max_age_days == 14


def test_molar_masses_and_ordinals() -> None:
    assert Q["creatinine"].molar_mass == pytest.approx(113.12)
    assert Q["glucose"].molar_mass == pytest.approx(180.16)
    assert Q["total_bilirubin"].molar_mass == pytest.approx(584.66)
    assert dict(Q["nyha_class"].ordinals)["iii"] == 3.0


def test_lookups_are_cached() -> None:
    assert units.quantities() is units.quantities()
    units.normalize_unit("x10^9/l")
    before = units._parse_or_error.cache_info().hits  # noqa: SLF001
    for _ in range(10):
        units.normalize_unit("x10^9/l")
    assert units._parse_or_error.cache_info().hits >= before + 10  # noqa: SLF001
    for _ in range(3):  # an unknown spelling (tried again and again by the criteria lexer) too, error and all
        with pytest.raises(UnitError, match="did you mean"):
            units.normalize_unit("mg/dLL")
    assert units._parse_or_error("mg/dLL") is units._parse_or_error("mg/dLL")  # noqa: SLF001


# --- round trips ---------------------------------------------------------------------------------

POOL = ("10^9/L", "/mm3", "/uL", "10^3/uL", "cells/uL", "10^12/L", "g/L", "g/dL", "mg/dL", "mg/L", "ug/L", "ng/mL",
        "pg/mL", "ng/dL", "umol/L", "mmol/L", "nmol/L", "mEq/L", "U/L", "IU/L", "mU/mL",
        "mIU/L", "uIU/mL", "mL/min", "mL/min/1.73m2", "L/d", "mL/s", "%", "1", "mmol/mol", "s", "ms", "mmHg",
        "/min", "/h", "kg", "lb", "g", "cm", "in", "m", "mm", "kg/m2", "year", "month", "week", "day",
        "g/d", "mg/d", "g/g", "mg/g", "mg/mmol", "mm/h", "degC", "degF", "titer", "copies/mL")


def _convertible(unit: str, key: str) -> bool:
    try:
        units.from_canonical(1.0, unit, key)
        return True
    except UnitError:
        return False


PAIRS = sorted((k, u) for k, q in Q.items() if q.kind != "qualitative" for u in POOL if _convertible(u, k))


def test_round_trip_pool_covers_every_measured_quantity() -> None:
    assert {k for k, _ in PAIRS} == {k for k, q in Q.items() if q.kind != "qualitative"}
    assert len(PAIRS) > 2 * len({k for k, _ in PAIRS})  # most quantities have another unit too


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(PAIRS), st.floats(0.001, 0.999))
def test_round_trip_through_another_unit(pair: tuple[str, str], t: float) -> None:
    key, unit = pair
    q = Q[key]
    lo, hi = (q.min if q.min is not None else 0.0), (q.max if q.max is not None else 1000.0)
    value = lo + (hi - lo) * t
    other = units.from_canonical(value, unit, key)
    back = units.to_canonical(other, unit, key)
    assert math.isclose(back, value, rel_tol=1e-9, abs_tol=1e-12)


# --- vocab-quantities: lost superscripts, new analytes, scores and spirometry ----------------------

LOST_EXPONENT_SPELLINGS = {
    "10^9/L": ["x 109/L", "x109/l", "109/L", "x 10(9)/L", "10(9)/l", "x 1000000000/L"],
    "10^12/L": ["x 1012/L", "10(12)/L"],
    "10^6/L": ["x 106/L", "10(6)/L"],
    "10^3/uL": ["x 103/uL", "103/µL", "10(3)/uL"],
    "10^3/mm3": ["x 103/mm3", "10(3)/mm3"],
    "10^6/uL": ["x 106/uL"],
    "/mm3": ["/mm(3)", "/mm(3"],
    "cells/mm3": ["cells/mm(3)", "cells/mm(3"],
    "copies/mL": ["c/mL", "c/ml"],
}


@pytest.mark.parametrize(("text", "canonical"), [(t, c) for c, ts in LOST_EXPONENT_SPELLINGS.items() for t in ts])
def test_lost_exponent_spellings(text: str, canonical: str) -> None:
    assert units.normalize_unit(text) == canonical


NEW_CONVERSIONS = [
    # a lost superscript: 1.5 x 109/L is 1.5 x 10^9/L, never 1.5 x 109 per litre
    (1.5, "x 109/L", "neutrophil_count", 1.5),
    (100, "x109/L", "platelet_count", 100.0),
    (100_000, "x 106/L", "platelet_count", 100.0),
    (3.0, "x 103/uL", "leukocyte_count", 3.0),
    (4.5, "x 1012/L", "erythrocyte_count", 4.5),
    (4.5, "x 106/uL", "erythrocyte_count", 4.5),
    (1.5, "x 1000000000/L", "neutrophil_count", 1.5),
    (1.0, "x 10(9)/L", "neutrophil_count", 1.0),
    (100_000, "/mm(3", "platelet_count", 100.0),
    (1500, "cells/mm(3", "neutrophil_count", 1.5),
    (50, "c/mL", "hiv_rna", 50.0),
    # granulocytes are counted like the ANC
    (1500, "/mm3", "granulocyte_count", 1.5),
    (1.8, "K/uL", "granulocyte_count", 1.8),
    (1800, "/uL", "granulocyte_count", 1.8),
    (14, "%", "cd4_percent", 14.0),
    (14, "sec", "prothrombin_time", 14.0),
    (60, "U/L", "lipase", 60.0),
    (1.0, "ukat/L", "amylase", 60.0),
    # C-peptide 3020.3 g/mol: 1 ng/mL = 0.331 nmol/L (ARUP: multiply ng/mL by 0.33)
    (1.0, "ng/mL", "c_peptide", 0.331093),
    (300, "pmol/L", "c_peptide", 0.3),
    (0.8, "ng/mL", "fasting_c_peptide", 0.264874),
    # free T4 776.87 g/mol: 1 ng/dL = 12.87 pmol/L
    (1.0, "ng/dL", "free_t4", 12.8721),
    (40, "mIU/mL", "fsh", 40.0),
    (40, "IU/L", "fsh", 40.0),
    (14, "mg/dL", "corrected_calcium", 3.49319),
    (5, "mEq/L", "corrected_calcium", 2.5),
    (4.8, "mg/dL", "ionized_calcium", 1.19766),
    # UACR over creatinine 113.12 g/mol: 3 mg/mmol = 26.5 mg/g, 30 mg/g = 0.03 g/g
    (3, "mg/mmol", "uacr", 26.5205),
    (30, "mg/g", "uacr", 30.0),
    (0.03, "g/g", "uacr", 30.0),
    (50, "%", "fev1_percent_predicted", 50.0),
    (60, "%", "dlco_percent_predicted", 60.0),
    (80, "%", "fvc_percent_predicted", 80.0),
    (70, "%", "fev1_fvc_ratio", 70.0),
    (0.70, "1", "fev1_fvc_ratio", 70.0),
    (65, "mmHg", "mean_arterial_pressure", 65.0),
    (7, "", "gleason_score", 7.0),
    (6.5, "", "edss", 6.5),
    (24, "points", "mmse", 24.0),
    (6, "", "child_pugh_score", 6.0),
    (50_000, "/mm3", "reticulocyte_count", 50.0),
    (500, "mg/dL", "fasting_triglycerides", 5.64525),
    (350, "mg/dL", "fasting_total_cholesterol", 9.05211),
    (100, "mg/dL", "fasting_ldl_cholesterol", 2.58632),
]


@pytest.mark.parametrize(("value", "unit", "key", "expected"), [*CONVERSIONS, *NEW_CONVERSIONS])
def test_to_canonical(value: float, unit: str, key: str, expected: float) -> None:
    assert units.to_canonical(value, unit, key) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize(("value", "unit", "key"), [
    (1.5, "L", "fev1_percent_predicted"),      # a volume is not a percentage of predicted
    (20, "mL/min/mmHg", "dlco_percent_predicted"),
    (15, "%", "cd4_count"),                   # CD4 % is its own quantity
    (200, "cells/uL", "cd4_percent"),
    (14, "%", "prothrombin_time"),
    (1.2, "", "prothrombin_time"),             # an INR-like number is not a time
    (7, "%", "gleason_score"),
    (30, "mg/dL", "uacr"),                     # a concentration is not a ratio to creatinine
])
def test_new_quantities_refuse_foreign_units(value: float, unit: str, key: str) -> None:
    with pytest.raises(UnitError):
        units.to_canonical(value, unit, key)


@pytest.mark.parametrize(("value", "unit", "key"), [
    (11, "", "gleason_score"), (1, "", "gleason_score"), (31, "", "mmse"), (4, "", "child_pugh_score"),
    (10.5, "", "edss"), (101, "%", "fev1_fvc_ratio"), (1500, "s", "prothrombin_time"),
])
def test_new_quantities_refuse_implausible_values(value: float, unit: str, key: str) -> None:
    with pytest.raises(UnitError):
        units.to_canonical(value, unit, key)


@pytest.mark.parametrize(("name", "code", "key"), [
    ("Absolute granulocyte count", None, "granulocyte_count"),
    ("Granulocytes", None, "granulocyte_count"),
    ("Prothrombin time (PT)", "5902-2", "prothrombin_time"),
    ("Lipase", "3040-3", "lipase"),
    ("Amylase", "1798-8", "amylase"),
    ("T4 (Thyroxine), Free, S", "3024-7", "free_t4"),
    ("C-Peptide, Serum", "1986-9", "c_peptide"),
    ("Follicle-Stim Hormone (FSH), S", "15067-2", "fsh"),
    ("Albumin/Creatinine Ratio", "9318-7", "uacr"),
    ("FEV1 % predicted", None, "fev1_percent_predicted"),
    ("CD4 %", None, "cd4_percent"),
    ("Corrected calcium", None, "corrected_calcium"),
    ("SGOT", None, "ast"),
    ("Serum glutamic pyruvic transaminase", None, "alt"),
])
def test_new_quantities_found_by_name_and_code(name: str, code: str | None, key: str) -> None:
    found = units.find_quantity(name, code)
    assert found is not None and found.key == key
    if code:
        assert units.find_quantity(None, code).key == key


def test_new_quantities_keep_apart_what_differs() -> None:
    # granulocytes are not neutrophils, fasting C-peptide is not a random one, the CD4 percentage
    # is not the count, corrected and ionized calcium are not total calcium
    for a, b in (("granulocyte_count", "neutrophil_count"), ("fasting_c_peptide", "c_peptide"),
                 ("cd4_percent", "cd4_count"), ("corrected_calcium", "calcium"), ("ionized_calcium", "calcium"),
                 ("fev1_fvc_ratio", "fev1_percent_predicted"), ("fasting_triglycerides", "triglycerides"),
                 ("fasting_total_cholesterol", "total_cholesterol"), ("fasting_ldl_cholesterol", "ldl_cholesterol")):
        assert not set(Q[a].synonyms) & set(Q[b].synonyms), (a, b)
        assert not set(Q[a].loinc) & set(Q[b].loinc), (a, b)
    assert units.find_quantity("calcium").key == "calcium"
    assert units.find_quantity("neutrophils").key == "neutrophil_count"
    assert units.find_quantity("gleason grade") is None  # a pattern grade, not the score
    for key in ("granulocyte_count", "prothrombin_time", "gleason_score", "mmse", "fev1_percent_predicted"):
        assert Q[key].max_age_days == 90, key


@pytest.mark.parametrize(("value", "unit", "key"), [
    (100_000, "/mL", "reticulocyte_count"),
])
def test_counts_written_per_millilitre_are_refused(value: float, unit: str, key: str) -> None:
    with pytest.raises(UnitError):
        units.to_canonical(value, unit, key)
    assert units.to_canonical(value, "/uL", key) == pytest.approx(100.0)
