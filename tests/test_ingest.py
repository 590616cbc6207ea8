"""load_trial / load_trials / iter_corpus: every format, every seed page, the corpus, and the errors."""
from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from screening.errors import TrialFormatError
from screening.ingest import iter_corpus, load_trial, load_trials, parse_age, parse_sex
from screening.trial import SourceItem, Trial

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "trials"
CORPUS = Path("/work/shared/corpus/ctgov_studies.jsonl")


def seed(prefix: str) -> Trial:
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    return load_trial(path)


def walk(items: tuple[SourceItem, ...]) -> Iterator[SourceItem]:
    for it in items:
        yield it
        yield from walk(it.children)


def shape(items: tuple[SourceItem, ...]) -> list[tuple[str, int]]:
    """(id, number of children) of every item, parents first."""
    return [(it.id, len(it.children)) for it in walk(items)]


def counts(t: Trial) -> tuple[int, int, int]:
    """(top-level inclusion, top-level exclusion, all items)."""
    return (sum(it.kind == "inclusion" for it in t.items), sum(it.kind == "exclusion" for it in t.items),
            len(list(walk(t.items))))


def assert_spans_exact(t: Trial) -> None:
    assert t.criteria_text is not None
    for it in walk(t.items):
        raw = t.criteria_text[it.span.start:it.span.end].replace("\\", "")
        assert " ".join(raw.split()) == " ".join(it.text.replace("\\", "").split())


# --- seed pages --------------------------------------------------------------------------------

def test_seed_000_classic_page_without_criteria() -> None:
    t = seed("000")
    assert (t.format, t.id) == ("ctgov-classic-page", "NCT04077684")
    assert t.title == ("Efficacy and Safety of Low-dose IL-2 in Patients With SLE a Multicenter Randomised "
                       "Placebo-controlled Trial")
    assert t.criteria_text is None and t.items == ()
    assert (t.min_age_years, t.max_age_years) == (18.0, 75.0)  # "18 to 75 years of age" in the description
    assert (t.sex, t.healthy_volunteers, t.conditions) == (None, None, ())


def test_seed_001_export_page_plain_lines() -> None:
    t = seed("001")
    title = "A Pilot-Study With Low-dose hrIL-2 for the Treatment of Systemic Lupus Erythematosus"
    assert (t.format, t.title) == ("ctgov-export-page", title)
    assert t.id == "T-" + hashlib.sha1(title.encode()).hexdigest()[:12]  # no NCT number on this page
    assert (t.min_age_years, t.max_age_years, t.sex, t.healthy_volunteers) == (None, None, None, None)
    assert t.criteria_text is not None
    assert t.criteria_text.startswith("Inclusion Criteria:\n")
    assert t.criteria_text.endswith("Inability to comply with IL-2 treatment regimen.")
    assert counts(t) == (10, 8, 18)
    assert t.items[1].text == "Under standard treatment (≥ 2 months) at the time of inclusion"
    assert t.items[10].id == "exc-1" and t.items[10].text.startswith("Sever chronic liver")
    assert_spans_exact(t)


def test_seed_002_aggregator_page_one_line_criteria_nesting() -> None:
    t = seed("002")
    assert (t.format, t.id, t.title) == ("aggregator-page", "NCT05262686", "")
    assert (t.min_age_years, t.max_age_years, t.sex, t.healthy_volunteers) == (18.0, 70.0, "all", False)
    assert t.criteria_text is not None
    assert t.criteria_text.startswith("Inclusion Criteria: - 1. Male or female >18 years")
    assert t.criteria_text.endswith("12 months after treatment.")
    assert shape(t.items) == [
        ("inc-1", 0), ("inc-2", 0), ("inc-3", 0), ("inc-4", 2), ("inc-4.1", 0), ("inc-4.2", 0),
        ("exc-1", 8), ("exc-1.1", 2), ("exc-1.1.1", 0), ("exc-1.1.2", 0),
        ("exc-1.2", 0), ("exc-1.3", 0), ("exc-1.4", 0), ("exc-1.5", 0), ("exc-1.6", 0), ("exc-1.7", 0), ("exc-1.8", 0),
    ]
    by_id = {it.id: it for it in walk(t.items)}
    assert by_id["inc-1"].text == "Male or female >18 years of age at screening visits"
    assert by_id["inc-2"].text == "Patients meet the American-European Consensus Group 2002 classification criteria"
    assert by_id["inc-4"].text.endswith("maximum doses allowed:")
    assert by_id["inc-4.1"].text == "Hydroxychloroquine, 400 mg/day"
    assert by_id["inc-4.2"].text == "Prednisone, 10 mg/day"
    assert by_id["exc-1"].text == "Any subject meeting any of the following criteria should be excluded:"
    assert by_id["exc-1.1"].text == "Laboratory abnormality:"
    assert by_id["exc-1.1.1"].text == "Hb=9 g/dl"
    assert by_id["exc-1.1.2"].text == "Neutrophil 10 mg/d) within 1 month."
    assert by_id["exc-1.2"].text.startswith("Serious complications: including heart failure")
    assert "class III), renal insufficiency" in by_id["exc-1.2"].text
    assert by_id["exc-1.6"].text.endswith("within 3 months after surgical cure prior to the first study preparation).")
    assert by_id["exc-1.8"].text.startswith("Pregnant, lactating women")
    assert all(it.kind == "exclusion" for it in walk(t.items[4:]))
    assert_spans_exact(t)


def test_seed_003_mirror_page_numbering_from_two_and_star_children() -> None:
    t = seed("003")
    assert (t.format, t.id) == ("ctgov-mirror-page", "NCT04237987")
    assert t.title == "Low-dose Interleukin-2 in Combination With Standard Therapy on Idiopathic Inflammatory Myopathy"
    assert (t.min_age_years, t.max_age_years, t.sex, t.healthy_volunteers) == (18.0, None, "all", False)
    assert t.conditions == ()
    assert counts(t) == (5, 14, 24)
    inc = [it for it in t.items if it.kind == "inclusion"]
    assert [it.id for it in inc] == ["inc-1", "inc-2", "inc-3", "inc-4", "inc-5"]
    assert inc[0].text == "Diagnostics meet the 1975 Bohan recommendations"
    assert inc[4].text.endswith("meet the criteria specified below:")
    assert [c.id for c in inc[4].children] == [f"inc-5.{k}" for k in range(1, 6)]
    assert inc[4].children[3].text.startswith("At least one muscle enzyme [including creatine kinase (CK)")
    assert "1.3 x upper limit normal" in inc[4].children[3].text
    assert t.items[-1].id == "exc-14" and t.items[-1].text.startswith("Adolescents with DM or PM")
    assert t.items[6].text == "Received high doses of glucocorticoid (>0.5 mg/kg/d) within 1 month."
    assert t.criteria_text is not None and t.criteria_text.endswith("another connective tissue disease.")
    assert_spans_exact(t)


def test_seed_004_mirror_page_labelled_facts() -> None:
    t = seed("004")
    assert (t.format, t.id) == ("ctgov-mirror-page", "NCT06971913")
    assert t.title == "Efficacy and Safety of Low-dose IL-2 in SLE Patients With CMV Viremia"
    assert (t.min_age_years, t.max_age_years, t.sex, t.healthy_volunteers) == (18.0, 65.0, "all", False)
    assert t.conditions == ("SLE (Systemic Lupus) CMV",)
    assert counts(t) == (5, 12, 17)
    assert t.items[2].text == "Age: 18 to 65 years, weight 45-80kg, male or female, gender ratio is not limited."
    assert t.items[10].text == "Severe chronic liver, kidney, lung or heart dysfunction; (heart failure (≥ grade III NYHA), " \
                               "hepatic insufficiency (transaminases> 3N));"
    assert t.criteria_text is not None
    assert t.criteria_text.startswith("Inclusion Criteria\n\n* Meet")
    assert t.criteria_text.endswith("* Participate in other clinical trial within 3 months.")
    assert_spans_exact(t)


CLASSIC_WITH_CRITERIA = """Viewing Study NCT09000004



Study NCT ID: NCT09000004
Brief Title: Vitamin D in Older Adults
Conditions: Vitamin D Deficiency

Eligibility Criteria: Inclusion Criteria:

* Age: 65 or older
* Serum 25(OH)D below 20 ng/mL

Exclusion Criteria:

* Hypercalcemia
Healthy Volunteers: False
Sex: ALL
Minimum Age: 65 Years
Maximum Age: N/A
"""


def test_classic_page_with_criteria_and_fields(tmp_path: Path) -> None:
    path = tmp_path / "classic.txt"
    path.write_text(CLASSIC_WITH_CRITERIA)
    t = load_trial(path)
    assert (t.format, t.id, t.title, t.conditions) == (
        "ctgov-classic-page", "NCT09000004", "Vitamin D in Older Adults", ("Vitamin D Deficiency",))
    assert (t.min_age_years, t.max_age_years, t.sex, t.healthy_volunteers) == (65.0, None, "all", False)
    assert t.criteria_text == ("Inclusion Criteria:\n\n* Age: 65 or older\n* Serum 25(OH)D below 20 ng/mL\n\n"
                               "Exclusion Criteria:\n\n* Hypercalcemia")
    assert [(it.id, it.text) for it in t.items] == [
        ("inc-1", "Age: 65 or older"), ("inc-2", "Serum 25(OH)D below 20 ng/mL"), ("exc-1", "Hypercalcemia")]


@pytest.mark.parametrize("prefix", ["001", "002", "003", "004"])
def test_seed_criteria_text_is_an_exact_slice_of_the_page(prefix: str) -> None:
    t = seed(prefix)
    (path,) = SEEDS.glob(f"{prefix}_*.txt")
    assert t.criteria_text and t.criteria_text in path.read_text(encoding="utf-8")
    assert t.source == str(path)


# --- JSON, XML, pages of studies, JSON lines ---------------------------------------------------

def test_json_study() -> None:
    t = load_trial(FIXTURES / "study_v2.json")
    assert (t.format, t.id, t.title) == ("ctgov-json", "NCT09000001", "Low-dose IL-2 in Active Systemic Lupus Erythematosus")
    assert t.conditions == ("Systemic Lupus Erythematosus", "Lupus Nephritis")
    assert (t.min_age_years, t.max_age_years, t.sex, t.healthy_volunteers) == (18.0, 75.0, "all", False)
    assert shape(t.items) == [("inc-1", 0), ("inc-2", 0), ("inc-3", 0), ("inc-4", 2), ("inc-4.1", 0), ("inc-4.2", 0),
                              ("exc-1", 0), ("exc-2", 0), ("exc-3", 0)]
    assert t.items[2].text == "SLEDAI-2K score >= 6 at screening"  # markdown escape undone
    assert t.items[3].children[0].text == "Hydroxychloroquine <= 400 mg/day"


def test_json_page_of_studies() -> None:
    trials = load_trials(FIXTURES / "page_v2.json")
    assert [t.id for t in trials] == ["NCT09000001", "NCT09000002"]
    infant = trials[1]
    assert infant.min_age_years == pytest.approx(14 / 365.25) and infant.max_age_years == 0.5
    assert [it.text for it in infant.items][1] == ("Birth weight less than 1500 grams, measured within 24 hours of "
                                                    "birth and recorded by the attending neonatologist")
    with pytest.raises(TrialFormatError, match="2 studies") as err:
        load_trial(FIXTURES / "page_v2.json")
    assert err.value.source == str(FIXTURES / "page_v2.json")


def test_json_page_with_one_study_loads_as_a_trial(tmp_path: Path) -> None:
    study = json.loads((FIXTURES / "study_v2.json").read_text())
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"studies": [study]}))
    assert load_trial(path).id == "NCT09000001"


def test_json_with_byte_order_mark(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + (FIXTURES / "study_v2.json").read_bytes())
    assert load_trial(path).id == "NCT09000001"


def test_xml_classic_record() -> None:
    t = load_trial(FIXTURES / "classic.xml")
    assert (t.format, t.id) == ("ctgov-xml", "NCT09000003")
    assert t.title == "Chlorthalidone Versus Hydrochlorothiazide in Older Women With Hypertension"
    assert t.conditions == ("Hypertension", "Postmenopause")
    assert (t.min_age_years, t.max_age_years, t.sex, t.healthy_volunteers) == (55.0, None, "female", False)
    assert [(it.id, it.text) for it in t.items] == [
        ("inc-1", "Postmenopausal women aged 55 to 80 years"),
        ("inc-2", "Systolic blood pressure 140-159 mmHg on two visits, or diastolic blood pressure 90-99 mmHg"),
        ("exc-1", "Serum potassium < 3.5 mmol/L"),
        ("exc-2", "History of gout"),
    ]
    assert_spans_exact(t)


def test_jsonl_files(tmp_path: Path) -> None:
    study = (FIXTURES / "study_v2.json").read_text()
    path = tmp_path / "two.jsonl"
    path.write_text(json.dumps(json.loads(study)) + "\n\n" + json.dumps(json.loads(study)) + "\n")
    trials = load_trials(path)
    assert [t.source for t in trials] == [f"{path}:1", f"{path}:3"]
    with pytest.raises(TrialFormatError, match="2 studies"):
        load_trial(path)
    path.write_text(json.dumps(json.loads(study)) + "\n" + '{"protocolSection": {]\n')
    with pytest.raises(TrialFormatError, match=r"line 2, column \d+"):
        list(iter_corpus(path))


def test_no_title_and_no_nct_gets_stable_hash_id() -> None:
    from screening.ingest import trial_from_study
    a = trial_from_study({"protocolSection": {"eligibilityModule": {"eligibilityCriteria": "Adults"}}}, "x")
    b = trial_from_study({"protocolSection": {"eligibilityModule": {"eligibilityCriteria": "Adults"}}}, "y")
    assert a.id == b.id and a.id.startswith("T-") and len(a.id) == 14
    assert a.criteria_text == "Adults" and [it.text for it in a.items] == ["Adults"]


# --- field parsing -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "years"), [
    ("18 Years", 18.0), ("6 Months", 0.5), ("2 Weeks", 14 / 365.25), ("1 Year", 1.0), ("30 Days", 30 / 365.25),
    ("12 Hours", 12 / 365.25 / 24), ("N/A", None), ("", None), (None, None), ("65 years", 65.0)])
def test_parse_age(text: str | None, years: float | None) -> None:
    got = parse_age(text)
    assert got == (pytest.approx(years, rel=1e-5) if years is not None else None)


@pytest.mark.parametrize(("text", "sex"), [("ALL", "all"), ("Both", "both"), ("FEMALE", "female"), ("Male", "male"),
                                           ("All", "all"), ("", None), (None, None)])
def test_parse_sex(text: str | None, sex: str | None) -> None:
    assert parse_sex(text) == ("all" if sex == "both" else sex)


# --- errors ------------------------------------------------------------------------------------

def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.json"
    with pytest.raises(TrialFormatError) as err:
        load_trial(path)
    assert err.value.source == str(path) and "cannot read" in err.value.message
    assert err.value.suggestion and "ctgov-xml" in err.value.suggestion


def test_directory_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(TrialFormatError):
        load_trial(tmp_path)


def test_unknown_format_names_supported_ones(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("Shopping list\n- milk\n- eggs\n")
    with pytest.raises(TrialFormatError) as err:
        load_trial(path)
    assert err.value.source == str(path)
    assert err.value.suggestion is not None
    for fmt in ("ctgov-json", "ctgov-xml", "ctgov-classic-page", "aggregator-page", "ctgov-mirror-page"):
        assert fmt in err.value.suggestion
    assert "hint:" in str(err.value)


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "blob.bin"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(TrialFormatError, match="not UTF-8"):
        load_trial(path)


def test_malformed_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "protocolSection": {\n    "identificationModule": {"nctId": "NCT1",}\n  }\n}\n')
    with pytest.raises(TrialFormatError, match=r"line 3, column \d+") as err:
        load_trial(path)
    assert err.value.source == str(path)


def test_json_that_is_not_a_study(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"name": "x"}')
    with pytest.raises(TrialFormatError, match="CT.gov API v2"):
        load_trial(path)
    path.write_text('{"studies": [{"protocolSection": {"eligibilityModule": []}}]}')
    with pytest.raises(TrialFormatError, match="eligibilityModule"):
        load_trial(path)


def test_malformed_and_foreign_xml(tmp_path: Path) -> None:
    path = tmp_path / "bad.xml"
    path.write_text("<clinical_study>\n  <brief_title>x</brief_title>\n  <eligibility>\n</clinical_study>\n")
    with pytest.raises(TrialFormatError, match=r"line 4, column \d+"):
        load_trial(path)
    path.write_text("<rss><channel/></rss>")
    with pytest.raises(TrialFormatError, match="clinical_study"):
        load_trial(path)


# --- the corpus --------------------------------------------------------------------------------

def test_whole_corpus_loads_and_splits() -> None:
    if not CORPUS.exists():
        pytest.skip("corpus not available")
    t0 = time.process_time()
    trials = list(iter_corpus(CORPUS))
    elapsed = time.process_time() - t0
    assert len(trials) == 3000
    assert elapsed < 10.0
    for t in trials:
        assert t.format == "ctgov-json" and t.id
        if t.criteria_text and t.criteria_text.strip():
            assert t.items, t.id
    with_ages = [t for t in trials if t.min_age_years is not None]
    assert len(with_ages) > 1000
    assert {t.sex for t in trials} == {"all", "female", "male", None}
