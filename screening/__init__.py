"""screening: compile clinical-trial eligibility criteria into rules and screen patients against them."""
from __future__ import annotations

from typing import Any

__all__ = ["load_trial", "load_patient", "screen", "compile_trial", "ScreeningError",
           "CriteriaSyntaxError", "UnitError", "PatientDataError"]
__version__ = "0.1.0"

from .errors import CriteriaSyntaxError, PatientDataError, ScreeningError, UnitError


def __getattr__(name: str) -> Any:
    """Import the stages lazily, so `import screening` stays cheap for the CLI's --help."""
    if name == "load_trial":
        from .ingest import load_trial
        return load_trial
    if name == "load_patient":
        from .patient import load_patient
        return load_patient
    if name == "screen":
        from .evaluate import screen
        return screen
    if name == "compile_trial":
        from .compile import compile_trial
        return compile_trial
    raise AttributeError(name)
