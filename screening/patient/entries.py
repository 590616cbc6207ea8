"""Conditions, medications, procedures, immunizations, studies and allergies resolved once: vocabulary keys (with the
classes an entry may or may not be in), dates as ordinals and spans, routes, daily doses, courses of events.
"""
from __future__ import annotations

import datetime as dt
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any


from .. import units, vocab
from ..errors import PatientDataError, UnitError
from .record import AllergyIn, DateSpan, StudyIn, first_day


@dataclass(frozen=True, slots=True)
class Entry:
    """A condition, medication, procedure, immunization or study, resolved to vocabulary keys.

    ``keys`` is None when the vocabularies do not recognise the entry: it may be anything.
    ``start``/``end`` are date ordinals; ``end`` None with ``ongoing`` True means still going on.
    """

    keys: frozenset[str] | None
    start: int | None
    end: int | None
    ongoing: bool
    path: str
    summary: str
    dose: float | None = None
    dose_unit: str | None = None
    classified: bool = True  # False: known to exist, but its class (drug class, live or not) is not known
    prednisone_factor: float | None = None  # mg prednisone per mg, for glucocorticoids
    leaves: frozenset[str] = frozenset()  # the most specific concepts among keys
    #: False for a topical, inhaled, ophthalmic ... route; None for a route we cannot place ("buccal": a
    #: clotrimazole troche acts in the mouth, a fentanyl buccal tablet in the whole body); True otherwise
    systemic: bool | None = True
    #: ended on an unknown date, known to be over by this day (a "resolved" status speaks for the
    #: record's as_of); None: over by any screening date
    over_by: int | None = None
    #: False when the entry gives no date at all (and, for a condition, no "active" status): it
    #: says that it happened, not when, so a look-back window cannot be decided from it
    dated: bool = True
    #: the route as a canonical name of medication_use.toml [route_names] ("oral", "intravenous"); a
    #: spelling none names is kept lower-cased as written; None: the record gives no route
    route: str | None = None
    #: a procedure: days after its date by which it is over (data/procedure_courses.toml: 0 for a one-day
    #: procedure, 70 for a radiotherapy course); an acute event among the conditions: days after its onset
    #: (28 for a myocardial infarction); None: it may still be going on
    course_days: int | None = None
    #: classes the entry may or may not be in (a drug whose class depends on a dose the record does not give, a
    #: condition some protocols count in a class and others not: conditions.toml maybe_parents)
    maybe_classes: frozenset[str] = frozenset()
    #: (first, last) day ordinals of each date the record gives only to the month or year ("2010-05"); ``start``
    #: and ``end`` hold their first days. A window that one of them straddles cannot be decided from the entry
    spans: tuple[tuple[int, int], ...] = ()
    #: an event among the conditions (a stroke, a pulmonary embolism: procedure_courses.toml [condition_events])
    #: with an onset and neither an end nor a status: not taken as still going on, nor as over
    event: bool = False
    #: a condition "in remission" or "inactive" (FHIR clinicalStatus; "inactive" may be either remission or
    #: resolved): diagnosed and quiet, with no end date. Whether it counts as having the disease now ("diagnosis of
    #: SLE") or not ("active SLE") the criterion's wording decides, so a question about the present is left open
    dormant: bool = False
    #: an event among the conditions with no fixed course (a stroke), whatever its status: with no end date it is over
    #: by [condition_events] longest_days after its onset, so a look-back window opening later cannot hold it
    acute: bool = False
    #: a condition: the words of its name (vocab.normalize); a criterion's condition all of whose words it holds may be
    #: it, whatever concept the vocabularies put it under ("corneal ulcer" for "ulcer"; evaluate.records.name_words). A
    #: name that hedges ("family history of", "suspected") leaves the entry unrecognised anyway (vocab.records)
    words: frozenset[str] = frozenset()


def _day(d: dt.date | DateSpan | None) -> int | None:
    """The day's ordinal; for a month or a year, its first day's (see Entry.spans)."""
    return first_day(d).toordinal() if d else None  # type: ignore[union-attr]


def _spans(*dates: dt.date | DateSpan | None) -> tuple[tuple[int, int], ...]:
    return tuple((d.first.toordinal(), d.last.toordinal()) for d in dates if isinstance(d, DateSpan))


_VACCINE_KINDS = frozenset({"live_vaccine", "non_live_vaccine"})


@lru_cache(maxsize=1)
def medication_use() -> dict[str, Any]:
    """Frequencies, routes, stable-dose phrases and drug-class rules (data/medication_use.toml), read once for
    records, the criteria lexer and the evaluator."""
    return tomllib.loads(resources.files("screening.data").joinpath("medication_use.toml").read_text("utf-8"))


@lru_cache(maxsize=1)
def _dose_forms() -> frozenset[str]:
    return frozenset(medication_use()["dose_forms"]["units"])


def _dose_form(unit: str) -> bool:
    """"1 tablet": a count of dosage forms, not an amount of drug (medication_use.toml [dose_forms]). A unit that is
    a UCUM annotation alone ("{tbl}", "{spray}") is a count of something by definition (UCUM: an annotation stands for
    the unit 1), so it is one too."""
    unit = unit.strip()
    return " ".join(unit.strip("{}").lower().split()) in _dose_forms() or _ANNOTATION_ONLY.fullmatch(unit) is not None


_ANNOTATION_ONLY = re.compile(r"\{[^{}]*\}")


@lru_cache(maxsize=1)
def _dose_class_rules() -> tuple[tuple[str, dict[str, Any], frozenset[str]], ...]:
    """medication_use.toml [dose_classes], each drug with the classes (and their ancestors) its low dose is not in."""
    out = []
    for drug, rule in medication_use().get("dose_classes", {}).items():
        classes = frozenset(c for k in rule["classes"] for c in vocab.ancestors(k))
        kept = frozenset(c for p in vocab.get_concept(drug).parents if p not in rule["classes"] for c in vocab.ancestors(p))
        out.append((drug, rule, classes - kept - {drug}))
    return tuple(out)


def _dose_classes(keys: frozenset[str], dose: float | None, unit: str | None,
                  name: str) -> tuple[frozenset[str], frozenset[str]]:
    """(keys, classes it may be in) for a drug whose class depends on its dose (medication_use.toml [dose_classes])."""
    for drug, rule, dropped in _dose_class_rules():
        if drug not in keys:
            continue
        limit = rule["up_to_mg_per_day"] if "up_to_mg_per_day" in rule else rule["up_to_mg_per_week"] / 7
        if unit == "mg/d" and dose is not None and dose > limit:
            return keys, frozenset()
        if rule.get("low_dose_is") == "maybe":  # a low dose may still be the class (maintenance chemotherapy)
            return keys - dropped, dropped
        if unit == "mg/d" and dose is not None:
            return keys - dropped, frozenset()
        low = any(w in name.lower() for w in rule["low_names"]) or (
            unit == "mg" and dose is not None and dose <= rule["low_dose_mg"])  # one dose, no frequency: 81 mg
        return keys - dropped, frozenset() if low else dropped
    return keys, frozenset()


def _route_in_name(name: str | None) -> str | None:
    """The route a drug's name states ("hydrocortisone cream": topical), when it states one only."""
    words = medication_use()["name_routes"]["words"]
    found = {words[w] for w in re.findall(r"[a-z]+", (name or "").lower()) if w in words}
    return found.pop() if len(found) == 1 else None


@lru_cache(maxsize=1)
def _route_spellings() -> dict[str, str]:
    return {w: name for name, words in medication_use()["route_names"].items() for w in words}


def route_name(text: str) -> str:
    """A record's route in its canonical name ("IV" -> "intravenous"); unknown spellings as written."""
    key = " ".join(text.strip().lower().split())
    return _route_spellings().get(key, key)


@lru_cache(maxsize=1)
def route_names() -> frozenset[str]:
    """The routes a criterion can name: every canonical route and route group."""
    return frozenset((*medication_use()["route_names"], *medication_use()["route_groups"]))


@lru_cache(maxsize=1)
def record_routes() -> frozenset[str]:
    """The canonical routes a record's route is read as (a route outside them is one we cannot place)."""
    return frozenset(medication_use()["route_names"])


def route_members(route: str) -> frozenset[str]:
    """The routes a criterion's route covers ("parenteral": intravenous, intramuscular, ..., and a record
    that says "parenteral")."""
    return frozenset((route, *medication_use()["route_groups"].get(route, ())))


_HISTORY_NAME = re.compile(r"^\s*(?:personal\s+|past\s+)?(?:history\s+of|hx\s+of|h/o)\b|^\s*hx\b", re.I)
_HISTORY_CODE = re.compile(r"(?:^|[:|]\s*)Z8[5-7](?:\.|\d|$)", re.I)  # ICD-10-CM Z85-Z87: personal history of ...


def _personal_history(name: str | None, code: str | None, status: str | None, keys: frozenset[str] | None) -> bool:
    """A past condition, not one going on: an ICD-10-CM "personal history of" code (Z85-Z87, whatever status a problem
    list gives it), or a cancer named "Hx of breast cancer" with no status. "History of type 2 diabetes" on a problem
    list is the diabetes going on: a history name is read as past only for a cancer (review s7c)."""
    if code and _HISTORY_CODE.search(code.strip()):
        return True
    return bool(status is None and name and _HISTORY_NAME.search(name) and keys and "malignancy" in keys)


_REMISSION_CODE = re.compile(r"(?:^|[:|]\s*)F(?:1[0-689]\.[129]1|17\.2\d1)\s*$", re.I)  # ICD-10-CM "..., in remission"
_REMISSION_NAME = re.compile(r"\bin\s+(?:early\s+|sustained\s+|full\s+)?remission\b", re.I)


def _in_remission(name: str | None, code: str | None, keys: frozenset[str] | None) -> bool:
    """A substance use disorder in remission ("Alcohol dependence, in remission", ICD-10-CM F10.21, F17.211) is not
    going on, whatever status a problem list gives it; nor is a smoking habit named as a history ("History of
    smoking": a former smoker). Only for these habits: a cancer "in remission" is not read here."""
    if code and _REMISSION_CODE.search(code.strip()):
        return True
    if not (name and keys):
        return False
    if _HISTORY_NAME.search(name) and "tobacco_use" in keys:
        return True
    return bool(_REMISSION_NAME.search(name)
                and not keys.isdisjoint(("substance_use_disorder", "nicotine_dependence", "tobacco_use")))


def _leaves(keys: frozenset[str]) -> frozenset[str]:
    """Keys that are not a parent of another key: what the entry most specifically is. A metastatic form narrows the
    stage, not the kind: "metastatic pancreatic cancer" leaves pancreatic cancer as specific as it was (it may be an
    adenocarcinoma), so the cancer stays a leaf beside it."""
    broader = {a for k in keys for a in vocab.ancestors(k) if a != k and not _stage_of(k, a)}
    return frozenset(keys - broader)


@lru_cache(maxsize=None)
def _stage_of(key: str, parent: str) -> bool:
    """``key`` is the metastatic form of ``parent`` ("metastatic pancreatic cancer" of "pancreatic cancer")."""
    names = vocab._vocab().names["condition"]
    return "metastatic_disease" in vocab.ancestors(key) and names.get(
        vocab.normalize("metastatic " + vocab.get_concept(parent).name)) == key


def _combination(leaves: frozenset[str]) -> bool:
    """An entry that is several drugs at once (a combination product)."""
    return sum(k.startswith("drug:") or vocab.get_concept(k).category == "drug" for k in leaves) > 1


def _entries(items: list[Any] | None, category: str, field: str,
             as_of: dt.date | None = None) -> tuple[Entry, ...] | None:
    if items is None:
        return None
    out = []
    for i, it in enumerate(items):
        path = f"{field}[{i}]"
        keys = vocab.resolve(category, it.name, it.code)
        # a drug the NER library knows but our tables do not list ("drug:<generic>", perhaps with a
        # class guessed from its stem) is known to exist, but its other classes are not known
        classified = keys is None or not any(k.startswith("drug:") for k in keys)
        if category == "vaccine" and keys is not None:
            classified = not keys.isdisjoint(_VACCINE_KINDS)
        maybe: frozenset[str] = frozenset()
        if category in ("condition", "procedure") and keys:
            keys, maybe = vocab.split_doubtful(keys)
        leaves = frozenset() if keys is None else _leaves(keys)
        allergy = isinstance(it, AllergyIn)
        if allergy and keys and any(k.startswith("drug:") or vocab.get_concept(k).category != "substance" for k in keys):
            maybe = vocab.drug_member_substances() - keys  # a drug may be a murine or an E. coli-made protein
            # a class protocols count the drug in or not (metronidazole among "imidazoles"): as for a medication
            maybe |= frozenset(c for k, classes in medication_use()["maybe_classes"].items() if k in keys
                               for c in classes if c not in keys)
        if allergy and keys and it.reaction and _side_effect(it.reaction):
            # "Tricor - myalgia": a side effect filed among the allergies may be the one asked about, no proof
            maybe, keys = maybe | keys, frozenset()  # (keys are closed under ancestors: vocab.resolve)
        dormant = False
        if allergy:  # an allergy lasts unless the record says it no longer holds
            start, end = _day(it.onset), None
            spans = _spans(it.onset)
            ongoing = it.status not in ("resolved", "inactive")
        elif category == "drug":
            start, end = _day(it.start), _day(it.end)
            spans = _spans(it.start, it.end)
            ongoing = it.end is None
        elif category == "condition":
            start, end = _day(it.onset), _day(it.end)
            spans = _spans(it.onset, it.end)
            past = _personal_history(it.name, it.code, it.status, keys) or _in_remission(it.name, it.code, keys)
            ongoing = it.end is None and it.status not in ("resolved", "remission", "inactive") and not past
            dormant = it.end is None and it.status in ("remission", "inactive") and not past
        else:
            start = end = _day(it.date)
            spans = _spans(it.date)
            ongoing = False
        dose = dose_unit = None
        systemic = True
        route = None
        if category == "drug" and not allergy and it.dose is not None and not _dose_form(it.dose.unit) and not (
                _combination(leaves)):  # "oxycodone/acetaminophen 325 mg": the product's dose is no one drug's
            try:
                dose, dose_unit = units.dose_to_canonical(it.dose.value, it.dose.unit)
            except UnitError as exc:
                raise PatientDataError(exc.message, path=f"{path}.dose.unit") from exc
            if dose < 0:
                raise PatientDataError("a dose cannot be negative", path=f"{path}.dose.value")
            per_day = medication_use()["frequency"].get((it.frequency or "").strip().lower())
            if per_day is not None and not dose_unit.endswith("/d"):  # 200 mg bid -> 400 mg/d
                dose, dose_unit = dose * per_day, dose_unit + "/d"
        given = (it.route or _route_in_name(it.name)) if category == "drug" and not allergy else None
        if given:
            route = route_name(given)
            if given.strip().lower() in medication_use()["routes"]["non_systemic"]:
                systemic = False
            elif route not in medication_use()["routes"]["systemic"]:
                systemic = None  # "buccal", "swish and swallow": whether the body takes it up depends on the drug
        label = it.name or it.code
        summary = label + (f" {it.dose.value:g} {it.dose.unit}" if category == "drug" and not allergy and it.dose else "")
        if category == "condition" and it.status:
            summary += f" ({it.status})"
        if allergy:
            summary = f"allergy to {label}" + (f" ({it.reaction})" if it.reaction else "") + (
                f" ({it.status})" if it.status else "")
        factor = None
        if category == "drug" and keys:
            factor = next((f for k in keys if (f := vocab.prednisone_equivalent_factor(k)) is not None), None)
        if category == "drug" and not allergy and it.route:
            summary += f" ({it.route})"
        course = course_days(keys) if category == "procedure" else event_days(leaves) if category == "condition" else None
        event = False
        uncoursed_event = category == "condition" and is_event(leaves)  # a stroke, a pneumonia: no fixed course
        if category == "condition" and course is not None and start is not None and end is None:
            ongoing = False  # an acute event (a myocardial infarction) is over within its course, whatever the status
        elif uncoursed_event and ongoing and end is None and it.status is None:
            ongoing, event = False, True  # a stroke or a pneumonia with no status: over when, the record does not say
        over_by = _day(as_of) if category == "condition" and not ongoing and end is None else None
        dated = allergy or start is not None or end is not None or (
            category == "condition" and getattr(it, "status", None) in ("active", "recurrence", "relapse"))
        if category == "drug" and not allergy and keys:
            keys, maybe = _dose_classes(keys, dose, dose_unit, it.name or "")
            if systemic is not False:
                maybe |= frozenset(c for k, classes in medication_use()["maybe_classes"].items() if k in keys
                                   for c in classes if c not in keys)
                maybe |= vocab.interaction_maybe(keys) - keys  # a weak inhibitor for a bare "CYP3A4 inhibitors"
            # a class named by a purpose ("PCP prophylaxis"): a drug given for it may be it, by any route
            maybe |= frozenset(c for c, drugs in medication_use().get("purpose_classes", {}).items()
                               if c not in keys and not keys.isdisjoint(drugs))
        words = frozenset(vocab.normalize(it.name).split()) if category == "condition" and it.name else frozenset()
        out.append(Entry(keys, start, end, ongoing, path, summary, dose, dose_unit, classified, factor, leaves,
                         systemic, over_by, dated, route, course, maybe, spans, event,
                         dormant and not event and course is None, uncoursed_event and course is None,
                         words))
    return tuple(out)


def _side_effect(reaction: str) -> bool:
    """Every part of the reaction ("nausea, vomiting") is a known side effect (record_values.toml)."""
    parts = [" ".join(p.split()) for p in re.split(r"[,;/]|\band\b", reaction.lower()) if p.strip()]
    words = _side_effect_words()
    return bool(parts) and all(p in words for p in parts)


@lru_cache(maxsize=1)
def _side_effect_words() -> frozenset[str]:
    from .observations import record_values  # here: observations imports this module
    return frozenset(record_values()["side_effect_reactions"]["words"])


@lru_cache(maxsize=1024)
def course_days(keys: frozenset[str] | None) -> int | None:
    """Days after its date by which a procedure entry is over (data/procedure_courses.toml); None: cannot tell."""
    if not keys:
        return None
    data = _procedure_courses()
    spans: list[int] = []
    for k in keys:
        up = vocab.ancestors(k)
        if not up.isdisjoint(data["one_day"]):
            spans.append(0)
        elif known := [d for a, d in data["course_days"].items() if a in up]:
            spans.append(max(known))
        else:
            return None  # one of its concepts may run on without end
    return max(spans)


@lru_cache(maxsize=1024)
def event_days(leaves: frozenset[str]) -> int | None:
    """Days after its onset by which an acute event (a condition entry of data/procedure_courses.toml
    [condition_course_days], such as a myocardial infarction) is over; None: not such an event."""
    table = _procedure_courses()["condition_course_days"]
    spans = [max((d for a, d in table.items() if a in vocab.ancestors(k)), default=None) for k in leaves]
    return max(spans) if spans and None not in spans else None  # type: ignore[type-var]


@lru_cache(maxsize=1024)
def is_event(leaves: frozenset[str]) -> bool:
    """Every concept of the entry is an event with no fixed course (data/procedure_courses.toml [condition_events])."""
    events = _procedure_courses()["condition_events"]["keys"]
    return bool(leaves) and all(any(a in vocab.ancestors(k) for a in events) for k in leaves)


def event_longest_days() -> int:
    """Days after its onset by which an event with no status is over at the latest ([condition_events] longest_days)."""
    return int(_procedure_courses()["condition_events"]["longest_days"])


def event_fresh_days() -> int:
    """Days after its onset an event with no status is taken as still going on ([condition_events] fresh_days)."""
    return int(_procedure_courses()["condition_events"]["fresh_days"])


@lru_cache(maxsize=1)
def _procedure_courses() -> dict[str, Any]:
    return tomllib.loads(resources.files("screening.data").joinpath("procedure_courses.toml").read_text("utf-8"))


def _studies(items: list[StudyIn] | None) -> tuple[Entry, ...] | None:
    if items is None:
        return None
    return tuple(Entry(frozenset({"study"}), _day(s.start), _day(s.end), s.end is None, f"studies[{i}]",
                       f"study {s.id or '(no id)'}", dated=s.start is not None or s.end is not None,
                       spans=_spans(s.start, s.end))
                 for i, s in enumerate(items))

