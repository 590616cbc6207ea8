"""Passes over the token stream once the words are read: each rewrites one construct the grammar should not have to
(half-lives, generic illness, settings after a drug list, restated units and tests, metastatic sites, value
anchors, blood pressure pairs) and _collapse drops what carries no meaning.
"""
from __future__ import annotations

from functools import lru_cache

from lark import Token

from .. import units, vocab
from .combos import active_member, dangling_at_start, upper_time_as_window, with_or_without
from .lexicon import phrase_data
from .values import _measure_restated


def _bound_windows(toks: list[Token]) -> list[Token]:
    """"within 28 days or 5 half-lives (whichever is longer) prior to X" -> WINDOW NUMBER TIMEUNIT BOUND PRIOR ANCHOR.

    The alternative may stand before or after the anchor, in parentheses or between commas. Without a "whichever"
    phrase (or with no window before it) it stays an unknown word: which of the two periods is meant?"""
    out = list(toks)
    while (h := next((k for k, t in enumerate(out) if t.type == "HALFLIVES"), None)) is not None:
        folded = _fold_half_lives(out, h)
        if folded is None:
            out[h] = Token("WORD", "half-lives", start_pos=out[h].start_pos, end_pos=out[h].end_pos)
        else:
            out = folded
    return [Token("WORD", "whichever", start_pos=t.start_pos, end_pos=t.end_pos) if t.type == "WHICHEVER" else t
            for t in out]


def _fold_half_lives(toks: list[Token], h: int) -> list[Token] | None:
    def at(k: int, *kinds: str) -> bool:
        return 0 <= k < len(toks) and toks[k].type in kinds

    p = h - 1
    opened = at(p, "LPAR")
    if at(p, "LPAR", "COMMA"):
        p -= 1
    anchor: list[Token] = []
    if at(p, "ANCHOR") and at(p - 1, "PRIOR"):
        anchor, p = toks[p - 1:p + 1], p - 2
    if not (at(p, "TIMEUNIT") and at(p - 1, "NUMBER")):
        return None
    q = h + 1
    if at(q, "COMMA"):
        q += 1
    if not anchor and at(q, "PRIOR") and at(q + 1, "ANCHOR"):
        anchor, q = toks[q:q + 2], q + 2
        if at(q, "COMMA"):
            q += 1
    if at(q, "LPAR") and at(q + 1, "WHICHEVER"):
        opened, q = True, q + 1
    if not at(q, "WHICHEVER"):
        return None
    which = toks[q]
    q += 1
    if opened:
        if not at(q, "RPAR"):
            return None
        q += 1
    if not anchor and at(q + at(q, "COMMA"), "PRIOR") and at(q + at(q, "COMMA") + 1, "ANCHOR"):
        q += at(q, "COMMA")
        anchor, q = toks[q:q + 2], q + 2
    bound = Token("BOUND", which.value, start_pos=toks[h].start_pos, end_pos=which.end_pos)
    return [*toks[:p + 1], bound, *anchor, *toks[q:]]


@lru_cache(maxsize=1)
def _generic_words() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """phrases.toml [generic_illness]: the weak nouns, and the qualifiers and time words that make them generic."""
    g = phrase_data()["generic_illness"]
    return frozenset(g["weak"]), frozenset(g["qualifiers"]), frozenset(g["times"])


def _generic_illness(toks: list[Token]) -> list[Token]:
    """"Serious concurrent disease": a weak noun ("disease", "condition") right after qualifiers and time words
    that all speak of illness in general is a GENERIC token; after any other word ("measurable disease", "stage IV
    disease") it stays a WORD. A WORD "other" right before a generic illness ("any other serious illness") is
    dropped: any condition goes to a person anyway."""
    weak, quals, times = _generic_words()
    out: list[Token] = []
    for t in toks:
        if t.type == "WORD" and str(t.value).lower() in weak:
            lead = []
            for x in reversed(out):
                if x.type not in ("JUDGED", "USE", "COMMA", "OR", "AND"):
                    break
                lead.append(x)
            words = [x for x in lead if x.type in ("JUDGED", "USE")]
            if words and all(str(x.value).lower() in (quals if x.type == "JUDGED" else times) for x in words) \
                    and lead[0].type in ("JUDGED", "USE"):
                t = Token("GENERIC", t.value, start_pos=t.start_pos, end_pos=t.end_pos)
        out.append(t)
    kept: list[Token] = []
    for i, t in enumerate(out):
        if t.type == "WORD" and str(t.value).lower() == "other":
            j = i + 1
            while j < len(out) and out[j].type in ("JUDGED", "USE", "COMMA", "OR", "AND"):  # "serious and/or uncontrolled"
                j += 1
            if j < len(out) and out[j].type == "GENERIC":
                continue
        kept.append(t)
    return kept


def _generic_scales(toks: list[Token]) -> list[Token]:
    """"ECOG performance status", "Performance status: Karnofsky 80-100%": a generic scale word next to a
    named scale ("performance status" = ECOG only when no other scale is named) gives way to it."""
    out: list[Token] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.type == "QGROUP" and len(t.value) == 1:
            before = next((x for x in reversed(out) if x.type not in ("LPAR", "RPAR")), None)
            j = i + 1 + (i + 1 < len(toks) and toks[i + 1].type in ("COLON", "TO"))
            if before is not None and before.type in ("QUANTITY", "QGROUP") and out[-1].type in ("QUANTITY", "QGROUP", "RPAR"):
                i += 1
                continue
            if j < len(toks) and toks[j].type in ("QUANTITY", "QGROUP"):
                i = j
                continue
            # "Performance status 0-2 on the ECOG scale", "Performance status =< 2 Zubrod": the scale named at the end
            tail = 2 if len(toks) >= 2 and toks[-2].type == "USE" and str(toks[-2].value).lower() == "on" else 1
            if i + 1 < len(toks) - tail and toks[-1].type in ("QUANTITY", "QGROUP") \
                    and (toks[-1].type == "QUANTITY" or toks[-1].value == t.value) \
                    and not any(x.type in ("QUANTITY", "QGROUP") for x in toks[i + 1:-tail]):
                toks = [*toks[:i], toks[-1], *toks[i + 1:-tail]]
                continue
            # "Performance status (PS) <= 2 (ECOG scale)": the scale named in parentheses at the end
            if i + 1 < len(toks) and len(toks) >= 3 and toks[-3].type == "LPAR" and toks[-2].type == "QUANTITY" \
                    and toks[-1].type == "RPAR" and i < len(toks) - 3 \
                    and not any(x.type in ("QUANTITY", "QGROUP") for x in toks[i + 1:-3]):
                toks = [*toks[:i], toks[-2], *toks[i + 1:-3]]
                continue
        out.append(t)
        i += 1
    return out


_LIMITS = {"ULN": "upper", "ULNBARE": "upper", "LLNBARE": "lower"}


def _restates(before: Token, inside: Token) -> bool:
    """The token in parentheses names again what precedes it: "systemic lupus erythematosus (SLE)",
    "seven (7) days", "1.5 x upper limit of normal (ULN)", "lower limit of normal (LLN)"."""
    if inside.type == before.type and inside.value == before.value:
        return True
    if before.type == "NORMAL" and inside.type in ("NORMAL", "ULNBARE"):
        return True  # "within normal limits (WNL)", "within normal institutional limits (ULN)"
    return before.type in _LIMITS and _LIMITS.get(inside.type) == _LIMITS[before.type]


_SETTING_RUN = frozenset({"DRUG", "COMMA", "OR", "AND", "LPAR", "RPAR"})


def _settings_after(toks: list[Token]) -> list[Token]:
    """"Ketoconazole, acyclovir, or nystatin for prophylaxis": a setting said after a list of drugs is read before
    it, as "prophylactic ketoconazole, ..." (phrases.toml [setting] after). After anything else it is an unknown word."""
    if not any(t.type == "SETTINGAFTER" for t in toks):
        return toks
    out: list[Token] = []
    for t in toks:
        if t.type != "SETTINGAFTER":
            out.append(t)
            continue
        k = len(out)
        while k > 0 and out[k - 1].type in _SETTING_RUN:
            k -= 1
        while k < len(out) and out[k].type != "DRUG":  # the run begins at its first drug
            k += 1
        if k == len(out) or out[-1].type not in ("DRUG", "RPAR") or (k > 0 and out[k - 1].type in ("SETTING", "SYSTEMIC", "ROUTE")):
            out.append(Token("WORD", str(t.value), start_pos=t.start_pos, end_pos=t.end_pos))
            continue
        words = str(t.value).split()
        out.insert(k, Token("SETTING", " ".join(words[1:]), start_pos=t.start_pos, end_pos=t.end_pos))
    return out


# a time frame or tense of its own before "at any time": the two would have to be reconciled
_NOT_EVER = frozenset({"WINDOW", "HISTORY", "PRIOR", "USE", "PROCUSE", "SINCE", "CMP", "LASTING", "TIMEUNIT", "EVER", "NUMBER"})


def _ever_after(toks: list[Token]) -> list[Token]:
    """"Omarigliptin at any time", "Oral hairy leukoplakia at any time prior to study entry": ever, read as a history
    before the sentence (phrases.toml [ever]). Only at the end of a sentence with no time frame, tense or number of its
    own (a measurement "at any time" is any value ever, which no window says): elsewhere an unknown word."""
    k = next((i for i, t in enumerate(toks) if t.type == "EVER"), None)
    if k is None:
        return toks
    body, rest = toks[:k], [t.type for t in toks[k + 1:]]
    past = set(phrase_data()["past_use"]["phrases"])
    # "History of X at any time", "have been treated with X at any time": ever already
    ever = [t for t in body if t.type in ("HISTORY", "PROCUSE") or t.type == "USE" and str(t.value).lower() in past]
    t = toks[k]
    if rest not in ([], ["PRIOR"], ["PRIOR", "ANCHOR"]) or not body \
            or any(x.type in _NOT_EVER for x in body if not any(x is e for e in ever)) or len(ever) > 1:
        return [*body, Token("WORD", str(t.value), start_pos=t.start_pos, end_pos=t.end_pos), *toks[k + 1:]]
    if ever:
        return body
    at = 1 if body[0].type == "NEG" else 0
    return [*body[:at], Token("HISTORY", str(t.value), start_pos=t.start_pos, end_pos=t.end_pos), *body[at:]]


_LONGER_RUN = frozenset({"DRUG", "COMMA", "OR", "AND", "SINCE"})


def _longer_wait_last(toks: list[Token]) -> list[Token]:
    """"Chemotherapy within 4 weeks (6 weeks for nitrosoureas) prior to entering the study": the longer wait for some
    drugs said inside the window is read after it, "within 4 weeks prior to entering the study (6 weeks for ...)"
    (grammars/criteria.lark `_medtail`). Only a parenthesis of a number, a time unit and drugs."""
    for i in range(len(toks) - 4):
        if [t.type for t in toks[i:i + 4]] != ["WINDOW", "NUMBER", "TIMEUNIT", "LPAR"]:
            continue
        j = i + 4
        if [t.type for t in toks[j:j + 2]] != ["NUMBER", "TIMEUNIT"]:
            return toks
        k = j + 2
        while k < len(toks) and toks[k].type in _LONGER_RUN:
            k += 1
        if k + 2 < len(toks) and toks[k].type == "RPAR" and any(t.type == "DRUG" for t in toks[j:k]) \
                and [t.type for t in toks[k + 1:k + 3]] == ["PRIOR", "ANCHOR"]:
            return [*toks[:i + 3], *toks[k + 1:k + 3], *toks[i + 3:k + 1], *toks[k + 3:]]
        return toks
    return toks


_HIGH_DOSE_WORDS = frozenset({"high dose", "high-dose", "high doses", "high dose of", "high doses of"})


def _high_dose_judged(toks: list[Token]) -> list[Token]:
    """"High-dose corticosteroids", "at least 6 weeks since prior high dose dexamethasone": with no dose stated in the
    sentence, how high is a person's call (JUDGED, ir.Judged); a stated dose ("high dose steroids (> 20 mg/day)")
    keeps HIGHDOSE."""
    return [Token("JUDGED", str(t.value), start_pos=t.start_pos, end_pos=t.end_pos)
            if t.type == "HIGHDOSE" and str(t.value).lower() in _HIGH_DOSE_WORDS and i + 1 < len(toks)
            and toks[i + 1].type == "DRUG" and not any(x.type in ("CMP", "UNIT") for x in toks[i + 1:])
            else t for i, t in enumerate(toks)]


def _cumulative_durations(toks: list[Token]) -> list[Token]:
    """"At least 6 months of prior cumulative ZDV therapy", "<= 2 weeks cumulative treatment with protease inhibitors":
    a time of use in all, which a duration of use already is (the evaluator decides it only where the total and the
    longest stretch agree): "cumulative" right after the time (or its "prior") and before the drug or its use is
    dropped. A sentence with a dose keeps it ("prior cumulative dose of doxorubicin": a lifetime dose, no daily one)."""
    if any(t.type in ("UNIT", "HIGHDOSE") for t in toks):
        return toks
    out: list[Token] = []
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.type == "WORD" and str(t.value).lower() == "cumulative" and nxt is not None and nxt.type in (
                "DRUG", "USE", "PRIOR") and (out[-1:] and out[-1].type == "TIMEUNIT" or (
                out[-2:] and out[-2].type == "TIMEUNIT" and out[-1].type == "PRIOR")):
            continue
        out.append(t)
    return out


def _infection_with(toks: list[Token], text: str) -> list[Token]:
    """"infection with HIV, hepatitis B or hepatitis C": the infections named after "with" (a test named there, the
    infection it shows)."""
    toks = list(toks)
    out: list[Token] = []
    for i, t in enumerate(toks):
        nxt = toks[i + 1] if i + 1 < len(toks) else None
        if t.type == "CONDITION" and t.value == "infection" and nxt is not None and nxt.type == "JUDGED" \
                and str(nxt.value).startswith("genotype") and text[t.end_pos:nxt.start_pos].strip() == "with":
            continue  # "infection with HCV genotype 2 or 3" (see _genotypes)
        if t.type == "CONDITION" and t.value == "infection" and nxt is not None \
                and text[t.end_pos:nxt.start_pos].strip() == "with":
            shown = units.get_quantity(nxt.value).shows if nxt.type == "QTEST" else nxt.value if nxt.type == "CONDITION" else None
            if shown and "infection" in vocab.ancestors(shown):
                if nxt.type == "QTEST":
                    toks[i + 1] = Token("CONDITION", shown, start_pos=nxt.start_pos, end_pos=nxt.end_pos)
                continue
        out.append(t)
    return out


_RESULTS = frozenset({"POS", "NEGRES", "TESTWORD"})


def _test_of(before: Token, inside: Token) -> bool:
    """A condition restated by the test that shows it: "human immunodeficiency virus (HIV)"."""
    return before.type == "CONDITION" and inside.type == "QTEST" and units.get_quantity(inside.value).shows == before.value


def _metastatic_sites(toks: list[Token]) -> list[Token]:
    """"Metastatic brain or meningeal tumors": metastases to those sites (phrases.toml [metastatic_sites]), read only
    when every tumour named is in the table; otherwise the lead stays a judged qualifier ("metastatic breast
    cancer" is that cancer, spread)."""
    table = phrase_data()["metastatic_sites"]
    out: list[Token] = []
    for t in toks:
        lead = out[-1] if out else None
        if lead is not None and lead.type == "JUDGED" and str(lead.value).lower() in table["leads"] \
                and t.type in ("CONDITION", "CGROUP"):
            keys = (t.value,) if t.type == "CONDITION" else tuple(t.value)
            if all(isinstance(k, str) and k in table for k in keys):
                mapped = tuple(table[k] for k in keys)
                out[-1] = Token("CONDITION" if len(mapped) == 1 else "CGROUP", mapped[0] if len(mapped) == 1 else mapped,
                                start_pos=lead.start_pos, end_pos=t.end_pos)
                continue
        out.append(t)
    return out


_THERAPY_HEADS = frozenset({"therapy", "therapies", "treatment", "treatments"})


_NOW_WORDS = frozenset({"active", "current", "ongoing", "currently"})


_GROUP_LEADS = frozenset({"ABNORMAL", "NORMAL", "ELEVATED", "DECREASED"})


def _group_defined_later(toks: list[Token]) -> list[Token]:
    """"Abnormal liver function tests at screening, defined as ALT or AST > 2 x ULN, or total bilirubin > 1.5 x ULN",
    "Abnormal liver function tests (LFTs) as follows: total bilirubin > 1.5x ULN": "abnormal" before a panel of
    several measurements is then said by the thresholds after it, not by the reference range of every member; the
    words that say so ("defined as", "as follows") are dropped before the grammar, so with any comparison after it
    the panel is left unread (a WORD: review)."""
    out = list(toks)
    for i in range(len(out) - 1):
        if out[i].type in _GROUP_LEADS and out[i + 1].type == "QGROUP" and len(out[i + 1].value) > 2 \
                and any(t.type in ("CMP", "POSTCMP") for t in out[i + 2:]):
            g = out[i + 1]
            out[i + 1] = Token("WORD", "panel", start_pos=g.start_pos, end_pos=g.end_pos)
    return out


def _group_defined(before: Token, toks: list[Token], i: int) -> tuple[int, tuple[str, ...]] | None:
    """"Liver function tests (ALT, AST, alkaline phosphatase)", "LFTs (SGOT or SGPT)": a group of measurements and,
    in parentheses, the members of it the text means; (where it ends, those members), or None for anything else
    ("LFTs (e.g. ALT)", a measurement outside the group)."""
    if before.type != "QGROUP" or len(before.value) < 2 or toks[i].type != "LPAR":
        return None
    def keys(t: Token) -> tuple[str, ...]:  # a member, or a group of members ("(ALT or AST)")
        return (str(t.value),) if t.type == "QUANTITY" else tuple(t.value) if t.type == "QGROUP" else ()
    j, members = i + 1, []
    while j < len(toks) and keys(toks[j]) and set(keys(toks[j])) <= set(before.value):
        members.extend(keys(toks[j]))
        j += 1
        if j + 1 < len(toks) and toks[j].type in ("COMMA", "AND", "OR") and keys(toks[j + 1]):
            j += 1
        elif j + 2 < len(toks) and toks[j].type == "COMMA" and toks[j + 1].type in ("AND", "OR") and keys(toks[j + 2]):
            j += 2
    if not members or j >= len(toks) or toks[j].type != "RPAR":
        return None
    return j + 1, tuple(dict.fromkeys(members))


def _dangling_after_negation(out: list[Token], t: Token, nxt: Token | None, text: str) -> bool:
    """"No active or uncontrolled infection" ("no active" is the negation), "No ongoing or active infection"
    ("ongoing", "active" dropped): an "or" or comma left between the leading negation and the qualifier or
    condition, its first member a dropped word meaning "now". "No or minimal pain" (nothing dropped) keeps its "or"."""
    if len(out) != 1 or out[0].type != "NEG" or t.type not in ("OR", "COMMA") or nxt is None \
            or nxt.type not in ("JUDGED", "CONDITION", "CGROUP", "SYSTEMIC"):
        return False
    if nxt.type == "JUDGED" and str(nxt.value).lower().startswith("recent"):
        return False  # "No active or recent bleeding": a time of its own, not a qualifier of now
    dropped = text[out[0].end_pos:t.start_pos].lower().split()
    if dropped:  # "No preexisting or uncontrolled diabetes": a dropped word naming another kind stays unread
        return set(dropped) <= _NOW_WORDS
    return str(out[0].value).split()[-1].lower() in _NOW_WORDS


def _collapse(toks: list[Token], text: str = "") -> list[Token]:
    """'systemic lupus erythematosus (SLE)': a concept repeated in parentheses is one concept."""
    toks = _generic_scales(toks)
    out: list[Token] = []
    i = 0
    reach = -1  # where the text read so far ends (past a restatement in parentheses)
    while i < len(toks):
        t = toks[i]
        if out and (defined := _group_defined(out[-1], toks, i)):  # "liver function tests (ALT, AST)": those named
            out[-1] = Token("QGROUP", defined[1], start_pos=out[-1].start_pos, end_pos=toks[defined[0] - 1].end_pos)
            reach = toks[defined[0] - 1].end_pos
            i = defined[0]
            continue
        if out and out[-1].type in ("QUANTITY", "QGROUP") and (end := _measure_restated(out[-1], toks, i)):
            if out[-1].type == "QGROUP":  # "Performance status (Karnofsky scale)": the scale named
                out[-1] = toks[i + 1]
            reach = toks[end - 1].end_pos
            i = end
            continue
        if out and t.type == "LPAR" and i + 1 < len(toks) and toks[i + 1].type == "RPAR":
            # "type 2 diabetes mellitus (diagnosed clinically)": parentheses that held only filler words
            reach = toks[i + 1].end_pos
            i += 2
            continue
        if out and t.type == "LPAR" and i + 2 < len(toks) and toks[i + 2].type == "RPAR" and _restates(out[-1], toks[i + 1]):
            reach = toks[i + 2].end_pos
            i += 3
            continue
        if out and t.type == "LPAR" and i + 2 < len(toks) and toks[i + 2].type == "RPAR" \
                and _test_of(out[-1], toks[i + 1]):
            # "human immunodeficiency virus (HIV)": the infection and the test that shows it; after or before a result
            # ("(HIV) positive", "positive serology for HBsAg or ... (HIV)") the test, else the infection
            if (i + 3 < len(toks) and toks[i + 3].type in _RESULTS) or any(x.type in _RESULTS for x in out):
                out[-1] = toks[i + 1]
            reach = toks[i + 2].end_pos
            i += 3
            continue
        if out and t.type == out[-1].type and t.type in ("CONDITION", "PROCEDURE") and t.value != out[-1].value \
                and t.start_pos - max(reach, out[-1].end_pos) <= 1 and t.value in vocab.ancestors(out[-1].value):
            # "prior CABG operation", "HIV (HIV) infection": a generic head noun right after what it names
            i += 1
            continue
        if dangling_at_start(out, t, toks[i + 1] if i + 1 < len(toks) else None, text):
            # "Ongoing or active infection": the first word dropped (lexer.combos); "any active or uncontrolled
            # infection": the active one, or the uncontrolled one a person weighs
            out.extend(active_member(toks, i, text))
            i += 1
            continue
        if window := upper_time_as_window(out, toks, i, text):
            out.append(window)  # "myocardial infarction < 6 months prior to study drug" (lexer.combos)
            i += 1
            continue
        if skip := with_or_without(out, toks, i, text):
            i += skip  # "panic disorder with or without agoraphobia": the first alone (lexer.combos)
            continue
        if _dangling_after_negation(out, t, toks[i + 1] if i + 1 < len(toks) else None, text):
            i += 1  # "No active or uncontrolled infection", "No ongoing or active infection": the first word dropped
            continue
        if t.type == "USE" and str(t.value).lower() in _THERAPY_HEADS and out and out[-1].type == "DRUG" \
                and t.start_pos - out[-1].end_pos <= 1:
            i += 1  # "prior bisphosphonate therapy", "anti-androgen treatment": the head noun of the drug named
            continue
        if t.type == "LPAR" and i + 1 < len(toks) and toks[i + 1].type == "RPAR":  # emptied by dropped fillers
            i += 2
            continue
        if out and (t.type == out[-1].type == "COMMA" or t.type == out[-1].type == "CMP" and t.value == out[-1].value):
            i += 1  # "18-32 kg/m2, inclusive, and": the filler between two commas; "less than < 70": said twice
            continue
        if t.type == "WINDOW" and str(t.value).lower() == "within" and out and out[-1].type in ("QUANTITY", "QGROUP") \
                and i + 1 < len(toks) and (toks[i + 1].type in ("ULNBARE", "NORMAL")
                                           or toks[i + 1].type == "NUMBER" and i + 2 < len(toks) and toks[i + 2].type == "ULN"):
            # "creatinine within ULN", "within 1.5 times ULN": at most that; "bilirubin within normal laboratory values"
            if toks[i + 1].type != "NORMAL":
                out.append(Token("CMP", "<=", start_pos=t.start_pos, end_pos=t.end_pos))
            i += 1
            continue
        if t.type == "TESTWORD" and out and out[-1].type == "QUANTITY" and i + 1 < len(toks) and toks[i + 1].type == "CMP":
            i += 1  # "Karnofsky status >= 70%", "PSA test result exceeds 4.0": the measured value
            continue
        if out and t.type == out[-1].type and t.type in ("QUANTITY", "QTEST", "CONDITION", "DRUG", "VACCINE", "PROCEDURE") \
                and t.value == out[-1].value:
            i += 1
            continue
        if out and t.type == out[-1].type == "CONDITION" and isinstance(t.value, str) and isinstance(out[-1].value, str) \
                and t.value != out[-1].value and t.value in vocab.ancestors(out[-1].value):
            i += 1  # "active hepatitis B infection": the head noun names again the kind of what precedes it
            continue
        out.append(t)
        i += 1
    while out and out[-1].type in ("COMMA", "COLON", "AND", "OR"):  # left by dropped filler words
        out.pop()
    while out and out[0].type in ("COMMA", "COLON"):
        out.pop(0)
    return out

