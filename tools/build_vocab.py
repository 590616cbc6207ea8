"""Check (and help regenerate) the concept vocabularies in screening/data against the installed code systems.

    python tools/build_vocab.py check        # every ICD-10-CM code valid; drug synonyms agree with the NER library
    python tools/build_vocab.py skin         # print the ICD-10-CM C44 code lists for BCC / SCC of skin
    python tools/build_vocab.py unknown FILE # names in FILE (one a line) that resolve() does not recognise

Offline: uses only simple-icd-10-cm and drug-named-entity-recognition. Exit status 1 when a check fails.
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from screening import vocab  # noqa: E402

_RANGE = re.compile(r"^([A-Z][0-9][0-9A-Z])-([A-Z][0-9][0-9A-Z])$")


def icd_problems() -> list[str]:
    """ICD-10-CM codes in the vocabularies that simple-icd-10-cm does not know."""
    import simple_icd_10_cm as cm
    problems = []
    for c in vocab.concepts().values():
        for system, code in c.codes:
            if system != "ICD10CM":
                continue
            m = _RANGE.match(code)
            if cm.is_valid_item(code):
                continue
            if m and cm.is_valid_item(m[1]) and cm.is_valid_item(m[2]) and m[1] <= m[2]:
                continue
            problems.append(f"{c.key}: ICD10CM {code} is not a valid code, block or range")
    return problems


def drug_synonym_problems() -> list[str]:
    """Drug synonyms that the NER library maps to a generic we list under a different key."""
    from drug_named_entity_recognition import find_drugs
    table = vocab._vocab().names["drug"]
    problems = []
    for c in vocab.concepts("drug").values():
        for phrase in (c.name, *c.synonyms):
            for data, _, _ in find_drugs(phrase.split()):
                generic = re.sub(r"-[a-z]{4}$", "", str(data.get("name", "")).lower())
                other = table.get(vocab.normalize(generic))
                if other and other != c.key and c.key not in vocab.ancestors(other) \
                        and other not in vocab.ancestors(c.key) and " " not in phrase:
                    problems.append(f"{c.key}: synonym {phrase!r} is {generic!r} ({other}) for the NER library")
    return problems


def skin_code_lists() -> None:
    import simple_icd_10_cm as cm
    for kind in ("Basal cell", "Squamous cell"):
        codes = [c for c in cm.get_descendants("C44") if cm.get_description(c).startswith(kind)]
        print(kind, [c for c in codes if cm.get_parent(c) not in codes])


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "check"
    if command == "skin":
        skin_code_lists()
        return 0
    if command == "unknown":
        category = "drug" if len(argv) < 4 else argv[3]
        for line in Path(argv[2]).read_text(encoding="utf-8").splitlines():
            if line.strip() and vocab.resolve(category, line.strip()) is None:
                print(line.strip())
        return 0
    problems = icd_problems() + drug_synonym_problems()
    for p in problems:
        print(p)
    counts: dict[str, int] = {}
    for c in vocab.concepts().values():
        counts[c.category] = counts.get(c.category, 0) + 1
    print("concepts:", counts, "problems:", len(problems))
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
