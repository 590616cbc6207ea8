"""split_criteria: item tree, ids, exact spans, and nothing lost, on hand-made text and the corpus."""
from __future__ import annotations

import re
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screening.segment import split_criteria, unescape_markdown
from screening.trial import SourceItem

CORPUS = Path("/work/shared/corpus/ctgov_studies.jsonl")


def walk(items: tuple[SourceItem, ...]) -> Iterator[SourceItem]:
    for it in items:
        yield it
        yield from walk(it.children)


def tree(items: tuple[SourceItem, ...]) -> list[tuple[str, str, list]]:  # type: ignore[type-arg]
    """(id, text, children) nested lists: easy to compare in asserts."""
    return [(it.id, it.text, tree(it.children)) for it in items]


def check_spans(text: str, items: tuple[SourceItem, ...]) -> None:
    """Every span holds exactly its item's text (own text only, children excluded); spans are disjoint."""
    for it in walk(items):
        raw = text[it.span.start:it.span.end]
        assert " ".join(unescape_markdown(raw).split()) == " ".join(it.text.split()), it.id
        assert all(c.span.start >= it.span.end for c in it.children), f"{it.id} ends after its children start"
    spans = sorted((it.span.start, it.span.end, it.id) for it in walk(items))
    for (_, end, ident), (start, _, nxt) in zip(spans, spans[1:]):
        assert end <= start, f"{ident} overlaps {nxt}"


# --- layouts -----------------------------------------------------------------------------------

CLASSIC = """
        Inclusion Criteria:

          -  Age 18 years or older, with a diagnosis of rheumatoid arthritis for at least
             3 months before screening.

          -  Adequate organ function:

               -  ANC >= 1500/mm3

               -  Platelets >= 100,000/mm3

        Exclusion Criteria:

          -  Pregnant or breastfeeding.
      """


def test_classic_layout_with_wrapped_lines_and_nesting() -> None:
    items = split_criteria(CLASSIC)
    assert tree(items) == [
        ("inc-1", "Age 18 years or older, with a diagnosis of rheumatoid arthritis for at least 3 months "
                  "before screening.", []),
        ("inc-2", "Adequate organ function:", [("inc-2.1", "ANC >= 1500/mm3", []),
                                               ("inc-2.2", "Platelets >= 100,000/mm3", [])]),
        ("exc-1", "Pregnant or breastfeeding.", []),
    ]
    assert [it.kind for it in walk(items)] == ["inclusion"] * 4 + ["exclusion"]
    check_spans(CLASSIC, items)


def test_markdown_bullets_escapes_and_numbering_by_position() -> None:
    text = ("Inclusion Criteria\n2. Age \\>= 18\n3. One of the following:\n* HbA1c \\< 7%\n* BMI \\[kg/m2\\] 20-30\n"
            "4. Consent\nExclusion Criteria\n* None")
    items = split_criteria(text)
    assert tree(items) == [
        ("inc-1", "Age >= 18", []),
        ("inc-2", "One of the following:", [("inc-2.1", "HbA1c < 7%", []), ("inc-2.2", "BMI [kg/m2] 20-30", [])]),
        ("inc-3", "Consent", []),
        ("exc-1", "None", []),
    ]
    check_spans(text, items)


def test_one_line_criteria_with_inline_lists() -> None:
    text = ("Inclusion Criteria: - 1. Adults aged 18-65 2. Stable for 3 months 3. Doses allowed: - A, 4 mg/day; "
            "- B, 10 mg/day Exclusion Criteria: - 1. Any of: 1. Lab abnormality: • Hb<9 g/dl • ANC<1.5 "
            "2. Class III heart failure. 2002 classification 3. Pregnancy.")
    assert tree(split_criteria(text)) == [
        ("inc-1", "Adults aged 18-65", []),
        ("inc-2", "Stable for 3 months", []),
        ("inc-3", "Doses allowed:", [("inc-3.1", "A, 4 mg/day", []), ("inc-3.2", "B, 10 mg/day", [])]),
        ("exc-1", "Any of:", [
            ("exc-1.1", "Lab abnormality:", [("exc-1.1.1", "Hb<9 g/dl", []), ("exc-1.1.2", "ANC<1.5", [])]),
            ("exc-1.2", "Class III heart failure. 2002 classification", []),
            ("exc-1.3", "Pregnancy.", [])]),
    ]


def test_flattened_dash_lists_with_a_wrapped_header() -> None:
    flat = ("Inclusion Criteria: - Informed consent obtained before any trial-related activities - Male or "
            "female, age 18 - 75 years - HbA1c 7.0-9.5% (both inclusive) Exclusion Criteria: - Female who is "
            "pregnant - History of pancreatitis (acute or chronic)")
    wrapped = (textwrap.fill(flat, w, initial_indent=" " * 8, subsequent_indent=" " * 8) for w in range(70, 100))
    text = "\n" + next(t for t in wrapped if "Exclusion\n" in t) + "\n      "  # the wrap cuts the header
    items = split_criteria(text)
    assert [(it.id, it.text) for it in items] == [
        ("inc-1", "Informed consent obtained before any trial-related activities"),
        ("inc-2", "Male or female, age 18 - 75 years"),
        ("inc-3", "HbA1c 7.0-9.5% (both inclusive)"),
        ("exc-1", "Female who is pregnant"),
        ("exc-2", "History of pancreatitis (acute or chronic)"),
    ]
    check_spans(text, items)


def test_numbers_inside_text_are_not_markers() -> None:
    text = "Inclusion Criteria:\n1. Serum level 1.3 x ULN within 3 months, class III, 2002 classification\n2. Other"
    assert [it.text for it in split_criteria(text)] == [
        "Serum level 1.3 x ULN within 3 months, class III, 2002 classification", "Other"]


def test_bullet_used_as_times_sign_is_text() -> None:
    text = "Inclusion Criteria:\n- Absolute neutrophil count \u22651.5\u2022109/L\n- Platelets"
    assert [it.text for it in split_criteria(text)] == ["Absolute neutrophil count \u22651.5\u2022109/L", "Platelets"]


def test_inline_lettered_items_continue_a_lettered_list() -> None:
    text = ("Exclusion Criteria:\n\n  7. Substance dependence, defined as:\n\n     a. Heavy alcohol use: i. Men: more "
            "than 4 drinks ii. Women: more than 3 drinks. b. Use of cocaine\n\n     c. Use of marijuana\n")
    assert tree(split_criteria(text)) == [("exc-1", "Substance dependence, defined as:", [
        ("exc-1.1", "Heavy alcohol use:", [("exc-1.1.1", "Men: more than 4 drinks", []),
                                           ("exc-1.1.2", "Women: more than 3 drinks.", [])]),
        ("exc-1.2", "Use of cocaine", []),
        ("exc-1.3", "Use of marijuana", [])])]


def test_lettered_roman_and_paren_lists() -> None:
    text = ("Exclusion Criteria:\n\n  1. Organ function:\n     a. ANC < 1500\n     b. Platelets < 100000\n"
            "  2. Infection: (i) HIV; (ii) hepatitis B\n  3. Heart:\n     i. angina\n     ii. infarction\n")
    assert tree(split_criteria(text)) == [
        ("exc-1", "Organ function:", [("exc-1.1", "ANC < 1500", []), ("exc-1.2", "Platelets < 100000", [])]),
        ("exc-2", "Infection: (i) HIV; (ii) hepatitis B", []),
        ("exc-3", "Heart:", [("exc-3.1", "angina", []), ("exc-3.2", "infarction", [])]),
    ]


def test_inline_parenthesised_numbers_after_colon() -> None:
    text = "Exclusion Criteria:\n\nAny of the following: 1) delirium, 2) unstable illness, or 3) pregnancy."
    assert tree(split_criteria(text)) == [("exc-1", "Any of the following:", [
        ("exc-1.1", "delirium,", []), ("exc-1.2", "unstable illness, or", []), ("exc-1.3", "pregnancy.", [])])]


NCI = """
        DISEASE CHARACTERISTICS: Histologically confirmed colorectal cancer
        Unresectable disease

        PATIENT CHARACTERISTICS: Age: Over 18 Performance status: SWOG 0-2 Life
        expectancy: At least 12 weeks Hepatic: Bilirubin no greater than 1.5 times ULN

        PRIOR CONCURRENT THERAPY:

        Chemotherapy:

          -  No prior chemotherapy

          -  At least 4 weeks since radiotherapy
      """


def test_nci_sections_headings_dropped_and_subheaders_nest() -> None:
    items = split_criteria(NCI)
    assert tree(items) == [
        ("inc-1", "Histologically confirmed colorectal cancer Unresectable disease", []),
        ("inc-2", "Age:", [("inc-2.1", "Over 18", [])]),
        ("inc-3", "Performance status:", [("inc-3.1", "SWOG 0-2", [])]),
        ("inc-4", "Life expectancy:", [("inc-4.1", "At least 12 weeks", [])]),
        ("inc-5", "Hepatic:", [("inc-5.1", "Bilirubin no greater than 1.5 times ULN", [])]),
        ("inc-6", "Chemotherapy:", [("inc-6.1", "No prior chemotherapy", []),
                                    ("inc-6.2", "At least 4 weeks since radiotherapy", [])]),
    ]
    check_spans(NCI, items)


def test_headerless_paragraphs_are_inclusion_items() -> None:
    text = """
        Males and females between the ages of 18 and 82.

        No patients with renal impairment (serum creatinine exceeding the upper limit of
        normal).
      """
    assert [(it.id, it.text) for it in split_criteria(text)] == [
        ("inc-1", "Males and females between the ages of 18 and 82."),
        ("inc-2", "No patients with renal impairment (serum creatinine exceeding the upper limit of normal).")]


def test_only_exclusion_header_and_header_variants() -> None:
    text = "Adults\n\nKey exclusion criteria\n* Pregnancy\nINCLUSION CRITERIA FOR DONORS:\n* Healthy donor"
    assert [(it.id, it.text) for it in split_criteria(text)] == [
        ("inc-1", "Adults"), ("inc-2", "Healthy donor"), ("exc-1", "Pregnancy")]


@pytest.mark.parametrize(("line", "kind", "kept"), [
    ("Donor Exclusion Criteria:", "exclusion", None),
    ("Key Exclusion Criteria include:", "exclusion", None),
    ("Inclusion Criteria for donors", "inclusion", None),
    ("EXCLUSION CRITERIA (Treatment Cohort Only):", "exclusion", None),
    ("Exclusion criteria for all participants include:", "exclusion", "Exclusion criteria for all participants include:"),
    ("INCLUSION CRITERIA - All patients must satisfy each of the following",
     "inclusion", "All patients must satisfy each of the following"),
    ("Inclusion and exclusion criteria will vary by protocol.", "inclusion",
     "Inclusion and exclusion criteria will vary by protocol."),
    ("No eligibility criteria", "inclusion", "No eligibility criteria"),
])
def test_header_variants(line: str, kind: str, kept: str | None) -> None:
    text = f"Adults\n\n{line}\n\n- Item one\n"
    items = split_criteria(text)
    assert items[0].text == "Adults"
    rest = [it for it in walk(items) if it.text != "Adults"]
    assert [it.text for it in rest if it.text != "Item one"] == ([kept] if kept else [])
    assert rest[-1].text == "Item one" and rest[-1].kind == kind


def test_header_word_at_a_wrap_position_is_text() -> None:
    text = ("Inclusion Criteria:\n\n  -  Patients who meet all of the other study entry requirements in the main protocol and\n"
            "     inclusion criteria\n\n  -  Second item of the list that is long enough to make the wrap width near ninety\n")
    assert [it.text for it in split_criteria(text)][0].endswith("and inclusion criteria")


def test_empty_and_blank_text() -> None:
    assert split_criteria("") == ()
    assert split_criteria("  \n\n ") == ()
    assert [it.text for it in split_criteria("No eligibility criteria")] == ["No eligibility criteria"]


# --- properties --------------------------------------------------------------------------------

_PIECES = list("ab1 2.)(-*\u2022:;\n\\>iIvx") + ["Inclusion Criteria:", "\n  - ", "Exclusion Criteria", "Age:",
                                               "DISEASE CHARACTERISTICS:", " 1. ", " 2. "]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=60).map("".join))
def test_never_raises_and_spans_are_exact(text: str) -> None:
    items = split_criteria(text)
    check_spans(text, items)
    for it in walk(items):
        assert it.text.strip() and it.kind in ("inclusion", "exclusion")
        first = unescape_markdown(text[it.span.start:it.span.end]).split()[0]
        assert first == it.text.split()[0]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_on_any_unicode(text: str) -> None:
    check_spans(text, split_criteria(text))


# --- the corpus --------------------------------------------------------------------------------

_MARKER = re.compile(r"(?:[-–—*•●▪◦○·o;]|\(?(?:\d{1,2}|[A-Za-z]|[ivxIVX]{1,4})[.)]|[-=_*~#.]{3,})")
_HEADER_TAIL = {"include", "includes", "are", "is", "the", "following"}
_SENTENCE = {"is", "are", "were", "must", "will", "include", "includes", "should", "may"}
_HEADERISH = re.compile(r"(?i)criteria|inclusion|exclusion|characteristics|therapy|eligibility|requirements?"
                        r"|requirments")


@pytest.fixture(scope="module")
def corpus_texts() -> list[str]:
    if not CORPUS.exists():
        pytest.skip("corpus not available")
    out = []
    with CORPUS.open("rb") as fh:
        for line in fh:
            em = orjson.loads(line)["protocolSection"].get("eligibilityModule", {})
            out.append(em.get("eligibilityCriteria") or "")
    return out


def test_corpus_splits_fast_and_loses_nothing(corpus_texts: list[str]) -> None:
    t0 = time.process_time()  # CPU time: stable when other tests run in parallel
    results = [split_criteria(t) for t in corpus_texts]
    assert time.process_time() - t0 < 5.0
    for text, items in zip(corpus_texts, results):
        if text.strip():
            assert items, text[:200]
        check_spans(text, items)
        covered = bytearray(len(text))
        for it in walk(items):
            covered[it.span.start:it.span.end] = b"\1" * (it.span.end - it.span.start)
        # what no item covers is only list markers, decoration, and short header phrases (no sentences)
        for start, line in _offsets(text):
            rest = [tok for tok in "".join(" " if covered[start + k] else ch for k, ch in enumerate(line)).split()
                    if not _MARKER.fullmatch(tok)]
            if rest:
                assert _HEADERISH.search(" ".join(rest)), (line, rest)
                words = [w.lower().rstrip(":") for w in rest]
                while rest[-1].endswith(":") and words and words[-1] in _HEADER_TAIL:
                    words.pop()  # "Key Exclusion Criteria include the following:" is a header
                assert len(rest) <= 14 and not _SENTENCE.intersection(words), (line, rest)


def _offsets(text: str) -> Iterator[tuple[int, str]]:
    pos = 0
    for line in text.split("\n"):
        yield pos, line
        pos += len(line) + 1


def test_corpus_ids_are_positional_and_kinds_ordered(corpus_texts: list[str]) -> None:
    for text in corpus_texts[:800]:
        items = split_criteria(text)
        kinds = [it.kind for it in items]
        assert kinds == sorted(kinds, key=("inclusion", "exclusion").index)
        for kind, prefix in (("inclusion", "inc"), ("exclusion", "exc")):
            top = [it.id for it in items if it.kind == kind]
            assert top == [f"{prefix}-{k}" for k in range(1, len(top) + 1)]
        for it in walk(items):
            assert [c.id for c in it.children] == [f"{it.id}.{k}" for k in range(1, len(it.children) + 1)]
            assert all(c.kind == it.kind for c in it.children)
