"""Cancers by site and histology (screening/data/cancers.toml): the tables name real concepts, a histology at a
site is a child of the site's cancer, and neither a site record nor a bare histology stands for the pair."""
from __future__ import annotations

import tomllib
from importlib import resources

import pytest

from screening import ir, vocab
from screening.compile import compile_text
from screening.lexer import tokenize
from screening.vocab import ancestors, resolve

_DATA = tomllib.loads(resources.files("screening.data").joinpath("cancers.toml").read_text("utf-8"))
_SITES = {site["cancer"] for site in _DATA["sites"].values()}


def test_cancers_file_is_a_vocabulary_file() -> None:
    assert "cancers.toml" in vocab.FILES
    assert set(vocab.tables("cancers.toml")) == {"confirmation", "histologies", "sites", "qualifiers"}


def test_every_site_names_a_solid_tumor_concept() -> None:
    for name, site in _DATA["sites"].items():
        assert "solid_tumor" in ancestors(site["cancer"]), name


def test_every_histology_concept_is_a_child_of_its_sites_cancer() -> None:
    """A concept with a site code is a site's cancer; one without names a histology at a site, or a tumour type
    that is its own histology (medulloblastoma)."""
    for key, body in _DATA["condition"].items():
        if "codes" in body or key in {"medulloblastoma", "retinoblastoma", "choriocarcinoma", "seminoma"}:
            assert "solid_tumor" in ancestors(key), key
            continue
        assert set(body["parents"]) & _SITES, key


@pytest.mark.parametrize("site, narrow", [
    ("prostate cancer", "prostate_adenocarcinoma"), ("colon cancer", "adenocarcinoma_of_colon"),
    ("colon adenocarcinoma", "adenocarcinoma_of_colon"), ("bladder cancer", "bladder_urothelial_carcinoma"),
    ("anal cancer", "anal_squamous_cell_carcinoma"), ("cervical cancer", "cervical_squamous_cell_carcinoma"),
    ("esophageal cancer", "squamous_cell_carcinoma_of_esophagus"), ("C61", "prostate_adenocarcinoma"),
])
def test_a_site_record_is_not_its_histology(site: str, narrow: str) -> None:
    found = resolve("condition", None, site) if site[0] == "C" and site[1:].isdigit() else resolve("condition", site)
    assert found is not None and narrow not in found


@pytest.mark.parametrize("name, keys", [
    ("squamous cell carcinoma of the anal canal", {"anal_squamous_cell_carcinoma", "anal_cancer", "solid_tumor"}),
    ("transitional cell carcinoma of the bladder", {"bladder_urothelial_carcinoma", "bladder_cancer"}),
    ("squamous cell carcinoma of the larynx", {"laryngeal_cancer", "head_and_neck_squamous_cell_carcinoma"}),
    ("ureteral cancer", {"ureter_cancer", "upper_urinary_tract_cancer"}),
])
def test_a_histology_record_is_its_site_cancer(name: str, keys: set[str]) -> None:
    found = resolve("condition", name)
    assert found is not None and keys <= found


@pytest.mark.parametrize("code, key", [("C21.1", "anal_cancer"), ("C51.9", "vulvar_cancer"), ("C65.9", "renal_pelvis_cancer"),
                                       ("C66.1", "upper_urinary_tract_cancer"), ("C57.00", "fallopian_tube_cancer")])
def test_site_codes(code: str, key: str) -> None:
    assert key in (resolve("condition", None, code) or set())


@pytest.mark.parametrize("text", ["Adenocarcinoma", "Squamous cell carcinoma", "Large cell carcinoma",
                                  "Adenocarcinoma of the", "Transitional cell carcinoma of the lymph nodes"])
def test_a_bare_histology_stays_in_review(text: str) -> None:
    assert not ir.is_executable(compile_text(text, "inclusion"))


def test_a_lone_t_category_is_no_stage() -> None:
    """"T4" may be thyroxine and "T2" an MRI sequence: only a group with two categories is a TNM stage."""
    assert not any(t.type == "JUDGED" for t in tokenize("serum T4")[0])
    assert [t.type for t in tokenize("T2, N0, M0")[0]] == ["JUDGED"]


def test_every_qualifier_phrase_is_one_judged_token() -> None:
    """[qualifiers]: each phrase is read whole as a qualifier a person weighs, not split into a negation and a
    treatment ("not amenable to surgery" is no "no surgery")."""
    from screening.cancers import qualifier_phrases
    phrases = qualifier_phrases(_DATA["qualifiers"])
    assert len(phrases) == len(set(phrases))
    for p in phrases:
        toks, _ = tokenize(p)
        assert [t.type for t in toks] == ["JUDGED"], (p, toks)


@pytest.mark.parametrize("text", [
    "Breast cancer that is metastatic",
    "Solid tumor for which no standard therapy exists",
    "Cervical cancer not amenable to surgery or radiotherapy",
    "Unresectable or metastatic pancreatic cancer",
])
def test_qualified_cancer_is_judged_never_plain(text: str) -> None:
    """A qualifier written after a cancer, or a metastatic concept at the end of a list of qualifiers, is weighed
    by a person: the rule is ir.Judged over the cancer, never the cancer alone nor a metastatic-cancer concept."""
    node = compile_text(text, "inclusion")
    assert isinstance(node, ir.Judged), node
    assert isinstance(node.item, ir.Condition) and "metastatic_disease" not in ancestors(node.item.concept), node
