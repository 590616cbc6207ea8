"""The canonical rule language: compiled rules as text a research coordinator reads, corrects and keeps.

``format_rule``/``parse_rule`` print and read one rule (grammar: ``grammars/rules.lark``);
``dump_rules``/``load_rules`` write and read a whole trial as a rules file; ``check_drift`` says what
changed between a reviewed rules file and a fresh compile of the same trial.
"""
from __future__ import annotations

from .files import Drift, accept_rules, check_drift, dump_rules, load_rules, loads_rules, rule_hash, stamp_rules
from .parser import parse_rule
from .printer import FORMAT_VERSION, WIDTH, RuleUnitError, RuleVocabularyError, format_rule

__all__ = ["format_rule", "parse_rule", "dump_rules", "load_rules", "loads_rules", "check_drift", "Drift", "rule_hash", "stamp_rules", "accept_rules",
           "RuleUnitError", "RuleVocabularyError", "FORMAT_VERSION", "WIDTH"]
