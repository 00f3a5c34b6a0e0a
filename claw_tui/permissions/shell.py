"""What a Bash command line would run: every simple command, the files it touches.

``analyze(command)`` parses a line the model wants to run (the model is treated as an
attacker: its text may come from a prompt injection) and lists, as :class:`SimpleCommand`
entries, every command bash would start for it, wherever it hides:

- across ``&&`` ``||`` ``;`` ``|`` ``&``, newlines and line continuations; in ``( )``,
  ``{ }``, ``$( )``, backticks, ``<( )`` ``>( )``, ``if``/``for``/``while`` bodies and
  function bodies; in the expansions of unquoted here-documents;
- inside wrappers, which are unwrapped into the command they run: ``bash/sh/zsh/dash/ksh -c``,
  ``eval``, ``exec``, ``command``, ``builtin``, ``time``, ``nohup``, ``nice``, ``ionice``,
  ``timeout``, ``stdbuf``, ``setsid``, ``chronic``, ``env`` (also ``env -S``), ``sudo``,
  ``doas``, ``su -c``, ``xargs``, ``find -exec/-execdir/-ok/-okdir``, ``fd -x/-X``,
  ``watch``, ``trap``, ``alias``; a shell fed a here-document or here-string runs it
  as a script, which is analysed in turn.

Words are given after quote removal, the way bash would pass them (``g'i't`` is ``git``,
``$'\\x67'it`` is ``git``, ``$'r\\0x'm`` is ``rm``). A word that still holds a parameter
expansion, a command substitution, a glob or a brace expansion is *dynamic*: its run-time
value is unknown. Leading ``VAR=value`` assignments are left out of ``argv`` and kept in
``assignments``; assigning one of the variables that make other programs run code
(``PATH``, ``LD_PRELOAD``, ``BASH_ENV``, ``GIT_*``, ``PAGER``, ... see ``DANGEROUS_ENV``)
sets ``dangerous_env``.

Every file a command line would read or write is listed as a :class:`PathAccess`:
redirect targets (``>`` ``>>`` ``>|`` ``&>`` ``<`` ``<>``; ``/dev/null`` and fd dups are
left out), files named to reading commands (``cat``, ``head``, ``grep``, ``rg``, ``sed``,
``awk``, ``jq``, ``source`` ...; ``grep -r`` and ``rg`` read whole directories:
``recursive``), and destinations of writing commands (``cp``, ``mv``, ``ln``, ``tee``,
``touch``, ``rm``, ``dd of=``, ``curl -o``, ``wget`` ...).

What counts as *dangerous* (``SimpleCommand.dangerous``: a prefix rule such as
``Bash(git diff:*)`` must not cover the command, because an option turns it into something
else, usually running arbitrary code or writing arbitrary files):

- git: ``-c``, ``--config-env``, ``--exec-path=``, ``--git-dir``, unknown global options;
  ``--output``; ``--ext-diff``/``--textconv``; ``git grep -O``; ``git config`` that writes;
  ``submodule foreach``, ``bisect run``, ``rebase -x/--exec``, ``difftool/mergetool -x``,
  ``filter-branch``, ``hook run``, ``instaweb``, ``--upload-pack``/``--receive-pack``/
  ``--exec``, ``clone -c/--config/--template``, ``ext::`` remotes, ``send-email`` command
  options. ``git -C dir`` is allowed but recorded in ``changes_directory``.
- find ``-exec -execdir -ok -okdir -delete -fprint -fprint0 -fprintf -fls``; fd ``-x -X``.
- rg ``--pre`` ``--hostname-bin``; ag ``--pager``; sort ``--compress-program``.
- sed ``-i``/``--in-place``, ``-f``, and script commands ``e`` ``w`` ``W`` ``r`` ``R`` and the
  ``e``/``w`` flags of ``s``; awk programs using ``system``, ``|`` or ``print >``, and
  ``-f``/``-i``/``-l``/``-E``/``-o``/``-p``/``-d``.
- tar ``--to-command``, ``--use-compress-program``/``-I``, ``--checkpoint-action``,
  ``--info-script``/``-F``, ``--new-volume-script``, ``--rsh-command``, ``--rmt-command``;
  zip ``-TT``/``--unzip-command``.
- less/more ``+cmd`` and lesskey options, man ``-P``/``--pager``/``-H``/``--html``: these pagers
  are otherwise prefix-matchable (in the Bash tool they have no terminal to spawn shells from).
- vim family ``-c``, ``+cmd``, ``--cmd``, ``-S``, ``-u``.
- go ``generate``, ``-exec``, ``-toolexec``, ``-vettool``, ``env -w``; ``go run`` is not
  dangerous (running the code is what a ``go run`` rule grants).
- rsync ``-e``/``--rsh``/``--rsync-path``; ssh/scp/sftp ``-F``, ``-S``, ``-o ProxyCommand``/
  ``LocalCommand``/``PermitLocalCommand``/``KnownHostsCommand``; wget ``-e``/``--execute``/
  ``--use-askpass``; curl ``-K``/``--config``.
- Any dynamic argument of these tools that could turn into an option (``rg x $FLAGS``,
  ``find . $ARGS``, ``rg foo *`` where a file may be named ``--pre=...``), except after
  ``--`` and except the double-quoted value of a message option (``git commit -m "$(...)"``).
- Interpreters (sh, bash, python, perl, node, ruby, php ...) reading their program from a
  pipe (``curl x | sh``): arbitrary code the rule's author never saw.
- ``xargs`` running a shell; ``eval``/``bash -c``/``watch`` with a script computed at run time;
  name-taking builtins given an array subscript with a command substitution (bash evaluates
  subscripts arithmetically, which runs them).

Choices: interpreters with inline code (``python -c``, ``node -e``, ``perl -e``) are covered by
a rule for the interpreter (``Bash(python:*)`` grants arbitrary Python; ``Bash(python -m
pytest:*)`` does not cover ``python -c`` because the words differ). ``npm``/``yarn``/``pnpm``
running package scripts are prefix-matchable: the user chose the script. ``ssh host cmd`` runs
``cmd`` remotely and is left to ``Bash(ssh:*)``. Aliases are not expanded (bash -c does not
expand them); ``alias x='...'`` values are analysed as scripts so deny rules see them.

Whatever bashlex 0.18 cannot parse (``case``, ``[[ ]]``, ``$(( ))``, ``select``, ``coproc``,
arrays) and whatever this module cannot account for character by character is reported as
``unparseable``: a caller must ask, never allow. bashlex is also cross-checked: every character
of the line must belong to a node it produced or be blank, an operator or a comment, and every
word is re-read here with bash's quoting rules (bashlex mis-reads ``$'...'``).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = [
    "DANGEROUS_ENV",
    "PathAccess",
    "ShellAnalysis",
    "SimpleCommand",
    "Word",
    "analyze",
    "parse_words",
]

# Variables that make the commands run after them load or run other code, or read config
# from elsewhere. Setting one makes a prefix rule stop matching.
DANGEROUS_ENV = frozenset(
    {
        "PATH", "LD_PRELOAD", "LD_LIBRARY_PATH", "LD_AUDIT", "BASH_ENV", "ENV", "SHELLOPTS",
        "BASHOPTS", "IFS", "PS4", "PROMPT_COMMAND", "HOME", "XDG_CONFIG_HOME", "ZDOTDIR",
        "PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONUSERBASE", "PYTHONEXECUTABLE",
        "PERL5LIB", "PERL5OPT", "PERLLIB", "RUBYLIB", "RUBYOPT", "NODE_OPTIONS", "NODE_PATH",
        "PAGER", "EDITOR", "VISUAL", "MANPAGER", "MANOPT", "LESSOPEN", "LESSCLOSE", "LESSKEY",
        "BROWSER", "SSH_ASKPASS", "SUDO_ASKPASS", "GOFLAGS", "GOENV", "CC", "CXX", "CPP", "LD",
        "AR", "MAKEFLAGS", "MAKEFILES", "RUSTC_WRAPPER", "RUSTC", "RUSTFLAGS",
        "JAVA_TOOL_OPTIONS", "_JAVA_OPTIONS", "JDK_JAVA_OPTIONS", "RIPGREP_CONFIG_PATH",
        "SHELL", "TAR_OPTIONS", "GREP_OPTIONS", "WGETRC", "CURL_HOME", "GNUPGHOME",
        "GIT_SSH", "GIT_SSH_COMMAND", "GIT_EXTERNAL_DIFF", "GIT_PAGER", "GIT_EDITOR",
        "GIT_SEQUENCE_EDITOR", "GIT_ASKPASS", "GIT_EXEC_PATH", "GIT_DIR", "GIT_WORK_TREE",
        "GIT_TEMPLATE_DIR", "GIT_PROXY_COMMAND", "GIT_CONFIG", "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM", "GIT_CONFIG_COUNT", "GIT_CONFIG_PARAMETERS",
    }
)
_DANGEROUS_ENV_PREFIXES = ("LD_", "DYLD_", "GIT_CONFIG_", "BASH_FUNC_", "NPM_CONFIG_", "CARGO_", "PIP_")
# GIT_* variables that only name people and dates.
_SAFE_GIT_ENV = frozenset(
    {"GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_AUTHOR_DATE", "GIT_COMMITTER_NAME",
     "GIT_COMMITTER_EMAIL", "GIT_COMMITTER_DATE", "GIT_TERMINAL_PROMPT", "GIT_OPTIONAL_LOCKS"}
)


def is_dangerous_env(name: str) -> bool:
    upper = name.upper()
    if upper in DANGEROUS_ENV or upper.startswith(_DANGEROUS_ENV_PREFIXES):
        return True
    return upper.startswith("GIT_") and upper not in _SAFE_GIT_ENV


# Redirect targets that touch no file.
_HARMLESS_WRITE = frozenset({"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/fd/1", "/dev/fd/2"})
_HARMLESS_READ = frozenset({"/dev/null", "/dev/stdin", "/dev/zero", "/dev/urandom", "/dev/random", "/dev/tty", "/dev/fd/0"})

_SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "mksh", "ash", "yash", "posh", "busybox"})
_INTERPRETERS = frozenset(
    {"python", "python2", "python3", "pypy", "pypy3", "perl", "ruby", "node", "nodejs", "deno",
     "bun", "php", "lua", "luajit", "tclsh", "Rscript", "osascript", "pwsh", "fish", "csh", "tcsh"}
)
_MAX_DEPTH = 16
_MAX_LENGTH = 200_000


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, slots=True)
class Word:
    """One argument after quote removal.

    ``text`` is the literal value; where the word holds an expansion its source text is kept in
    place (``--out=$X``) and ``dynamic`` is set. ``may_be_option``: at run time the word could
    start with ``-`` or split into several words, one of which could.
    """

    text: str
    dynamic: bool = False
    may_be_option: bool = False
    splittable: bool = False  # an unquoted expansion or glob: may become several words

    def __str__(self) -> str:
        return self.text


@dataclass(frozen=True, slots=True)
class PathAccess:
    """A file the line reads or writes, as written (relative to the shell's working directory;
    ``~`` not expanded). ``dynamic`` paths hold expansions and cannot be resolved statically."""

    access: Literal["read", "write"]
    path: str
    origin: Literal["redirect", "argument"]
    dynamic: bool = False
    recursive: bool = False  # a directory read as a whole (grep -r, rg) or removed as a whole
    command: str = ""  # the simple command it belongs to, for messages


@dataclass(frozen=True, slots=True)
class SimpleCommand:
    words: tuple[Word, ...]
    assignments: tuple[tuple[str, str], ...] = ()
    dangerous_env: tuple[str, ...] = ()
    dangerous: tuple[str, ...] = ()  # why a prefix rule must not cover it
    notes: tuple[str, ...] = ()  # worth showing, not a reason to refuse
    # A wrapper (timeout, nohup, bash -c, xargs ...) whose inner commands are listed after it
    # and judged on their own; allow rules need not cover the wrapper itself.
    transparent: bool = False
    via: tuple[str, ...] = ()  # how it is reached: ("$()",), ("bash -c",), ("xargs",) ...
    appends_args: bool = False  # more arguments are added at run time (xargs, find -exec {} +)
    # Runs code this analysis cannot see (a script piped into a shell, eval "$x"): it may be
    # anything, so every deny rule may match it.
    opaque: bool = False

    @property
    def argv(self) -> tuple[str, ...]:
        return tuple(w.text for w in self.words)

    @property
    def name(self) -> str:
        return self.words[0].text if self.words else ""

    @property
    def name_dynamic(self) -> bool:
        return bool(self.words) and self.words[0].dynamic

    @property
    def has_dynamic_words(self) -> bool:
        return any(w.dynamic for w in self.words)

    def display(self) -> str:
        env = " ".join(f"{k}={v}" for k, v in self.assignments)
        return " ".join(filter(None, [env, " ".join(_display_word(w) for w in self.words)]))


@dataclass(frozen=True, slots=True)
class ShellAnalysis:
    command: str
    commands: tuple[SimpleCommand, ...] = ()
    paths: tuple[PathAccess, ...] = ()
    unparseable: str | None = None  # why the line could not be analysed: ask, never allow
    changes_directory: bool = False  # cd/pushd/popd/git -C/env -C: relative paths may move
    defines_functions: tuple[str, ...] = ()
    sets_dangerous_env: tuple[str, ...] = ()  # export PATH=..., bare LD_PRELOAD=... affect what follows

    @property
    def ok(self) -> bool:
        return self.unparseable is None

    @property
    def redirects(self) -> tuple[PathAccess, ...]:
        return tuple(p for p in self.paths if p.origin == "redirect")

    @property
    def reads(self) -> tuple[PathAccess, ...]:
        return tuple(p for p in self.paths if p.access == "read")

    @property
    def writes(self) -> tuple[PathAccess, ...]:
        return tuple(p for p in self.paths if p.access == "write")

    @property
    def has_dynamic_command(self) -> bool:
        return any(c.name_dynamic for c in self.commands)


def _display_word(w: Word) -> str:
    if w.text and re.fullmatch(r"[A-Za-z0-9_@%+=:,./{}-]+", w.text):
        return w.text
    return "'" + w.text.replace("'", "'\\''") + "'"


class _Unparseable(Exception):
    pass


# --------------------------------------------------------------------------- bashlex


@functools.cache
def _bashlex() -> Any:
    """bashlex, imported on first use (its grammar tables take ~0.1 s to load), with its
    here-document reader fixed to compare the delimiter after quote removal: 0.18 compares
    ``'EOF'`` quotes and all and so cannot read ``cat <<'EOF'``, which agents write a lot."""
    import bashlex
    import bashlex.heredoc

    original = bashlex.heredoc.makeheredoc

    def makeheredoc(tokenizer: Any, redirnode: Any, lineno: int, killleading: bool) -> Any:
        word = redirnode.output.word
        redirnode.output.word = re.sub(r"[\"'\\]", "", word)
        try:
            return original(tokenizer, redirnode, lineno, killleading)
        finally:
            redirnode.output.word = word

    if not getattr(original, "_claw_patched", False):
        makeheredoc._claw_patched = True  # type: ignore[attr-defined]
        bashlex.heredoc.makeheredoc = makeheredoc

    # 0.18 loops forever, allocating, on an unclosed ${ inside $'...' (its scanner gets index
    # -1 from str.find and starts over): a model could hang claw with `echo $'${'`. An
    # expansion that does not move forward is an error instead.
    paramexpand = bashlex.subst._paramexpand

    def checked_paramexpand(parserobj: Any, string: str, sindex: int) -> Any:
        node, zindex = paramexpand(parserobj, string, sindex)
        if zindex <= sindex:
            raise bashlex.errors.ParsingError("bad substitution", string, sindex)
        return node, zindex

    if not getattr(paramexpand, "_claw_patched", False):
        checked_paramexpand._claw_patched = True  # type: ignore[attr-defined]
        bashlex.subst._paramexpand = checked_paramexpand
    return bashlex


def _parse(src: str) -> list[Any]:
    bashlex = _bashlex()
    try:
        return list(bashlex.parse(src))
    except NotImplementedError as exc:
        raise _Unparseable(f"uses shell syntax the analyser does not support ({_short(str(exc))})") from None
    except bashlex.errors.ParsingError as exc:
        raise _Unparseable(f"could not parse: {_short(str(exc))}") from None
    except RecursionError:
        raise _Unparseable("nested too deeply to analyse") from None
    except Exception as exc:  # bashlex has internal asserts and index errors on odd input
        raise _Unparseable(f"could not parse ({type(exc).__name__})") from None


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _children(n: Any) -> list[Any]:
    out = []
    for value in n.__dict__.values():
        if _is_node(value):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if _is_node(v))
    return out


def _is_node(v: Any) -> bool:
    return hasattr(v, "kind") and hasattr(v, "__dict__")


def _max_end(n: Any) -> int:
    end = n.pos[1] if hasattr(n, "pos") else 0
    for child in _children(n):
        end = max(end, _max_end(child))
    return end


# --------------------------------------------------------------------------- words

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_SPECIAL_PARAMS = set("@*#?$!-0123456789")
_ANSI_SIMPLE = {
    "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n", "r": "\r",
    "t": "\t", "v": "\v", "\\": "\\", "'": "'", '"': '"', "?": "?",
}


@dataclass
class _Lexed:
    word: Word
    subs: list[Any] = field(default_factory=list)  # command/process substitution nodes


class _WordLexer:
    """Re-reads a word's source with bash's quoting rules; substitutions are located with the
    help of the nodes bashlex made for them, and a disagreement makes the line unparseable."""

    def __init__(self, src: str) -> None:
        self.src = src

    def lex(self, node: Any) -> _Lexed:
        start, end = node.pos
        parts: dict[int, Any] = {}
        for p in getattr(node, "parts", None) or []:
            parts.setdefault(p.pos[0], p)
        src = self.src
        chunks: list[tuple[str, str]] = []  # (text, how): "q" quoted literal, "u" unquoted, "x" expansion
        subs: list[Any] = []
        dynamic = split = False
        i, dq = start, False
        while i < end:
            c = src[i]
            nxt = src[i + 1] if i + 1 < end else ""
            if dq:
                if c == '"':
                    dq = False
                    i += 1
                elif c == "\\" and nxt in '$`"\\\n' and nxt:
                    if nxt != "\n":
                        chunks.append((nxt, "q"))
                    i += 2
                elif c == "$" and nxt == "[":
                    raise _Unparseable("arithmetic expansion $[ ] is not analysed")
                elif c in "$`" and (c == "`" or nxt in "({" or nxt in _SPECIAL_PARAMS or _NAME.match(nxt or " ")):
                    j = self._expansion(i, end, parts, subs)
                    chunks.append((src[i:j], "x"))
                    dynamic = True
                    i = j
                else:
                    chunks.append((c, "q"))
                    i += 1
                continue
            if c == "\\":
                if nxt == "\n":
                    i += 2
                elif nxt:
                    chunks.append((nxt, "q"))
                    i += 2
                else:
                    chunks.append(("\\", "q"))
                    i += 1
            elif c == "'":
                j = src.find("'", i + 1, end)
                if j < 0:
                    raise _Unparseable("unterminated single quote")
                chunks.append((src[i + 1 : j], "q"))
                i = j + 1
            elif c == '"':
                dq = True
                i += 1
            elif c == "$" and nxt == "'":
                text, i = self._ansi_c(i + 2, end)
                chunks.append((text, "q"))
            elif c == "$" and nxt == '"':
                dq = True
                i += 2
            elif c == "$" and nxt == "[":
                raise _Unparseable("arithmetic expansion $[ ] is not analysed")
            elif (c == "$" and (nxt in "({" or nxt in _SPECIAL_PARAMS or _NAME.match(nxt or " "))) or c == "`":
                j = self._expansion(i, end, parts, subs)
                chunks.append((src[i:j], "x"))
                dynamic = split = True
                i = j
            elif c in "<>" and nxt == "(":
                j = self._expansion(i, end, parts, subs)
                chunks.append((src[i:j], "x"))
                dynamic = True
                i = j
            elif c in " \t\n;&|()<>":
                raise _Unparseable(f"unexpected {c!r} inside a word")
            else:
                chunks.append((c, "u"))
                i += 1
        if dq:
            raise _Unparseable("unterminated double quote")
        text = "".join(t for t, _ in chunks)
        # Globs and brace expansion only happen to unquoted characters.
        view = "".join(t if how == "u" else ("\0" * len(t)) for t, how in chunks)
        if re.search(r"[*?]|\[.*\]", view) or re.search(r"\{[^{}]*(,|\.\.)[^{}]*\}", view):
            dynamic = split = True
        if not chunks:
            may_be_option = False
        elif split:
            may_be_option = True
        else:
            first_text, first_how = chunks[0]
            may_be_option = first_how == "x" or (not first_text) or first_text.startswith("-")
        return _Lexed(Word(text, dynamic, may_be_option if dynamic else text.startswith("-"), split), subs)

    def _expansion(self, i: int, end: int, parts: dict[int, Any], subs: list[Any]) -> int:
        src = self.src
        c, nxt = src[i], src[i + 1] if i + 1 < end else ""
        if c == "$" and nxt not in "({":
            if nxt in _SPECIAL_PARAMS:
                return i + 2
            m = _NAME.match(src, i + 1, end)
            assert m is not None
            return m.end()
        if src.startswith("$((", i):
            raise _Unparseable("arithmetic expansion $(( )) is not analysed")
        part = parts.get(i)
        if c == "$" and nxt == "{":
            if part is None or part.kind != "parameter":
                raise _Unparseable("could not read a ${...} expansion")
            _check_parameter(getattr(part, "value", "") or "")
            return part.pos[1]
        want = "processsubstitution" if c in "<>" else "commandsubstitution"
        if part is None or part.kind != want:
            raise _Unparseable("could not locate a substitution's command")
        close = "`" if c == "`" else ")"
        stop = part.pos[1]
        last = _max_end(part)
        if last > stop:  # bashlex ends $( ) early when it holds a here-document
            stop = last
            while stop < end and src[stop] in " \t\n;":
                stop += 1
            if stop >= end or src[stop] != close:
                raise _Unparseable("could not find the end of a substitution")
            stop += 1
        elif src[stop - 1] != close:
            raise _Unparseable("could not find the end of a substitution")
        subs.append(part)
        return stop

    def _ansi_c(self, i: int, end: int) -> tuple[str, int]:
        """$'...' with bash's escapes; a NUL ends the string's value (bash truncates there)."""
        src, out, cut = self.src, [], False
        while True:
            if i >= end:
                raise _Unparseable("unterminated $'...' string")
            c = src[i]
            if c == "'":
                return "".join(out), i + 1
            if c != "\\" or i + 1 >= end:
                ch, i = c, i + 1
            else:
                e = src[i + 1]
                i += 2
                if e in _ANSI_SIMPLE:
                    ch = _ANSI_SIMPLE[e]
                elif e in "01234567":
                    m = re.compile(r"[0-7]{0,2}").match(src, i, end)
                    assert m is not None
                    ch, i = chr(int(e + m.group(), 8) & 0xFF), m.end()
                elif e in "xuU":
                    width = {"x": 2, "u": 4, "U": 8}[e]
                    m = re.compile(r"[0-9A-Fa-f]{1,%d}" % width).match(src, i, end)
                    if not m:
                        ch = "\\" + e
                    else:
                        try:
                            ch = chr(int(m.group(), 16))
                        except (ValueError, OverflowError):
                            raise _Unparseable("invalid escape in $'...'") from None
                        i = m.end()
                elif e == "c" and i < end:
                    ch = chr(ord(src[i].upper()) ^ 0x40) if src[i] != "?" else "\x7f"
                    i += 1
                else:
                    ch = "\\" + e
            if ch == "\0":
                cut = True
            if not cut:
                out.append(ch)


def _check_parameter(value: str) -> None:
    """Refuse ${...} forms that can run code: substitutions inside, prompt expansion (@P),
    arithmetic on names (array subscripts and substring offsets evaluate ``a[$(cmd)]``)."""
    if any(s in value for s in ("$(", "`", "<(", ">(")):
        raise _Unparseable("a command substitution inside ${...} is not analysed")
    m = re.match(r"[#!]?([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[@*#?$!-])", value)
    if not m:
        raise _Unparseable(f"unusual parameter expansion ${{{_short(value, 30)}}}")
    rest = value[m.end():]
    if rest.startswith("["):
        close = rest.find("]")
        if close < 0 or not re.fullmatch(r"\s*(-?\d+|@|\*)\s*", rest[1:close]):
            raise _Unparseable("array subscripts are evaluated as arithmetic, which can run commands")
        rest = rest[close + 1 :]
    if rest.startswith(":") and rest[1:2] not in ("-", "=", "?", "+"):
        if not re.fullmatch(r":\s*-?\s*\d*\s*(:\s*-?\s*\d*\s*)?", rest):
            raise _Unparseable("substring offsets are evaluated as arithmetic, which can run commands")
    if rest.startswith("@") and rest[1:] not in ("Q", "E", "U", "u", "L", "a", "K", "k"):
        raise _Unparseable("prompt expansion ${x@P} can run commands")


def parse_words(text: str) -> tuple[Word, ...] | None:
    """The words of a rule's command text (``git diff`` in ``Bash(git diff:*)``), read with the
    same quoting rules as commands; None if it is not a single plain command."""
    try:
        trees = _parse(text)
    except _Unparseable:
        return None
    if len(trees) != 1 or trees[0].kind != "command":
        return None
    lexer = _WordLexer(text)
    words = []
    for p in trees[0].parts:
        if p.kind != "word":
            return None
        try:
            words.append(lexer.lex(p).word)
        except _Unparseable:
            return None
    return tuple(words)


# --------------------------------------------------------------------------- analysis


@dataclass
class _Stdin:
    kind: Literal["pipe", "heredoc", "herestring", "file"]
    text: str = ""
    dynamic: bool = False


class _Analyzer:
    def __init__(self) -> None:
        self.commands: list[SimpleCommand] = []
        self.paths: list[PathAccess] = []
        self.changes_directory = False
        self.functions: list[str] = []
        self.global_env: list[str] = []
        self.via: tuple[str, ...] = ()  # of the command being inspected, for commands found inside it
        self.opaque = False  # set by a check when the command being inspected runs unseen code

    # -- scripts ---------------------------------------------------------------

    def script(self, src: str, via: tuple[str, ...]) -> None:
        if len(via) > _MAX_DEPTH:
            raise _Unparseable("nested too deeply to analyse")
        if "\0" in src:
            raise _Unparseable("contains a NUL character")
        if re.fullmatch(r"(\s|#[^\n]*)*", src):
            return  # blank or only comments: runs nothing (bashlex raises on it)
        m = re.match(r"\s*time(\s+-p)?[ \t]+(?=\S)", src)
        if m and not src[m.end():].startswith(("-", "#")):
            # bashlex does not know the `time` keyword; a leading one is a transparent wrapper.
            self._record(SimpleCommand((Word("time"),), transparent=True, via=via))
            src = " " * m.end() + src[m.end():]
        trees = _parse(src)
        _check_coverage(src, trees)
        lexer = _WordLexer(src)
        for tree in trees:
            self._node(tree, lexer, via, piped=False)

    def _record(self, cmd: SimpleCommand) -> None:
        self.commands.append(cmd)

    def _path(self, access: Literal["read", "write"], word: Word, origin: Literal["redirect", "argument"],
              command: str, *, recursive: bool = False) -> None:
        path = word.text
        if not path or path == "-" or path == "{}" or path.startswith(("<(", ">(")):
            return  # stdin/stdout, find's placeholder, a process substitution's pipe
        if not word.dynamic and path in (_HARMLESS_WRITE if access == "write" else _HARMLESS_READ):
            return
        self.paths.append(PathAccess(access, path, origin, word.dynamic, recursive, command))

    # -- nodes -----------------------------------------------------------------

    def _node(self, n: Any, lexer: _WordLexer, via: tuple[str, ...], *, piped: bool) -> None:
        k = n.kind
        if k == "list":
            for p in n.parts:
                if p.kind != "operator":
                    self._node(p, lexer, via, piped=False)
        elif k == "pipeline":
            first = True
            for p in n.parts:
                if p.kind in ("pipe", "reservedword"):
                    continue
                self._node(p, lexer, via, piped=not first)
                first = False
        elif k == "compound":
            raw = lexer.src[n.pos[0] : n.pos[0] + 2]
            if raw == "((":
                raise _Unparseable("arithmetic command (( )) is not analysed")
            for p in n.list:
                if p.kind != "reservedword":
                    self._node(p, lexer, via, piped=piped)
            for r in getattr(n, "redirects", None) or []:
                self._redirect(r, lexer, via, "( ... )")
        elif k in ("if", "while", "until"):
            for p in n.parts:
                if p.kind != "reservedword":
                    self._node(p, lexer, via, piped=False)
        elif k == "for":
            words = [p for p in n.parts if p.kind == "word"]
            for w in words[1:]:  # words[0] is the loop variable
                self._substitutions(lexer.lex(w), lexer, via)
            for p in n.parts:
                if p.kind not in ("reservedword", "word"):
                    self._node(p, lexer, via, piped=False)
        elif k == "function":
            name = n.name.word if _is_node(n.name) else str(n.name)
            self.functions.append(name)
            self._node(n.body, lexer, via + (f"function {name}",), piped=False)
        elif k == "command":
            self._simple_node(n, lexer, via, piped=piped)
        elif k in ("reservedword", "operator", "pipe"):
            return
        else:
            raise _Unparseable(f"unsupported construct {k!r}")

    def _substitutions(self, lexed: _Lexed, lexer: _WordLexer, via: tuple[str, ...]) -> None:
        for sub in lexed.subs:
            tag = "<()" if sub.kind == "processsubstitution" else "$()"
            self._node(sub.command, lexer, via + (tag,), piped=False)

    def _simple_node(self, n: Any, lexer: _WordLexer, via: tuple[str, ...], *, piped: bool) -> None:
        assigns: list[tuple[str, Word]] = []
        words: list[Word] = []
        redirects: list[Any] = []
        for p in n.parts:
            if p.kind == "assignment" and not words:
                lexed = lexer.lex(p)
                self._substitutions(lexed, lexer, via)
                name, _, value = lexed.word.text.partition("=")
                name = name.rstrip("+")
                if not _NAME.fullmatch(name):
                    raise _Unparseable(f"unusual assignment {_short(lexed.word.text, 30)}")
                assigns.append((name, Word(value, lexed.word.dynamic)))
            elif p.kind in ("word", "assignment"):
                lexed = lexer.lex(p)
                self._substitutions(lexed, lexer, via)
                words.append(lexed.word)
            elif p.kind == "redirect":
                redirects.append(p)
            else:
                raise _Unparseable(f"unsupported command part {p.kind!r}")
        display = " ".join(w.text for w in words[:4])
        stdin = _Stdin("pipe") if piped else None
        for r in redirects:
            got = self._redirect(r, lexer, via, display)
            if got is not None:
                stdin = got
        self.simple(words, assigns, via, stdin)

    def _redirect(self, r: Any, lexer: _WordLexer, via: tuple[str, ...], display: str) -> _Stdin | None:
        kind = r.type
        out = r.output
        if not _is_node(out):  # 2>&1, >&-, <&0: fd duplication
            return None
        lexed = lexer.lex(out)
        self._substitutions(lexed, lexer, via)
        target = lexed.word
        if kind in ("<<", "<<-"):
            heredoc = r.heredoc
            if heredoc is None:
                raise _Unparseable("here-document without a body")
            body = heredoc.value
            delimiter = re.sub(r"[\"'\\]", "", out.word)
            lines = body.split("\n")
            if lines and lines[-1].lstrip("\t") == delimiter:
                lines = lines[:-1]
            body = "\n".join(lines) + ("\n" if lines else "")
            quoted = any(ch in lexer.src[out.pos[0] : out.pos[1]] for ch in "'\"\\")
            dynamic = False
            if not quoted:
                dynamic = self._heredoc_expansions(body, via)
            return _Stdin("heredoc", body, dynamic)
        if kind == "<<<":
            return _Stdin("herestring", target.text + "\n", target.dynamic)
        if kind in (">&", "<&") and re.fullmatch(r"\d+|-", target.text):
            return None
        if kind == "<":
            self._path("read", target, "redirect", display)
            return _Stdin("file", target.text, target.dynamic)
        if kind == "<>":
            self._path("read", target, "redirect", display)
        if kind in (">", ">>", ">|", "&>", "&>>", "<>", ">&"):
            self._path("write", target, "redirect", display)
            return None
        raise _Unparseable(f"unsupported redirection {kind!r}")

    def _heredoc_expansions(self, body: str, via: tuple[str, ...]) -> bool:
        """An unquoted here-document's $( ), backticks and ${ } run before the command reads it."""
        dynamic = False
        i, n = 0, len(body)
        while i < n:
            c = body[i]
            if c == "\\":
                i += 2
                continue
            if c == "`":
                j = i + 1
                while j < n and body[j] != "`":
                    j += 2 if body[j] == "\\" else 1
                if j >= n:
                    raise _Unparseable("unterminated backquote in a here-document")
                inner = re.sub(r"\\([$`\\])", r"\1", body[i + 1 : j])
                self.script(inner, via + ("`` in here-document",))
                dynamic, i = True, j + 1
                continue
            if c == "$" and body.startswith(("$((", "$["), i):
                raise _Unparseable("arithmetic expansion $(( )) is not analysed")
            if c == "$" and body.startswith("$(", i):
                j = _matching_paren(body, i + 2)
                self.script(body[i + 2 : j], via + ("$() in here-document",))
                dynamic, i = True, j + 1
                continue
            if c == "$" and body.startswith("${", i):
                j = body.find("}", i)
                if j < 0:
                    raise _Unparseable("unterminated ${ in a here-document")
                _check_parameter(body[i + 2 : j])
                dynamic, i = True, j + 1
                continue
            if c == "$" and i + 1 < n and (body[i + 1] in _SPECIAL_PARAMS or _NAME.match(body[i + 1])):
                dynamic = True
            i += 1
        return dynamic

    # -- simple commands -------------------------------------------------------

    def simple(self, words: list[Word], assigns: list[tuple[str, Word]], via: tuple[str, ...],
               stdin: _Stdin | None, *, appends_args: bool = False, extra: tuple[str, ...] = ()) -> None:
        if len(via) > _MAX_DEPTH:
            raise _Unparseable("nested too deeply to analyse")
        env = tuple((k, v.text) for k, v in assigns)
        bad_env = tuple(k for k, _ in assigns if is_dangerous_env(k))
        if not words:
            # Bare assignments and redirect-only lines run nothing, but assignments stay in
            # force for the rest of the line.
            self.global_env.extend(bad_env)
            self._record(SimpleCommand((), env, bad_env, extra, via=via))
            return
        head = words[0]
        if head.dynamic:
            self._record(SimpleCommand(tuple(words), env, bad_env, extra + ("its command name is computed at run time",),
                                       via=via, appends_args=appends_args))
            return
        name = head.text.rsplit("/", 1)[-1]
        unwrap = _WRAPPERS.get(name)
        if unwrap is not None:
            result = unwrap(self, words, stdin)
            if result is not None:
                self._wrapper(result, words, assigns, env, bad_env, via, stdin, appends_args, extra, name)
                return
        self.via, self.opaque = via, False
        reasons, notes = _inspect(self, name, words, stdin)
        self._record(SimpleCommand(tuple(words), env, bad_env, extra + tuple(reasons), tuple(notes),
                                   via=via, appends_args=appends_args, opaque=self.opaque))

    def _wrapper(self, w: _Unwrapped, words: list[Word], assigns: list[tuple[str, Word]],
                 env: tuple[tuple[str, str], ...], bad_env: tuple[str, ...], via: tuple[str, ...],
                 stdin: _Stdin | None, appends_args: bool, extra: tuple[str, ...], name: str) -> None:
        reasons = list(extra) + w.reasons
        if w.script is not None and w.script.dynamic:
            reasons.append(f"{name} runs a script computed at run time")
        if w.stdin_script is not None and w.stdin_script.dynamic:
            reasons.append(f"{name} runs a script that expands variables or commands before it is read")
        opaque = w.opaque or any(x is not None and x.dynamic for x in (w.script, w.stdin_script))
        self._record(SimpleCommand(tuple(words), env, bad_env, tuple(reasons), tuple(w.notes),
                                   transparent=w.transparent and not reasons, via=via, appends_args=appends_args,
                                   opaque=opaque))
        tag = w.tag or name
        if w.inner is not None:
            self.simple(w.inner, assigns + w.env, via + (tag,),
                        None if w.inner_stdin_closed else stdin,
                        appends_args=appends_args or w.appends_args)
        for script in filter(None, (w.script, w.stdin_script)):
            try:
                self.script(script.text, via + (tag,))
            except _Unparseable:
                if not script.dynamic:
                    raise
                # A computed script is already refused above; its literal text is read only so
                # that deny rules can see what it plainly names, and may not parse.


def _matching_paren(text: str, i: int) -> int:
    """Index of the ``)`` closing a ``$(`` whose contents start at ``i``; quotes, escapes and
    comments are honoured; anything this cannot follow (case patterns) makes it unparseable."""
    depth, n = 1, len(text)
    at_word_start = True
    while i < n:
        c = text[i]
        if c == "\\":
            i += 2
            at_word_start = False
            continue
        if c == "'":
            j = text.find("'", i + 1)
            if j < 0:
                break
            i = j + 1
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            if j >= n:
                break
            i = j + 1
        elif c == "#" and at_word_start:
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c == "(":
            depth += 1
            i += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return i
            i += 1
        else:
            i += 1
        at_word_start = c in " \t\n;&|()"
    raise _Unparseable("could not find the end of a $( ) in a here-document")


def _check_coverage(src: str, trees: list[Any]) -> None:
    """Every character must belong to something bashlex read, or be blank space, an operator
    or a comment: text bashlex skipped would otherwise run unseen."""
    covered = bytearray(len(src))

    def mark(a: int, b: int, value: int = 1) -> None:
        covered[a:b] = bytes([value]) * max(0, b - a)

    def visit(n: Any) -> None:
        k = n.kind
        if k in ("word", "assignment"):
            mark(*n.pos)
            for p in getattr(n, "parts", None) or []:
                if p.kind in ("commandsubstitution", "processsubstitution"):
                    start = p.pos[0] + (1 if src[p.pos[0]] == "`" else 2)
                    mark(start, max(p.pos[1], _max_end(p)) - 1, 0)
                    visit(p.command)
            return
        if k == "redirect":
            out = n.output
            if _is_node(out):
                mark(n.pos[0], out.pos[0])
                visit(out)
            else:
                mark(*n.pos)
            if getattr(n, "heredoc", None) is not None:
                mark(*n.heredoc.pos)
            return
        if k in ("reservedword", "operator", "pipe", "heredoc"):
            mark(*n.pos)
            return
        if k == "function":
            mark(n.pos[0], n.body.pos[0])  # the name and "()" / "function"
        for child in _children(n):
            visit(child)

    for tree in trees:
        visit(tree)
    i, n = 0, len(src)
    while i < n:
        if covered[i]:
            i += 1
            continue
        c = src[i]
        if c in " \t\n;&|":
            i += 1
        elif c == "\\" and src[i + 1 : i + 2] == "\n":
            i += 2
        elif c == "#" and (i == 0 or src[i - 1] in " \t\n;&|()"):
            j = src.find("\n", i)
            i = n if j < 0 else j
        elif c in ")`" and i > 0:
            # the closing of a substitution whose interior was left unmarked above
            i += 1
        else:
            raise _Unparseable(f"could not account for {_short(src[i:i + 20], 20)!r} at offset {i}")


# --------------------------------------------------------------------------- options


def _split_options(args: list[Word], short_with_value: str = "", long_with_value: frozenset[str] = frozenset(),
                   *, stop_at_operand: bool = False) -> tuple[list[Word], list[tuple[str, str | None]], list[Word]]:
    """GNU-style option parsing: (operands, [(option, value)], words that may be options at
    run time). With ``stop_at_operand`` options end at the first operand (wrappers)."""
    operands: list[Word] = []
    options: list[tuple[str, str | None]] = []
    risky: list[Word] = []
    i, ended = 0, False
    while i < len(args):
        w, t = args[i], args[i].text
        i += 1
        if ended or (stop_at_operand and operands):
            operands.append(w)
            continue
        if w.dynamic:
            if w.may_be_option:
                risky.append(w)
            operands.append(w)
            continue
        if t == "--":
            ended = True
            continue
        if t.startswith("--") and len(t) > 2:
            name, eq, value = t.partition("=")
            if not eq and name in long_with_value and i < len(args):
                value = args[i].text
                i += 1
            options.append((name, value if (eq or name in long_with_value) else None))
        elif t.startswith("-") and len(t) > 1:
            j = 1
            while j < len(t):
                ch = t[j]
                if ch in short_with_value:
                    value = t[j + 1 :]
                    if not value and i < len(args):
                        value = args[i].text
                        i += 1
                    options.append(("-" + ch, value))
                    break
                options.append(("-" + ch, None))
                j += 1
        else:
            operands.append(w)
    return operands, options, risky


def _has(options: list[tuple[str, str | None]], *names: str) -> bool:
    return any(o in names for o, _ in options)


def _values(options: list[tuple[str, str | None]], *names: str) -> list[str]:
    return [v for o, v in options if o in names and v is not None]


# --------------------------------------------------------------------------- wrappers


@dataclass
class _Unwrapped:
    transparent: bool
    inner: list[Word] | None = None
    env: list[tuple[str, Word]] = field(default_factory=list)
    script: Word | None = None  # a shell script it runs (bash -c, eval, watch, trap, su -c)
    stdin_script: Word | None = None  # a here-document or here-string a shell runs
    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    appends_args: bool = False
    inner_stdin_closed: bool = False
    tag: str | None = None
    opaque: bool = False  # runs code nobody can see here


def _skip_options(words: list[Word], short_with_value: str, long_with_value: frozenset[str] = frozenset(),
                  positional: int = 0) -> tuple[list[Word], list[tuple[str, str | None]], list[str]]:
    """For wrappers: options end at the first operand; ``positional`` operands (timeout's
    duration) are skipped; the rest is the command run."""
    args = words[1:]
    operands, options, risky = _split_options(args, short_with_value, long_with_value, stop_at_operand=True)
    reasons = [f"{words[0].text}: an argument computed at run time may be an option" for _ in risky[:1]]
    return operands[positional:], options, reasons


def _plain_wrapper(short_with_value: str = "", long_with_value: frozenset[str] = frozenset(), positional: int = 0,
                   transparent: bool = True, runs_nothing: tuple[str, ...] = ()) -> Any:
    def unwrap(_a: _Analyzer, words: list[Word], _stdin: _Stdin | None) -> _Unwrapped | None:
        inner, options, reasons = _skip_options(words, short_with_value, long_with_value, positional)
        if not inner or _has(options, *runs_nothing):
            return None  # prints something, runs nothing: an ordinary command
        return _Unwrapped(transparent, inner, reasons=reasons)

    return unwrap


def _unwrap_env(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    args = words[1:]
    env: list[tuple[str, Word]] = []
    reasons: list[str] = []
    i = 0
    while i < len(args):
        w, t = args[i], args[i].text
        if w.dynamic and w.may_be_option:
            reasons.append("env: an argument computed at run time may be an option")
        if t in ("-i", "-", "--ignore-environment", "-0", "--null", "-v", "--debug"):
            i += 1
        elif t in ("-u", "--unset", "-C", "--chdir") and i + 1 < len(args):
            if t in ("-C", "--chdir"):
                a.changes_directory = True
            i += 2
        elif t.startswith(("--unset=", "--block-signal", "--default-signal", "--ignore-signal", "-u")):
            i += 1
        elif t.startswith(("--chdir=", "-C")):
            a.changes_directory = True
            i += 1
        elif t in ("-S", "--split-string") or t.startswith(("--split-string=", "-S")):
            value = t.split("=", 1)[1] if t.startswith("--split-string=") else t[2:] if t.startswith("-S") and t != "-S" else None
            if value is None:
                if i + 1 >= len(args):
                    return None
                script = args[i + 1]
                rest = args[i + 2 :]
            else:
                script = Word(value, w.dynamic)
                rest = args[i + 1 :]
            joined = Word(" ".join([script.text] + [r.text for r in rest]), script.dynamic or any(r.dynamic for r in rest))
            return _Unwrapped(True, None, env=env, script=joined, reasons=reasons, tag="env -S")
        elif t == "--":
            i += 1
            break
        elif "=" in t and _NAME.fullmatch(t.split("=", 1)[0]):
            name, _, value = t.partition("=")
            env.append((name, Word(value, w.dynamic)))
            i += 1
        else:
            break
    inner = args[i:]
    if not inner:
        return None
    return _Unwrapped(True, inner, env=env, reasons=reasons)


def _unwrap_shell(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    name = words[0].text.rsplit("/", 1)[-1]
    args = words[1:]
    if name == "busybox":
        if not args or args[0].text not in _SHELLS:
            return None
        name, args = args[0].text, args[1:]
    has_c = False
    odd: list[str] = []
    i = 0
    while i < len(args):
        w, t = args[i], args[i].text
        if w.dynamic:
            if not has_c:
                odd.append("an option computed at run time")
            break
        if t == "--" or t == "-":
            i += 1
            break
        if t in ("-o", "+o", "-O", "+O") and i + 1 < len(args):
            if args[i + 1].text not in ("pipefail", "errexit", "nounset", "xtrace", "noglob", "posix", "nullglob",
                                        "failglob", "globstar", "extglob", "dotglob"):
                odd.append(f"shell option {args[i + 1].text}")
            i += 2
            continue
        if t in ("--norc", "--noprofile", "--posix", "--login"):
            i += 1
            continue
        if t.startswith("-") and len(t) > 1 and not t.startswith("--"):
            letters = t[1:]
            if "c" in letters:
                has_c = True
            if set(letters) - set("ceuxvlfn"):
                odd.append(f"shell option {t}")
            i += 1
            continue
        if t.startswith("+") and len(t) > 1:
            i += 1
            continue
        if t.startswith("--"):
            odd.append(f"shell option {t}")
            i += 1
            continue
        break
    rest = args[i:]
    reasons = [f"{name} {o} is not analysed" for o in odd]
    if has_c:
        if not rest:
            return None
        script = rest[0]
        notes = []
        if len(rest) > 1:
            notes.append("script arguments are passed as $0, $1, ...")
        return _Unwrapped(not reasons, None, script=script, reasons=reasons, notes=notes, tag=f"{name} -c")
    if rest:
        return None  # `bash script.sh`: runs a file, judged as the bash command itself
    if stdin is not None and stdin.kind in ("heredoc", "herestring"):
        return _Unwrapped(not reasons, None, stdin_script=Word(stdin.text, stdin.dynamic), reasons=reasons,
                          tag=f"{name} <<")
    if stdin is not None and stdin.kind in ("pipe", "file"):
        return _Unwrapped(False, None, reasons=reasons + [f"{name} runs a script read from its standard input"],
                          opaque=True)
    return _Unwrapped(False, None, reasons=reasons + [f"{name} with no script starts an interactive shell"])


def _unwrap_eval(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    args = words[1:]
    if args and args[0].text == "--":
        args = args[1:]
    if not args:
        return None
    return _Unwrapped(True, None, script=Word(" ".join(w.text for w in args), any(w.dynamic for w in args)))


def _unwrap_exec(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    inner, _, reasons = _skip_options(words, "a")
    if not inner:
        return None
    return _Unwrapped(True, inner, reasons=reasons)


def _unwrap_command(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    inner, options, reasons = _skip_options(words, "")
    if not inner or _has(options, "-v", "-V"):
        return None
    return _Unwrapped(True, inner, reasons=reasons)


def _unwrap_privileged(short_with_value: str, long_with_value: frozenset[str]) -> Any:
    def unwrap(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
        inner, options, reasons = _skip_options(words, short_with_value, long_with_value)
        notes = [f"{words[0].text} runs its command as another user"]
        if _has(options, "-e", "--edit"):
            return _Unwrapped(False, None, reasons=reasons + ["sudoedit edits files as root"], notes=notes)
        if not inner:
            return _Unwrapped(False, None, reasons=reasons, notes=notes)
        # Never transparent: `sudo npm test` needs a rule for sudo (`Bash(sudo npm test:*)`)
        # as well as one for what it runs.
        return _Unwrapped(False, inner, reasons=reasons, notes=notes, tag=words[0].text)

    return unwrap


def _unwrap_su(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    args = words[1:]
    for i, w in enumerate(args):
        if w.text in ("-c", "--command") and i + 1 < len(args):
            return _Unwrapped(False, None, script=args[i + 1], reasons=["su runs its command as another user"],
                              tag="su -c")
        if w.text.startswith("--command="):
            return _Unwrapped(False, None, script=Word(w.text.split("=", 1)[1], w.dynamic),
                              reasons=["su runs its command as another user"], tag="su -c")
    return _Unwrapped(False, None, reasons=["su starts a shell as another user"])


_XARGS_VALUE_SHORT = "InPLdaEsR"
_XARGS_VALUE_LONG = frozenset({"--max-args", "--max-procs", "--delimiter", "--arg-file", "--max-lines", "--eof",
                               "--max-chars", "--process-slot-var"})


def _unwrap_xargs(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    args = words[1:]
    replace: str | None = None
    reasons: list[str] = []
    i = 0
    while i < len(args):
        w, t = args[i], args[i].text
        if w.dynamic:
            reasons.append("xargs: an argument computed at run time may be an option")
            break
        if t == "--":
            i += 1
            break
        if t.startswith("--replace") or t == "-i" or (t.startswith("-i") and not t.startswith("--")):
            replace = t.split("=", 1)[1] if "=" in t else (t[2:] if t.startswith("-i") and len(t) > 2 else "{}")
            i += 1
            continue
        if t.startswith("--"):
            name = t.split("=", 1)[0]
            i += 2 if (name in _XARGS_VALUE_LONG and "=" not in t) else 1
            continue
        if t.startswith("-") and len(t) > 1:
            j, consumed_next = 1, False
            while j < len(t):
                if t[j] in _XARGS_VALUE_SHORT:
                    value = t[j + 1 :]
                    if not value and i + 1 < len(args):
                        value = args[i + 1].text
                        consumed_next = True
                    if t[j] == "I":
                        replace = value
                    if t[j] == "a":
                        a._path("read", Word(value), "argument", "xargs")
                    break
                j += 1
            i += 2 if consumed_next else 1
            continue
        break
    inner = args[i:] or [Word("echo")]
    if replace:
        inner = [Word(w.text, True, w.may_be_option or w.text.startswith(replace)) if replace in w.text else w
                 for w in inner]
    inner_name = inner[0].text.rsplit("/", 1)[-1]
    if inner_name in _SHELLS or inner_name in _INTERPRETERS:
        reasons.append(f"xargs runs {inner_name} with arguments read from its input")
    return _Unwrapped(not reasons, inner, reasons=reasons, appends_args=not replace, inner_stdin_closed=True)


def _unwrap_watch(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    inner, options, reasons = _skip_options(words, "nq", frozenset({"--interval", "--differences"}))
    if not inner:
        return None
    if _has(options, "-x", "--exec"):
        return _Unwrapped(True, inner, reasons=reasons)
    # watch hands its arguments, joined by spaces, to `sh -c`.
    script = Word(" ".join(w.text for w in inner), any(w.dynamic for w in inner))
    return _Unwrapped(True, None, script=script, reasons=reasons, tag="watch")


def _unwrap_trap(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    args = words[1:]
    if args and args[0].text == "--":
        args = args[1:]
    if not args or args[0].text in ("-p", "-l", "-") or len(args) < 2:
        return None
    return _Unwrapped(True, None, script=args[0], tag="trap")


def _unwrap_alias(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    values = [w.text.split("=", 1)[1] for w in words[1:] if "=" in w.text]
    if not values:
        return None
    dynamic = any(w.dynamic for w in words[1:])
    return _Unwrapped(True, None, script=Word("\n".join(values), dynamic), tag="alias",
                      notes=["aliases are not expanded in bash -c unless expand_aliases is set"])


def _unwrap_parallel(a: _Analyzer, words: list[Word], stdin: _Stdin | None) -> _Unwrapped | None:
    args = [w for w in words[1:]]
    cut = next((i for i, w in enumerate(args) if w.text in (":::", "::::", ":::+", "::::+")), len(args))
    inner = [w for w in args[:cut] if not w.text.startswith("-")]
    if not inner:
        return _Unwrapped(False, None, reasons=["parallel runs commands read from its input"], opaque=True)
    script = Word(" ".join(w.text for w in inner), True)
    return _Unwrapped(False, None, script=script, reasons=["parallel runs shell commands built at run time"],
                      tag="parallel")


_WRAPPERS: dict[str, Any] = {
    "nohup": _plain_wrapper(),
    "time": _plain_wrapper("fo", frozenset({"--format", "--output"})),
    "nice": _plain_wrapper("n", frozenset({"--adjustment"})),
    "ionice": _plain_wrapper("cnp", frozenset({"--class", "--classdata", "--pid"}), runs_nothing=("-p", "--pid")),
    "timeout": _plain_wrapper("sk", frozenset({"--signal", "--kill-after"}), positional=1),
    "stdbuf": _plain_wrapper("ioe", frozenset({"--input", "--output", "--error"})),
    "setsid": _plain_wrapper(),
    "chronic": _plain_wrapper(),
    "builtin": _plain_wrapper(),
    "exec": _unwrap_exec,
    "command": _unwrap_command,
    "env": _unwrap_env,
    "eval": _unwrap_eval,
    "sudo": _unwrap_privileged("ugpCDrtTUhR", frozenset({"--user", "--group", "--prompt", "--close-from", "--chdir",
                                                         "--role", "--type", "--command-timeout", "--other-user",
                                                         "--host", "--chroot"})),
    "doas": _unwrap_privileged("uC", frozenset()),
    "su": _unwrap_su,
    "xargs": _unwrap_xargs,
    "watch": _unwrap_watch,
    "trap": _unwrap_trap,
    "alias": _unwrap_alias,
    "parallel": _unwrap_parallel,
}
for _shell in _SHELLS:
    _WRAPPERS[_shell] = _unwrap_shell


# --------------------------------------------------------------------------- per-tool checks


def _inspect(a: _Analyzer, name: str, words: list[Word], stdin: _Stdin | None) -> tuple[list[str], list[str]]:
    """Dangerous options and file accesses of one (unwrapped) command."""
    reasons: list[str] = []
    notes: list[str] = []
    args = words[1:]
    display = " ".join(w.text for w in words[:4])
    check = _CHECKS.get(name)
    if check is None and re.fullmatch(r"python[0-9.]*|pypy[0-9.]*", name):
        check = _CHECKS["python"]
    if check is None and name in ("vi", "vim", "nvim", "view", "ex", "gvim", "rvim", "vimdiff", "nvi"):
        check = _check_vim
    if check is not None:
        check(a, name, args, display, reasons, notes, stdin)
    if name in _INTERPRETERS and name not in _CHECKS and stdin is not None and stdin.kind == "pipe" and not args:
        reasons.append(f"{name} runs code read from its standard input")
        a.opaque = True
    if name in ("declare", "typeset", "local", "export", "readonly", "unset", "read", "mapfile", "readarray",
                "printf", "let", "getopts", "wait", "test", "["):
        for w in args:
            if "[" in w.text and ("$" in w.text or "`" in w.text):
                reasons.append(f"{name}: array subscripts are evaluated as arithmetic, which can run commands")
                a.opaque = True
                break
        if name in ("export", "declare", "typeset", "local", "readonly"):
            for w in args:
                var = w.text.split("=", 1)[0]
                if "=" in w.text and is_dangerous_env(var):
                    a.global_env.append(var)
                    reasons.append(f"{name} sets {var}, which changes what later commands run")
        if name == "let":
            reasons.append("let evaluates arithmetic, which can run commands through array subscripts")
            a.opaque = True
    if name in _SHELLS or name in _INTERPRETERS or name in _CHECKS and check is _check_interpreter \
            or name in ("source", ".") or re.fullmatch(r"python[0-9.]*", name):
        _check_code_source(a, name, args, reasons)
    if name in ("cd", "pushd", "popd"):
        a.changes_directory = True
    if name in ("source", ".") and args:
        a._path("read", args[0], "argument", display)
        notes.append(f"{name} runs the commands in {args[0].text}")
    return reasons, notes


_Check = Any


def _reads(a: _Analyzer, operands: list[Word], display: str, *, recursive: bool = False) -> None:
    for w in operands:
        a._path("read", w, "argument", display, recursive=recursive)


def _writes(a: _Analyzer, operands: list[Word], display: str, *, recursive: bool = False) -> None:
    for w in operands:
        a._path("write", w, "argument", display, recursive=recursive)


def _risky(name: str, risky: list[Word], reasons: list[str]) -> None:
    if risky:
        reasons.append(f"{name}: argument {risky[0].text!r} is computed at run time and may be an option")


def _simple_reader(short_with_value: str = "", long_with_value: frozenset[str] = frozenset()) -> _Check:
    def check(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
              stdin: _Stdin | None) -> None:
        operands, options, _ = _split_options(args, short_with_value, long_with_value)
        _reads(a, operands, display)
        for o, v in options:
            if o in ("--files0-from", "--from-file", "--reference") and v:
                a._path("read", Word(v), "argument", display)

    return check


def _check_sort(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
                stdin: _Stdin | None) -> None:
    operands, options, _ = _split_options(args, "kotST", frozenset({"--key", "--output", "--field-separator",
                                                                    "--buffer-size", "--temporary-directory",
                                                                    "--parallel", "--files0-from", "--batch-size"}))
    _reads(a, operands, display)
    for v in _values(options, "-o", "--output"):
        a._path("write", Word(v), "argument", display)
    if any(o.startswith("--compress-program") for o, _ in options):
        reasons.append("sort --compress-program runs a program")


def _check_uniq_like(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
                     stdin: _Stdin | None) -> None:
    # uniq IN OUT, xxd IN OUT: the second operand is written.
    operands, _, _ = _split_options(args, "fswcglos" if name == "xxd" else "fsw",
                                    frozenset({"--skip-fields", "--skip-chars", "--check-chars", "--group"}))
    _reads(a, operands[:1], display)
    _writes(a, operands[1:2], display)


def _check_grep(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
                stdin: _Stdin | None) -> None:
    operands, options, _ = _split_options(
        args, "efmABCdD",
        frozenset({"--regexp", "--file", "--max-count", "--after-context", "--before-context", "--context",
                   "--include", "--exclude", "--exclude-dir", "--exclude-from", "--label", "--devices",
                   "--directories", "--binary-files", "--group-separator"}))
    for v in _values(options, "-f", "--file", "--exclude-from"):
        a._path("read", Word(v), "argument", display)
    if not _has(options, "-e", "--regexp", "-f", "--file") and operands:
        operands = operands[1:]  # the pattern
    recursive = _has(options, "-r", "-R", "--recursive", "--dereference-recursive") or \
        "recurse" in _values(options, "-d", "--directories")
    if recursive and not operands:
        operands = [Word(".")]
    _reads(a, operands, display, recursive=recursive)


_RG_VALUE_LONG = frozenset({
    "--regexp", "--file", "--glob", "--iglob", "--type", "--type-not", "--type-add", "--type-clear", "--max-count",
    "--after-context", "--before-context", "--context", "--max-columns", "--threads", "--encoding", "--replace",
    "--max-depth", "--max-filesize", "--pre", "--pre-glob", "--sort", "--sortr", "--colors", "--color",
    "--path-separator", "--context-separator", "--field-match-separator", "--field-context-separator",
    "--ignore-file", "--hostname-bin", "--hyperlink-format", "--dfa-size-limit", "--regex-size-limit", "--engine",
    "--generate", "--max-count", "--pager", "--ignore", "--path-to-ignore", "--depth", "--file-search-regex",
})


def _check_rg(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
              stdin: _Stdin | None) -> None:
    operands, options, risky = _split_options(args, "efgtTmABCMjErdG", _RG_VALUE_LONG)
    _risky(name, risky, reasons)
    for o, _ in options:
        if o in ("--pre", "--hostname-bin", "--pager"):
            reasons.append(f"{name} {o} runs a program")
    for v in _values(options, "-f", "--file", "--ignore-file", "--path-to-ignore"):
        a._path("read", Word(v), "argument", display)
    if not _has(options, "-e", "--regexp", "-f", "--file", "--files", "--type-list") and operands:
        operands = operands[1:]
    _reads(a, operands or [Word(".")], display, recursive=True)


def _check_sed(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
               stdin: _Stdin | None) -> None:
    scripts: list[Word] = []
    operands: list[Word] = []
    in_place = False
    i, ended = 0, False
    while i < len(args):
        w, t = args[i], args[i].text
        i += 1
        if ended or not t.startswith("-") or t == "-" or w.dynamic:
            if w.dynamic and w.may_be_option and not ended:
                reasons.append(f"sed: argument {t!r} is computed at run time and may be an option")
            operands.append(w)
            continue
        if t == "--":
            ended = True
        elif t.startswith("--"):
            opt, eq, value = t.partition("=")
            if opt == "--in-place":
                in_place = True
            elif opt in ("--expression", "--file", "--line-length"):
                if not eq and i < len(args):
                    value, i = args[i].text, i + 1
                if opt == "--expression":
                    scripts.append(Word(value))
                elif opt == "--file":
                    reasons.append("sed -f runs a script from a file")
                    a._path("read", Word(value), "argument", display)
        else:
            j = 1
            while j < len(t):
                ch = t[j]
                if ch == "i":
                    in_place = True
                    break  # the rest is a backup suffix
                if ch in "efl":
                    value = t[j + 1 :]
                    if not value and i < len(args):
                        value, i = args[i].text, i + 1
                    if ch == "e":
                        scripts.append(Word(value))
                    elif ch == "f":
                        reasons.append("sed -f runs a script from a file")
                        a._path("read", Word(value), "argument", display)
                    break
                j += 1
    if not scripts and operands:
        scripts, operands = [operands[0]], operands[1:]
    for script in scripts:
        if script.dynamic:
            reasons.append("sed: the script is computed at run time")
        else:
            problem = _sed_script_problem(script.text)
            if problem:
                reasons.append(f"sed: {problem}")
    if in_place:
        reasons.append("sed -i edits files in place")
        _writes(a, operands, display)
    _reads(a, operands, display)


def _sed_script_problem(script: str) -> str | None:
    """Whether a sed script can run commands or touch files: the e/w/W/r/R commands and the
    e/w flags of s. Anything not understood counts as a problem."""
    i, n = 0, len(script)
    while i < n:
        c = script[i]
        if c in " \t\n;{}!":
            i += 1
            continue
        # addresses: numbers, $, /re/, \cREc, first~step, addr,addr
        if c.isdigit() or c in "$,~+":
            i += 1
            continue
        if c == "/" or c == "\\":
            delim = script[i + 1] if c == "\\" else "/"
            j = i + 2 if c == "\\" else i + 1
            while j < n and script[j] != delim:
                j += 2 if script[j] == "\\" else 1
            if j >= n:
                return "could not read the script"
            i = j + 1
            while i < n and script[i] in "IM":
                i += 1
            continue
        if c == "#":
            j = script.find("\n", i)
            i = n if j < 0 else j
            continue
        if c in "ewWrR":
            names = {"e": "runs a command", "w": "writes a file", "W": "writes a file", "r": "reads a file",
                     "R": "reads a file"}
            return f"the {c} command {names[c]}"
        if c in "aic":  # text to the end of the line
            j = script.find("\n", i)
            i = n if j < 0 else j
            continue
        if c in "bTt:":  # labels to the end of the command
            j = i + 1
            while j < n and script[j] not in ";\n":
                j += 1
            i = j
            continue
        if c in "sy":
            if i + 1 >= n:
                return "could not read the script"
            delim = script[i + 1]
            if delim in "\n\\":
                return "could not read the script"
            j = i + 2
            for _ in range(2):
                while j < n and script[j] != delim:
                    if script[j] == "\\":
                        j += 1
                    j += 1
                if j >= n:
                    return "could not read the script"
                j += 1
            if c == "s":
                k = j
                while k < n and script[k] not in ";\n}":
                    if script[k] == "e":
                        return "the e flag of s runs the result as a command"
                    if script[k] in "wW":
                        return "the w flag of s writes a file"
                    k += 1
                j = k
            i = j
            continue
        if c in "dDgGhHlnNpPqQxz=FvL":
            i += 1
            if c in "qQlL":  # optional number
                while i < n and script[i].isdigit():
                    i += 1
            continue
        return f"could not read the script at {script[i:i + 10]!r}"
    return None


def _check_awk(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
               stdin: _Stdin | None) -> None:
    operands, options, risky = _split_options(
        args, "fvFEilopde", frozenset({"--file", "--assign", "--field-separator", "--exec", "--include", "--load",
                                       "--pretty-print", "--profile", "--dump-variables", "--source"}))
    _risky(name, risky, reasons)
    programs = [Word(v) for v in _values(options, "--source", "-e")]
    for o, v in options:
        if o in ("-f", "--file", "-E", "--exec", "-i", "--include", "-l", "--load"):
            reasons.append(f"{name} {o} loads a program from a file")
            if v:
                a._path("read", Word(v), "argument", display)
        if o in ("-o", "--pretty-print", "-p", "--profile", "-d", "--dump-variables"):
            reasons.append(f"{name} {o} writes a file")
    if not _has(options, "-f", "--file", "-E", "--exec", "--source", "-e") and operands:
        programs.append(operands[0])
        operands = operands[1:]
    for program in programs:
        text = program.text
        if program.dynamic:
            reasons.append(f"{name}: the program is computed at run time")
        elif re.search(r"\bsystem\s*\(|\|", text):
            reasons.append(f"{name}: the program runs commands (system() or a pipe)")
        elif any(re.search(r"\bprintf?\b[^;{}\n]*>", stmt) for stmt in re.split(r"[;{}\n]", text)):
            reasons.append(f"{name}: the program writes files (print >)")
        elif "@load" in text or "@include" in text:
            reasons.append(f"{name}: the program loads code")
    _reads(a, [w for w in operands if not re.match(r"[A-Za-z_][A-Za-z0-9_]*=", w.text)], display)


def _check_find(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
                stdin: _Stdin | None) -> None:
    starts: list[Word] = []
    i = 0
    while i < len(args) and args[i].text in ("-H", "-L", "-P") or (i < len(args) and args[i].text.startswith("-D")):
        i += 1
    while i < len(args) and not args[i].text.startswith(("-", "(", "!", ")")) and not args[i].may_be_option:
        starts.append(args[i])
        i += 1
    _reads(a, starts or [Word(".")], display, recursive=True)
    while i < len(args):
        w, t = args[i], args[i].text
        i += 1
        if w.dynamic:
            reasons.append(f"find: argument {t!r} is computed at run time and may be an action")
            continue
        if t in ("-exec", "-execdir", "-ok", "-okdir"):
            reasons.append(f"find {t} runs a command")
            inner: list[Word] = []
            plus = False
            while i < len(args) and args[i].text != ";":
                if args[i].text == "+" and inner and inner[-1].text == "{}":
                    plus = True
                    break
                inner.append(args[i])
                i += 1
            i += 1
            inner = [Word(x.text, True, True) if "{}" in x.text else x for x in inner]
            if inner:
                a.simple(inner, [], a.via + (f"find {t}",), None, appends_args=plus)
        elif t == "-delete":
            reasons.append("find -delete removes files")
            for s in starts or [Word(".")]:
                a._path("write", s, "argument", display, recursive=True)
        elif t in ("-fprint", "-fprint0", "-fls", "-fprintf"):
            reasons.append(f"find {t} writes a file")
            if i < len(args):
                a._path("write", args[i], "argument", display)
        elif t in ("-newer", "-anewer", "-cnewer", "-samefile") or t.startswith("-newer"):
            i += 1


def _check_fd(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
              stdin: _Stdin | None) -> None:
    for i, w in enumerate(args):
        if w.dynamic and w.may_be_option:
            reasons.append(f"{name}: argument {w.text!r} is computed at run time and may be an option")
        if w.text in ("-x", "--exec", "-X", "--exec-batch"):
            reasons.append(f"{name} {w.text} runs a command")
            inner = []
            for x in args[i + 1 :]:
                if x.text == ";":
                    break
                inner.append(Word(x.text, True, True) if "{" in x.text else x)
            if inner:
                a.simple(inner, [], a.via + (f"{name} {w.text}",), None, appends_args=w.text in ("-X", "--exec-batch"))
            return


_GIT_GLOBAL_WITH_VALUE = frozenset({"-c", "-C", "--git-dir", "--work-tree", "--namespace", "--config-env",
                                    "--super-prefix", "--list-cmds", "--attr-source", "--exec-path"})
_GIT_GLOBAL_FLAGS = frozenset({"-p", "-P", "--paginate", "--no-pager", "--bare", "--no-replace-objects",
                               "--literal-pathspecs", "--glob-pathspecs", "--noglob-pathspecs", "--icase-pathspecs",
                               "--no-optional-locks", "--no-advice", "--version", "--help", "-v", "-h", "--html-path",
                               "--man-path", "--info-path"})
# Options whose (quoted) value may be computed: a commit message is not an option.
_GIT_MESSAGE_OPTIONS = frozenset({"-m", "--message", "--author", "--date", "--grep", "--format", "--pretty",
                                  "--since", "--until", "--after", "--before", "-F", "--file", "-b", "-B"})
_GIT_SUB_DANGEROUS = frozenset({
    "--output", "--ext-diff", "--textconv", "--upload-pack", "--receive-pack", "--exec", "--open-files-in-pager",
    "--template", "--sendmail-cmd", "--smtp-server", "--to-cmd", "--cc-cmd", "--header-cmd", "--extcmd", "--config",
})


def _check_git(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
               stdin: _Stdin | None) -> None:
    i = 0
    while i < len(args):
        w, t = args[i], args[i].text
        if w.dynamic:
            reasons.append(f"git: argument {t!r} is computed at run time and may be an option")
            return
        if not t.startswith("-"):
            break
        opt = t.split("=", 1)[0]
        if opt in ("-c", "--config-env"):
            reasons.append(f"git {opt} sets configuration, which can run programs")
        elif opt == "--exec-path" and "=" in t:
            reasons.append("git --exec-path= runs git commands from another directory")
        elif opt == "--git-dir":
            reasons.append("git --git-dir reads another repository's configuration, which can run programs")
        elif opt == "-C":
            a.changes_directory = True
            notes.append("git -C runs in another directory")
        elif opt not in _GIT_GLOBAL_WITH_VALUE and opt not in _GIT_GLOBAL_FLAGS:
            reasons.append(f"git: unknown global option {opt}")
        i += 2 if (opt in _GIT_GLOBAL_WITH_VALUE and "=" not in t and opt not in ("--exec-path",)) else 1
    if i >= len(args):
        return
    sub = args[i].text
    rest = args[i + 1 :]
    ended = False
    k = 0
    while k < len(rest):
        w, t = rest[k], rest[k].text
        k += 1
        if ended:
            if t.startswith("ext::"):
                reasons.append("git ext:: remotes run commands")
            continue
        if t == "--":
            ended = True
            continue
        if w.dynamic:
            if w.may_be_option:
                reasons.append(f"git {sub}: argument {t!r} is computed at run time and may be an option")
            continue
        if t in _GIT_MESSAGE_OPTIONS and k < len(rest):
            value = rest[k]
            k += 1
            if value.dynamic and value.splittable:
                reasons.append(f"git {sub}: the unquoted value of {t} may split into options")
            continue
        opt = t.split("=", 1)[0]
        short = t.startswith("-") and not t.startswith("--")
        if opt in _GIT_SUB_DANGEROUS:
            reasons.append(f"git {sub} {opt} can run programs or write files")
        if t.startswith("ext::"):
            reasons.append("git ext:: remotes run commands")
        if sub in ("clone", "ls-remote") and short and t.startswith("-u"):
            reasons.append(f"git {sub} -u runs a program as upload-pack")
        if sub == "clone" and short and "c" in t[1:]:
            reasons.append("git clone -c sets configuration, which can run programs")
        if sub == "rebase" and (opt == "--exec" or (short and "x" in t[1:])):
            reasons.append("git rebase -x runs a command")
        if sub in ("difftool", "mergetool") and (opt == "--extcmd" or (short and t.startswith("-x"))):
            reasons.append(f"git {sub} -x runs a command")
        if sub == "grep" and short and "O" in t[1:]:
            reasons.append("git grep -O runs a pager program")
        if sub in ("archive", "format-patch") and short and t.startswith("-o"):
            reasons.append(f"git {sub} -o writes files")
        if sub == "config" and opt in ("--add", "--unset", "--unset-all", "--replace-all", "--rename-section",
                                       "--remove-section", "-e", "--edit"):
            reasons.append("git config changes configuration")
    if sub in ("submodule",) and any(w.text == "foreach" for w in rest):
        reasons.append("git submodule foreach runs a command")
    if sub == "bisect" and rest and rest[0].text == "run":
        reasons.append("git bisect run runs a command")
    if sub == "hook" and rest and rest[0].text == "run":
        reasons.append("git hook run runs hook programs")
    if sub in ("filter-branch", "filter-repo", "instaweb", "daemon", "send-email", "credential-store", "web--browse"):
        reasons.append(f"git {sub} runs programs")
    if sub == "config":
        positional = [w.text for w in rest if not w.text.startswith("-")]
        if positional and positional[0] in ("set", "unset", "edit", "rename-section", "remove-section", "replace-all"):
            reasons.append("git config changes configuration")
        elif positional and positional[0] not in ("get", "list") and len(positional) >= 2:
            reasons.append("git config changes configuration")


def _check_tar(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
               stdin: _Stdin | None) -> None:
    for k, w in enumerate(args):
        t = w.text
        if w.dynamic and w.may_be_option:
            reasons.append(f"tar: argument {t!r} is computed at run time and may be an option")
            continue
        opt = t.split("=", 1)[0]
        if opt in ("--to-command", "--use-compress-program", "--checkpoint-action", "--info-script",
                   "--new-volume-script", "--rsh-command", "--rmt-command", "--index-file"):
            reasons.append(f"tar {opt} runs a program or writes files")
        elif t.startswith("-") and not t.startswith("--") and ("I" in t or "F" in t):
            reasons.append("tar -I/-F runs a program")
        elif k == 0 and not t.startswith("-") and ("I" in t or "F" in t):
            reasons.append("tar I/F runs a program")


def _check_zip(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
               stdin: _Stdin | None) -> None:
    for w in args:
        if w.text.startswith(("-TT", "--unzip-command")):
            reasons.append("zip -TT runs a program")
        elif w.dynamic and w.may_be_option:
            reasons.append(f"zip: argument {w.text!r} is computed at run time and may be an option")


def _check_pager(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
                 stdin: _Stdin | None) -> None:
    operands, options, risky = _split_options(args, "bhjkoOpPtTxyz#" if name == "less" else "",
                                              frozenset({"--log-file", "--LOG-FILE", "--lesskey-file",
                                                         "--lesskey-src", "--lesskey-content", "--tag"}))
    _risky(name, risky, reasons)
    for o, v in options:
        if o in ("-k", "--lesskey-file", "--lesskey-src", "--lesskey-content"):
            reasons.append(f"{name} {o} loads key bindings that can run commands")
        if o in ("-o", "-O", "--log-file", "--LOG-FILE") and v:
            a._path("write", Word(v), "argument", display)
    plus = [w for w in operands if w.text.startswith("+")]
    if plus:
        reasons.append(f"{name} {plus[0].text}: initial commands can run shell commands")
    _reads(a, [w for w in operands if not w.text.startswith("+")], display)


def _check_man(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
               stdin: _Stdin | None) -> None:
    for w in args:
        opt = w.text.split("=", 1)[0]
        if opt in ("-P", "--pager", "-H", "--html", "--browser", "-p", "--preprocessor", "-X", "--gxditview",
                   "-T", "--troff-device", "-Z", "--ditroff", "-l", "--local-file") or \
                (w.text.startswith(("-P", "-H")) and not w.text.startswith("--")):
            reasons.append(f"man {opt} runs a program or reads a file")
            break
        if w.dynamic and w.may_be_option:
            reasons.append(f"man: argument {w.text!r} is computed at run time and may be an option")
            break


def _check_vim(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
               stdin: _Stdin | None) -> None:
    for w in args:
        t = w.text
        if t in ("-c", "--cmd", "-S", "-u", "-U", "-s", "-W", "-w") or t.startswith("+") or \
                (w.dynamic and w.may_be_option):
            reasons.append(f"{name} {t}: editor commands can run shell commands")
            break


def _check_go(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
              stdin: _Stdin | None) -> None:
    sub = args[0].text if args else ""
    if sub == "generate":
        reasons.append("go generate runs the commands named in source files")
    for w in args[1:]:
        opt = w.text.split("=", 1)[0].replace("--", "-", 1)
        if opt in ("-exec", "-toolexec", "-vettool", "-overlay"):
            reasons.append(f"go {opt} runs a program")
        if sub == "env" and opt in ("-w", "-u"):
            reasons.append("go env -w changes go's configuration")
        if w.dynamic and w.may_be_option:
            reasons.append(f"go: argument {w.text!r} is computed at run time and may be an option")
            break


def _check_rsync(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
                 stdin: _Stdin | None) -> None:
    for w in args:
        t = w.text
        if t.startswith(("--rsh", "--rsync-path")) or (t.startswith("-") and not t.startswith("--") and "e" in t):
            reasons.append("rsync -e/--rsh runs a program")
            break
        if w.dynamic and w.may_be_option:
            reasons.append(f"rsync: argument {t!r} is computed at run time and may be an option")
            break


_SSH_COMMAND_OPTIONS = ("proxycommand", "localcommand", "permitlocalcommand", "knownhostscommand", "match",
                        "include", "controlpath", "identityagent", "securitykeyprovider", "pkcs11provider")


def _check_ssh(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
               stdin: _Stdin | None) -> None:
    i = 0
    while i < len(args):
        w, t = args[i], args[i].text
        i += 1
        if w.dynamic and w.may_be_option:
            reasons.append(f"{name}: argument {t!r} is computed at run time and may be an option")
            return
        value = None
        if t == "-o" and i < len(args):
            value, i = args[i].text, i + 1
        elif t.startswith("-o"):
            value = t[2:]
        if value is not None and value.lower().replace(" ", "").startswith(_SSH_COMMAND_OPTIONS):
            reasons.append(f"{name} -o {value.split('=')[0]} runs a local program")
        if t.startswith(("-F", "-S")) and name in ("ssh", "scp", "sftp") and not (name == "ssh" and t.startswith("-S")):
            reasons.append(f"{name} {t[:2]} can run a local program")
        if name == "ssh" and not t.startswith("-") and i <= len(args):
            if args[i:]:
                notes.append("ssh runs a command on the remote host")
            return


_CURL_VALUE_SHORT = "AbcCdDeEFHKmoPQrTuUwxXyYz"
_CURL_VALUE_LONG = frozenset({
    "--output", "--output-dir", "--dump-header", "--cookie-jar", "--cookie", "--upload-file", "--data", "--data-binary",
    "--data-raw", "--data-urlencode", "--data-ascii", "--form", "--form-string", "--config", "--trace",
    "--trace-ascii", "--stderr", "--libcurl", "--etag-save", "--etag-compare", "--hsts", "--alt-svc", "--cert",
    "--key", "--cacert", "--capath", "--header", "--user", "--user-agent", "--referer", "--request", "--proxy",
    "--max-time", "--connect-timeout", "--retry", "--url", "--json", "--write-out", "--range", "--netrc-file",
    "--resolve", "--connect-to", "--proxy-user", "--time-cond", "--variable", "--expand-data", "--proto",
    "--proto-redir", "--max-filesize", "--limit-rate", "--interface", "--unix-socket", "--abstract-unix-socket",
})


def _check_curl(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
                stdin: _Stdin | None) -> None:
    operands, options, risky = _split_options(args, _CURL_VALUE_SHORT, _CURL_VALUE_LONG)
    _risky(name, risky, reasons)
    for o, v in options:
        if v is None:
            if o in ("-O", "--remote-name", "--remote-name-all", "-J", "--remote-header-name"):
                a._path("write", Word("."), "argument", display, recursive=True)
            continue
        if o in ("-K", "--config"):
            reasons.append("curl -K reads options from a file")
            a._path("read", Word(v), "argument", display)
        elif o in ("-o", "--output", "-D", "--dump-header", "-c", "--cookie-jar", "--trace", "--trace-ascii",
                   "--stderr", "--libcurl", "--etag-save", "--hsts", "--alt-svc"):
            a._path("write", Word(v), "argument", display)
        elif o in ("--output-dir",):
            a._path("write", Word(v), "argument", display, recursive=True)
        elif o in ("-T", "--upload-file", "--etag-compare", "--cert", "-E", "--key", "--cacert", "--netrc-file"):
            a._path("read", Word(v), "argument", display)
        elif o in ("-d", "--data", "--data-binary", "--data-urlencode", "--data-ascii", "--json", "-H", "--header",
                   "--variable"):
            m = re.search(r"@(.+)$", v)
            if m and not v.startswith("\\@") and o != "--data-raw":
                a._path("read", Word(m.group(1).split(";")[0]), "argument", display)
        elif o in ("-F", "--form"):
            m = re.search(r"=[@<]([^;]+)", v)
            if m:
                a._path("read", Word(m.group(1)), "argument", display)
    for w in operands + [Word(v) for v in _values(options, "--url") if v]:
        m = re.match(r"(?i)file://[^/]*(/.*)", w.text)
        if m:
            a._path("read", Word(m.group(1), w.dynamic), "argument", display)


def _check_wget(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
                stdin: _Stdin | None) -> None:
    operands, options, risky = _split_options(
        args, "OoaPieUTtwQ", frozenset({"--output-document", "--output-file", "--append-output", "--directory-prefix",
                                        "--input-file", "--execute", "--post-file", "--body-file", "--use-askpass",
                                        "--user-agent", "--header", "--user", "--password", "--tries", "--timeout",
                                        "--config", "--load-cookies", "--save-cookies"}))
    _risky(name, risky, reasons)
    document = False
    for o, v in options:
        if o in ("-e", "--execute", "--use-askpass", "--config"):
            reasons.append(f"wget {o} runs commands or reads settings")
        if v is None:
            continue
        if o in ("-O", "--output-document"):
            document = True
            a._path("write", Word(v), "argument", display)
        elif o in ("-o", "--output-file", "-a", "--append-output", "--save-cookies"):
            a._path("write", Word(v), "argument", display)
        elif o in ("-P", "--directory-prefix"):
            document = True
            a._path("write", Word(v), "argument", display, recursive=True)
        elif o in ("-i", "--input-file", "--post-file", "--body-file", "--load-cookies"):
            a._path("read", Word(v), "argument", display)
    if not document and operands:
        a._path("write", Word("."), "argument", display, recursive=True)


def _check_jq(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
              stdin: _Stdin | None) -> None:
    operands: list[Word] = []
    filter_given = False
    i = 0
    while i < len(args):
        w, t = args[i], args[i].text
        i += 1
        if t in ("--args", "--jsonargs"):
            break  # the rest are arguments, not files
        if t in ("--arg", "--argjson"):
            i += 2
        elif t in ("--slurpfile", "--rawfile"):
            if i + 1 < len(args):
                a._path("read", args[i + 1], "argument", display)
            i += 2
        elif t in ("-f", "--from-file"):
            if i < len(args):
                a._path("read", args[i], "argument", display)
            filter_given = True
            i += 1
        elif t in ("--indent", "-L", "--tab") and t != "--tab":
            i += 1
        elif t.startswith("-") and len(t) > 1 and not w.dynamic:
            continue
        else:
            operands.append(w)
    if not filter_given and operands:
        operands = operands[1:]
    _reads(a, operands, display)


def _check_cp(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
              stdin: _Stdin | None) -> None:
    operands, options, _ = _split_options(
        args, "tSmogZ" if name == "install" else "tS",
        frozenset({"--target-directory", "--suffix", "--mode", "--owner", "--group", "--context"}))
    targets = _values(options, "-t", "--target-directory")
    if targets:
        sources, dests = operands, [Word(t) for t in targets]
    elif _has(options, "-d", "--directory") and name == "install":
        sources, dests = [], operands
    else:
        sources, dests = operands[:-1], operands[-1:]
    if name == "mv":
        _writes(a, sources, display, recursive=True)
    elif name == "ln":
        _writes(a, sources, display)  # a link can later be written through
    else:
        _reads(a, sources, display, recursive=_has(options, "-r", "-R", "--recursive", "-a", "--archive"))
    if name == "ln" and not targets and len(operands) == 1:
        dests = [Word(".")]
    _writes(a, dests, display, recursive=True)


def _check_writer(short_with_value: str = "", long_with_value: frozenset[str] = frozenset(), skip_first: bool = False) -> _Check:
    def check(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
              stdin: _Stdin | None) -> None:
        operands, options, _ = _split_options(args, short_with_value, long_with_value)
        reference = [v for o, v in options if o in ("-r", "--reference") and v]
        if skip_first and not reference and not any(o.startswith("--reference") for o, _ in options):
            operands = operands[1:]
        for v in reference:
            a._path("read", Word(v), "argument", display)
        recursive = _has(options, "-r", "-R", "--recursive") and name in ("rm", "chmod", "chown", "chgrp")
        _writes(a, operands, display, recursive=recursive)

    return check


def _check_dd(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
              stdin: _Stdin | None) -> None:
    for w in args:
        if w.text.startswith("of="):
            a._path("write", Word(w.text[3:], w.dynamic), "argument", display)
        elif w.text.startswith("if="):
            a._path("read", Word(w.text[3:], w.dynamic), "argument", display)


def _check_tee(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str], notes: list[str],
               stdin: _Stdin | None) -> None:
    operands, _, _ = _split_options(args, "", frozenset({"--output-error"}))
    _writes(a, operands, display)


_PIPE_FILES = ("/dev/stdin", "/dev/fd/", "/proc/self/fd/", "/dev/tcp/", "/dev/udp/")
_INLINE_CODE_OPTIONS = frozenset({"-c", "-e", "-E", "--eval", "-p", "--print", "-r", "--command"})


def _check_code_source(a: _Analyzer, name: str, args: list[Word], reasons: list[str]) -> None:
    """A shell or interpreter whose program comes from a pipe or is computed runs unseen code."""
    for k, w in enumerate(args):
        t = w.text
        if t.startswith(("<(", ">(")) or t.startswith(_PIPE_FILES):
            reasons.append(f"{name} runs code from a pipe ({t})")
            a.opaque = True
            return
        if t in _INLINE_CODE_OPTIONS and k + 1 < len(args) and args[k + 1].dynamic:
            reasons.append(f"{name} {t} runs code computed at run time")
            a.opaque = True
            return
        if not t.startswith("-"):
            return  # the script; what follows are its arguments


def _check_interpreter(a: _Analyzer, name: str, args: list[Word], display: str, reasons: list[str],
                       notes: list[str], stdin: _Stdin | None) -> None:
    reads_stdin = not args or args[0].text == "-"
    if reads_stdin and stdin is not None and stdin.kind == "pipe":
        reasons.append(f"{name} runs code read from its standard input")
        a.opaque = True
    elif reads_stdin and stdin is not None and stdin.kind in ("heredoc", "herestring"):
        notes.append(f"{name} runs the program given in the here-document")
    elif args and not args[0].text.startswith("-"):
        a._path("read", args[0], "argument", display)


_CHECKS: dict[str, _Check] = {
    "cat": _simple_reader(),
    "tac": _simple_reader("bs", frozenset({"--separator"})),
    "nl": _simple_reader("bdfhilnsvw"),
    "head": _simple_reader("nc", frozenset({"--lines", "--bytes"})),
    "tail": _simple_reader("ncs", frozenset({"--lines", "--bytes", "--pid", "--sleep-interval",
                                             "--max-unchanged-stats"})),
    "wc": _simple_reader("", frozenset({"--files0-from"})),
    "cut": _simple_reader("bcdf", frozenset({"--bytes", "--characters", "--delimiter", "--fields",
                                             "--output-delimiter"})),
    "strings": _simple_reader("ntTe", frozenset({"--bytes", "--radix", "--encoding", "--target"})),
    "od": _simple_reader("AjNSstw", frozenset({"--address-radix", "--skip-bytes", "--read-bytes", "--format",
                                               "--strings", "--width"})),
    "hexdump": _simple_reader("efns"),
    "base64": _simple_reader("w", frozenset({"--wrap"})),
    "base32": _simple_reader("w", frozenset({"--wrap"})),
    "file": _simple_reader("emfFP", frozenset({"--magic-file", "--files-from", "--separator", "--exclude",
                                               "--parameter"})),
    "cmp": _simple_reader("inI", frozenset({"--ignore-initial", "--bytes"})),
    "diff": _simple_reader("CDFILUWxX", frozenset({"--label", "--ignore-matching-lines", "--exclude",
                                                   "--exclude-from", "--from-file", "--to-file", "--starting-file",
                                                   "--show-function-line", "--context", "--unified", "--width",
                                                   "--ifdef", "--line-format", "--tabsize", "--color"})),
    "md5sum": _simple_reader(), "sha1sum": _simple_reader(), "sha256sum": _simple_reader(),
    "sha512sum": _simple_reader(), "cksum": _simple_reader(), "stat": _simple_reader("c", frozenset({"--format",
                                                                                                    "--printf"})),
    "sort": _check_sort,
    "uniq": _check_uniq_like,
    "xxd": _check_uniq_like,
    "grep": _check_grep, "egrep": _check_grep, "fgrep": _check_grep, "zgrep": _check_grep,
    "rg": _check_rg, "ag": _check_rg,
    "sed": _check_sed, "gsed": _check_sed,
    "awk": _check_awk, "gawk": _check_awk, "mawk": _check_awk, "nawk": _check_awk,
    "find": _check_find, "gfind": _check_find,
    "fd": _check_fd, "fdfind": _check_fd,
    "git": _check_git,
    "tar": _check_tar, "gtar": _check_tar, "bsdtar": _check_tar,
    "zip": _check_zip,
    "less": _check_pager, "more": _check_pager, "most": _check_pager,
    "man": _check_man,
    "go": _check_go,
    "rsync": _check_rsync,
    "ssh": _check_ssh, "scp": _check_ssh, "sftp": _check_ssh,
    "curl": _check_curl,
    "wget": _check_wget,
    "jq": _check_jq,
    "cp": _check_cp, "mv": _check_cp, "ln": _check_cp, "install": _check_cp,
    "rm": _check_writer(), "rmdir": _check_writer(), "unlink": _check_writer(),
    "touch": _check_writer("dtr", frozenset({"--date", "--reference"})),
    "mkdir": _check_writer("m", frozenset({"--mode", "--context"})),
    "truncate": _check_writer("sr", frozenset({"--size", "--reference"})),
    "shred": _check_writer("ns", frozenset({"--iterations", "--size", "--random-source"})),
    "chmod": _check_writer("", frozenset({"--reference"}), skip_first=True),
    "chown": _check_writer("", frozenset({"--reference", "--from"}), skip_first=True),
    "chgrp": _check_writer("", frozenset({"--reference"}), skip_first=True),
    "dd": _check_dd,
    "tee": _check_tee,
    "python": _check_interpreter, "perl": _check_interpreter, "ruby": _check_interpreter,
    "node": _check_interpreter, "nodejs": _check_interpreter, "php": _check_interpreter,
}


# --------------------------------------------------------------------------- entry point


@functools.lru_cache(maxsize=512)
def analyze(command: str) -> ShellAnalysis:
    """Everything ``bash -c command`` would run and touch, or why that cannot be known."""
    if len(command) > _MAX_LENGTH:
        return ShellAnalysis(command, unparseable=f"longer than {_MAX_LENGTH:,} characters")
    a = _Analyzer()
    try:
        a.script(command, ())
    except _Unparseable as exc:
        return ShellAnalysis(command, tuple(a.commands), tuple(a.paths), unparseable=str(exc) or "could not parse")
    except RecursionError:
        return ShellAnalysis(command, unparseable="nested too deeply to analyse")
    except Exception as exc:  # a bug here must not let a command through: fail closed
        return ShellAnalysis(command, unparseable=f"the analyser failed ({type(exc).__name__})")
    if not a.commands:
        return ShellAnalysis(command, unparseable=None)
    return ShellAnalysis(
        command,
        tuple(a.commands),
        tuple(a.paths),
        None,
        a.changes_directory,
        tuple(a.functions),
        tuple(dict.fromkeys(a.global_env)),
    )
