"""Transformer rules for measurements, ages and sexes (one method per rule of grammars/criteria.lark); qualitative tests
are in ``compile.qualitative``, the time since a treatment in ``compile.since``."""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from lark import Token, Transformer, v_args

from .. import ir, units
from ..errors import ScreeningError
from ..lexer import Ordinal, lexicon, phrase_data, phrase_key
from .helpers import (Uncompilable, _Either, _Value, _age, _age_values, _all, _any, _concept_words, _event_window,
    _leaves, _method_keys, _purpose, _qualifier, _set, _therapy_counts, _years)
from .reproductive_groups import _WOMEN_ONLY


class _Pair(list):  # type: ignore[type-arg]
    """"> 160/100 mmHg": one bound for each of systolic and diastolic blood pressure, in that order."""


@v_args(inline=True)
class MeasureRules(Transformer):  # type: ignore[type-arg]
    """Mixed into CriteriaTransformer (screening.compile.transformer)."""

    # --- measurements --------------------------------------------------------------------------
    def quantity(self, *toks: Token) -> tuple[str, ...]:
        named = [t for t in toks if t.type in ("QUANTITY", "QGROUP", "CONDITION")]
        if any(t.type == "QUANTITY" for t in named):
            key = next(t for t in named if t.type == "QUANTITY").value
            cond = next((t for t in named if t.type == "CONDITION"), None)
            if cond is not None and key in phrase_data()["subgroup_measures"]["quantities"] \
                    and lexicon().condition_quantities.get(cond.value) != key:
                # "HIV-infected subjects with CD4 <= 200": of those patients only (phrases.toml [subgroup_measures])
                raise Uncompilable(f"a threshold for patients with {_concept_words(cond.value)} only")
            return (key,)
        t = named[0]
        if t.type == "QGROUP":
            return tuple(t.value)
        q = lexicon().condition_quantities.get(t.value)
        if q is None:
            raise Uncompilable(f"'{t}' is a condition, not a measurement")
        return (q,)

    def tquantity(self, t: Token) -> tuple[str, ...]:
        return t.value if isinstance(t.value, tuple) else (t.value,)  # a test group names several

    def plain_value(self, number: Token, unit: Token | None = None) -> _Value:
        return _Value("plain", number.value, unit.value if unit is not None else None)

    def uln_value(self, number: Token, _uln: Token) -> _Value:
        return _Value("uln", number.value)

    def uln_one(self, _t: Token) -> _Value:
        return _Value("uln", 1.0)

    def lln_one(self, _t: Token) -> _Value:
        return _Value("lln", 1.0)

    def titer_value(self, t: Token) -> _Value:
        return _Value("titer", t.value)

    def bound(self, cmp: Token, value: _Value) -> list[tuple[str, _Value]]:
        return [(cmp.value, value)]

    def postfix_bound(self, value: _Value, cmp: Token) -> list[tuple[str, _Value]]:
        return [(cmp.value, value)]

    def range(self, *parts: Any) -> list[tuple[str, _Value]]:
        lo, hi = [p for p in parts if isinstance(p, _Value)]
        if lo.unit is None and hi.unit is not None:
            lo = _Value(lo.kind, lo.number, hi.unit)
        if lo.kind == "plain" and lo.unit is None and hi.kind in ("uln", "lln"):  # "1.5 to 3 x ULN"
            lo = _Value(hi.kind, lo.number)
        if lo.number > hi.number:
            raise Uncompilable("range runs backwards")
        return [(">=", lo), ("<=", hi)]

    def range_open(self, *parts: Any) -> list[tuple[str, _Value]]:
        """"20 to <60 mL/min/1.73m2": a range with its upper end said open (the lower, unsaid, is closed). Not "at least
        5-10 years" (at least some value in between?): a comparator before the range is no such end."""
        hi_op = next(p.value for p in parts if isinstance(p, Token) and p.type == "CMP")
        if hi_op not in ("<", "<="):
            raise Uncompilable("a range whose upper end points the wrong way")
        (_, lo), (_, hi) = self.range(*(p for p in parts if isinstance(p, _Value)))
        return [(">=", lo), (hi_op, hi)]

    def pair_bound(self, cmp: Token, first: Token, _sep: Token, second: Token, unit: Token | None = None) -> _Pair:
        if first.value <= second.value:
            raise Uncompilable("a blood pressure pair whose first number is not the larger: which is systolic?")
        u = unit.value if unit is not None else None
        return _Pair([(cmp.value, _Value("plain", first.value, u)), (cmp.value, _Value("plain", second.value, u))])

    def either_bound(self, c1: Token, v1: _Value, _or: Token, c2: Token, v2: _Value) -> list[tuple[str, _Value]]:
        if v1.unit is None and v2.unit is not None:
            v1 = _Value(v1.kind, v1.number, v2.unit)
        return _Either([(c1.value, v1), (c2.value, v2)])

    def bound_restated(self, cmp: Token, value: _Value, *rest: Any) -> list[tuple[str, _Value]]:
        """"< 1.3 mg/dL (120 umol/L)", "> 400 mg/dL (> 4.5 mmol/L)": the same threshold in another unit, checked
        to agree."""
        again = next(p for p in rest if isinstance(p, _Value))
        if any(isinstance(p, Token) and p.type == "CMP" and p.value != cmp.value for p in rest):
            raise Uncompilable("the threshold and the one in parentheses have different comparators")
        bounds = [(cmp.value, value)]
        self._restated[id(bounds)] = (bounds, ((value, again),))
        return bounds

    def range_restated(self, *parts: Any) -> list[tuple[str, _Value]]:
        """"7.0-9.5% (53-80 mmol/mol)": the same range in another unit, both ends checked to agree."""
        lo, hi, lo2, hi2 = [p for p in parts if isinstance(p, _Value)]
        bounds = self.range(lo, hi)
        self._restated[id(bounds)] = (bounds, ((bounds[0][1], lo2), (bounds[1][1], hi2)))
        return bounds

    def two_bounds(self, c1: Token, v1: _Value, *rest: Any) -> list[tuple[str, _Value]]:
        c2, v2 = rest[-2], rest[-1]
        if len(rest) == 2 and (v1.kind == "plain") != (v2.kind == "plain"):
            # "no greater than 0.3 mg/dL above the upper limit of normal": an offset from the limit, not two bounds
            raise Uncompilable("a value above or below a reference limit: an offset the rule cannot state")
        if v1.unit is None and v2.unit is not None:
            v1 = _Value(v1.kind, v1.number, v2.unit)
        return [(c1.value, v1), (c2.value, v2)]

    def choice(self, *parts: Token | None) -> list[tuple[str, _Value]]:
        values = sorted(p.value for p in parts if isinstance(p, Token))
        if any(v != int(v) for v in values) or values != list(range(int(values[0]), int(values[-1]) + 1)):
            raise Uncompilable("a list of values that is not a run of whole numbers")
        return [(">=", _Value("plain", values[0])), ("<=", _Value("plain", values[-1]))]

    def normal_range(self, *parts: Any) -> ir.Node:
        """"Bilirubin and creatinine normal": each within its reference range, on the sides quantities.toml `normal`
        names ("PT/PTT normal": both). "Creatinine or GFR normal": tests that stand for each other (phrases.toml [normal]
        alternatives) are either; an "or" between others may mean both (review)."""
        keys = [k for p in parts if isinstance(p, tuple) for k in p]
        limits = {"upper": ((("<=", "ULN"),)), "lower": ((">=", "LLN"),), "both": ((">=", "LLN"), ("<=", "ULN"))}
        each = [_all([ir.Measure(k, op, 1.0, ref) for op, ref in limits[units.get_quantity(k).normal]]) for k in keys]
        ors = {str(p).lower() for p in parts if isinstance(p, Token) and p.type == "OR"}
        ands = any(isinstance(p, Token) and p.type == "AND" for p in parts)
        if not ors:
            return _all(each)
        if any(set(keys) <= set(g) for g in phrase_data()["normal"]["alternatives"]) and not ands:
            return _any(each)
        if ors == {"/"}:  # "SGOT/SGPT normal", "PT/PTT normal": the pair, both
            return _all(each)
        raise Uncompilable("'X or Y normal' of tests that do not stand for each other: either, or both?")

    def age_item(self, node: ir.Node) -> ir.Node:
        return node

    def bare_age(self, number: Token, *rest: Token) -> ir.Node:
        unit = rest[0].value if len(rest) == 2 else None
        return _age(rest[-1].value, _years(number.value, unit), unit in (None, "year"))

    def exact(self, value: _Value) -> list[tuple[str, _Value]]:  # "NYHA class III"; a bare lab value goes to review
        return [("==", value)]

    def equals(self, _eq: Token, value: _Value) -> list[tuple[str, _Value]]:
        return [("==", value)]

    def comparison(self, *parts: Any) -> list[tuple[str, _Value]]:  # parenthesised
        return next(p for p in parts if isinstance(p, list))

    def measures(self, *parts: Any) -> ir.Node:
        keys = [k for p in parts if isinstance(p, tuple) for k in p]
        comparison = next(p for p in parts if isinstance(p, list))
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        held = self._restated.pop(id(comparison), None)
        restated = held[1] if held is not None and held[0] is comparison else None
        if any(v.kind == "plain" and v.unit is None for _, v in comparison):  # "≥ 20 but ≤ 40 kg/m2"
            unit = next((v.unit for _, v in comparison if v.unit), None)
            comparison = type(comparison)((op, _Value(v.kind, v.number, unit) if v.kind == "plain" and v.unit is None
                                           else v) for op, v in comparison)  # an _Either stays an either
        if restated is not None:
            for k in keys:
                for pair in restated:
                    a, b = (self._measure(k, ">", v, None) for v in pair)
                    assert isinstance(a, ir.Measure) and isinstance(b, ir.Measure)
                    if a.unit != b.unit or abs(a.value - b.value) > 0.05 * max(abs(a.value), abs(b.value)):
                        raise Uncompilable("the threshold and the value in parentheses disagree")
        graded = phrase_data()["measured_conditions"]
        for t in parts:  # "ALT <= 5 x ULN (with) liver metastases": a threshold for a subgroup only
            if isinstance(t, Token) and t.type == "CONDITION" and lexicon().condition_quantities.get(t.value) not in keys \
                    and not all(t.value in graded.get(k, ()) for k in keys):
                raise Uncompilable(f"a threshold for patients with {_concept_words(t.value)} only")
        if window is not None and not _therapy_counts().isdisjoint(keys):
            raise Uncompilable("a count of therapy within a time frame: another count than the record's")
        if isinstance(comparison, _Pair):
            # "> 160/100 mmHg": exceeded when either is (an exclusion), kept to when both are (an inclusion)
            if tuple(keys) != ("systolic_bp", "diastolic_bp"):
                raise Uncompilable("a pair of numbers for another measurement than blood pressure")
            pair = [self._measure(k, op, v, window) for k, (op, v) in zip(keys, comparison)]
            return _any(pair) if self.kind == "exclusion" else _all(pair)
        nodes = [self._measure(k, op, v, window) for k in keys for op, v in comparison]
        join = _any if isinstance(comparison, _Either) else _all  # "< 20 kg or > 60 kg"
        per_key = [join(nodes[i:i + len(comparison)]) for i in range(0, len(nodes), len(comparison))]
        if len(keys) > 1 and self.kind == "exclusion" and any(isinstance(p, Token) and p.type == "AND" for p in parts):
            raise Uncompilable("'A and B above a limit' in an exclusion: both, or either?")
        # "AST/ALT <= 2.5 x ULN" as an inclusion means both; "AST or ALT > 3 x ULN" as an exclusion, either
        if self.kind == "exclusion":
            return _any(per_key)
        node = _all(per_key)
        if len(keys) > 1 and isinstance(node, ir.All):  # negated, it means none of them (see _not)
            self._lists[id(node)] = any(isinstance(p, Token) and p.type == "AND" for p in parts)
        return node

    def measures_extreme(self, *parts: Any) -> ir.Node:
        """"Nadir CD4 count > 200", "Platelet count < 50,000/mm3 at any time prior to study entry": the lowest or
        highest value ever (ir.Measure.extreme); "at any time" takes the extreme its comparator looks at. A range or
        an either-or "at any time" is no extreme (any one value in a range is neither the lowest nor the highest)."""
        extreme = next(str(p.value) for p in parts if isinstance(p, Token) and p.type == "EXTREME")
        comparison = next(p for p in parts if isinstance(p, list))
        if extreme == "ever" and (len(comparison) != 1 or isinstance(comparison, (_Either, _Pair))):
            raise Uncompilable("a range 'at any time': one value in it, neither the lowest nor the highest")
        node = self.measures(*(p for p in parts if not (isinstance(p, Token) and p.type == "EXTREME")))

        def mark(n: ir.Node) -> ir.Node:
            if isinstance(n, ir.Measure):
                if n.quantity == "age" or n.op == "==" or n.period or n.window is not None:
                    raise Uncompilable("an extreme of a value compared with '=', or of an age")
                kind = extreme if extreme != "ever" else "lowest" if n.op in ("<", "<=") else "highest"
                return replace(n, extreme=kind)
            if isinstance(n, (ir.All, ir.AnyOf)):
                return replace(n, items=tuple(mark(x) for x in n.items))
            raise Uncompilable("an extreme of something other than a measurement")
        return mark(node)

    def therapy_count(self, use: Token, comparison: list[tuple[str, _Value]], keys: tuple[str, ...]) -> ir.Node:
        """"Have received at least 1 prior line of therapy": the count, read from the record."""
        if str(use).lower() not in lexicon().past_use or not set(keys) <= _therapy_counts():
            raise Uncompilable(f"'{use}' before a count")
        return self.measures(keys, comparison)

    def measures_method(self, *parts: Any) -> ir.Node:
        """"creatinine clearance >= 60 mL/min (Cockcroft-Gault formula)": how the quantity is obtained, checked
        to be a way of obtaining it (the Cockcroft-Gault formula gives no GFR)."""
        keys = [k for p in parts if isinstance(p, tuple) for k in p]
        # "by MUGA or echocardiogram": every method named must be a way of obtaining it ("by ECG or MUGA" is not)
        for method in (p for p in parts if isinstance(p, Token) and p.type == "METHOD"):
            if keys != list(_method_keys(method)):
                raise Uncompilable(f"a method of obtaining {' or '.join(map(_concept_words, _method_keys(method)))} given for "
                                   f"{' or '.join(_concept_words(k) for k in keys)}")
        return self.measures(*(p for p in parts if not (isinstance(p, Token) and p.type in (
            "METHOD", "LPAR", "RPAR", "OR", "AND", "COMMA"))))

    def measures_judged(self, *parts: Any) -> ir.Node:
        """"Platelet count >= 100,000/mm3 (transfusion independent)": the value decides when it fails; when it holds,
        whether it was reached without support is a person's call (phrases.toml [measure_qualifiers])."""
        at = next(i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "JUDGED")
        judged = parts[at]
        d = phrase_data()["measure_qualifiers"]
        keys = {k for p in parts[:at] if isinstance(p, tuple) for k in p}
        bracketed = isinstance(parts[at - 1], Token) and parts[at - 1].type == "LPAR"
        if phrase_key(str(judged)) in {phrase_key(w) for w in d["oxygen"]}:
            if keys != {"oxygen_saturation"}:
                raise Uncompilable(f"'{judged}' said of another measurement than an oxygen saturation")
        elif not bracketed or phrase_key(str(judged)) not in {phrase_key(w) for w in d["phrases"]}:
            raise Uncompilable(f"'{judged}' said of a measurement")
        if self.kind == "exclusion":
            # excluded on a value reached with support? the count without it is unknown: a person's call
            raise Uncompilable(f"'{judged}' in an exclusion")
        before = parts[:at]
        if isinstance(before[-1], Token) and before[-1].type == "LPAR":
            before = before[:-1]
        node = self.measures(*before)
        return ir.Judged(str(judged).lower(), node)

    def relaxed(self, *parts: Any) -> ir.Node:
        """A threshold with a looser one for patients with a condition: met by the strict one alone, or by
        the loose one with the condition (an exclusion: beyond the strict one, and beyond the loose one
        if the patient has the condition)."""
        lists = [i for i, p in enumerate(parts) if isinstance(p, list)]
        base, loose = parts[lists[0]], parts[lists[1]]
        quantities = tuple(dict.fromkeys(k for p in parts[:lists[0]] if isinstance(p, tuple) for k in p))
        again = {k for p in parts[lists[0]:] if isinstance(p, tuple) for k in p}  # "..., alkaline phosphatase <= 5"
        if again - set(quantities):
            raise Uncompilable("the looser threshold is for another measurement")
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        if isinstance(base, _Either) or isinstance(loose, _Either) or len(base) != 1 or len(loose) != 1:
            raise Uncompilable("a relaxed threshold that is not a single bound")
        (op, _), (op2, v2) = base[0], loose[0]
        if op2 == "==":  # "(5 times ULN if liver metastases)": the same comparator
            loose, op2 = [(op, v2)], op
        if op not in ("<", "<=", ">", ">=") or (op in ("<", "<=")) != (op2 in ("<", "<=")):
            raise Uncompilable("the relaxed threshold does not loosen the first")
        tail = [window] if window else []
        strict, looser = self.measures(quantities, base, *tail), self.measures(quantities, loose, *tail)
        # looser for the patient: an inclusion admits more, an exclusion excludes fewer
        wider = (op in ("<", "<=")) == (self.kind == "inclusion")
        for a, b in zip(_leaves(strict), _leaves(looser)):
            if not (isinstance(a, ir.Measure) and isinstance(b, ir.Measure) and a.unit == b.unit
                    and (b.value >= a.value if wider else b.value <= a.value)):
                raise Uncompilable("the relaxed threshold does not loosen the first")
        conds = _any([ir.Condition(t.value, ir.Window(0)) for t in parts if isinstance(t, Token) and t.type == "CONDITION"])
        if self.kind == "inclusion":
            return _any([strict, _all([conds, looser])])
        return _all([strict, _any([ir.Not(conds), looser])])

    def for_age(self, *parts: Any) -> ir.Node:
        """A demand of an age group only: met outside the group (an exclusion: excluded only inside it)."""
        group = parts[-1] if isinstance(parts[-1], ir.Node) else parts[-2]
        demand = self.measures(*(p for p in parts if p is not group and not (
            isinstance(p, Token) and p.type in ("IFCOND", "LPAR", "RPAR"))))
        return _any([ir.Not(group), demand]) if self.kind == "inclusion" else _all([group, demand])

    def for_sex(self, *parts: Any) -> ir.Node:
        """A threshold for each sex it names ("Hemoglobin >= 12 g/dL for women and >= 13 g/dL for men"): a demand of
        that sex only, met by the other (an exclusion: excluded only when of that sex and beyond it)."""
        first = next(i for i, p in enumerate(parts) if isinstance(p, list) or isinstance(p, Token) and p.type == "SEX")
        keys = tuple(k for p in parts[:first] if isinstance(p, tuple) for k in p)
        sexed: list[dict[str, Any]] = [{}]
        for p in parts[first:]:
            slot = "sex" if isinstance(p, Token) and p.type == "SEX" else "cmp" if isinstance(p, list) else \
                "window" if isinstance(p, ir.Window) else None
            if slot is None:
                continue
            if slot in sexed[-1] or slot == "window" and "cmp" not in sexed[-1]:
                sexed.append({})
            sexed[-1][slot] = p
        if len({d["sex"].value for d in sexed}) != len(sexed):
            raise Uncompilable("a sex named twice: which threshold is whose?")
        nodes = []
        for d in sexed:
            demand = self.measures(keys, d["cmp"], *([d["window"]] if "window" in d else []))
            sex = ir.Sex(d["sex"].value)
            nodes.append(_any([ir.Not(sex), demand]) if self.kind == "inclusion" else _all([sex, demand]))
        return _all(nodes) if self.kind == "inclusion" else _any(nodes)

    def if_measure(self, *parts: Any) -> ir.Node:
        """A threshold that holds only when another measurement is beyond its own ("creatinine clearance >= 60 mL/min
        if creatinine > 1.5 mg/dL"): met when that one is not (an exclusion: excluded only when it is)."""
        at = next(i for i, p in enumerate(parts) if isinstance(p, Token) and p.type == "IFCOND")
        given = parts[at + 1]
        if given.type == "QGROUP" and len(given.value) > 1:
            raise Uncompilable("a condition on several measurements: all of them, or any?")
        if_cmp = parts[at + 2]
        rest = [p for i, p in enumerate(parts) if i not in (at, at + 1, at + 2)
                and not (isinstance(p, Token) and p.type in ("LPAR", "RPAR", "COMMA", "COLON"))]
        kind, self.kind = self.kind, "exclusion"  # the condition as the text states it, not as a demand
        try:
            condition = self.measures((given.value,) if given.type == "QUANTITY" else given.value, if_cmp)
        finally:
            self.kind = kind
        demand = self.measures(*rest)
        self._conditional.add(id(demand))
        node = _any([ir.Not(condition), demand]) if self.kind == "inclusion" else _all([condition, demand])
        self._conditional.add(id(node))
        return node

    def age_group(self, node: ir.Node) -> ir.Node:  # tail_age
        return node

    def group_age_bound(self, *parts: Token) -> ir.Node:
        cmp = next(p for p in parts if p.type == "CMP")
        return _age(cmp.value, *_age_values(parts)[0])

    def group_age_or(self, number: Token, *rest: Token) -> ir.Node:
        """"10 years of age or under": the number itself included."""
        op = {"<": "<=", ">": ">="}.get(rest[-1].value)
        if op is None:
            raise Uncompilable("an age group 'or' what?")
        return _age(op, *_age_values((number, *rest))[0])

    def exempted(self, *parts: Any) -> ir.Node:
        """A limit that does not hold for patients with a condition ("unless due to Gilbert's syndrome"):
        without the condition the limit decides; with it, whether the exemption applies is a person's call."""
        strict = self.measures(*(p for p in parts if not (isinstance(p, Token) and p.type in ("CONDITION", "UNLESS",
                                                                                                  "PRESENT", "LPAR", "RPAR"))))
        conds = _any([ir.Condition(t.value) for t in parts if isinstance(t, Token) and t.type == "CONDITION"])
        exempt = ir.Judged("the exemption applies (the value is due to it)", conds)
        return _any([strict, exempt]) if self.kind == "inclusion" else _all([strict, ir.Not(exempt)])

    def _measure(self, key: str, op: str, v: _Value, window: ir.Window | None) -> ir.Node:
        """One threshold, in the quantity's canonical unit; a window that names a period makes it about every value
        in the period (ir.Measure.period), as does any window on an episode that comes and goes (a fever)."""
        node = self._threshold(key, op, v, window and ir.Window(window.amount, window.unit, window.bound))
        if window is not None and (window.period or units.get_quantity(key).episodic) and window.amount > 0:
            return replace(node, period=True)
        return node

    def _threshold(self, key: str, op: str, v: _Value, window: ir.Window | None) -> ir.Measure:
        q = units.get_quantity(key)
        if q.kind == "qualitative":
            raise Uncompilable(f"{q.name} is a positive/negative test, not a number")
        if op == "==" and q.kind != "ordinal":
            raise Uncompilable(f"'=' on a continuous measurement ({q.name}): the comparator was probably lost")
        if v.kind in ("uln", "lln"):
            return ir.Measure(key, op, v.number, v.kind.upper(), window)
        if v.kind == "titer":
            if q.kind != "titer":
                raise Uncompilable(f"a titer given for {q.name}")
            return ir.Measure(key, op, float(v.number), q.unit, window)
        if q.unit in ("1", ""):
            if v.unit not in (None, "%", "1"):
                raise Uncompilable(f"{q.name} is a score; '{v.unit}' is not its unit")
            if (q.min is not None and v.number < q.min) or (q.max is not None and v.number > q.max):
                raise Uncompilable(f"{v.number:g} is not a possible {q.name}")
            return ir.Measure(key, op, float(v.number), q.unit, window)
        if v.unit is None:  # "ANC >= 1500": the customary unit its size leaves (quantities.toml bare_units)
            # never after "grade": "grade 3 or greater serum creatinine" is a toxicity grade, not 3 mg/dL
            fits = [u for lo, hi, u in q.bare_units if lo <= v.number <= hi and not isinstance(v.number, Ordinal)]
            if len(fits) != 1:
                raise Uncompilable(f"no unit given for {q.name}")
            v = _Value(v.kind, v.number, fits[0])
        try:
            value = units.to_canonical(v.number, v.unit, key)
        except ScreeningError as exc:
            raise Uncompilable(f"unit: {exc.message}") from None
        if q.thresholds is not None and not q.thresholds[0] <= value <= q.thresholds[1]:
            raise Uncompilable(f"{units.format_quantity(value, q.unit)} is not a plausible threshold for {q.name}: "
                               "a typo in the source?")
        # exact, so a value at the threshold in the same unit compares equal; shown as written
        return ir.Measure(key, op, value, q.unit, window, v.unit if v.unit != q.unit else None)

    def decreased(self, _t: Token, *qs: Any) -> ir.Node:
        return _any([ir.Measure(k, "<", 1.0, "LLN") for q in qs if isinstance(q, tuple) for k in q])

    def elevated(self, _t: Token, *qs: Any) -> ir.Node:
        return _any([ir.Measure(k, ">", 1.0, "ULN") for q in qs if isinstance(q, tuple) for k in q])

    def abnormal(self, _t: Token, *qs: Any) -> ir.Node:
        """"Abnormal TSH": outside the reference range, the negation of normal_range side by side ("abnormal ALT" is
        above the ULN only, as "normal ALT" is at most the ULN: quantities.toml `normal`)."""
        sides = {"upper": ((">", "ULN"),), "lower": (("<", "LLN"),), "both": (("<", "LLN"), (">", "ULN"))}
        return _any([ir.Measure(k, op, 1.0, ref) for q in qs if isinstance(q, tuple) for k in q
                     for op, ref in sides[units.get_quantity(k).normal]])

    def abnormal_judged(self, *parts: Any) -> ir.Node:
        """"Clinically significant abnormal liver function tests", "significant transaminase abnormalities": a value
        outside the reference range (as "abnormal X"), weighed by a person when a qualifier says how far (ir.Judged:
        all within the range, not met; one outside, review; no value or no range, unknown). "Liver function test
        abnormalities" with no qualifier is "abnormal liver function tests"."""
        node = self.abnormal(None, *(p for p in parts if isinstance(p, tuple)))  # type: ignore[arg-type]
        return ir.Judged(_qualifier(parts), node) if any(isinstance(p, Token) and p.type == "JUDGED" for p in parts) \
            else node

    # --- age and sex ---------------------------------------------------------------------------
    def age(self, *parts: Any) -> ir.Node:
        return next(p for p in parts if isinstance(p, ir.Node))

    def children_age(self, *parts: Any) -> ir.Node:
        """"Children aged 5-17 years": the ages. A child has an upper age the text must state ("children over 3
        years" leaves it unsaid, 18 or 21 by the trial's convention): with none, review."""
        age = next(p for p in parts if isinstance(p, ir.Node))
        if not any(isinstance(m, ir.Measure) and m.op in ("<", "<=") for m in _leaves(age)):
            raise Uncompilable("'children' with no upper age: how old may a child be?")
        return age

    def tail_age(self, number: Token, *rest: Token) -> ir.Node:  # "18 years of age or older"
        unit = rest[0].value if rest[0].type == "TIMEUNIT" else None
        return _age(rest[-1].value, _years(number.value, unit), unit in (None, "year"))

    def therapies(self, *parts: Any) -> ir.Node:
        """"No prior chemotherapy or radiotherapy": drugs and procedures sharing one history; "no concurrent
        chemotherapy or radiotherapy": now (a drug without a time frame is taken now, a procedure needs one)."""
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        if window is None and not any(isinstance(p, Token) and (p.type in ("HISTORY", "PRIOR", "PROCUSE") or p.type == "USE"
                                                                and str(p).lower() in lexicon().past_use) for p in parts):
            has_procedure = any(isinstance(p, Token) and p.type == "PROCEDURE" for p in parts)
            window = _event_window(parts, now=True) if has_procedure else ir.Window(0)
        nodes: list[ir.Node] = []
        for p in parts:
            if isinstance(p, Token) and p.type == "PROCEDURE":
                nodes.append(ir.Procedure(p.value, window))
            elif isinstance(p, ir.Node):
                q = p.qualifier if isinstance(p, ir.Judged) else None  # "prior adjuvant chemotherapy or radiotherapy"
                nodes.extend(_set(ir.Medication(m.concept, window, systemic=m.systemic, route=m.route), [q], 0)  # type: ignore[attr-defined]
                             for m in _leaves(p))
        if nodes and isinstance(nodes[0], ir.Judged):  # "prior adjuvant chemotherapy or radiotherapy": said of both
            nodes = [n if isinstance(n, ir.Judged) else ir.Judged(nodes[0].qualifier, n) for n in nodes]
        if (purpose := _purpose(parts)) is not None:  # "no prior chemotherapy or radiotherapy for lung cancer"
            return ir.Judged(purpose, _any(nodes))
        return _any(nodes)

    def sexed_age(self, *parts: Any) -> ir.Node:
        """"Female patients 18 years or older": the sex is part of the requirement."""
        age = next(p for p in parts if isinstance(p, ir.Node))
        sexes = sorted({t.value for t in parts if isinstance(t, Token) and t.type == "SEX"})
        return age if not sexes else _all([_any([ir.Sex(v) for v in sexes]), age])

    def age_bound(self, cmp: Token, number: Token, unit: Token | None = None) -> ir.Node:
        return _age(cmp.value, _years(number.value, unit.value if unit else None), unit is None or unit.value == "year")

    def age_postfix(self, number: Token, *rest: Token) -> ir.Node:
        unit = rest[0].value if len(rest) == 2 else None
        return _age(rest[-1].value, _years(number.value, unit), unit in (None, "year"))

    def age_between(self, *parts: Token) -> ir.Node:
        (lo, _), (hi, whole) = _age_values(parts)
        if lo > hi:
            raise Uncompilable("age range runs backwards")
        return ir.All((_age(">=", lo, True), _age("<=", hi, whole)))

    def demographic(self, sexes: ir.Node, other: ir.Node) -> ir.Node:
        if sexes == ir.Sex("female") and all(isinstance(n, (ir.Condition, ir.Procedure)) and n.concept in _WOMEN_ONLY
                                             for n in _leaves(other)):
            # "Female patients must be postmenopausal": a demand of the women; a man is outside it
            return _any([ir.Sex("male"), other])
        return _all([sexes, other])

    def sexes(self, *parts: Any) -> ir.Node:
        values = sorted({t.value for t in parts if isinstance(t, Token) and t.type == "SEX"})
        return _any([ir.Sex(v) for v in values])
