"""Rewrite correlated ``EXISTS { P }`` into a sub-select that Oxigraph evaluates once.

Oxigraph (0.5) evaluates ``EXISTS { P }`` anew for every solution of the enclosing group
and plans P without knowing which of its variables are already bound, so every pattern of
P is read from the whole store each time: a SHACL-SPARQL rule with ``FILTER NOT EXISTS``
over studies and findings takes 20 s at 1,000 programmes and grows with the square of the
graph. The same rule with P as an uncorrelated sub-select, left-joined on the variables P
shares with the rest of the query, takes 0.05 s and grows linearly.

The rewrite is textual but token-aware (strings, IRIs and comments are never touched) and
conservative: an ``EXISTS`` is left as written unless every variable it shares with the
rest of the query is bound by a triple pattern of P itself, and unless it sits in a
``FILTER`` or ``BIND`` of its group. Nested ``EXISTS`` are rewritten innermost first. The
query text of the rewritten forms lives in ``engine/decorrelate.rq``; the validation
tests check that both forms give the same results.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files

_TOKEN = re.compile(
    r"""
    (?P<comment>\#[^\n]*)
  | (?P<string>\"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"|'''(?:[^'\\]|\\.|'(?!''))*'''
              |"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<iri><[^<>"{}|^`\\\x00-\x20]*>)
  | (?P<var>[?$][A-Za-z0-9_\u00B7-\uFFFF]+)
  | (?P<open>\{) | (?P<close>\}) | (?P<lparen>\() | (?P<rparen>\))
  | (?P<word>(?:[A-Za-z_](?:[A-Za-z0-9_\-.]*[A-Za-z0-9_\-])?)?
            :(?:[A-Za-z0-9_\-.%:]*[A-Za-z0-9_\-%:])?
            |[A-Za-z_](?:[A-Za-z0-9_\-.]*[A-Za-z0-9_\-])?)
  | (?P<number>[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.?[0-9]+[eE][+-]?[0-9]+|[0-9]*\.[0-9]+|[0-9]+)
  | (?P<space>\s+)
  | (?P<other>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    start: int
    end: int


@dataclass(frozen=True)
class Templates:
    subselect: str
    exists: str
    not_exists: str
    keyword_exists: str
    keyword_not: str
    keyword_filter: str
    keyword_bind: str


@cache
def templates() -> Templates:
    text = files("guidebook_kg").joinpath("engine/decorrelate.rq").read_text(encoding="utf-8")
    fields = {}
    for line in text.splitlines():
        if line.startswith("#+ "):
            key, _, value = line[3:].partition(":")
            fields[key.strip()] = value.strip()
    return Templates(**fields)


def tokenize(text: str) -> list[Token]:
    """The tokens of a SPARQL text, without spaces and comments."""
    return list(_tokens(text))


@lru_cache(maxsize=1024)
def _tokens(text: str) -> tuple[Token, ...]:
    # The same rule texts are read several times per validation (restrictions, plan,
    # rewrites) and once per validation in a long-running process.
    return tuple(Token(m.lastgroup or "other", m.group(), m.start(), m.end())
                 for m in _TOKEN.finditer(text)
                 if m.lastgroup not in ("space", "comment"))


def var_name(tok: Token) -> str:
    return tok.text[1:]  # ?x and $x are the same variable


def is_keyword(tok: Token, keyword: str) -> bool:
    return tok.kind == "word" and tok.text.upper() == keyword


@dataclass
class _Block:
    """An ``EXISTS { ... }`` in a token list: keyword index, brace indexes."""

    keyword: int
    open: int
    close: int
    negated_from: int | None  # index of NOT when written NOT EXISTS


def matching(tokens: list[Token], open_kind: str, close_kind: str) -> dict[int, int]:
    pairs: dict[int, int] = {}
    stack: list[int] = []
    for i, tok in enumerate(tokens):
        if tok.kind == open_kind:
            stack.append(i)
        elif tok.kind == close_kind and stack:
            pairs[stack.pop()] = i
    return pairs


class _Rewriter:
    def __init__(self, query: str) -> None:
        self.t = templates()
        self.used = set(re.findall(r"[?$]([A-Za-z0-9_]+)", query))
        self.counter = 0
        self.rewritten = 0

    def flag(self) -> str:
        while True:
            self.counter += 1
            name = f"exists_{self.counter}"
            if name not in self.used:
                self.used.add(name)
                return "?" + name

    def blocks(self, tokens: list[Token], braces: dict[int, int]) -> list[_Block]:
        """The EXISTS blocks of ``tokens`` that are not inside another EXISTS block."""
        found: list[_Block] = []
        i = 0
        while i < len(tokens):
            tok = tokens[i]
            if (is_keyword(tok, self.t.keyword_exists) and i + 1 < len(tokens)
                    and tokens[i + 1].kind == "open" and i + 1 in braces):
                negated = i - 1 if i > 0 and is_keyword(tokens[i - 1], self.t.keyword_not) else None
                close = braces[i + 1]
                found.append(_Block(i, i + 1, close, negated))
                i = close + 1
                continue
            i += 1
        return found

    def rewrite(self, text: str, context: set[str]) -> str:
        tokens = tokenize(text)
        braces = matching(tokens, "open", "close")
        parens = matching(tokens, "lparen", "rparen")
        edits: list[tuple[int, int, str]] = []  # (start, end, replacement), end == start: insert
        for block in self.blocks(tokens, braces):
            inner_start = tokens[block.open].end
            inner_end = tokens[block.close].start
            start = tokens[block.negated_from if block.negated_from is not None
                           else block.keyword].start
            end = tokens[block.close].end
            outside = context | {var_name(t) for k, t in enumerate(tokens)
                                 if t.kind == "var" and not block.open <= k <= block.close}
            inner = self.rewrite(text[inner_start:inner_end], outside)
            plan = self._plan(tokens, braces, parens, block, inner, outside, len(text))
            if plan is None:
                edits.append((inner_start, inner_end, inner))
                continue
            insert_at, subselect, flag = plan
            replacement = (self.t.not_exists if block.negated_from is not None
                           else self.t.exists).replace("{flag}", flag)
            edits.append((start, end, replacement))
            edits.append((insert_at, insert_at, " " + subselect + " "))
            self.rewritten += 1
        for edit_start, edit_end, replacement in sorted(edits, key=lambda e: (e[0], e[1]),
                                                         reverse=True):
            text = text[:edit_start] + replacement + text[edit_end:]
        return text

    def _plan(self, tokens: list[Token], braces: dict[int, int], parens: dict[int, int],
              block: _Block, inner: str, outside: set[str], length: int
              ) -> tuple[int, str, str] | None:
        inner_tokens = tokenize(inner)
        if any(is_keyword(t, self.t.keyword_exists) for t in inner_tokens):
            return None  # a nested EXISTS stayed correlated: keep this one too
        bound_here, anywhere = _pattern_variables(inner_tokens)
        shared = anywhere & outside
        if not shared <= bound_here:
            return None  # correlated through an expression or a nested group only
        statement = self._statement(tokens, braces, parens, block)
        if statement is None:
            return None
        kind, head = statement
        if kind == "bind":
            insert_at = tokens[head].start
        else:
            group_close = _enclosing_close(tokens, braces, block.keyword)
            insert_at = tokens[group_close].start if group_close is not None else length
        flag = self.flag()
        subselect = (self.t.subselect
                     .replace("{shared}", " ".join("?" + v for v in sorted(shared)))
                     .replace("{flag}", flag)
                     .replace("{pattern}", inner))
        return insert_at, subselect, flag

    def _statement(self, tokens: list[Token], braces: dict[int, int], parens: dict[int, int],
                   block: _Block) -> tuple[str, int] | None:
        """The FILTER or BIND (at the block's own group level) whose expression holds it."""
        first = block.negated_from if block.negated_from is not None else block.keyword
        closes = {v: k for k, v in braces.items()}
        i = first - 1
        while i >= 0:
            tok = tokens[i]
            if tok.kind == "close" and i in closes:
                i = closes[i] - 1  # skip a sibling block, e.g. an earlier EXISTS
                continue
            if tok.kind in ("open", "close"):
                return None  # reached the group boundary: not inside FILTER/BIND
            if is_keyword(tok, self.t.keyword_filter) or is_keyword(tok, self.t.keyword_bind):
                kind = "bind" if is_keyword(tok, self.t.keyword_bind) else "filter"
                after = i + 1
                if after == first:
                    return kind, i  # FILTER NOT EXISTS { } / FILTER EXISTS { }
                if tokens[after].kind == "lparen" and parens.get(after, -1) > block.close:
                    return kind, i
                return None
            i -= 1
        return None


def _pattern_variables(tokens: list[Token]) -> tuple[set[str], set[str]]:
    """Variables in triple patterns at the top level of a group, and all variables."""
    bound: set[str] = set()
    every: set[str] = set()
    brace = paren = 0
    for tok in tokens:
        if tok.kind == "open":
            brace += 1
        elif tok.kind == "close":
            brace -= 1
        elif tok.kind == "lparen":
            paren += 1
        elif tok.kind == "rparen":
            paren -= 1
        elif tok.kind == "var":
            every.add(var_name(tok))
            if brace == 0 and paren == 0:
                bound.add(var_name(tok))
    return bound, every


def _enclosing_close(tokens: list[Token], braces: dict[int, int], index: int) -> int | None:
    best: int | None = None
    for open_index, close_index in braces.items():
        if open_index < index < close_index and (best is None or open_index > best):
            best = open_index
    return braces[best] if best is not None else None


@lru_cache(maxsize=512)
def decorrelate(query: str) -> tuple[str, int]:
    """The query with its correlated EXISTS rewritten, and how many were rewritten."""
    rewriter = _Rewriter(query)
    return rewriter.rewrite(query, set()), rewriter.rewritten
