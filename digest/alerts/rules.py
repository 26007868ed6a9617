"""The alert rule language: parsing, the rule tree, and printing it back.

    rule     := or
    or       := and ("OR" and)*
    and      := not (["AND"] not)*            words side by side are joined by AND
    not      := "NOT" not | near
    near     := primary ["NEAR/" N primary]   two terms at most N words apart
    primary  := "(" or ")" | field | measure OP N | "quoted phrase" | word[*]
    measure  := severity (of the report) | sources | tier (of its story: independent sources,
                the best source tier)
    field    := category:CODE | region:PCODE | place:NAME | lang:CODE | source:NAME
              | evacuation:PCODE (the report gives an evacuation order for a place there)

Operators are upper case (a lower-case "and" is a word to look for). A word may end in `*` to
match any word it begins (`evacuat*`). Values with spaces are quoted (`place:"Bint Jbeil"`).
Every error says where it is and what was expected there; `str()` of a rule is a canonical
form that parses back to the same rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from digest.signals.categories import LABELS

FIELDS = ("category", "region", "place", "lang", "source", "evacuation")
COMPARISONS = (">=", "<=", ">", "<", "=")
MAX_NEAR = 50
_PCODE = re.compile(r"^[A-Z]{2}[0-9]*$")
_LANG = re.compile(r"^[a-z]{2}$")
_PLAIN = re.compile(r'^[^\s()"*:<>=]+$')
_OPERATORS = frozenset({"AND", "OR", "NOT"})


class RuleError(ValueError):
    """A rule that does not parse: where (0-based character position) and what was expected."""

    def __init__(self, position: int, expected: str, found: str) -> None:
        self.position = position
        self.expected = expected
        self.found = found
        super().__init__(f"at character {position + 1}: expected {expected}, found {found}")


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    prefix: bool = False

    def __str__(self) -> str:
        return _quote(self.text) + ("*" if self.prefix else "")


@dataclass(frozen=True, slots=True)
class Phrase:
    text: str

    def __str__(self) -> str:
        return _quote(self.text, always=True)


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    value: str

    def __str__(self) -> str:
        return f"{self.name}:{_quote(self.value)}"


@dataclass(frozen=True, slots=True)
class Measure:
    """severity>=3 (the report's), sources>=2 or tier<=2 (its story's corroboration)."""

    name: str
    comparison: str
    level: int

    def __str__(self) -> str:
        return f"{self.name}{self.comparison}{self.level}"


@dataclass(frozen=True, slots=True)
class Near:
    left: Word | Phrase
    right: Word | Phrase
    distance: int

    def __str__(self) -> str:
        return f"{self.left} NEAR/{self.distance} {self.right}"


@dataclass(frozen=True, slots=True)
class Not:
    rule: Rule

    def __str__(self) -> str:
        return f"NOT {_wrapped(self.rule, (And, Or))}"


@dataclass(frozen=True, slots=True)
class And:
    rules: tuple[Rule, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrapped(rule, (Or,)) for rule in self.rules)


@dataclass(frozen=True, slots=True)
class Or:
    rules: tuple[Rule, ...]

    def __str__(self) -> str:
        return " OR ".join(str(rule) for rule in self.rules)


Rule = Word | Phrase | Field | Measure | Near | Not | And | Or


def _wrapped(rule: Rule, looser: tuple[type, ...]) -> str:
    return f"({rule})" if isinstance(rule, looser) else str(rule)


def _quote(text: str, always: bool = False) -> str:
    if not always and _PLAIN.match(text) and text not in _OPERATORS and not _is_near(text):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _is_near(text: str) -> bool:
    return text.startswith("NEAR/")


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # word | phrase | ( | ) | op | near | field | measure | end
    text: str
    position: int
    value: str = ""
    number: int = 0
    prefix: bool = False


_MEASURE = re.compile(r"(severity|sources|tier)(>=|<=|>|<|=)(\d+)")
MEASURES = {"severity": (0, 4), "sources": (1, 99), "tier": (1, 4)}  # name -> allowed range
_NEAR = re.compile(r"NEAR/(\d+)")
_BARE = re.compile(r'[^\s()"]+')


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char.isspace():
            position += 1
        elif char in "()":
            tokens.append(_Token(char, char, position))
            position += 1
        elif char == '"':
            value, end = _quoted(text, position)
            tokens.append(_Token("phrase", text[position:end], position, value))
            position = end
        else:
            match = _BARE.match(text, position)
            assert match is not None  # a non-space character that is neither ( ) nor "
            tokens.append(_bare(text, match.group(), position))
            position = match.end()
            if tokens[-1].kind == "field" and not tokens[-1].value:
                if position < len(text) and text[position] == '"':
                    value, end = _quoted(text, position)
                    last = tokens[-1]
                    tokens[-1] = _Token("field", text[last.position : end], last.position, value)
                    position = end
                else:
                    raise RuleError(
                        position, f"a value after {tokens[-1].text}", _show(text, position)
                    )
    tokens.append(_Token("end", "", len(text)))
    return tokens


def _bare(text: str, word: str, position: int) -> _Token:
    if word in _OPERATORS:
        return _Token("op", word, position)
    near = _NEAR.fullmatch(word)
    if near:
        distance = int(near.group(1))
        if not 1 <= distance <= MAX_NEAR:
            raise RuleError(position, f"a distance from 1 to {MAX_NEAR} after NEAR/", word)
        return _Token("near", word, position, number=distance)
    if word.startswith("NEAR/"):
        raise RuleError(position, "a number of words after NEAR/ (NEAR/5)", word)
    measure = _MEASURE.fullmatch(word)
    if measure:
        name, level = measure.group(1), int(measure.group(3))
        low, high = MEASURES[name]
        if not low <= level <= high:
            raise RuleError(position, f"a {name} from {low} to {high}", word)
        return _Token("measure", word, position, measure.group(2), level)
    for name, (low, high) in MEASURES.items():
        if word.startswith(name) and word[len(name) : len(name) + 1] in ("<", ">", "="):
            raise RuleError(position, f"{name}>=N with N from {low} to {high}", word)
    name, colon, value = word.partition(":")
    if colon:
        if name not in FIELDS:
            raise RuleError(position, f"a field name ({', '.join(FIELDS)})", repr(name))
        return _Token("field", word, position, _checked(name, value, position) if value else "")
    if any(c in word for c in "<>="):
        raise RuleError(position, "a word, a field or severity>=N", repr(word))
    prefix = word.endswith("*")
    stem = word[:-1] if prefix else word
    if not stem or "*" in stem:
        raise RuleError(position, "a word, with * only at its end (evacuat*)", repr(word))
    return _Token("word", word, position, stem, prefix=prefix)


def _checked(name: str, value: str, position: int) -> str:
    if name == "category" and value not in LABELS:
        raise RuleError(
            position, "a category code (airstrike, shelling, evacuation, …)", repr(value)
        )
    if name in ("region", "evacuation") and not _PCODE.match(value):
        raise RuleError(position, "a P-code (LB, LB6, LB41)", repr(value))
    if name == "lang" and not _LANG.match(value):
        raise RuleError(position, "a two-letter language code (ar, en, fr)", repr(value))
    return value


def _quoted(text: str, start: int) -> tuple[str, int]:
    """The unescaped content of the quoted string at `start`, and the index after it."""
    out = []
    position = start + 1
    while position < len(text):
        char = text[position]
        if char == "\\" and position + 1 < len(text):
            out.append(text[position + 1])
            position += 2
        elif char == '"':
            value = "".join(out)
            if not value.strip():
                raise RuleError(start, "text between the quotes", '""')
            return value, position + 1
        else:
            out.append(char)
            position += 1
    raise RuleError(start, 'a closing "', "the end of the rule")


def _show(text: str, position: int) -> str:
    return repr(text[position : position + 12]) if position < len(text) else "the end of the rule"


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.at = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def fail(self, expected: str) -> RuleError:
        token = self.peek()
        found = "the end of the rule" if token.kind == "end" else repr(token.text)
        return RuleError(token.position, expected, found)

    def rule(self) -> Rule:
        if self.peek().kind == "end":
            raise self.fail("a word, a phrase or a field")
        rule = self.either()
        if self.peek().kind != "end":
            raise self.fail(
                "AND, OR or the end of the rule" if self.peek().kind == ")" else "an operator"
            )
        return rule

    def either(self) -> Rule:
        rules = [self.both()]
        while self.peek().kind == "op" and self.peek().text == "OR":
            self.take()
            rules.append(self.both())
        return rules[0] if len(rules) == 1 else Or(_flat(rules, Or))

    def both(self) -> Rule:
        rules = [self.negated()]
        while True:
            token = self.peek()
            if token.kind == "op" and token.text == "AND":
                self.take()
            elif token.kind in ("end", ")") or (token.kind == "op" and token.text == "OR"):
                break
            rules.append(self.negated())
        return rules[0] if len(rules) == 1 else And(_flat(rules, And))

    def negated(self) -> Rule:
        if self.peek().kind == "op" and self.peek().text == "NOT":
            self.take()
            return Not(self.negated())
        return self.near()

    def near(self) -> Rule:
        left = self.primary()
        if self.peek().kind != "near":
            return left
        token = self.take()
        right = self.primary()
        if not isinstance(left, Word | Phrase) or not isinstance(right, Word | Phrase):
            raise RuleError(token.position, "a word or phrase on each side of NEAR", token.text)
        return Near(left, right, token.number)

    def primary(self) -> Rule:
        token = self.peek()
        if token.kind == "(":
            self.take()
            inner = self.either()
            if self.peek().kind != ")":
                raise self.fail("')'")
            self.take()
            return inner
        if token.kind == "word":
            self.take()
            return Word(token.value, token.prefix)
        if token.kind == "phrase":
            self.take()
            return Phrase(token.value)
        if token.kind == "field":
            self.take()
            name = token.text.partition(":")[0]
            return Field(name, _checked(name, token.value, token.position))
        if token.kind == "measure":
            self.take()
            name = _MEASURE.fullmatch(token.text).group(1)  # type: ignore[union-attr]
            return Measure(name, token.value, token.number)
        raise self.fail("a word, a phrase, a field or '('")


def _flat(rules: list[Rule], kind: type[And] | type[Or]) -> tuple[Rule, ...]:
    """`a AND (b AND c)` is `a AND b AND c`: one canonical form for what means the same."""
    flat: list[Rule] = []
    for rule in rules:
        flat.extend(rule.rules if isinstance(rule, kind) else [rule])
    return tuple(flat)


def parse(text: str) -> Rule:
    """The rule a query states; RuleError when it does not parse."""
    return _Parser(text).rule()
