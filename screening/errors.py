"""One error hierarchy: every failure says where (file, line, column or JSON path) and, when it can, how to fix it."""
from __future__ import annotations


class ScreeningError(Exception):
    """Root of every error `screening` raises on purpose."""

    def __init__(self, message: str, *, source: str | None = None, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        #: file name or other origin of the faulty input, if known
        self.source = source
        #: a hint the user can act on, if one helps
        self.suggestion = suggestion

    def __str__(self) -> str:
        text = f"{self.source}: {self.message}" if self.source else self.message
        return f"{text}\n  hint: {self.suggestion}" if self.suggestion else text


class CriteriaSyntaxError(ScreeningError, ValueError):
    """Text (criteria or a rules file) that does not parse; carries line and column (1-based)."""

    def __init__(self, message: str, *, line: int | None = None, column: int | None = None,
                 context: str = "", expected: tuple[str, ...] = (), source: str | None = None,
                 suggestion: str | None = None) -> None:
        super().__init__(message, source=source, suggestion=suggestion)
        self.line = line
        self.column = column
        #: the offending line with a caret under the column
        self.context = context
        #: names of what the parser would have accepted
        self.expected = expected

    def __str__(self) -> str:
        where = self.source or "<text>"
        if self.line is not None:
            where += f":{self.line}:{self.column}"
        text = f"{where}: {self.message}"
        if self.expected:
            text += f"\n  expected one of: {', '.join(self.expected)}"
        if self.context:
            text += "\n" + self.context.rstrip("\n")
        if self.suggestion:
            text += f"\n  hint: {self.suggestion}"
        return text


class UnitError(ScreeningError, ValueError):
    """A unit that is unknown, or cannot be converted to the quantity's canonical unit."""

    def __init__(self, message: str, *, unit: str = "", path: str | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.unit = unit
        #: JSON path of the offending field when the unit came from a patient record
        self.path = path

    def __str__(self) -> str:
        base = super().__str__()
        return f"{self.path}: {base}" if self.path else base


class VocabularyError(ScreeningError, LookupError):
    """A rules file names a concept (analyte, drug, condition, ...) the vocabularies do not define."""


class PatientDataError(ScreeningError, ValueError):
    """A patient record that cannot be used: names the JSON path of every bad field."""

    def __init__(self, message: str, *, path: str = "", errors: tuple[tuple[str, str], ...] = (), **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        #: JSON path of the first bad field, like ``observations[0].unit``
        self.path = path
        #: every (path, problem) pair found
        self.errors = errors or ((path, message),)

    def __str__(self) -> str:
        head = f"{self.source}: " if self.source else ""
        lines = [f"{head}invalid patient record"] + [f"  {p or '<root>'}: {m}" for p, m in self.errors]
        return "\n".join(lines)


class TrialFormatError(ScreeningError, ValueError):
    """A trial file whose format is not recognised or is malformed."""
