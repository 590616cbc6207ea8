"""The rule tree (IR): small frozen nodes that a trial compiles to and a patient is evaluated against.

Every node carries an optional source ``span`` (offsets into the trial's criteria text). Spans are
excluded from equality, so a tree parsed back from its printed rules text equals the compiled one.
Values are in canonical units (see ``screening.units``), fixed when the node is built.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Callable, ClassVar

OPS: frozenset[str] = frozenset({"<", "<=", ">", ">=", "=="})
KINDS: tuple[str, ...] = ("inclusion", "exclusion")
VERDICTS: tuple[str, ...] = ("met", "not_met", "unknown", "review")
WINDOW_UNITS: dict[str, float] = {"day": 1.0, "week": 7.0, "month": 30.4375, "year": 365.25, "hour": 1 / 24}


@dataclass(frozen=True, slots=True)
class Span:
    """Half-open character range ``[start, end)`` in the trial's criteria text."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"bad span {self.start}..{self.end}")


WINDOW_BOUNDS: tuple[str, ...] = ("at_least", "at_most")
#: a measurement's historical extremes: the nadir and the peak (``Measure.extreme``)
EXTREMES: tuple[str, ...] = ("lowest", "highest")


@dataclass(frozen=True, slots=True)
class Window:
    """A look-back period ending at the screening date: ``within 6 months``; amount 0 means 'now'.

    ``bound``: the period's true length is unknown, only bounded by ``amount``. "Within 28 days or 5 half-lives,
    whichever is longer" is ``at_least`` 28 days (an entry inside 28 days is in it, an older one may be);
    "... whichever is shorter" is ``at_most`` 14 days (an older entry is not in it, a newer one may be).
    """

    amount: float
    unit: str = "day"
    bound: str | None = None
    #: the text named a period ("during the preceding 3 months"), not a limit on how old a value may be ("within
    #: 14 days"): the compiler passes it on to a measurement (``Measure.period``); events ignore it, so it is
    #: neither compared nor printed
    period: bool = field(default=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.unit not in WINDOW_UNITS:
            raise ValueError(f"window unit must be one of {sorted(WINDOW_UNITS)}, not {self.unit!r}")
        if self.amount < 0:
            raise ValueError("window amount must not be negative")
        if self.bound is not None and (self.bound not in WINDOW_BOUNDS or self.amount == 0):
            raise ValueError(f"a window bound is one of {WINDOW_BOUNDS}, on a period longer than 0")

    @property
    def days(self) -> float:
        return self.amount * WINDOW_UNITS[self.unit]


@dataclass(frozen=True, slots=True)
class Dose:
    """A dose threshold in a canonical dose unit (``mg/d``, ``mg/kg/d``, ``mg``, ``mg/kg``, ``[IU]/d`` ...)."""

    op: str
    value: float
    unit: str

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown comparator {self.op!r}")


@dataclass(frozen=True, slots=True)
class Duration:
    """How long a drug was taken, compared with a period: "for more than 6 months" is ``>`` 6 months."""

    op: str
    amount: float
    unit: str = "day"

    def __post_init__(self) -> None:
        if self.op not in OPS - {"=="}:
            raise ValueError(f"a duration is compared with <, <=, > or >=, not {self.op!r}")
        if self.unit not in WINDOW_UNITS or self.amount <= 0:
            raise ValueError("a duration is a positive number of hours, days, weeks, months or years")

    @property
    def days(self) -> float:
        return self.amount * WINDOW_UNITS[self.unit]


@dataclass(frozen=True, slots=True)
class Node:
    """Base of all rule nodes."""

    span: Span | None = field(default=None, compare=False, repr=False, kw_only=True)
    #: short name used by the printer, the evaluator and the coverage report
    key: ClassVar[str] = "node"


# --- logic -------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class All(Node):
    """Every part holds (Kleene AND)."""

    items: tuple[Node, ...]
    key: ClassVar[str] = "all"

    def __post_init__(self) -> None:
        if len(self.items) < 2:
            raise ValueError("all() needs at least two parts")


@dataclass(frozen=True, slots=True)
class AnyOf(Node):
    """At least one part holds (Kleene OR)."""

    items: tuple[Node, ...]
    key: ClassVar[str] = "any"

    def __post_init__(self) -> None:
        if len(self.items) < 2:
            raise ValueError("any() needs at least two parts")


@dataclass(frozen=True, slots=True)
class AtLeast(Node):
    """At least ``n`` of the parts hold."""

    n: int
    items: tuple[Node, ...]
    key: ClassVar[str] = "at_least"

    def __post_init__(self) -> None:
        if not 1 <= self.n <= len(self.items):
            raise ValueError(f"at_least({self.n}, ...) needs between 1 and {len(self.items)} as its count")


@dataclass(frozen=True, slots=True)
class Not(Node):
    """Negation (Kleene NOT: unknown stays unknown)."""

    item: Node
    key: ClassVar[str] = "not"


@dataclass(frozen=True, slots=True)
class Judged(Node):
    """A fact qualified by words only a person can weigh ("uncontrolled hypertension", "infection
    requiring antibiotics", "prior chemotherapy for melanoma").

    The machine decides what it can: without the fact the qualified statement is ``not_met``; with it,
    whether ``qualifier`` holds goes to ``review``. So a patient with no hypertension at all is not
    held up by "uncontrolled hypertension".
    """

    qualifier: str
    item: Node
    key: ClassVar[str] = "judged"


# --- facts about the patient -------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Measure(Node):
    """A numeric quantity compared with a threshold: a lab, a vital sign, a score, age or body weight.

    ``unit`` is the canonical unit of ``quantity`` (``"ULN"``/``"LLN"`` for multiples of the
    reference range). The newest recent-enough value decides: with no window, recent enough for the
    quantity (quantities.toml ``max_age_days``); with one ("Hb >= 8 g/dL within 14 days"), inside it.
    A ``period`` ("HbA1c > 8.5 % at any time during the preceding 3 months") is about every value in
    its window: any one that satisfies the comparison makes it hold.
    An ``extreme`` ("Nadir CD4 count > 200", "platelet count < 50,000 at any time prior to entry", "peak viral load")
    is the patient's lowest or highest value ever (or in ``window``). A record holds only some values, so it is read
    one way: a value that satisfies "lowest < X" proves it, one that fails "lowest > X" disproves it; the other side
    needs the extreme itself, stated in the record ("CD4 nadir"), else it is unknown.
    """

    quantity: str
    op: str
    value: float
    unit: str
    window: Window | None = None
    #: the unit the threshold was written in ("2.0 mg/dL"): printing shows it, comparing ignores it
    shown_unit: str | None = field(default=None, compare=False)
    period: bool = False
    extreme: str | None = None  # "lowest" / "highest": EXTREMES
    key: ClassVar[str] = "measure"

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"unknown comparator {self.op!r}")
        if self.extreme is not None and (self.extreme not in EXTREMES or self.op == "==" or self.period):
            raise ValueError(f"an extreme is one of {EXTREMES}, compared with <, <=, > or >=, and is no period")
        _unbounded(self.window)
        if self.period and (self.window is None or self.window.amount == 0):
            raise ValueError("a period is a look-back window longer than 0")


def _unbounded(window: Window | None) -> None:
    """A measured value or a test result has no half-lives: only events (drugs, studies ...) take a bounded window."""
    if window is not None and window.bound is not None:
        raise ValueError("a window of unknown length ('or 5 half-lives') is said of a drug or a study, not a value")


@dataclass(frozen=True, slots=True)
class TestResult(Node):
    """A qualitative test reads ``positive`` or ``negative``."""

    __test__: ClassVar[bool] = False  # not a pytest test class
    analyte: str
    result: str
    window: Window | None = None
    key: ClassVar[str] = "test"

    def __post_init__(self) -> None:
        if self.result not in ("positive", "negative"):
            raise ValueError("test result must be 'positive' or 'negative'")
        _unbounded(self.window)


@dataclass(frozen=True, slots=True)
class Condition(Node):
    """A diagnosis. No window: ever recorded; ``window``: present at some time in it (0 = now).

    ``exceptions`` are concepts that do not count (``except in situ carcinoma of the cervix``).
    ``active``: read after the word "active" ("active lupus nephritis"): a condition the record says is in remission
    or inactive does not count as present now (without the word, whether it does is left open).
    ``diagnosed``: "diagnosed with X within 1 year": the entry's onset (its date of diagnosis) lies in the window; an
    entry that began earlier does not count though it is still present (only with a look-back window).
    ``lasting``: "type 2 diabetes for at least 1 year", "RA of at least 6 months duration": present now and begun at
    least (or more than) that long before the screening date; an entry with no onset date cannot tell (no window).
    """

    concept: str
    window: Window | None = None
    exceptions: tuple[str, ...] = ()
    active: bool = False
    diagnosed: bool = False
    lasting: Duration | None = None
    key: ClassVar[str] = "condition"

    def __post_init__(self) -> None:
        if self.lasting is not None and (self.lasting.op not in (">=", ">") or self.window is not None or self.diagnosed):
            raise ValueError("a condition lasting a time is at least or more than it, with no window (at most: "
                             "'diagnosed within')")


@dataclass(frozen=True, slots=True)
class Medication(Node):
    """A drug or drug class taken at some time in the window (None: ever; 0: now), optionally above a dose;
    ``systemic``: only by a systemic route (a cream or an inhaler does not count).

    ``route``: only by that route (a canonical name of data/medication_use.toml [route_names] or
    [route_groups]: "oral corticosteroids"); an entry of the drug with no route in the record may be one.
    ``stable``: taken now at one unchanged dose for at least this long ("stable dose of methotrexate for
    at least 8 weeks"): a current entry of the drug that began that long ago, and no other entry of it
    in that period at another dose (each record entry is one drug at one dose from start to end).
    ``duration``: taken that long in the window (None: ever), in all and at a stretch alike ("more than 3 months of
    prior antiretroviral therapy"; "no more than 2 weeks of X" is met by none at all).
    ``exceptions``: drugs of the class that do not count ("antiretroviral agents other than zidovudine"); an
    entry counts when one of its ingredients is of the class and none of the exceptions.
    """

    concept: str
    window: Window | None = None
    dose: Dose | None = None
    systemic: bool = False
    route: str | None = None
    stable: Window | None = None
    exceptions: tuple[str, ...] = ()
    duration: Duration | None = None
    key: ClassVar[str] = "medication"

    def __post_init__(self) -> None:
        if self.systemic and self.route is not None:
            raise ValueError("a medication is restricted to a systemic route or to a named one, not both")
        if self.stable is not None and (self.window != Window(0) or self.dose is not None or self.stable.amount <= 0
                                        or self.stable.bound is not None):
            raise ValueError("a stable dose is said of a drug taken now, with no dose threshold, over a period")
        if self.duration is not None and (self.stable is not None or self.dose is not None or
                                          (self.window is not None and self.window.amount == 0)):
            raise ValueError("a duration is said of a drug over a past period, with no dose and no stable dose")
        if self.exceptions and (self.stable is not None or self.concept in self.exceptions):
            raise ValueError("drugs excepted from a class: not with a stable dose, and not the class itself")


@dataclass(frozen=True, slots=True)
class Allergy(Node):
    """A known allergy, hypersensitivity or intolerance to a drug or drug class (``allergies`` list)."""

    concept: str
    key: ClassVar[str] = "allergy"


@dataclass(frozen=True, slots=True)
class Procedure(Node):
    """A procedure performed in the window (None: ever)."""

    concept: str
    window: Window | None = None
    key: ClassVar[str] = "procedure"


@dataclass(frozen=True, slots=True)
class Immunization(Node):
    """A vaccine (or class such as ``live_vaccine``) given in the window (None: ever)."""

    concept: str
    window: Window | None = None
    key: ClassVar[str] = "immunization"


@dataclass(frozen=True, slots=True)
class StudyParticipation(Node):
    """Took part in another clinical study in the window (None: ever)."""

    window: Window | None = None
    key: ClassVar[str] = "study"


@dataclass(frozen=True, slots=True)
class Sex(Node):
    """Recorded sex is ``female`` or ``male``."""

    value: str
    key: ClassVar[str] = "sex"

    def __post_init__(self) -> None:
        if self.value not in ("female", "male"):
            raise ValueError("sex must be 'female' or 'male'")


FLAGS: frozenset[str] = frozenset({"pregnant", "lactating"})


@dataclass(frozen=True, slots=True)
class Flag(Node):
    """A yes/no state the record carries as a top-level field: ``pregnant``, ``lactating``."""

    name: str
    key: ClassVar[str] = "flag"

    def __post_init__(self) -> None:
        if self.name not in FLAGS:
            raise ValueError(f"flag must be one of {sorted(FLAGS)}")


@dataclass(frozen=True, slots=True)
class Attestation(Node):
    """A statement only a person can make, read from ``attestations[key]`` in the record."""

    name: str
    key: ClassVar[str] = "attestation"


@dataclass(frozen=True, slots=True)
class Permitted(Node):
    """A sentence that permits and demands nothing ("Prior radiotherapy allowed"). It never decides: it is
    ``met`` among the inclusions and ``not_met`` among the exclusions, whatever the record holds."""

    text: str
    key: ClassVar[str] = "permitted"


@dataclass(frozen=True, slots=True)
class Review(Node):
    """Not machine-decidable: keeps the source text and why, so a person judges it."""

    text: str
    reason: str
    key: ClassVar[str] = "review"


# What puts a woman outside childbearing potential, as the record can show it: the investigator's "not of
# childbearing potential" (attestations), being postmenopausal (conditions), a hysterectomy or bilateral
# oophorectomy (procedures: permanent by every protocol's definition; tubal ligation is not, some protocols count
# it as contraception). Compile reads contraception groups with it; evaluate, a pregnancy the record leaves open.
# A woman's own plans (attestations: "planning to become pregnant during the study", "intends to breast-feed"): no
# record fact, her statement; a plan that excludes, and one no man makes
WOMENS_PLANS: frozenset[str] = frozenset({"pregnancy_plans", "nursing_plans"})

NOT_CHILDBEARING: tuple[Node, ...] = (
    Not(Attestation("childbearing_potential")), Condition("postmenopausal"),
    Procedure("hysterectomy"), Procedure("bilateral_oophorectomy"))


LEAF_TYPES: tuple[type[Node], ...] = (Measure, TestResult, Condition, Medication, Allergy, Procedure, Immunization,
                                      StudyParticipation, Sex, Flag, Attestation, Permitted, Review)
LOGIC_TYPES: tuple[type[Node], ...] = (All, AnyOf, AtLeast, Not, Judged)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-rules of a node (empty for leaves)."""
    if isinstance(node, (Not, Judged)):
        return (node.item,)
    return getattr(node, "items", ())


def walk(node: Node):  # type: ignore[no-untyped-def]
    """Every node of the tree, parents first."""
    yield node
    for child in children(node):
        yield from walk(child)


def polar_walk(node: Node, negated: bool = False):  # type: ignore[no-untyped-def]
    """Every node of the tree with whether an odd number of ``not`` lies above it (parents first): what a rule
    demands of each part ("not creatinine > 1 ULN" asks creatinine to be at most the limit)."""
    yield node, negated
    for child in children(node):
        yield from polar_walk(child, negated != isinstance(node, Not))


def map_leaves(node: Node, f: Callable[[Node], Node]) -> Node:
    """The tree with every leaf replaced by ``f(leaf)`` (the logic above kept as it is)."""
    if isinstance(node, (Not, Judged)):
        return replace(node, item=map_leaves(node.item, f))
    if isinstance(node, (All, AnyOf, AtLeast)):
        return replace(node, items=tuple(map_leaves(i, f) for i in node.items))
    return f(node)


def is_executable(node: Node) -> bool:
    """True when no part of the rule is a ``review`` node."""
    return not any(isinstance(n, Review) for n in walk(node))


# --- compiled trial ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Criterion:
    """One eligibility criterion: its id (``inc-3``, ``exc-2.1``, ``age``), source text and rule.

    ``role`` is ``criterion`` (counts for the trial status), ``part`` (a sub-item folded into its
    parent's rule, shown for reading) or ``header`` (introduces sub-items; no verdict of its own).
    """

    id: str
    kind: str
    text: str
    rule: Node
    span: Span | None = field(default=None, compare=False)
    role: str = "criterion"
    parent: str | None = None
    #: set when a person corrected the compiled rule: a hash of the compiled rule the correction
    #: replaced, so `screening check` notices when the compiler's reading changes under it
    edited_from: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}")
        if self.role not in ("criterion", "part", "header"):
            raise ValueError("role must be criterion, part or header")


@dataclass(frozen=True, slots=True)
class CompiledTrial:
    """A trial ready to screen: picklable, immutable, evaluated many times."""

    trial_id: str
    title: str
    source: str
    source_hash: str
    criteria: tuple[Criterion, ...]
    #: a reason the whole trial needs review (e.g. the page had no criteria section)
    note: str = ""
