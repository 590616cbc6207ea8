"""Measurement wordings: units, reference limits and comparators as criteria text writes them."""
from __future__ import annotations

import pytest

from screening import ir
from screening.compile import compile_text
from screening.rules import format_rule, parse_rule


@pytest.mark.parametrize("text,kind,rule", [
    # a number without its unit reads in the one customary unit its size allows (quantities.toml bare_units)
    ("Absolute neutrophil count (ANC) >= 1500", "inclusion", "neutrophil_count >= 1500 /uL"),
    ("WBC greater than 3,000 Platelets greater than 100,000", "inclusion",
     "all(leukocyte_count > 3000 /uL, platelet_count > 100000 /uL)"),
    ("Creatinine greater than 2", "exclusion", "creatinine > 2 mg/dL"),
    ("A Body Mass Index (BMI) of 18-30", "inclusion", "all(bmi >= 18 kg/m2, bmi <= 30 kg/m2)"),
    # the upper and lower limits of normal in their many spellings
    ("Serum creatinine < 1.5 times the institutional ULN", "inclusion", "creatinine < 1.5 ULN"),
    ("Bilirubin ≤ Upper Limit Normal (ULN)", "inclusion", "total_bilirubin <= 1 ULN"),
    ("Creatinine ≤ 1.5 x upper limits of normal", "inclusion", "creatinine <= 1.5 ULN"),
    ("Total bilirubin ≤ 1.5 * the upper limit of the normal range (ULN)", "inclusion", "total_bilirubin <= 1.5 ULN"),
    ("Total bilirubin < the upper limit of normal (ULN) of the institution", "inclusion", "total_bilirubin < 1 ULN"),
    ("Bilirubin no greater than 1.5 times normal for age", "inclusion", "total_bilirubin <= 1.5 ULN"),
    ("Serum transaminases and bilirubin <= 1.5 time normal", "inclusion",
     "all(alt <= 1.5 ULN, ast <= 1.5 ULN, total_bilirubin <= 1.5 ULN)"),
    ("Magnesium ≥ lower limit of normal", "inclusion", "magnesium >= 1 LLN"),
    ("Albumin < LLN", "exclusion", "albumin < 1 LLN"),
    ("Creatinine normal for age", "inclusion", "creatinine <= 1 ULN"),
    ("Normal cardiac ejection fraction", "inclusion", "ejection_fraction >= 1 LLN"),
    # comparators split by spaces or words
    ("ANC > = 750 cells/uL", "inclusion", "neutrophil_count >= 750 cells/uL"),
    ("CD4+(T4) lymphocytes = or < 400 cells/mm3", "inclusion", "cd4_count <= 400 cells/mm3"),
    ("Body mass index (BMI) < or = to 45 kg/m2", "inclusion", "bmi <= 45 kg/m2"),
    ("Absolute neutrophil count (ANC) equal or greater to 1.5 x 10^9/L", "inclusion", "neutrophil_count >= 1.5 10^9/L"),
    # units spelled out, and a unit restated in parentheses
    ("ANC >= 1500 cells per mm3", "inclusion", "neutrophil_count >= 1500 cells/mm3"),
    ("Weight no greater than 250 pounds", "inclusion", "body_weight <= 250 lb"),
    ("BMI between 23 and 45 kilograms per meter squared (kg/m^2)", "inclusion", "all(bmi >= 23 kg/m2, bmi <= 45 kg/m2)"),
    ("Platelets <75,000 per cubic millimeter (/mm^3)", "exclusion", "platelet_count < 75000 /mm3"),
    # the same threshold restated in another unit, comparator and all; a range restated
    ("Fasting triglycerides >400 mg/dl (>4.6 mmol/L)", "exclusion", "fasting_triglycerides > 400 mg/dL"),
    ("HbA1c of 7.0-9.5% (53-80 mmol/mol)", "inclusion", "all(hba1c >= 7 %, hba1c <= 9.5 %)"),
    ("Known hyponatremia (sodium < 130 mmol/L [< 130 mEq/L]) within 72 hours prior to enrollment", "exclusion",
     "sodium < 130 mmol/L any time within 72 hours"),
    # a period is about every value in it; "within" limits how old the newest value may be
    ("HbA1c > 8.5% at any time during the preceding 3 months", "exclusion", "hba1c > 8.5 % any time within 3 months"),
    ("Hemoglobin >= 8 g/dL within 14 days prior to enrollment", "inclusion", "hemoglobin >= 8 g/dL within 14 days"),
    # the NYHA class grades heart disease
    ("No New York Heart Association class III or IV heart disease", "inclusion",
     "not all(nyha_class >= 3, nyha_class <= 4)"),
    # lists and labels
    ("Hepatic: Bilirubin no greater than 2.0 mg/dL", "inclusion", "total_bilirubin <= 2 mg/dL"),
    ("SGOT, SGPT, and alkaline phosphatase no greater than 1.5 times upper limit of normal (ULN)", "inclusion",
     "all(ast <= 1.5 ULN, alt <= 1.5 ULN, alkaline_phosphatase <= 1.5 ULN)"),
    ("HbA1c equal to or greater than 7.0%, and equal to or less than 10.5%", "inclusion",
     "all(hba1c >= 7 %, hba1c <= 10.5 %)"),
    ("Body weight >=50 kg and BMI within the range 19 - 38 kg/m^2", "inclusion",
     "all(body_weight >= 50 kg, bmi >= 19 kg/m2, bmi <= 38 kg/m2)"),
    ("Performance status (PS) ≤ 2 (ECOG scale)", "inclusion", "ecog <= 2"),
    ("Serum glutamate pyruvate transaminase (SGPT) (alanine aminotransferase [ALT]) =< 110 U/L", "inclusion",
     "alt <= 110 U/L"),
    ("LVEF at least 45% by MUGA or echocardiogram", "inclusion", "ejection_fraction >= 45 %"),
    ("Expanded Disability Status Scale (EDSS) score of 4 to 7", "inclusion", "all(edss >= 4, edss <= 7)"),
    # a clearance named again by its method, or by either method
    ("Calculated creatinine clearance ≥ 50 mL/min (Cockcroft-Gault formula)", "inclusion", "creatinine_clearance >= 50 mL/min"),
    ("Creatinine clearance < 45 mL/min according to Cockcroft-Gault formula", "exclusion", "creatinine_clearance < 45 mL/min"),
    ("Estimated creatinine clearance (CrCL) using the Cockcroft-Gault equation >= 50 mL/min", "inclusion",
     "creatinine_clearance >= 50 mL/min"),
    ("Creatinine clearance at least 50 mL/min (measured or calculated)", "inclusion", "creatinine_clearance >= 50 mL/min"),
    # run-together thresholds; one restated on another scale in parentheses
    ("Bilirubin less than 2.0 mg/dl SGOT or SGPT less than 5 times upper limit of normal", "inclusion",
     "all(total_bilirubin < 2 mg/dL, ast < 5 ULN, alt < 5 ULN)"),
    ("ECOG performance status ≤ 2 (Karnofsky ≥ 60%)", "inclusion", "all(ecog <= 2, karnofsky >= 60)"),
    # "may not have A, B or C above a limit" among the inclusions: none of them
    ("Patients may not have AST, ALT, total bilirubin or alkaline phosphatase greater than 5 times the upper "
     "limit normal", "inclusion",
     "not any(ast > 5 ULN, alt > 5 ULN, total_bilirubin > 5 ULN, alkaline_phosphatase > 5 ULN)"),
    # FEV1 as a percent of FVC: the FEV1/FVC ratio (lexer/measure_shapes.py), not FEV1 % predicted measured by FVC
    ("FEV1 is greater than 55 percent of FVC", "inclusion", "fev1_fvc_ratio > 55 %"),
])
def test_measurement_wordings_compile_to_what_they_mean(text: str, kind: str, rule: str) -> None:
    assert compile_text(text, kind) == parse_rule(rule), format_rule(compile_text(text, kind))


@pytest.mark.parametrize("text,kind", [
    ("Hemoglobin > 9", "inclusion"),                       # g/dL or mmol/L?
    ("Platelets >= 100", "inclusion"),                     # a count without its unit, "x 10^9/L" probably lost
    ("ANC > 50", "inclusion"),                             # fits no customary unit
    ("Triglycerides >400 mg/dl (<4.6 mmol/L)", "exclusion"),  # the restatement contradicts the threshold
    ("HbA1c of 7.0-9.5% (53-90 mmol/mol)", "inclusion"),   # the restated range disagrees
    ("No AST and ALT > 3 x ULN", "inclusion"),             # both, or either?
    ("SGOT, SGPT, and alkaline phosphatase greater than 1.5 times upper limit of normal", "exclusion"),
    ("Cardiac ejection fraction below institutional normal", "inclusion"),  # "institutional normal": which limit?
    ("Grade 3 or greater serum creatinine", "exclusion"),   # a toxicity grade, not 3 mg/dL
    ("eGFR > 60 mL/min (Cockcroft-Gault formula)", "inclusion"),  # the formula estimates another quantity
    ("Creatinine no greater than 0.3 mg/dL above upper limit of normal for age", "inclusion"),  # an offset
    ("No uncontrolled hypertension (systolic at least 180, diastolic at least 100)", "inclusion"),  # a definition
    ("Cardiac ejection fraction at least 50% (for patients over age 40)", "inclusion"),  # a subgroup, not an age demand
])
def test_measurement_wordings_that_stay_in_review(text: str, kind: str) -> None:
    assert not ir.is_executable(compile_text(text, kind)), format_rule(compile_text(text, kind))
