"""Concept vocabularies: data integrity, resolution of record entries by name and by code."""
from __future__ import annotations

import re
import tomllib
from collections import defaultdict
from importlib import resources

import pytest

from screening import vocab
from screening.errors import VocabularyError
from screening.vocab import (ancestors, concepts, get_concept, is_live_vaccine, normalize,
                             prednisone_equivalent_factor, resolve)


def keys(category: str, name: str | None, code: str | None = None) -> frozenset[str]:
    found = resolve(category, name, code)
    assert found is not None, f"{category} {name!r} {code!r} not recognised"
    return found


# ---------------------------------------------------------------- data integrity

def test_counts_per_category() -> None:
    counts = defaultdict(int)
    for c in concepts().values():
        counts[c.category] += 1
    assert counts["condition"] >= 150
    assert counts["drug"] >= 150 and counts["drug_class"] >= 50
    assert counts["vaccine"] >= 20 and counts["procedure"] >= 20


def test_every_parent_exists_and_no_cycles() -> None:
    table = concepts()
    for c in table.values():
        for p in c.parents:
            assert p in table, f"{c.key} -> {p}"
            assert c.key not in ancestors(p), f"cycle through {c.key}"


def test_keys_are_snake_case_and_categories_known() -> None:
    for c in concepts().values():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", c.key)
        assert c.category in vocab.CATEGORIES


def test_parents_stay_in_their_family() -> None:
    table = concepts()
    # a drug's parent is a class, or the plain drug of which it is a formulation (nab-paclitaxel is paclitaxel)
    family = {"condition": {"condition"}, "drug": {"drug_class", "drug"}, "drug_class": {"drug_class"},
              "vaccine": {"vaccine"}, "procedure": {"procedure"}, "substance": {"substance"}}
    for c in table.values():
        for p in c.parents:
            assert table[p].category in family[c.category], f"{c.key} -> {p}"


def test_no_phrase_names_two_concepts_within_a_category() -> None:
    seen: dict[tuple[str, str], str] = {}
    for c in concepts().values():
        group = "drug" if c.category in ("drug_class", "substance") else c.category  # one record table
        for phrase in (c.name, c.key.replace("_", " "), *c.synonyms):
            other = seen.setdefault((group, normalize(phrase)), c.key)
            assert other == c.key, f"{phrase!r}: {other} and {c.key}"


def test_synonyms_are_lowercase() -> None:
    for c in concepts().values():
        assert all(s == s.lower() for s in c.synonyms), c.key


def test_every_icd10cm_code_is_valid() -> None:
    import simple_icd_10_cm as cm
    for c in concepts().values():
        for system, code in c.codes:
            if system != "ICD10CM":
                continue
            if "-" in code and not cm.is_valid_item(code):
                lo, hi = code.split("-")
                assert cm.is_valid_item(lo) and cm.is_valid_item(hi) and lo <= hi, (c.key, code)
            else:
                assert cm.is_valid_item(code), (c.key, code)


def test_code_systems_are_known() -> None:
    known = {"SNOMED", "ICD10CM", "RXNORM", "ATC", "MESH", "CVX", "UNII"}
    for c in concepts().values():
        for system, code in c.codes:
            assert system in known and code, (c.key, system, code)
            if system in ("SNOMED", "RXNORM", "CVX"):
                assert code.isdigit(), (c.key, system, code)


def test_every_data_file_names_its_sources() -> None:
    for file in vocab.FILES:
        text = resources.files("screening.data").joinpath(file).read_text(encoding="utf-8")
        assert text.startswith("#") and "Sources:" in text.split("\n[", 1)[0], file
        tomllib.loads(text)


# ---------------------------------------------------------------- API

def test_get_concept_and_suggestion() -> None:
    sle = get_concept("systemic_lupus_erythematosus")
    assert sle.category == "condition" and ("SNOMED", "55464009") in sle.codes
    with pytest.raises(VocabularyError) as err:
        get_concept("systemic_lupus_erythematosis")
    assert "systemic_lupus_erythematosus" in (err.value.suggestion or "")


def test_concepts_by_category_and_bad_category() -> None:
    assert set(c.category for c in concepts("vaccine").values()) == {"vaccine"}
    with pytest.raises(VocabularyError):
        concepts("medication")
    with pytest.raises(VocabularyError):
        resolve("drug_class", "steroids")


def test_ancestors_include_self_and_transitive_parents() -> None:
    assert ancestors("active_tuberculosis") >= {"active_tuberculosis", "tuberculosis", "infection"}
    assert ancestors("hepatitis_b") >= {"viral_hepatitis", "infection"}
    assert ancestors("drug:foo") == frozenset({"drug:foo"})


@pytest.mark.parametrize("drug,factor", [("prednisone", 1.0), ("prednisolone", 1.0), ("methylprednisolone", 1.25),
                                         ("dexamethasone", 6.67), ("hydrocortisone", 0.25), ("betamethasone", 8.33),
                                         ("cortisone", 0.2), ("deflazacort", 0.83)])
def test_prednisone_equivalents(drug: str, factor: float) -> None:
    assert prednisone_equivalent_factor(drug) == pytest.approx(factor)


def test_prednisone_equivalent_only_for_glucocorticoids() -> None:
    assert prednisone_equivalent_factor("rituximab") is None
    assert prednisone_equivalent_factor("no_such_drug") is None
    for key in vocab._vocab().factors:
        assert "glucocorticoid" in ancestors(key)


def test_live_vaccines() -> None:
    for key in ("bcg_vaccine", "mmr_vaccine", "varicella_vaccine", "zoster_vaccine_live", "yellow_fever_vaccine",
                "oral_polio_vaccine", "oral_typhoid_vaccine", "live_attenuated_influenza_vaccine", "rotavirus_vaccine"):
        assert is_live_vaccine(key), key
    for key in ("covid_19_vaccine", "inactivated_influenza_vaccine", "zoster_vaccine_recombinant", "hepatitis_b_vaccine"):
        assert not is_live_vaccine(key) and "non_live_vaccine" in ancestors(key), key
    # names that cover both kinds are neither: "not live" is not claimed for them
    for key in ("influenza_vaccine", "zoster_vaccine", "polio_vaccine", "typhoid_vaccine", "cmv_vaccine"):
        assert not {"live_vaccine", "non_live_vaccine"} & ancestors(key), key


def test_every_vaccine_under_vaccine() -> None:
    for c in concepts("vaccine").values():
        assert "vaccine" in ancestors(c.key)


# ---------------------------------------------------------------- resolve by name

def test_brand_names_resolve_to_generic_and_classes() -> None:
    assert keys("drug", "Plaquenil") >= {"hydroxychloroquine", "antimalarial"}
    assert keys("drug", "Benlysta") >= {"belimumab", "monoclonal_antibody", "biologic"}
    assert keys("drug", "Rituxan") >= {"rituximab", "anti_cd20", "monoclonal_antibody", "biologic"}
    assert keys("drug", "Medrol") >= {"methylprednisolone", "glucocorticoid"}
    assert keys("drug", "Proleukin") >= {"interleukin_2"}


def test_brands_known_only_to_the_ner_library() -> None:
    # not in drugs.toml: found through drug-named-entity-recognition
    assert keys("drug", "Trexall") >= {"methotrexate"}  # listed, sanity
    assert keys("drug", "Deltasone") >= {"prednisone", "glucocorticoid"}
    assert keys("drug", "Triumeq") >= {"abacavir", "dolutegravir", "lamivudine", "antiretroviral"}


def test_generic_the_library_knows_but_we_do_not_list() -> None:
    found = keys("drug", "fingolimod")
    assert "drug:fingolimod" in found and "glucocorticoid" not in found
    assert keys("drug", "obexelimab") >= {"drug:obexelimab", "monoclonal_antibody", "biologic"}


def test_dose_form_and_salt_words_are_ignored() -> None:
    assert keys("drug", "prednisone 5 mg tablet") == ancestors("prednisone")
    assert "methylprednisolone" in keys("drug", "Methylprednisolone sodium succinate 40 mg IV")
    assert "belimumab" in keys("drug", "belimumab 10 mg/kg IV q4w")
    assert "hydroxychloroquine" in keys("drug", "hydroxychloroquine sulfate 200 mg PO BID")


def test_class_names_as_written_in_criteria() -> None:
    for phrase in ("corticosteroids", "steroids", "glucocorticoid", "Corticosteroid"):
        assert "glucocorticoid" in keys("drug", phrase)
    assert "biologic" in keys("drug", "biologics")
    assert "biologic" in keys("drug", "biological agents")
    assert "cholinergic_agonist" in keys("drug", "cholinergic stimulants")
    assert "investigational_agent" in keys("drug", "investigational drug")
    assert "anti_pd1" in keys("drug", "anti-PD-1")
    assert "intravenous_immunoglobulin" in keys("drug", "IVIG")


def test_unknown_names_are_none_not_empty() -> None:
    assert resolve("drug", "Xuebijing injection") is None
    assert resolve("drug", "Zzzfoo") is None
    assert resolve("condition", "foo bar syndrome") is None
    assert resolve("vaccine", "vaccine against zzz") is None
    assert resolve("procedure", "zzz procedure") is None
    assert resolve("drug", None) is None and resolve("drug", "  ") is None


@pytest.mark.parametrize("name,key", [
    ("SLE", "systemic_lupus_erythematosus"), ("Systemic Lupus Erythematosus (SLE)", "systemic_lupus_erythematosus"),
    ("neuropsychiatric lupus", "neuropsychiatric_lupus"), ("dermatomyositis", "dermatomyositis"),
    ("basocellular carcinoma", "basal_cell_carcinoma"), ("in situ carcinoma of the cervix", "carcinoma_in_situ_of_cervix"),
    ("non-melanoma skin cancer", "nonmelanoma_skin_cancer"), ("nonmelanoma skin cancer", "nonmelanoma_skin_cancer"),
    ("Leukaemia", "leukemia"), ("oesophageal cancer", "esophageal_cancer"), ("tumour", "neoplasm"),
    ("Type II diabetes mellitus", "type_2_diabetes"), ("Crohn's disease", "crohn_disease"),
    ("history of breast cancer", "breast_cancer"), ("chronic hepatitis B", "hepatitis_b"),
    ("congestive heart failure", "heart_failure"), ("pneumocystis carinii pneumonia", "pneumocystis_pneumonia"),
    ("EB virus", "ebv_infection"), ("drug-abuse", "drug_abuse"), ("COVID 19", "covid_19"),
    ("Malignant neoplasm of breast, unspecified", "breast_cancer"), ("renal insufficiency", "renal_insufficiency"),
])
def test_condition_names(name: str, key: str) -> None:
    assert key in keys("condition", name)


def test_condition_hierarchy() -> None:
    assert keys("condition", "hepatitis B") >= {"viral_hepatitis", "infection"}
    assert keys("condition", "active tuberculosis") >= {"tuberculosis", "infection"}
    assert keys("condition", "lupus nephritis") >= {"systemic_lupus_erythematosus", "connective_tissue_disease"}
    assert keys("condition", "bacteremia") >= {"serious_infection", "infection"}
    assert "malignancy" in keys("condition", "basal cell carcinoma")
    assert "malignancy" in keys("condition", "carcinoma in situ of cervix")


def test_unlisted_cancers_by_head_word_but_not_hedged() -> None:
    assert "malignancy" in keys("condition", "ampullary adenocarcinoma")
    assert "malignancy" in keys("condition", "malignant neoplasm of appendix")
    assert resolve("condition", "benign neoplasm of colon") is None
    assert resolve("condition", "family history of colon cancer") is None
    assert resolve("condition", "suspected lymphoma") is None


def test_vaccines_and_procedures_by_name() -> None:
    assert keys("vaccine", "Zostavax") >= {"live_vaccine"}
    assert keys("vaccine", "BCG") >= {"bcg_vaccine", "live_vaccine"}
    assert "live_vaccine" not in keys("vaccine", "flu shot")
    assert keys("vaccine", "anti-CMV vaccine") >= {"cmv_vaccine"}
    assert keys("procedure", "plasma exchange") >= {"plasmapheresis"}
    assert keys("procedure", "haemodialysis") >= {"hemodialysis", "dialysis"}


# ---------------------------------------------------------------- resolve by code

def test_icd10_codes_through_the_hierarchy() -> None:
    assert keys("condition", None, "C50.911") >= {"breast_cancer", "malignancy"}
    assert keys("condition", None, "C50911") >= {"breast_cancer", "malignancy"}
    assert keys("condition", None, "ICD10CM:C7A.00") >= {"malignancy"}
    assert keys("condition", None, "C44.91") >= {"basal_cell_carcinoma", "nonmelanoma_skin_cancer", "malignancy"}
    assert keys("condition", None, "M32.14") >= {"lupus_nephritis", "systemic_lupus_erythematosus"}
    assert keys("condition", None, "B18.1") >= {"hepatitis_b", "viral_hepatitis", "infection"}


def test_cervical_cis_is_what_an_exception_names() -> None:
    found = keys("condition", None, "D06.9")
    assert "carcinoma_in_situ_of_cervix" in found
    # an exclusion "cancer, except carcinoma in situ of the cervix" finds a malignancy that the exception covers
    assert "malignancy" in found and "carcinoma_in_situ_of_cervix" in found
    assert "breast_cancer" not in found and "cervical_cancer" not in found


def test_unknown_or_invalid_codes_are_none() -> None:
    assert resolve("condition", None, "R68.83") is None      # valid (chills), but no concept of ours
    assert resolve("condition", None, "X99.999") is None     # not an ICD-10-CM code
    assert resolve("condition", None, "12345678") is None
    assert resolve("drug", None, "RXNORM:99999999") is None


def test_snomed_rxnorm_atc_cvx_codes() -> None:
    assert "systemic_lupus_erythematosus" in keys("condition", None, "55464009")
    assert "systemic_lupus_erythematosus" in keys("condition", None, "SNOMED:55464009")
    assert keys("drug", None, "121191") >= {"rituximab", "monoclonal_antibody"}
    assert keys("drug", None, "RxNorm:5521") >= {"hydroxychloroquine", "antimalarial"}
    assert keys("drug", None, "H02AB07") >= {"prednisone", "glucocorticoid"}
    assert keys("drug", None, "ATC:H02AB99") == ancestors("glucocorticoid")
    assert keys("vaccine", None, "CVX:3") >= {"mmr_vaccine", "live_vaccine"}
    assert keys("vaccine", None, "03") >= {"mmr_vaccine", "live_vaccine"}
    assert "systemic_lupus_erythematosus" in keys("condition", None, "http://snomed.info/sct|55464009")
    assert "breast_cancer" in keys("condition", None, "ICD-10-CM:C50.911")
    assert resolve("condition", None, "LOINC:2345-7") is None


def test_name_and_code_together() -> None:
    assert keys("condition", "lupus", "M32.9") >= {"systemic_lupus_erythematosus"}
    assert keys("condition", "some local name", "M32.9") >= {"systemic_lupus_erythematosus"}


def test_resolution_is_cached_and_fast() -> None:
    import time
    resolve("drug", "Plaquenil")
    start = time.perf_counter()
    for _ in range(2000):
        resolve("drug", "Plaquenil")
        resolve("condition", "SLE")
    assert time.perf_counter() - start < 1.0


# ---------------------------------------------------------------- vocab-quantities: criteria text

_QUANTITY_TEXTS = [
    ("Granulocyte count at least 1,500/mm3", "granulocyte_count", ">=", 1.5),
    ("AGC at least 1,500/mm^3", "granulocyte_count", ">=", 1.5),
    ("Absolute neutrophil count (ANC) ≥1.5 x 109/L", "neutrophil_count", ">=", 1.5),
    ("Platelets <50 x109/L", "platelet_count", "<", 50.0),
    ("PT ≤ 1.5 times ULN", "prothrombin_time", "<=", 1.5),
    ("Prothrombin time less than 14 seconds", "prothrombin_time", "<", 14.0),
    ("DLCO at least 50%", "dlco_percent_predicted", ">=", 50.0),
    ("FEV1/FVC ratio < 70%", "fev1_fvc_ratio", "<", 70.0),
    ("Fasting C-peptide ≤ 0.30 nmol/L", "fasting_c_peptide", "<=", 0.3),
    ("Serum glutamic oxaloacetic transaminase (SGOT) ≤ 2.0 x ULN", "ast", "<=", 2.0),
    ("Serum glutamate pyruvate transaminase (SGPT) < 3 x ULN", "alt", "<", 3.0),
    ("Gleason score at least 7", "gleason_score", ">=", 7.0),
    ("EDSS score of 6 or less", "edss", "<=", 6.0),
    ("Mini mental state examination (MMSE) score < 24", "mmse", "<", 24.0),
    ("Corrected QTc-Interval greater than 440 msec", "qtc", ">", 440.0),
    ("Absolute CD4+ > 300 cells/mm3", "cd4_count", ">", 300.0),
    ("CD4% < 15%", "cd4_percent", "<", 15.0),
    ("Fasting triglycerides >500 mg/dL", "fasting_triglycerides", ">", 5.64525),
    ("FSH > 40 mIU/mL", "fsh", ">", 40.0),
]


@pytest.mark.parametrize(("text", "key", "op", "value"), _QUANTITY_TEXTS)
def test_quantity_phrases_compile_to_their_quantity(text: str, key: str, op: str, value: float) -> None:
    from screening import ir
    from screening.compile import compile_text
    node = compile_text(text, kind="inclusion")
    assert isinstance(node, ir.Measure), (text, node)
    assert (node.quantity, node.op) == (key, op) and node.value == pytest.approx(value, rel=1e-5)


@pytest.mark.parametrize("text", [
    "Gleason grade 4",                 # a pattern grade, not the Gleason score
    "Gleason 4+3",
    "T4 count < 200 cells/mm3",        # T4 here is the CD4 count, not thyroxine
    "FEV1 >= 1.5 L",                   # a volume, not % of predicted
    "FEV1/FVC < 0.70",                 # no unit: a ratio or a percentage?
    "CD4 count > 15%",                 # a percentage is not the count
    "Absolute neutrophil count at least 1,000/mm^3*",  # the footnote may carry an exception
    "Prior granulocyte transfusions",
])
def test_quantity_phrases_that_must_stay_in_review(text: str) -> None:
    from screening import ir
    from screening.compile import compile_text
    assert isinstance(compile_text(text, kind="inclusion"), ir.Review), text


def test_granulocyte_csf_is_a_drug_not_a_count() -> None:
    from screening.lexer import tokenize
    toks, _ = tokenize("No granulocyte colony-stimulating factor within 2 weeks")
    assert [t.type for t in toks][:2] == ["NEG", "DRUG"]


@pytest.mark.parametrize("name, key", [
    ("Leukoencephalopathy, Progressive Multifocal", "progressive_multifocal_leukoencephalopathy"),
    ("Carcinoma, Non-Small-Cell Lung", "non_small_cell_lung_cancer"),
    ("Leukemia, Myeloid, Acute", "acute_myeloid_leukemia"),
    ("Lupus Erythematosus, Systemic", "systemic_lupus_erythematosus"),
])
def test_mesh_inverted_condition_names_resolve(name: str, key: str) -> None:
    """CT.gov lists conditions as MeSH writes them, back to front: the trial's own conditions must be known for
    "no other malignancy" and the like (a PML trial excluded PML as an opportunistic infection)."""
    found = vocab.resolve("condition", name)
    assert found is not None and key in found


@pytest.mark.parametrize("name, key", [
    ("Breast cancer stage II", "breast_cancer"),
    ("Stage IIIA non-small cell lung cancer", "non_small_cell_lung_cancer"),
    ("Mild intermittent asthma", "asthma"),
    ("Influenza A", "influenza"),
])
def test_record_names_with_a_stage_or_severity_resolve(name: str, key: str) -> None:
    """Problem-list names intake systems send (e2e review 4, session 6): the stage or severity left out."""
    found = vocab.resolve("condition", name)
    assert found is not None and key in found


def test_an_invasive_histology_at_its_site_resolves_but_metastatic_is_not_dropped() -> None:
    """"Invasive lobular carcinoma of breast" is a breast cancer (invasive is what a carcinoma is by default);
    "metastatic adenocarcinoma of colon" must not become a plain colon cancer, which would deny the metastases."""
    found = vocab.resolve("condition", "Invasive lobular carcinoma of breast")
    assert found is not None and "breast_cancer" in found
    metastatic = vocab.resolve("condition", "metastatic adenocarcinoma of colon")
    assert metastatic is None or "metastatic_disease" in metastatic


@pytest.mark.parametrize("name", ["Colon cancer, metastatic", "Lung cancer, stage IV", "Breast cancer stage IV"])
def test_a_record_name_naming_spread_never_resolves_to_the_plain_cancer(name: str) -> None:
    """Read as the plain cancer, the entry would deny the metastases its name states ("no metastatic disease" met)."""
    found = vocab.resolve("condition", name)
    assert found is None or "metastatic_disease" in found
