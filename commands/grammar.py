"""The /fw grammar as data: specs declare each subcommand, one parser reads them all.

Subcommands never parse text themselves. They declare a ``CommandSpec`` (words,
options, flags, positional arguments, help) and receive an ``Invocation``; the
parser here owns quoting, suggestions and every usage error, so all commands
fail the same way and help can never drift from what is accepted.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from bot.errors import UsageError
from bot.service.use_cases import Access, UseCase, least_access

MAX_TEXT = 2000
DOUBLE_QUOTES = '"“”„'
SINGLE_QUOTES = "'‘’‚"
CLOSING_QUOTE = {'"': '"', "“": "”", "”": "”", "„": "“", "'": "'", "‘": "’", "’": "’", "‚": "‘"}
PHONE_DASHES = ("—", "–")  # phones turn `--` into an em or en dash
# Control (Cc) and format (Cf) characters: zero-width spaces, BOMs and bidi overrides
# that would garble a word when echoed back in Slack.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf"})
WORD_SHOWN = 40  # a user's word is echoed back at most this long

TOO_LONG = "That is too long for /fw ({length:,} characters; the limit is {limit:,})."
TOO_LONG_HINT = "Shorten it and try again."
UNCLOSED_QUOTE = "A quote is never closed: `{text}`."
UNCLOSED_QUOTE_HINT = "Close it with a matching quote: `{fixed}`"
UNKNOWN_COMMAND = "Unknown command `{word}`."
NO_COMMAND = "Start with a command, not `{word}`."
COMMAND_LIST = "Commands: {names}."
DID_YOU_MEAN = " Did you mean `{suggestion}`?"
UNKNOWN_OPTION = "Unknown option `{key}=` for `/fw {command}`."
UNKNOWN_FLAG = "Unknown flag `{word}` for `/fw {command}`."
UNEXPECTED_WORD = "Unexpected word `{word}` for `/fw {command}`."
TAKES = "`/fw {command}` takes {what}."
TAKES_NOTHING = "`/fw {command}` takes no options."
EMPTY_KEY = "Put an option name before `=` in `{word}`."
EMPTY_VALUE = "Option `{key}=` needs a value, e.g. `{key}={metavar}`."
REPEATED = "Option `{key}=` is given twice."
BAD_CHOICE = "`{key}={value}` is not allowed; choose one of {choices}."
MISSING_ARG = "`/fw {command}` needs {metavar}: {help}."
MISSING_OPTION = "`/fw {command}` needs `{key}=`: {help}."
USAGE_HINT = "Usage: `{usage}`"


class CommandUsageError(UsageError):
    """A usage error that knows which command it concerns, so the reply can point at its help."""

    def __init__(self, message: str, *, hint: str | None = None, command: str | None = None):
        super().__init__(message, hint=hint)
        self.command = command


@dataclass(frozen=True)
class ArgSpec:
    """A positional argument; a variadic one takes every remaining word."""

    name: str
    metavar: str
    help: str
    required: bool = False
    variadic: bool = False


@dataclass(frozen=True)
class OptionSpec:
    """A ``key=value`` option; ``choices`` (if any) lists the accepted values."""

    key: str
    metavar: str
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class FlagSpec:
    """A bare word that switches something on, such as ``dry-run`` (``--dry-run`` works too)."""

    name: str
    help: str


@dataclass(frozen=True)
class CommandSpec:
    """Everything the parser and the help pages know about one subcommand."""

    name: str
    summary: str
    usage: str
    help: str = ""
    aliases: tuple[str, ...] = ()
    args: tuple[ArgSpec, ...] = ()
    options: tuple[OptionSpec, ...] = ()
    flags: tuple[FlagSpec, ...] = ()
    examples: tuple[str, ...] = ()
    # What the command may do, as permission-checked use cases: the service enforces each
    # one's access; `/fw help` offers the command to whoever holds the least of them.
    use_cases: tuple[UseCase, ...] = ()

    @property
    def access(self) -> Access:
        return least_access(self.use_cases)

    @property
    def slugs(self) -> tuple[str, ...]:
        return (self.name, *self.aliases)

    def option(self, key: str) -> OptionSpec | None:
        return next((o for o in self.options if o.key == key), None)


@dataclass(frozen=True)
class Token:
    """One word of the text: ``key`` is set for ``key=value``; ``quoted`` if any part was quoted."""

    value: str
    raw: str
    key: str | None = None
    quoted: bool = False

    @property
    def bare(self) -> bool:
        return self.key is None and not self.quoted


@dataclass(frozen=True)
class Invocation:
    """A parsed /fw request: which command, and its arguments, options and flags."""

    spec: CommandSpec
    grammar: Grammar = field(repr=False, compare=False)
    args: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    options: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    flags: frozenset[str] = frozenset()
    wants_help: bool = False

    @property
    def command(self) -> str:
        return self.spec.name

    def arg(self, name: str) -> str | None:
        return self.args.get(name)

    def option(self, key: str) -> str | None:
        return self.options.get(key)


def shown(word: str) -> str:
    """A user's word made safe to put between backticks in a message."""
    word = word.replace("`", "'")
    return word if len(word) <= WORD_SHOWN else word[: WORD_SHOWN - 1] + "…"


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The nearest candidate, if any is close enough to be what the user meant."""
    matches = difflib.get_close_matches(word.casefold(), list(candidates), n=1, cutoff=0.6)
    return matches[0] if matches else None


def clean(text: str) -> str:
    """Drop control, zero-width and bidi characters; turn line breaks and tabs into spaces."""
    out = []
    for ch in text:
        if ch.isspace():
            out.append(" ")
        elif unicodedata.category(ch) not in INVISIBLE_CATEGORIES:
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).strip()


def tokenize(text: str) -> list[Token]:
    """Split cleaned text into tokens; quotes open at a word's start or right after ``=``."""
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        token, i = _read_token(text, i)
        tokens.append(token)
    return tokens


def _read_token(text: str, start: int) -> tuple[Token, int]:
    buf: list[str] = []
    key: str | None = None
    quoted = False
    value_start = True  # a quote here opens a quoted run; elsewhere it is a literal apostrophe
    i = start
    while i < len(text) and not text[i].isspace():
        ch = text[i]
        if value_start and (ch in DOUBLE_QUOTES or ch in SINGLE_QUOTES):
            family = DOUBLE_QUOTES if ch in DOUBLE_QUOTES else SINGLE_QUOTES
            end = next((j for j in range(i + 1, len(text)) if text[j] in family), None)
            if end is None:
                rest = shown(text[start:])
                raise CommandUsageError(
                    UNCLOSED_QUOTE.format(text=rest),
                    hint=UNCLOSED_QUOTE_HINT.format(fixed=rest + CLOSING_QUOTE[ch]),
                )
            buf.append(text[i + 1 : end])
            quoted = True
            value_start = False
            i = end + 1
            continue
        value_start = False
        if ch == "=" and key is None and not quoted:
            key = "".join(buf)
            buf = []
            value_start = True
        else:
            buf.append(ch)
        i += 1
    return Token(value="".join(buf), raw=text[start:i], key=key, quoted=quoted), i


def _dashless(word: str) -> str:
    """``--dry-run``, ``—dry-run`` and ``dry-run`` all name the flag ``dry-run``."""
    for dash in PHONE_DASHES:
        if word.startswith(dash):
            word = "--" + word[len(dash) :]
    return word.lstrip("-").casefold()


def _is_help(token: Token) -> bool:
    """``help``, ``--help``, ``-h`` (and ``—help`` from a phone) ask for a command's help."""
    if not token.bare:
        return False
    if token.value.casefold() == "help":
        return True
    return token.value[:1] in ("-", *PHONE_DASHES) and _dashless(token.value) in ("help", "h")


class Grammar:
    """The set of subcommands; parses text into an ``Invocation`` (longest slug first)."""

    def __init__(self, specs: Iterable[CommandSpec], *, help_command: str = "help") -> None:
        self.specs = tuple(specs)
        self._slugs: dict[tuple[str, ...], CommandSpec] = {}
        for spec in self.specs:
            for slug in spec.slugs:
                words = tuple(slug.casefold().split())
                if words in self._slugs:
                    raise ValueError(f"/fw {slug} is declared twice")
                self._slugs[words] = spec
        self._order = sorted(self._slugs, key=len, reverse=True)
        self.help_spec = self.find(help_command)
        if self.help_spec is None:
            raise ValueError(f"the help command `{help_command}` is not declared")

    def find(self, name: str) -> CommandSpec | None:
        """The command a name or alias (case-insensitive) stands for."""
        return self._slugs.get(tuple(name.casefold().split()))

    def command_named(self, name: str) -> CommandSpec:
        """Like ``find``, but an unknown name is a usage error with a suggestion."""
        spec = self.find(name)
        if spec is None:
            raise self._unknown_command(name)
        return spec

    def parse(self, text: str) -> Invocation:
        """Text after ``/fw`` -> Invocation; a ``CommandUsageError`` says what was meant."""
        if len(text) > MAX_TEXT:
            raise CommandUsageError(
                TOO_LONG.format(length=len(text), limit=MAX_TEXT), hint=TOO_LONG_HINT
            )
        tokens = tokenize(clean(text))
        assert self.help_spec is not None
        if not tokens or (len(tokens) == 1 and _is_help(tokens[0])):
            return Invocation(spec=self.help_spec, grammar=self)
        spec, rest = self._match(tokens)
        if any(_is_help(t) for t in rest):
            return Invocation(spec=spec, grammar=self, wants_help=True)
        return self._bind(spec, rest)

    def command_names(self) -> str:
        return ", ".join(f"`{s.name}`" for s in self.specs)

    # -- internals ---------------------------------------------------------
    def _match(self, tokens: list[Token]) -> tuple[CommandSpec, list[Token]]:
        for words in self._order:
            head = tokens[: len(words)]
            if len(head) == len(words) and all(
                t.bare and t.value.casefold() == w for t, w in zip(head, words, strict=True)
            ):
                return self._slugs[words], tokens[len(words) :]
        first = tokens[0]
        if first.key is not None:
            raise CommandUsageError(
                NO_COMMAND.format(word=shown(first.raw)),
                hint=COMMAND_LIST.format(names=self.command_names()),
            )
        raise self._unknown_command(first.value)

    def _unknown_command(self, word: str) -> CommandUsageError:
        message = UNKNOWN_COMMAND.format(word=shown(word))
        best = suggest(word, (" ".join(w) for w in self._slugs))
        if best:
            message += DID_YOU_MEAN.format(suggestion=best)
        return CommandUsageError(message, hint=COMMAND_LIST.format(names=self.command_names()))

    def _bind(self, spec: CommandSpec, tokens: list[Token]) -> Invocation:
        options: dict[str, str] = {}
        flags: set[str] = set()
        words: list[str] = []
        flag_names = {f.name for f in spec.flags}
        for token in tokens:
            if token.key is not None:
                key, value = self._option(spec, token, options)
                options[key] = value
            elif token.bare and _dashless(token.value) in flag_names:
                flags.add(_dashless(token.value))
            elif token.bare and token.value[:1] in ("-", *PHONE_DASHES):
                message = UNKNOWN_FLAG.format(word=shown(token.value), command=spec.name)
                raise self._unknown(spec, message, token.value)
            else:
                words.append(token.value)
        args = self._positionals(spec, words)
        for opt in spec.options:
            if opt.required and opt.key not in options:
                raise CommandUsageError(
                    MISSING_OPTION.format(command=spec.name, key=opt.key, help=opt.help),
                    hint=USAGE_HINT.format(usage=spec.usage),
                    command=spec.name,
                )
        return Invocation(
            spec=spec,
            grammar=self,
            args=MappingProxyType(args),
            options=MappingProxyType(options),
            flags=frozenset(flags),
        )

    def _option(self, spec: CommandSpec, token: Token, seen: Mapping[str, str]) -> tuple[str, str]:
        assert token.key is not None
        key = _dashless(token.key)
        if not key:
            raise CommandUsageError(EMPTY_KEY.format(word=shown(token.raw)), command=spec.name)
        opt = spec.option(key)
        if opt is None:
            message = UNKNOWN_OPTION.format(key=shown(key), command=spec.name)
            raise self._unknown(spec, message, key)
        if key in seen:
            raise CommandUsageError(REPEATED.format(key=key), command=spec.name)
        if not token.value:
            raise CommandUsageError(
                EMPTY_VALUE.format(key=key, metavar=opt.metavar), command=spec.name
            )
        if opt.choices and token.value not in opt.choices:
            message = BAD_CHOICE.format(
                key=key,
                value=shown(token.value),
                choices=", ".join(f"`{c}`" for c in opt.choices),
            )
            best = suggest(token.value, opt.choices)
            if best:
                message += DID_YOU_MEAN.format(suggestion=f"{key}={best}")
            raise CommandUsageError(message, command=spec.name)
        return key, token.value

    def _positionals(self, spec: CommandSpec, words: list[str]) -> dict[str, str]:
        args: dict[str, str] = {}
        remaining = list(words)
        for arg in spec.args:
            if not remaining:
                if arg.required:
                    raise CommandUsageError(
                        MISSING_ARG.format(command=spec.name, metavar=arg.metavar, help=arg.help),
                        hint=USAGE_HINT.format(usage=spec.usage),
                        command=spec.name,
                    )
                continue
            if arg.variadic:
                args[arg.name] = " ".join(remaining)
                remaining = []
            else:
                args[arg.name] = remaining.pop(0)
        if remaining:
            word = remaining[0]
            message = UNEXPECTED_WORD.format(word=shown(word), command=spec.name)
            raise self._unknown(spec, message, word, hint=USAGE_HINT.format(usage=spec.usage))
        return args

    def _unknown(
        self, spec: CommandSpec, message: str, word: str, *, hint: str | None = None
    ) -> CommandUsageError:
        """An unknown option, flag or extra word, with the nearest valid one suggested."""
        shown_as = {o.key: f"{o.key}=" for o in spec.options} | {f.name: f.name for f in spec.flags}
        best = suggest(_dashless(word), shown_as)
        if best:
            message += DID_YOU_MEAN.format(suggestion=shown_as[best])
        if hint is None:
            accepted = ", ".join(f"`{s}`" for s in shown_as.values())
            hint = (
                TAKES.format(command=spec.name, what=accepted)
                if accepted
                else TAKES_NOTHING.format(command=spec.name)
            )
        return CommandUsageError(message, hint=hint, command=spec.name)
