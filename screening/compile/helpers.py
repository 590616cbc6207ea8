"""What the transformer's rules share: small carrier objects between rules and the functions that build and
rewrite IR (time frames, exceptions, qualifiers, lists).
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

from lark import Token

from .. import ir, units, vocab
from ..errors import ScreeningError
from ..lexer import lexicon, phrase_data, phrase_key


class Uncompilable(Exception):
    """Raised inside the transformer when text parses but cannot mean one thing; becomes review."""


@dataclass(frozen=True, slots=True)
class _Longer:
    """A longer wait for some drugs of a "since" statement ("(6 weeks for nitrosoureas)")."""

    node: ir.Node


class _Either(list):  # type: ignore[type-arg]
    """Bounds of which one must hold ("< 20 kg or > 60 kg"), where a plain list means all."""


@dataclass(frozen=True, slots=True)
class _JudgedExceptions:
    """"except adequately treated basal cell carcinoma": every listed concept is excepted, and those after the
    words may count again, which a person weighs (a basal cell carcinoma never treated is no exception)."""

    concepts: tuple[str, ...]
    qualifier: str
    judged: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Ever:
    """A diagnosis named by its criteria ("meets ACR criteria for SLE"): ever diagnosed, not 'now'."""

    node: ir.Node


@dataclass(frozen=True, slots=True)
class _Period:
    """"(less than 1 month)" after "recent": how recent, as a look-back window."""

    window: ir.Window


@dataclass(frozen=True, slots=True)
class _TestedCondition:
    """A condition named in a list of positive tests ("positive for HBsAg or HCV"): its test, or the condition."""

    node: ir.Node


@dataclass(frozen=True, slots=True)
class _Value:
    kind: str  # plain | uln | lln | titer
    number: float
    unit: str | None = None


def _years(value: float, unit: str | None) -> float:
    return value * {"year": 1.0, "month": 1 / 12, "week": 7 / 365.25, "day": 1 / 365.25, None: 1.0}.get(unit, 1.0)


def _dose(op: str, parts: tuple[Any, ...]) -> ir.Dose:
    """The NUMBER and UNIT among ``parts`` as a dose threshold in its canonical dose unit."""
    number = next(p for p in parts if isinstance(p, Token) and p.type == "NUMBER")
    unit = next(p for p in parts if isinstance(p, Token) and p.type == "UNIT")
    try:
        value, canonical = units.dose_to_canonical(number.value, unit.value)
    except ScreeningError as exc:
        raise Uncompilable(f"dose unit: {exc.message}") from None
    return ir.Dose(op, value, canonical)


def _within_upto(toks: list[Token], named: list[Token], what: str, kind: str,
                 leads: frozenset[str]) -> tuple[list[Token], ir.Window]:
    """"Chemotherapy =< 4 weeks", "Radiation therapy =< 4 weeks (prior to registration)" among the exclusions: given
    within the last 4 weeks. The comparator must follow the ``named`` drugs (procedure) at once: a word between
    ("treatment with cabergoline for 12 months") may make it a duration. The words before them that say when (of
    ``leads``), and the window."""
    cmp, number, unit = (next(t for t in toks if t.type == k) for k in ("CMP", "NUMBER", "TIMEUNIT"))
    if cmp.value not in ("<", "<=") or kind != "exclusion":
        raise Uncompilable(f"a {what} and a time: how long ago, or for how long?")
    last = named[-1]
    if last.end_pos is None or cmp.start_pos is None or cmp.start_pos - last.end_pos > 1:
        raise Uncompilable(f"a word between the {what} and the time: how long ago, or for how long?")
    lead = [t for t in toks if t.type in leads and t.start_pos < named[0].start_pos]
    return lead, ir.Window(number.value, unit.value)


def _event_window(parts: tuple[Any, ...], now: bool = False) -> ir.Window | None:
    """A dated event (procedure, vaccination) needs a time frame: a window, or 'prior'/'undergone'/'received'
    (ever). With ``now``, "concurrent radiotherapy" is one going on at screening (a procedure dated before
    it may be a course still under way: the evaluator leaves that unknown)."""
    window = next((p for p in parts if isinstance(p, ir.Window)), None)
    if now and window is None and any(isinstance(p, Token) and p.type == "USE" and str(p).lower() in
                                      phrase_data()["current_state"]["phrases"] for p in parts):
        return ir.Window(0)
    past = any(isinstance(p, Token) and (p.type in ("HISTORY", "PRIOR", "PROCUSE") or
                                         p.type == "USE" and str(p).lower() not in lexicon().present_use) for p in parts)
    if window is None and not past:
        raise Uncompilable("no time frame: when must it have happened?")
    return window


def _age_values(parts: tuple[Any, ...]) -> list[tuple[float, bool]]:
    """The ages among ``parts`` in years, each with whether it counts whole years: a number takes the time unit
    right after it, else the last one ("6 months to 5 years": 0.5 and 5; "18 to 65 years": 18 and 65)."""
    toks = [p for p in parts if isinstance(p, Token)]
    last = next((t.value for t in reversed(toks) if t.type == "TIMEUNIT"), None)
    out = []
    for i, t in enumerate(toks):
        if t.type == "NUMBER":
            unit = toks[i + 1].value if i + 1 < len(toks) and toks[i + 1].type == "TIMEUNIT" else last
            out.append((_years(t.value, unit), unit in (None, "year")))
    return out


def _age(op: str, years: float, whole_years: bool) -> ir.Node:
    # "up to 65 years" means until the 66th birthday: completed years <= 65
    if op == "<=" and whole_years and years == int(years):
        op, years = "<", years + 1
    q = units.get_quantity("age")
    if q.max is not None and years > q.max:
        raise Uncompilable(f"{years:g} years is not a plausible age")
    if years != int(years):  # "6 months": kept in months, so the rule reads "age >= 6 month", not a fraction of a year
        for unit in ("month", "week", "day"):
            n = years / _years(1, unit)
            if abs(n - round(n)) < 1e-9:
                return ir.Measure("age", op, units.to_canonical(round(n), unit, "age"), "year", shown_unit=unit)
    return ir.Measure("age", op, years, "year")


def _flat(nodes: list[ir.Node], kind: type) -> list[ir.Node]:
    out = [x for n in nodes for x in (n.items if type(n) is kind else (n,))]  # type: ignore[attr-defined]
    return list(dict.fromkeys(out))


@lru_cache(maxsize=1)
def _prohibitions() -> frozenset[str]:
    return frozenset(phrase_data()["negation"]["prohibitions"])


@lru_cache(maxsize=1)
def _therapy_counts() -> frozenset[str]:
    return frozenset(phrase_data()["therapy_counts"]["quantities"])


def _recovered_from(events: list[ir.Node], words: str) -> ir.Node:
    """"Recovered from prior surgery": moot for a patient who never had it (decided); with it, whether
    the patient recovered is a person's call."""
    ever = [ir.Procedure(n.concept) if isinstance(n, ir.Procedure) else ir.Medication(n.concept)
            for n in events if isinstance(n, (ir.Medication, ir.Procedure))]
    return ir.Not(ir.Judged(words, _any(ever)))


def _excepting(node: ir.Node, excepted: tuple[str, ...]) -> ir.Node:
    """``node`` with the drugs ``excepted`` from every medication of a class they belong to."""
    if isinstance(node, ir.Medication):
        own = tuple(x for x in excepted if node.concept in vocab.ancestors(x))
        return replace(node, exceptions=own) if own else node
    if isinstance(node, (ir.Not, ir.Judged)):
        return replace(node, item=_excepting(node.item, excepted))
    if isinstance(node, (ir.AnyOf, ir.All)):
        return replace(node, items=tuple(_excepting(n, excepted) for n in node.items))
    return node


#: record statements that say whom a demand is for, not a fact the patient attests to
GROUP_ATTESTATIONS = frozenset({"childbearing_potential", "sexually_active"})


#: statements whose sense excludes (statements.toml inclusion_sign "negative"): a plan for the future ("planning to
#: become pregnant during the study") held true belongs among the exclusions, not the inclusions
EXCLUDING_ATTESTATIONS = ir.WOMENS_PLANS


def _attested(node: ir.Node, negated: bool = False, excluding: bool = False) -> bool:
    """An attestation the rule holds as true (not negated) somewhere in ``node``: one that is a requirement, or with
    ``excluding`` one whose sense excludes."""
    if isinstance(node, ir.Attestation):  # whether a woman can bear children says whom a demand is for
        return not negated and node.name not in GROUP_ATTESTATIONS and (node.name in EXCLUDING_ATTESTATIONS) == excluding
    return any(_attested(c, negated != isinstance(node, ir.Not), excluding) for c in ir.children(node))


def _other_than(node: ir.Node, own: frozenset[str], heads: bool = False) -> ir.Node:
    """Every condition in ``node`` with the trial's own conditions below it made exceptions; when there is
    none below it, "other" has nothing the rule can name and the sentence goes to review. An exception said
    with words a person weighs ("except adequately treated basal cell carcinoma") stays as it is. ``heads``: the
    word stands right before the condition (and its qualifiers: "no other invasive malignancy"), so a judged
    condition is the one it is said of; else a judged one ("no other drug therapy for the cancer") goes to review.
    "Other malignancy" is never read as any malignancy in a trial of no neoplasm: in an HIV trial "other
    concurrent neoplasms" follows an item on Kaposi's sarcoma (NCT00000700)."""
    if _generic(node):  # "no other serious illness": any condition goes to a person anyway
        return node
    if isinstance(node, ir.Condition):
        below = tuple(sorted(o for o in own if o != node.concept and node.concept in vocab.ancestors(o)))
        if not below:
            raise Uncompilable("'other' condition than which? (the trial's own condition is not one to exclude)")
        return replace(node, exceptions=tuple(dict.fromkeys((*node.exceptions, *below))))
    if isinstance(node, (ir.All, ir.AnyOf)):
        # "no other primary malignancy except adequately treated ...": the exceptions of a judged condition too
        excepted = {k for n in node.items if not _judged_exception(n, set(), own) for c in ir.walk(n)
                    if isinstance(c, ir.Condition) for k in c.exceptions}
        return type(node)(tuple(n if _judged_exception(n, excepted, own) else _other_than(n, own, heads)
                                for n in node.items))
    if isinstance(node, ir.Judged) and heads:  # "no other invasive malignancy": the word is a person's
        return ir.Judged(node.qualifier, _other_than(node.item, own, heads))
    if isinstance(node, (ir.Not, ir.Judged)):
        raise Uncompilable("'other' condition than which? (the trial's own condition is not one to exclude)")
    return node


def _judged_exception(node: ir.Node, excepted: set[str], own: frozenset[str]) -> bool:
    """"No other malignancy except adequately treated basal cell carcinoma": beside the malignancy, the judged
    reading of its exceptions (``EventRules.conditions``); none of the trial's own conditions is one of them, or under one."""
    if not isinstance(node, ir.Judged):
        return False
    conds = [n for n in ir.walk(node.item) if isinstance(n, ir.Condition)]
    return bool(conds) and all(isinstance(n, (ir.Condition, ir.AnyOf)) for n in ir.walk(node.item)) and all(
        c.concept in excepted and not any(c.concept in vocab.ancestors(o) for o in own) for c in conds)


GENERIC_QUALIFIER = "generic illness"


def _generic(node: ir.Node) -> bool:
    """A generic illness ("serious concurrent illness"): a judged fact of any condition the record carries."""
    return isinstance(node, ir.Judged) and isinstance(node.item, ir.Condition) and node.item.concept == vocab.ANY_CONDITION


@lru_cache(maxsize=1)
def _generic_systemic() -> frozenset[tuple[str, ...]]:
    return frozenset(phrase_key(p) for p in phrase_data()["generic_illness"]["systemic"])


def _setting(parts: tuple[Any, ...]) -> str:
    """"adjuvant or neoadjuvant": the settings a treatment was given in (phrases.toml [setting])."""
    toks = [p for p in parts if isinstance(p, Token)]
    words = [str(t.value).lower() for t in toks if t.type == "SETTING"]
    return (" and " if any(t.type == "AND" for t in toks) else " or ").join(dict.fromkeys(words))


def _drug_settings(parts: tuple[Any, ...]) -> list[str | None]:
    """The setting of every medication leaf of ``parts``, in order (None: none named)."""
    found = [q for p in parts if isinstance(p, ir.Node) for q in _leaf_qualifiers(p, None)]
    # "adjuvant chemotherapy or hormonal therapy": the setting may be said of the whole list; read so, the
    # machine still decides every patient who took none of them
    return [found[0]] * len(found) if found and found[0] is not None and found[0] != CLASS_BEYOND_LISTED else found


#: "immunomodulators (azathioprine, 6-MP or methotrexate)": the parenthesis may define the class or give examples of it,
#: so its drugs decide and the rest of the class goes to a person (a qualifier said of the class only, never broadcast
#: over the list as a setting is)
CLASS_BEYOND_LISTED = "beyond the drugs in parentheses"


def _leaf_qualifiers(node: ir.Node, outer: str | None) -> list[str | None]:
    """The qualifier of the nearest judged(...) around each leaf of ``node``, in the order of ``_leaves``."""
    if isinstance(node, ir.Judged):
        return _leaf_qualifiers(node.item, node.qualifier)
    kids = ir.children(node)
    return [outer] if not kids else [q for k in kids for q in _leaf_qualifiers(k, outer)]


def _set(node: ir.Node, settings: list[str | None], i: int) -> ir.Node:
    q = settings[i] if i < len(settings) else None
    return node if q is None else ir.Judged(q, node)


def _words_after(parts: tuple[Any, ...]) -> str:
    """"for locally advanced or metastatic disease": the words from "for" on, as written (a list separator as "or")."""
    words = []
    for p in parts:
        if p is not None and not (isinstance(p, Token) and p.type in ("FOR", "JUDGED", "CONDITION", "OR", "AND", "COMMA")):
            break  # "... and recovered", a window: no longer what it was for
        words.append("or" if p is None else _concept_words(p.value) if p.type == "CONDITION" else
                     str(p.value) if p.type == "JUDGED" else str(p))
    return " ".join(words)


def _purpose(parts: tuple[Any, ...]) -> str | None:
    """"for melanoma", "for lung cancer or copd exacerbation": what a treatment was for, or None; "for recurrent or
    metastatic disease" (a stage or course, the grammar's _for_stage) as written."""
    at = next((i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "FOR"), None)
    if at is not None and any(isinstance(p, Token) and p.type == "JUDGED" for p in parts[at:]):
        return _words_after(parts[at:])
    conds = [_concept_words(p.value) for p in parts if isinstance(p, Token) and p.type == "CONDITION"]
    return f"for {' or '.join(conds)}" if conds else None


def _method_keys(method: Token) -> tuple[str, ...]:
    """The quantities a METHOD token is a way of obtaining or assessing."""
    return method.value if isinstance(method.value, tuple) else (method.value,)


def _concept_words(key: str) -> str:
    return key.replace("_", " ")


def _qualifier(parts: tuple[Any, ...]) -> str:
    """The words a person weighs, from JUDGED / NEEDS / REQUIRING tokens: "severe or unstable",
    "uncontrolled, requiring antibiotic"."""
    toks = [p for p in parts if isinstance(p, Token)]
    # joined as written: "severe chronic" (both hold), "uncontrolled or severe", "serious, progressive"
    joined, between = "", ""
    for t in parts:  # a list separator (lsep) arrives as None
        if isinstance(t, Token) and t.type == "JUDGED":
            joined += ({"": " ", "AND": " and "}.get(between, " or ") if joined else "") + str(t.value)
            between = ""
        elif joined and (t is None or isinstance(t, Token) and t.type in ("COMMA", "OR", "AND")):
            between += "SEP" if t is None else t.type
    tail = next((str(t.value) for t in toks if t.type == "NEEDS"), "")
    lead = next((str(t.value) for t in toks if t.type == "REQUIRING"), "")
    if lead:
        what = [(f"{toks[i - 1].value.replace('_', '-')} " if toks[i - 1].type == "ROUTE" else "") + _concept_words(str(t.value))
                for i, t in enumerate(toks) if t.type in ("DRUG", "PROCEDURE")]
        tail = f"{lead} {' or '.join(what)}"
    return ", ".join(x for x in (joined, tail) if x)


_SUSPICION = "a suspected condition is not in a record of diagnoses"


def _suspicion(keys: Any) -> ir.Review:
    """What a person checks for "suspected X or Y": no record of diagnoses holds a suspicion."""
    return ir.Review("suspected " + " or ".join(vocab.get_concept(k).name.lower() for k in keys), _SUSPICION)


def _any(nodes: list[ir.Node]) -> ir.Node:
    nodes = _flat(nodes, ir.AnyOf)
    return nodes[0] if len(nodes) == 1 else ir.AnyOf(tuple(nodes))


def _all(nodes: list[ir.Node]) -> ir.Node:
    nodes = _flat(nodes, ir.All)
    return nodes[0] if len(nodes) == 1 else ir.All(tuple(nodes))


def _measures_only(node: ir.Node) -> bool:
    return all(isinstance(n, ir.Measure) and n.quantity != "age" for n in _leaves(node)) and not isinstance(node, ir.Not)


def _leaves(node: ir.Node) -> list[ir.Node]:
    kids = ir.children(node)
    return [node] if not kids else [x for k in kids for x in _leaves(k)]


def _timed(node: ir.Node, window: ir.Window | None) -> ir.Node:
    """Every medication and procedure in ``node`` with ``window`` (route and qualifiers kept)."""
    if isinstance(node, (ir.Medication, ir.Procedure, ir.StudyParticipation)):
        return replace(node, window=window)
    if isinstance(node, ir.Judged):
        return ir.Judged(node.qualifier, _timed(node.item, window))
    if isinstance(node, (ir.AnyOf, ir.All)):
        return type(node)(tuple(_timed(n, window) for n in node.items))
    return node


@lru_cache(maxsize=4096)
def _latent_forms(concept: str) -> tuple[str, ...]:
    """Concepts under ``concept`` that are not active disease (phrases.toml [active]): "active X" excepts them."""
    return tuple(k for k in phrase_data()["active"]["latent"] if concept in vocab.ancestors(k) and k != concept)


def _recent_settled(parts: tuple[Any, ...], nodes: list[ir.Node], lead: list[str],
                    window: ir.Window | None) -> list[ir.Node]:
    """"Recent myocardial infarction (within 6 months)", "recent MI or stroke within 6 months": the time frame says
    what "recent" means (phrases.toml [defined_qualifiers] timed), so the words are settled by it and the machine
    decides; other words beside it stay a person's ("recent significant bleeding": significant). A bare time in
    parentheses ("(less than 1 month)") is a time frame only after "recent"."""
    timed = {phrase_key(w) for w in phrase_data()["defined_qualifiers"]["timed"]}
    if any(phrase_key(w) not in timed for w in lead):
        raise Uncompilable("a qualifier that a time frame does not define")
    if window is None or window.amount == 0:
        return nodes

    def settled(n: ir.Node) -> ir.Node:
        if not isinstance(n, ir.Judged) or "," in n.qualifier:
            return n
        if any(phrase_key(a) in timed for a in n.qualifier.split(" or ")):
            return n.item  # "recent or uncontrolled": the window alone meets it
        words = n.qualifier.split(" ")
        if " or " not in n.qualifier and phrase_key(words[0]) in timed:
            rest = words[2:] if len(words) > 2 and words[1] == "and" else words[1:]
            return ir.Judged(" ".join(rest), n.item)  # "recent significant": significant
        return n

    out = [settled(n) for n in nodes]
    if any(isinstance(p, _Period) for p in parts) and not lead and out == nodes:
        raise Uncompilable("a time in parentheses with no 'recent' before it: how long ago, or how long it lasted?")
    return out


def _retime(node: ir.Node, window: ir.Window | None, exceptions: tuple[str, ...]) -> ir.Node:
    """Give the list's window and exceptions to every condition (and procedure) in it."""
    if isinstance(node, ir.Condition):
        # "active" tells only of the present ("a history of or active alcohol abuse": ever, in remission or not)
        return replace(node, window=window, exceptions=tuple(dict.fromkeys(node.exceptions + exceptions)),
                       active=node.active and window is not None and window.amount == 0)
    if isinstance(node, ir.Procedure):
        return ir.Procedure(node.concept, window)
    if isinstance(node, ir.Measure) and node.window is None and node.extreme is None and window is not None \
            and window.amount > 0:
        # "hyponatremia (sodium < 130 mmol/L) within 72 hours": any value in the window
        return ir.Measure(node.quantity, node.op, node.value, node.unit, ir.Window(window.amount, window.unit,
                          window.bound), node.shown_unit, period=True)
    if isinstance(node, ir.Judged):
        return ir.Judged(node.qualifier, _retime(node.item, window, exceptions))
    if isinstance(node, ir.All) and len(node.items) == 2 and isinstance(node.items[0], ir.Condition) \
            and isinstance(node.items[1], ir.TestResult):
        # "HER2-positive breast cancer" (EventRules.cond_marked): the cancer's time frame; the marker's result is the
        # newest, whenever tested
        return ir.All((_retime(node.items[0], window, exceptions), node.items[1]))
    if isinstance(node, ir.AnyOf):
        return ir.AnyOf(tuple(_retime(n, window, exceptions) for n in node.items))
    return node



def _examples_joined(kind: str, parts: tuple[Any, ...]) -> None:
    """"Cytotoxic chemotherapy including Adriamycin, bleomycin, and vincristine", "gallbladder disease including
    cholecystitis and cholelithiasis": among the exclusions each example is excluded, as each member of the class is
    (any). Among the inclusions, outside parentheses, "and" may close the examples or ask for all of them ("prior
    chemotherapy including cisplatin and etoposide": a regimen of both?): a person reads it."""
    toks = [p for p in parts if isinstance(p, Token)]
    if kind == "inclusion" and any(t.type == "AND" for t in toks) and not any(t.type == "LPAR" for t in toks):
        raise Uncompilable("examples joined by 'and' among the inclusions: one of them, or all of them?")
