"""A measurement's historical extremes: "Nadir CD4 count > 200", "CD4 nadir < 350", "highest HbA1c", and a threshold
"at any time" with no window ("Platelet count < 50,000/mm3 at any time prior to study entry": any value ever, so the
lowest one for "<", the highest for ">"). The extreme word becomes an EXTREME token (value "lowest", "highest", or
"ever" when the comparator says which) next to the quantity; grammars/criteria.lark `measures_extreme` reads it into
``ir.Measure.extreme``. Elsewhere the words stay unknown (review)."""
from __future__ import annotations

from functools import lru_cache

from lark import Token

from .lexicon import phrase_data
from .tokens import rewrite_runs

_QUANTITY = frozenset({"QUANTITY"})
# what may follow "at any time" at the end of the sentence: "prior to study entry", "in the past"
_EVER_TAILS = ([], ["PRIOR"], ["PRIOR", "ANCHOR"])


@lru_cache(maxsize=1)
def _extreme_words() -> dict[tuple[str, ...], str]:
    """Each extreme phrase as its words -> "lowest" / "highest" (phrases.toml [extremes])."""
    d = phrase_data()["extremes"]
    return {tuple(p.split()): kind for kind in ("lowest", "highest") for p in d[kind]}


def _words_at(toks: list[Token], i: int) -> tuple[str, int] | None:
    """The extreme phrase of plain words starting at ``i``, longest first: its kind and length."""
    table = _extreme_words()
    for n in (2, 1):
        run = toks[i:i + n]
        if len(run) == n and all(t.type == "WORD" for t in run):
            kind = table.get(tuple(str(t.value).lower() for t in run))
            if kind:
                return kind, n
    return None


def _token(kind: str, run: list[Token]) -> Token:
    return Token("EXTREME", kind, start_pos=run[0].start_pos, end_pos=run[-1].end_pos)


def _ever_measure(toks: list[Token]) -> list[Token]:
    """"Platelet count < 50,000/mm3 at any time prior to study entry": a lone measurement and its threshold, then
    "at any time" closing the sentence (the lexer's WORD from phrases.toml [ever], left so by passes._ever_after)."""
    k = next((i for i, t in enumerate(toks) if t.type in ("EVER", "WORD")
              and str(t.value).lower() in _ever_phrases()), None)
    if k is None or k < 3 or [t.type for t in toks[k + 1:]] not in _EVER_TAILS:
        return toks
    body = toks[:k]
    if body[0].type not in _QUANTITY or sum(t.type == "QUANTITY" for t in body) != 1 \
            or [t.type for t in body].count("CMP") != 1 or body[1].type != "CMP" \
            or any(t.type not in ("QUANTITY", "CMP", "NUMBER", "UNIT", "ULN") for t in body):
        return toks
    return [_token("ever", [toks[k]]), *body]


@lru_cache(maxsize=1)
def _ever_phrases() -> frozenset[str]:
    return frozenset(phrase_data()["ever"]["phrases"])


def measure_extremes(toks: list[Token]) -> list[Token]:
    """An extreme word right before or after a measurement's name becomes EXTREME; so does "at any time" after a
    lone threshold (see the module's docstring)."""
    def at(ts: list[Token], i: int) -> tuple[list[Token], int] | None:
        hit = _words_at(ts, i)
        if hit is None:
            return None
        kind, n = hit
        before = ts[i - 1] if i else None
        after = ts[i + n] if i + n < len(ts) else None
        if (after is not None and after.type in _QUANTITY) or (before is not None and before.type in _QUANTITY):
            return [_token(kind, ts[i:i + n])], n
        return None
    if not any(t.type == "QUANTITY" for t in toks):
        return toks
    return _ever_measure(rewrite_runs(toks, at))
