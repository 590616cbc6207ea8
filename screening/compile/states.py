"""Transformer rules for states and statements (pregnancy, attestations, counts) and reproductive statements
said of a group (one method per rule of grammars/criteria.lark)."""
from __future__ import annotations

from typing import Any

from lark import Token, Transformer, v_args

from .. import ir, units
from ..lexer import phrase_data
from .helpers import _SUSPICION, Uncompilable, _all, _any, _leaves
from .reproductive_groups import (_NOT_CHILDBEARING, _childbearing, _outside_group, _population_words,
                                  _with_group)


@v_args(inline=True)
class StateRules(Transformer):  # type: ignore[type-arg]
    """Mixed into CriteriaTransformer (screening.compile.transformer)."""

    # --- states, statements, counts ------------------------------------------------------------
    def flag(self, t: Token) -> ir.Node:
        return ir.Flag("pregnant" if t.type == "PREGNANT" else "lactating")

    def flag_now(self, use: Token, t: Token) -> ir.Node:
        """"Currently breastfeeding": the state is read as of now in any case."""
        if str(use.value).lower() not in phrase_data()["current_state"]["phrases"]:
            raise Uncompilable(f"'{use}' before a state")
        return self.flag(t)

    def flag_shown(self, preg: Token, *parts: Any) -> ir.Node:
        """"Pregnant (positive pregnancy test)", "pregnancy as confirmed by a positive urine or blood pregnancy test",
        "pregnant (e.g., positive HCG test)": the recorded state or the positive test that shows it (either meets it; a
        record with neither is unknown unless both say no)."""
        tests = [p for p in parts if isinstance(p, ir.Node)]
        if len(tests) != 1 or not isinstance(tests[0], ir.TestResult) or tests[0].analyte != "pregnancy_test" \
                or tests[0].result != "positive":
            raise Uncompilable("pregnancy defined by something other than a positive pregnancy test")
        return _any([ir.Flag("pregnant"), tests[0]])

    def flag_suspected(self, lead: Token, preg: Token) -> ir.Node:
        """"Known or suspected pregnancy": a recorded pregnancy meets it; a suspicion no record holds (never a
        confident not_met)."""
        return _any([ir.Flag("pregnant"), ir.Review("suspected pregnancy", _SUSPICION)])

    def in_group(self, *parts: Any) -> ir.Node:
        """"Women of child-bearing potential" alone among the exclusions, or after the states ("pregnant or nursing
        women; women of childbearing potential", "pregnant or lactating women, or women of childbearing potential"):
        a woman of the group is excluded (ir.NOT_CHILDBEARING: one the record does not show outside it is unknown
        unless she attests to it). Among the inclusions it heads the demands below it; a plain comma after states
        may say whom they are for ("women of childbearing potential, pregnant or nursing"): both review."""
        if self.kind != "exclusion":
            raise Uncompilable("a reproductive group alone among the inclusions: a heading?")
        toks = [p for p in parts if isinstance(p, Token)]
        seps = [t for t in toks if t.type in ("COMMA", "OR")]
        if seps and [t.type for t in seps] == ["COMMA"] and str(seps[0].value).strip() != ";":
            raise Uncompilable("a group after states: whom they are for, or one more exclusion?")
        population = next(t for t in toks if t.type == "POPULATION")
        words = set(str(population.value).lower().replace("-", " ").split())
        sexes = {t.value for t in toks if t.type == "SEX"}
        women = "female" in sexes or not words.isdisjoint(_population_words()[2])
        if sexes - {"female"} or not women or not _childbearing(population):
            raise Uncompilable(f"'{population}': not women of childbearing potential")
        group = ir.Not(_any([ir.Sex("male"), *_NOT_CHILDBEARING]))
        return _any([*(p for p in parts if isinstance(p, ir.Node)), group])

    def flags(self, *parts: Any) -> ir.Node:  # "women who are pregnant": only a woman can be
        return _any(list(dict.fromkeys(p for p in parts if isinstance(p, ir.Node))))

    def attest(self, *parts: Any) -> ir.Node:
        name, negated = parts[-1].value
        node: ir.Node = ir.Attestation(name)
        if name == "contraception":  # "Fertile patients must use effective contraception": see _contraception_group
            words = " ".join(str(p.value) if isinstance(p, Token) else " ".join(
                "women" if n.value == "female" else "men" for n in ir.walk(p) if isinstance(n, ir.Sex)) for p in parts[:-1])
            node = _with_group(node, words)
        elif name in ir.WOMENS_PLANS and any(isinstance(n, ir.Sex) and n.value == "male" for p in parts[:-1]
                                    if isinstance(p, ir.Node) for n in ir.walk(p)):
            raise Uncompilable(f"'{name.replace('_', ' ')}' said of men: a partner's pregnancy?")  # "males planning pregnancy"
        return ir.Not(node) if negated else node


    # --- reproductive statements said of a group (start_repro) ---------------------------------
    def start_repro(self, *parts: Any) -> ir.Node:
        return self.start(*parts)

    def group_list_repro(self, *parts: Any) -> ir.Node:
        return self.group_list(*parts)

    def rflags(self, *parts: Any) -> ir.Node:
        """"pregnant or nursing": either; "not pregnant or nursing", "not pregnant, not nursing": neither."""
        runs: list[tuple[bool, list[ir.Node]]] = []
        for p in parts:
            if isinstance(p, Token) and p.type == "NEG" or not runs:
                runs.append((isinstance(p, Token) and p.type == "NEG", []))
            if isinstance(p, ir.Node):
                runs[-1][1].append(p)
        if len(runs) > 1 and not all(negated for negated, _ in runs):
            raise Uncompilable("states said both ways in one run")
        nodes = [_any(list(dict.fromkeys(flags))) for _, flags in runs]
        return _all([ir.Not(n) for n in nodes]) if runs[0][0] else _any(nodes)

    def for_group(self, *parts: Any) -> ir.Node:
        """"Women of childbearing potential must have a negative pregnancy test": the demand holds for that group
        only. Among the inclusions a negative pregnancy test is demanded of the group alone (anyone outside it
        meets the criterion); "not pregnant", "pregnant or nursing" need no group, as only such a woman can be
        (ir.Flag already reads a man as neither). Among the exclusions a positive test or the state excludes:
        the group is implied by it."""
        toks = [p for p in parts if isinstance(p, Token)]
        window = next((p for p in parts if isinstance(p, ir.Window)), None)
        outside = _outside_group(toks)
        if self.kind == "exclusion" and not any(t.type == "IFCOND" for t in toks) and any(
                isinstance(a, Token) and isinstance(b, Token) and {a.type, b.type} & {"SEX", "POPULATION"}
                and "COMMA" in {a.type, b.type} for a, b in zip(parts, parts[1:])):
            # "Female participants of childbearing potential, pregnant, or lactating": the group is one of the list
            raise Uncompilable("a group beside exclusions: whom they are for, or one more exclusion?")
        facts = []
        for p in parts:
            if isinstance(p, ir.AnyOf) and isinstance(p.items[-1], ir.TestResult) and isinstance(p.items[0], ir.Sex):
                # "a woman of childbearing potential must have a negative pregnancy test": `negative` read the group
                outside = _any([outside, *p.items[:-1]]) if len(p.items) > 2 else outside
                p = p.items[-1]
            if isinstance(p, ir.Node):
                facts.append(p)
        for f in facts:
            if isinstance(f, ir.TestResult) and f.analyte != "pregnancy_test":
                raise Uncompilable(f"a {units.get_quantity(f.analyte).name} demanded of a reproductive group")
        if window is not None:
            tested = [f for f in facts if isinstance(f, ir.TestResult)]
            if len(tested) != 1 or tested[0].window is not None:
                raise Uncompilable("a time frame after the group: which demand does it limit?")
            facts = [ir.TestResult(f.analyte, f.result, window) if f is tested[0] else f for f in facts]
        inclusion = self.kind == "inclusion"
        for f in facts:
            negated = [isinstance(n, ir.Not) for n in (f.items if isinstance(f, ir.All) else (f,))]
            ok = f.result == ("negative" if inclusion else "positive") if isinstance(f, ir.TestResult) else (
                all(n == inclusion for n in negated) and all(isinstance(n, ir.Flag) for n in _leaves(f)))
            if not ok:
                raise Uncompilable(f"a reproductive statement whose sense does not fit the {self.kind}s")
        if not inclusion:
            return _any(facts)
        if any(t.type == "OR" for t in toks):
            raise Uncompilable("demands joined by 'or'")
        tests = [f for f in facts if isinstance(f, ir.TestResult)]
        states = [f for f in facts if not isinstance(f, ir.TestResult)]
        return _all([*states, *([_any([outside, _all(tests)])] if tests else [])])

    def sterile(self, *parts: Token) -> ir.Node:  # "surgically sterile": the record's procedures list
        return ir.Procedure("sterilization")

    def sexed_condition(self, cond: Token, sex: Token) -> ir.Node:  # "postmenopausal women"
        if cond.value != "postmenopausal" or sex.value != "female":
            raise Uncompilable(f"'{cond}' before '{sex}'")
        return ir.Condition("postmenopausal", ir.Window(0))

    def not_childbearing(self, sex: Token, neg: Token, population: Token) -> ir.Node:
        """"Women who are not of childbearing potential": a woman whom the record shows outside that group."""
        if sex.value != "female" or not _childbearing(population):
            raise Uncompilable(f"'{sex} not {population}'")
        return ir.All((ir.Sex("female"), _any(list(_NOT_CHILDBEARING))))

    def attest_for(self, *parts: Any) -> ir.Node:
        return next(p for p in parts if isinstance(p, ir.Node))

    def bare_test(self, t: Token, method: Token | None = None) -> ir.Node:
        return self._tests((self.tquantity(t), *([method] if method else [])), "positive")

    def lone_test(self, t: Token, method: Token | None = None) -> ir.Node:
        """"Known diagnosis of HIV": a test that shows a condition (quantities.toml ``shows``), named alone, is
        the condition (whose evaluation reads the test too); another test named with no result ("Have a
        pregnancy test") may ask that it was done, not that it was positive; a finding is present."""
        tests = [units.get_quantity(k) for k in self.tquantity(t)]
        if method is None and len(tests) == 1 and tests[0].shows:
            # "HBsAg": the hepatitis B present now, as "HBsAg positive"; "Known diagnosis of HIV": a lifelong one, ever
            return ir.Condition(tests[0].shows, None if tests[0].lasting else ir.Window(0))
        for q in tests:
            if "test" in q.name.split():
                raise Uncompilable(f"'{q.name}' with no result: that the test was done, or that it was positive?")
        return self.bare_test(t, method)  # "Measurable disease per RECIST 1.1", "HCV RNA": the finding

    def at_least(self, *parts: Any) -> ir.Node:
        n = int(next(p for p in parts if isinstance(p, Token) and p.type == "NUMBER").value)
        members = tuple(p for p in parts if isinstance(p, ir.Node))
        if n == 1 and len(members) == 1 and isinstance(members[0], ir.AnyOf):
            return members[0]  # "at least one of the following: a, b, c" read as one list: any of them
        if len(members) < 2 or n > len(members):
            raise Uncompilable(f"'at least {n}' of {len(members)} listed items")
        return ir.AtLeast(n, members)
