"""The criteria lexer: eligibility text -> tokens of grammars/criteria.lark.

Longest-match over phrase tables (``data/phrases.toml``) and the vocabularies; numbers take their
unit, ULN multiple or titer with them, converted later by the grammar's transformer. A word that
matches nothing becomes WORD, which the grammar rejects: unknown wording goes to review.

The package: tokens (raw words, token classes), lexicon (phrase tables), matching (phrases at a position),
passes (rewrites of the token stream); this module reads a sentence (_read) and caches it (tokenize).
"""
from __future__ import annotations

from functools import lru_cache

from lark import Token

from .. import cancers, vocab
from ..patient import route_name
from .lexicon import Lexicon, Ordinal, _route_text, compound_words, lexicon, phrase_alternation, phrase_data, phrase_key
from .anchors import _anchor, _at_anchor, _period_window, _plan_before_window
from .matching import (NOTHING_ATTESTED, AttestedWords, _after_number, _attested, _before_drug,
                       _coordinated_heads, _condition_lasting, _drug_allergy_end, _drug_before, _drug_nouns, _drug_property_end,
                       _genotypes, _half_lives_at, _joined_number, _match,
                       _next_kind, _groups_after_leads, _since_after,
                       _says_what_is_attested, _segment, _tail, _this_trial_other,
                       _treatment_before)
from .durations import condition_durations
from .sentence_shapes import age_at_consent, any_of_following, diagnosed_ago, drug_used_for
from .measure_shapes import measure_shapes
from .organs import organ_function_end
from .replacement import replacement_after_drug
from .condition_words import (drug_with_class, infinitive_lead, now_or_within, past_as_ever, needs_judged_use,
                              postposed_qualifier, shared_qualifier, shown_by, window_before_drugs)
from .judged_clauses import judged_clauses
from .results import _antibody_tests, _dipstick_grades, _plus_positive
from .regimens import containing_regimens
from .extremes import measure_extremes
from .interactions import enzyme_names, shared_interactions
from .passes import (_group_defined_later, _bound_windows, _collapse, _cumulative_durations, _ever_after, _generic_illness,
                     _infection_with, _high_dose_judged, _longer_wait_last, _metastatic_sites, _settings_after)
from .values import _above_normal, _baseline_values, _pressure_pairs, _value_anchors
from .tokens import (_CMP_SYMBOL, _NEW_CLAUSE, _ROMAN, _STAGE, ActiveToken, LexError, Raw, _phrase_token, _tok,
                     normalize_text, raw_tokens)

__all__ = ["ActiveToken", "AttestedWords", "LexError", "Lexicon", "NOTHING_ATTESTED", "Ordinal", "Raw", "lexicon",
           "normalize_text", "phrase_alternation", "phrase_data", "phrase_key", "raw_tokens", "tokenize"]


def tokenize(text: str) -> tuple[list[Token], str]:
    """Tokens of one normalized sentence, and the sentence text they index into. Cached: a sentence is read
    by the compiler, by heading rules and by the coverage report; the list is the caller's own copy."""
    toks, norm = _tokenize(text)
    return list(toks), norm


@lru_cache(maxsize=65536)
def _tokenize(text: str) -> tuple[tuple[Token, ...], str]:
    toks, norm = _read(text)
    return tuple(toks), norm


def _without_plural_marks(raws: list[Raw]) -> list[Raw]:
    """"agent(s)", "infection(s) requiring", "drug(s)": a plural mark written onto a word says one or more, as the
    word alone does; dropped. Only "(s)" right after a word, with no space ("Unresectable tumor (s. 4.2.)" stays)."""
    drop: set[int] = set()
    for i in range(1, len(raws) - 2):
        if raws[i].text == "(" and raws[i + 1].text == "s" and raws[i + 2].text == ")" and raws[i - 1].kind == "word" \
                and raws[i - 1].end == raws[i].start and raws[i].end == raws[i + 1].start and raws[i + 1].end == raws[i + 2].start:
            drop.update((i, i + 1, i + 2))
    return [r for i, r in enumerate(raws) if i not in drop] if drop else raws


def _without_bullet(raws: list[Raw]) -> list[Raw]:
    """"- Pregnant or lactating women", "-Known history of chronic pancreatitis": dashes that open an item before a
    word are its bullet, not a range; dropped ("-5 to 5", a dash before a number, stays)."""
    i = 0
    while i < len(raws) and raws[i].kind == "punct" and raws[i].text == "-":
        i += 1
    return raws[i:] if i and i < len(raws) and raws[i].kind == "word" else raws


def _joined_compounds(raws: list[Raw], text: str) -> list[Raw]:
    """"child bearing", "child-bearing": one word written in two (phrases.toml [compound_words]) is read as that word."""
    joined = compound_words()
    out: list[Raw] = []
    for r in raws:
        prev = out[-1] if out else None
        one = prev and prev.kind == r.kind == "word" and joined.get((prev.text, r.text))
        if one and prev and text[prev.end:r.start].strip(" -") == "":
            out[-1] = Raw("word", one, prev.start, r.end)
        else:
            out.append(r)
    return out


def _negated_flag(raws: list[Raw], i: int, j: int, kind: str) -> list[Token]:
    """"non-pregnant", "non-lactating" (phrases.toml [pregnant]/[lactating] negated): a negation and the state it negates."""
    return [Token("NEG", "non", start_pos=raws[i].start, end_pos=raws[i].end),
            Token(kind, raws[j - 1].text, start_pos=raws[i].start, end_pos=raws[j - 1].end)]


def _read(text: str) -> tuple[list[Token], str]:
    lx = lexicon()
    text = normalize_text(text)
    raws = shared_interactions(enzyme_names(_joined_compounds(_without_plural_marks(_without_bullet(raw_tokens(text))), text)))  # interactions.py
    toks: list[Token] = []
    i, n = 0, len(raws)
    choice = _groups_after_leads(raws, _segment(raws, lx), lx)
    shared = _coordinated_heads(raws, choice, lx)
    swallow, attested = False, NOTHING_ATTESTED
    while i < n:
        r = raws[i]
        if swallow:  # after an attestation: the rest only says what is attested to
            if r.text == "and" and i + 1 < n and raws[i + 1].text in _NEW_CLAUSE:
                swallow = False  # "... sign an informed consent and be geographically accessible": a new demand
                continue
            hit = _match(raws, i, lx)
            if hit and hit[1][0] == "ATTEST":
                toks.append(Token("AND", "and", start_pos=r.start, end_pos=r.start))
                j, (kind, value) = hit
                toks.append(_tok(kind, value, r))
                attested = _attested(value[0])
                i = j
                continue
            if hit and hit[1][0] in ("DRUG", "PROCEDURE") and attested.names:
                i = hit[0]  # "comply with the IL-2 treatment regimen": the treatment complied with
                continue
            if _says_what_is_attested(r, attested):
                i += 1
                continue
            swallow = False  # a word the attestation cannot hold begins another statement: read, never dropped
        if r.text in ("at", "on", "the") and (end := _at_anchor(raws, i, lx)) > i + choice[i]:
            i = end  # "on the day of consenting to the study": the screening date, as the "at screening" fillers
            continue
        if (j := _period_window(raws, i, lx)) > i and raws[j].text in lx.time_units:  # "in the week prior to screening"
            toks.extend([_tok("WINDOW", r.text, r), _tok("TIMEUNIT", lx.time_units[raws[j].text], raws[j])])
            i = j + 1
            continue
        if j > i:  # "in the 2-month period prior to screening": within 2 months
            number = float(raws[j].text.replace(",", "")) if raws[j].kind == "num" else float(lx.numbers[raws[j].text])
            toks.extend([_tok("WINDOW", r.text, r), _tok("NUMBER", number, raws[j]),
                         _tok("TIMEUNIT", lx.time_units[raws[j + 1].text], raws[j + 1])])
            i = j + 3
            continue
        if r.text == "during" and (end := _plan_before_window(raws, i, lx)) > i:
            i = end  # "during the study or within 3 weeks prior to the first dose": the study lies after screening
            continue
        if r.text == "or" and (end := _half_lives_at(raws, i, lx)):  # "or 5 half-lives": see _bound_windows
            toks.append(Token("HALFLIVES", text[r.start:raws[end - 1].end], start_pos=r.start, end_pos=raws[end - 1].end))
            i = end
            continue
        if (organs := organ_function_end(raws, i)):  # "Adequate bone marrow, renal and liver function (...)"
            i = organs
            continue
        if i in shared:  # "liver, kidney or heart failure": "liver" names "liver failure"
            j, key = shared[i]  # "hepatic or renal transplantation": "hepatic" names "hepatic transplantation"
            kind = "PROCEDURE" if vocab.get_concept(key).category == "procedure" else "CONDITION"
            toks.append(_phrase_token(raws, i, kind, key, raws[j - 1].end))
            i = j
            continue
        if r.text == "genotype" and (genotyped := _genotypes(raws, i, toks)) is not None:
            i = genotyped  # "HCV genotype 1 or 4": a genotype a person weighs
            continue
        if r.kind == "titer":
            toks.append(_tok("TITER", float(r.text.split(":")[1].replace(",", "")), r))
            i += 1
            continue
        if r.kind == "num" and toks and toks[-1].type == "CMP" and (joined := _joined_number(raws, i)) is not None:
            value, j = joined  # "< 8,5 %", "<= 100 000/uL": one threshold written the European way
            toks.append(Token("NUMBER", value, start_pos=r.start, end_pos=raws[j - 1].end))
            i = _after_number(raws, j, text, toks, lx)
            continue
        if r.kind == "num" and i + 1 < n and raws[i + 1].kind == "word" and text[r.end:raws[i + 1].start] in ("", "-") \
                and (hit := _match(raws, i, lx)) and hit[1][0] in ("DRUG", "QUANTITY"):
            # "3TC", "5-FU", "6-MP", "25-hydroxyvitamin D": a drug or lab whose name begins with a digit, written as one
            # word (else read as a number before a word: "3" and "TC", total cholesterol)
            j, (kind, value) = hit
            toks.append(Token(kind, value, start_pos=r.start, end_pos=raws[j - 1].end))
            i = j
            continue
        if r.kind == "num" or (r.kind == "word" and r.text in lx.numbers and not choice[i]):
            value = float(r.text.replace(",", "")) if r.kind == "num" else float(lx.numbers[r.text])
            toks.append(_tok("NUMBER", value, r))
            i = _after_number(raws, i + 1, text, toks, lx)
            continue
        if r.kind == "cmp":
            toks.append(_tok("EQ" if r.text == "=" else "CMP", _CMP_SYMBOL.get(r.text, "=="), r))
            i += 1
            continue
        if r.kind == "punct":
            kind = {"(": "LPAR", "[": "LPAR", ")": "RPAR", "]": "RPAR", ",": "COMMA", ":": "COLON", "-": "TO",
                    "/": "OR", "+": "WORD", "%": "WORD", ";": "COMMA"}.get(r.text, "WORD")
            toks.append(_tok(kind, r.text, r))
            i += 1
            continue
        # "stage IIIB or IV non-small cell lung cancer": a stage the record seldom states (ir.Judged)
        if r.text == "stage" and i + 1 < n and _STAGE.fullmatch(raws[i + 1].text) and not (toks and toks[-1].type == "QUANTITY"):
            j = i + 2
            while j < n:
                if raws[j].start == raws[j - 1].end + 1 and _STAGE.fullmatch(raws[j].text):  # "III-IV": hyphen dropped
                    j += 1
                elif j + 1 < n and raws[j].text in ("or", ",", "-", "to", "and", "/") and _STAGE.fullmatch(raws[j + 1].text):
                    j += 2
                elif j + 2 < n and raws[j].text == "," and raws[j + 1].text in ("or", "and") \
                        and _STAGE.fullmatch(raws[j + 2].text):  # "stage IIB, IIIA, or IIIB"
                    j += 3
                else:
                    break
            toks.append(Token("JUDGED", text[r.start:raws[j - 1].end], start_pos=r.start, end_pos=raws[j - 1].end))
            i = j
            continue
        # ordinal lead: "class III", "grade 3"
        lead = next((len(k) for k in sorted(lx.ordinal_leads, key=len, reverse=True)
                     if tuple(x.text for x in raws[i:i + len(k)]) == k), 0)
        if lead and i + lead < n and (raws[i + lead].text in _ROMAN or raws[i + lead].kind == "num"):
            nxt = raws[i + lead]
            value = Ordinal(_ROMAN.get(nxt.text) or nxt.text)
            toks.append(_tok("NUMBER", value, nxt))
            i += lead + 1
            # "class II-IV", "grade 3 or 4", "class III or IV": the following numerals are of the same scale
            while i < n:
                if raws[i].text in _ROMAN and raws[i].start == raws[i - 1].end + 1:  # "II-IV": hyphen dropped
                    toks.append(_tok("TO", "-", raws[i]))
                    toks.append(_tok("NUMBER", Ordinal(_ROMAN[raws[i].text]), raws[i]))
                    i += 1
                elif i + 1 < n and raws[i].text in ("-", "to", "or", ",", "and") and raws[i + 1].text in _ROMAN:
                    toks.append(_tok("TO" if raws[i].text in ("-", "to") else "OR" if raws[i].text == "or" else
                                     "COMMA" if raws[i].text == "," else "AND", raws[i].text, raws[i]))
                    toks.append(_tok("NUMBER", Ordinal(_ROMAN[raws[i + 1].text]), raws[i + 1]))
                    i += 2
                else:
                    break
            continue
        if r.text in ("of", "from", "preceding") and toks and toks[-1].type == "TIMEUNIT":
            anchor: list[Token] = []
            j = _anchor(raws, i + 1, lx, anchor)
            if anchor:  # "within 4 weeks of study entry": counted back from the screening date
                toks.append(_tok("PRIOR", r.text, r))
                toks.extend(anchor)
                i = j
                continue
        if r.kind == "word" and r.text in lx.time_units and len(toks) > 2 and toks[-1].type == "RPAR" \
                and toks[-2].type == "NUMBER" and toks[-3].type == "LPAR":
            toks.append(_tok("TIMEUNIT", lx.time_units[r.text], r))  # "seven (7) days"
            i += 1
            continue
        if r.kind == "word" and r.text in lx.time_units and toks and toks[-1].type == "WINDOW":
            toks.append(_tok("TIMEUNIT", lx.time_units[r.text], r))  # "within the past month"
            i += 1
            continue
        if not choice[i] and r.text in _route_text()["before_drug_only"] and _before_drug(raws, i + 1, choice, lx):
            toks.append(_tok("ROUTE", route_name(r.text), r))  # "IV antibiotics"; "stage IV" is a numeral
            i += 1
            continue
        if r.kind == "word":
            cancer = cancers.cancer_at(raws, i, lx)
            if cancer is not None and cancers.cancer_wins(raws, i, choice, lx, cancer):
                j, sites = cancer
                toks.extend(cancers.cancer_tokens(sites, r.start, raws[j - 1].end))
                i = j
                continue
        if r.kind == "word" and not choice[i] and cancers.TNM.fullmatch(r.text):
            j, letters = cancers.tnm_at(raws, i)
            staged = len(toks) > 1 and toks[-1].type == "LPAR" and toks[-2].type == "JUDGED" \
                and str(toks[-2].value).startswith("stage") and j < n and raws[j].text == ")"
            if staged:  # "stage IIIA (T1-3, N2)": one qualifier
                toks.pop()
                stage = toks.pop()
                toks.append(Token("JUDGED", f"{stage.value} ({text[r.start:raws[j - 1].end]})",
                                  start_pos=stage.start_pos, end_pos=raws[j].end))
                i = j + 1
                continue
            if len(letters) > 1:  # "T1, N0-2, M0"; a lone "T3" may be a thyroid hormone or an MRI sequence
                toks.append(Token("JUDGED", text[r.start:raws[j - 1].end], start_pos=r.start, end_pos=raws[j - 1].end))
                i = j
                continue
        if (end := _drug_allergy_end(raws, i, choice)):
            # "drug allergy": an allergy to some drug, which entry is one a person weighs (ir.Judged over any allergy)
            toks.append(_tok("JUDGED", r.text, r))
            toks.append(_tok("ALLERGY", raws[end - 1].text, raws[end - 1]))
            toks.append(Token("DRUG", vocab.ANY_SUBSTANCE, start_pos=raws[end - 1].end, end_pos=raws[end - 1].end))
            i = end
            continue
        if (end := _drug_property_end(raws, i, choice)):
            # "nephrotoxic drugs": which drugs are, a person weighs (ir.Judged over any medication)
            toks.append(Token("JUDGED", text[r.start:raws[end - 2].end], start_pos=r.start, end_pos=raws[end - 2].end))
            toks.append(_tok("DRUG", vocab.ANY_SUBSTANCE, raws[end - 1]))
            i = end
            continue
        if not choice[i] and r.text in _drug_nouns() and toks and toks[-1].type == "DRUG" and i > 0 \
                and toks[-1].end_pos == raws[i - 1].end:
            # "anticoagulant medications": the noun adds nothing to the drug just before it
            last = toks.pop()
            toks.append(Token("DRUG", last.value, start_pos=last.start_pos, end_pos=r.end))
            i += 1
            continue
        if not choice[i] and r.text in phrase_data()["other_than_trial"]["words"] and _this_trial_other(raws, i + 1, choice, lx):
            i += 1  # "since other prior investigational drugs": at screening none of this trial's were given
            continue
        if not choice[i] and r.text == "after" and _since_after(toks, raws, i, choice, lx):
            toks.append(_tok("SINCE", "after", r))  # "28 days or longer after any investigational agent": since
            i += 1
            continue
        if not choice[i]:
            if r.text in _ROMAN and len(r.text) > 1 and toks and toks[-1].type in ("QUANTITY", "TO", "OR", "COMMA"):
                toks.append(_tok("NUMBER", Ordinal(_ROMAN[r.text]), r))  # "NYHA class III", "III or IV"
            elif r.text in _ROMAN and toks and toks[-1].type == "NUMBER" and r.start == raws[i - 1].end + 1:
                toks.append(_tok("TO", "-", r))  # "II-IV" (the hyphen was dropped between words)
                toks.append(_tok("NUMBER", Ordinal(_ROMAN[r.text]), r))
            else:
                toks.append(_tok("WORD", r.text, r))
            i += 1
            continue
        j = i + choice[i]
        kind, value = lx.phrases[tuple(x.text for x in raws[i:j])]
        if kind == "NEGHIST":  # "no prior X": negation of the history of X
            toks.append(Token("NEG", "no", start_pos=r.start, end_pos=r.end))
            toks.append(Token("HISTORY", "prior", start_pos=r.start, end_pos=raws[j - 1].end))
        elif kind == "NEGFLAG":  # "non-pregnant": not pregnant
            toks.extend(_negated_flag(raws, i, j, value))
        elif kind == "AGECMP":  # "older than 65 years": an age (said once) and its comparison
            if not any(t.type == "AGE" for t in toks):
                toks.append(Token("AGE", text[r.start:raws[j - 1].end], start_pos=r.start, end_pos=raws[j - 1].end))
            toks.append(Token("CMP", value, start_pos=r.start, end_pos=raws[j - 1].end))
        elif kind == "NEG" and j - i > 1 and raws[j - 1].text in ("concurrent", "current") \
                and _next_kind(raws, j, choice, lx) not in ("HISTORY", "PRIOR", "NEGHIST"):
            # "no concurrent radiotherapy": the negation and the time frame (now) it carries
            toks.append(Token("NEG", text[r.start:raws[j - 2].end], start_pos=r.start, end_pos=raws[j - 2].end))
            toks.append(_tok("USE", raws[j - 1].text, raws[j - 1]))
        elif kind == "FILLER" and j == i + 1 and r.text == "for" and _treatment_before(toks) \
                and _next_kind(raws, j, choice, lx) not in ("CMP", "NUMBER", None) and not (j < n and raws[j].kind == "num"):
            # "chemotherapy for melanoma": what a treatment is for is part of the statement (a duration,
            # "for 6 months", is not); dropped, "X for either Y or Z" would read as "X or Y or Z"
            toks.append(Token("FOR", "for", start_pos=r.start, end_pos=r.end))
        elif kind == "FILLER" and j == i + 1 and r.text == "for" and _age_group_after(raws, j, lx):
            # "Karnofsky >= 50 for > 10 years of age": whom the threshold is for, as "if" says it (compile for_age)
            toks.append(Token("IFCOND", "for", start_pos=r.start, end_pos=r.end))
        elif kind == "FILLER" and j == i + 1 and r.text == "for" and _drug_before(toks) \
                and (_next_kind(raws, j, choice, lx) == "CMP" or j < n and raws[j].kind == "cmp" and raws[j].text != "="):
            # "zidovudine for more than 6 months": how long it was taken (ir.Duration), not how long ago
            toks.append(Token("LASTING", "for", start_pos=r.start, end_pos=r.end))
        elif kind == "FILLER" and j == i + 1 and r.text == "for" and _condition_lasting(toks, raws, j, choice, lx):
            # "type 2 diabetes for at least 90 days": how long the condition has lasted, not how long ago
            toks.append(Token("LASTING", "for", start_pos=r.start, end_pos=r.end))
        elif kind != "FILLER":
            toks.append(_phrase_token(raws, i, kind, value if value is not None else text[r.start:raws[j - 1].end],
                                         raws[j - 1].end))
        if kind == "PRIOR":
            j = _anchor(raws, j, lx, toks)
        if kind == "STUDY":  # "participation in another trial with an investigational drug": still a study
            j = _tail(raws, j, lx.study_tails, toks)
        if kind == "ATTEST":
            swallow, attested = True, _attested(value[0])
        i = j
    toks = _cumulative_durations(toks)  # "6 months of prior cumulative ZDV therapy": a duration (passes.py)
    toks = _metastatic_sites(_infection_with(_generic_illness(_bound_windows(_settings_after(_ever_after(
        past_as_ever(measure_extremes(toks), text))))), text))  # "Nadir CD4 count > 200" (extremes.py)
    # "gemcitabine-containing regimen" (regimens.py); replacement steroid doses (replacement.py)
    toks = replacement_after_drug(containing_regimens(_high_dose_judged(_longer_wait_last(toks))))
    collapsed = _collapse(toks, text)
    while len(collapsed) < len(toks):  # "SGPT (alanine aminotransferase [ALT])": the inner repeat first
        toks, collapsed = collapsed, _collapse(collapsed, text)
    collapsed = _dipstick_grades(_antibody_tests(_plus_positive(collapsed), text))  # "HBsAg+", "hepatitis C virus (HCV) antibodies" (results.py)
    # "colon cancer that is metastatic": the qualifier before the cancer (after "X (X)" restatements collapse)
    toks = _group_defined_later(_above_normal(_pressure_pairs(_baseline_values(_value_anchors(cancers.qualified(collapsed, text))), text)))
    toks = measure_shapes(toks, text)  # "DLCO >= 65% of normal", "...; and body weight > 40 kg" (measure_shapes.py)
    toks = condition_durations(toks, text)  # "diabetes duration > 5 years": how long it has lasted
    toks = drug_used_for(any_of_following(age_at_consent(diagnosed_ago(toks, text), text), text), text)  # sentence_shapes.py
    toks = infinitive_lead(toks, text)
    toks = postposed_qualifier(toks, text)  # "hypertension that is not well-controlled" (condition_words.py)
    toks = shown_by(shared_qualifier(needs_judged_use(window_before_drugs(now_or_within(drug_with_class(toks))), text), text), text)  # condition_words.py
    toks = judged_clauses(toks, text)  # "Mental illness that would interfere with compliance": the clause a person weighs
    return toks, text



_AGE_PERSONS = frozenset("patients patient subjects subject participants participant children those pts persons".split())


def _age_group_after(raws: list[Raw], j: int, lx: Lexicon) -> bool:
    """"for > 10 years of age", "for patients <= 10 years": an age group (a comparison of years, said of persons or
    followed by "of age"/"old") after "for", not a duration ("for > 6 months")."""
    persons = j < len(raws) and raws[j].text in _AGE_PERSONS
    k = j + 1 if persons else j
    if k + 2 >= len(raws) or raws[k].kind != "cmp" or raws[k + 1].kind != "num" or \
            raws[k + 2].text not in ("year", "years", "yrs", "yr"):
        return False
    return persons or " ".join(x.text for x in raws[k + 3:k + 5]).startswith(("of age", "old"))
