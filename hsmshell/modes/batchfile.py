"""Reading a batch file into statements: one command a line, `#` comments, blank lines,
`\\` continuation, `set NAME value`, `${NAME}` / `${env:VAR}` substitution (`$$` is a literal
`$`), and `source FILE` includes (relative to the including file; cycles refused).

The whole file (with its includes) is read before the first command runs, so a mistake in
the file itself (an undefined variable, a missing include) stops the batch before it changes
anything. The reader knows nothing of the commands; running them is modes/batch.py's job.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from hsmshell import fileio
from hsmshell.errors import UsageError
from hsmshell.record import field, record

MAX_BATCH_FILE = 64 * 1024 * 1024        # one file, and all files of a batch together
MAX_INCLUDE_DEPTH = 32
MAX_LINE = 64 * 1024                      # a logical line, and a line after substitution
MAX_VALUE = 64 * 1024                     # a `set` variable's value
MAX_EXPANDED = 64 * 1024 * 1024           # all statements of a batch after substitution
NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SUBSTITUTION_RE = re.compile(r"\$\$|\$\{(env:)?([^}]*)\}")


class BatchFileError(UsageError):
    reference = "batch-file-error"


@record(frozen=True)
class Statement:
    text: str                    # the command, after substitution
    source: str                  # "file:line" of its first line
    env_values: tuple[str, ...] = field(default=(), repr=False)   # what ${env:..} put in


@record
class BatchScript:
    statements: list[Statement]
    variables: dict[str, str]


class BatchReader:
    def __init__(self, environ: dict, stdin=None):
        self.environ = environ
        self.stdin = stdin
        self.variables: dict[str, str] = {}
        self._stack: list[Path] = []
        self.statements: list[Statement] = []
        self._read_bytes = 0                  # of every file read so far (includes too)
        self._expanded = 0                    # characters of the statements so far

    def read(self, path: str) -> BatchScript:
        if path == "-":
            text = self.stdin.read(MAX_BATCH_FILE + 1)
            if len(text) > MAX_BATCH_FILE:
                raise BatchFileError(f"the batch on standard input is longer than {MAX_BATCH_FILE // 2**20} MiB")
            self._read_text(text, "<stdin>", Path.cwd())
        else:
            self._read_file(Path(path), path, None)
        return BatchScript(self.statements, self.variables)

    # -- files -----------------------------------------------------------------------------------
    def _read_file(self, file: Path, shown: str, where: str | None) -> None:
        resolved = file.resolve()
        if resolved in self._stack:
            chain = " -> ".join(p.name for p in (*self._stack, resolved))
            raise BatchFileError(f"{where}: source cycle: {chain}", hint="a file cannot include itself")
        if len(self._stack) >= MAX_INCLUDE_DEPTH:
            raise BatchFileError(f"{where}: includes nest deeper than {MAX_INCLUDE_DEPTH}")
        self._stack.append(resolved)
        try:
            text = _file_text(file, shown, where, MAX_BATCH_FILE - self._read_bytes)
            self._read_bytes += len(text)
            self._read_text(text, shown, resolved.parent)
        finally:
            self._stack.pop()

    def _read_text(self, text: str, shown: str, folder: Path) -> None:
        for number, line in _logical_lines(text.splitlines(), shown):
            source = f"{shown}:{number}"
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            word, rest = (stripped.split(None, 1) + [""])[:2]
            if word == "set":
                self._set(rest, source)
            elif word == "source":
                self._source(rest, source, folder)
            else:
                expanded, env_values = self._substitute(stripped, source)
                self._expanded += len(expanded)
                if self._expanded > MAX_EXPANDED:
                    raise BatchFileError(f"{source}: the batch's commands add up to more than "
                                         f"{MAX_EXPANDED // 2**20} MiB after substitution")
                self.statements.append(Statement(expanded, source, env_values))

    # -- directives ------------------------------------------------------------------------------
    def _set(self, rest: str, source: str) -> None:
        name, value = (rest.split(None, 1) + ["", ""])[:2]     # `set` alone: no name
        if not NAME_RE.match(name):
            raise BatchFileError(f"{source}: `set` needs a variable name: set NAME value",
                                 hint="names are letters, digits and _, not starting with a digit")
        expanded, _ = self._substitute(value.strip(), source, MAX_VALUE)
        self.variables[name] = _unquote(expanded, source)

    def _source(self, rest: str, source: str, folder: Path) -> None:
        if not rest:
            raise BatchFileError(f"{source}: `source` needs a file name")
        expanded, _ = self._substitute(rest, source)
        target = Path(_unquote(expanded, source)).expanduser()
        if not target.is_absolute():
            target = folder / target
        self._read_file(target, _display(target), source)

    def _substitute(self, text: str, source: str, limit: int = MAX_LINE) -> tuple[str, tuple[str, ...]]:
        """`text` with its ${...} replaced; never longer than `limit` (so `set A ${A}${A}`,
        repeated, stops at the limit instead of doubling until memory runs out)."""
        from_env: list[str] = []
        size = [len(text)]

        def value(match: re.Match) -> str:
            found = _value(match)
            size[0] += len(found) - len(match.group(0))
            if size[0] > limit:
                raise BatchFileError(f"{source}: longer than {limit} characters after substitution",
                                     hint="a variable that contains itself twice doubles at every `set`")
            return found

        def _value(match: re.Match) -> str:
            if match.group(0) == "$$":
                return "$"
            name = match.group(2)
            if match.group(1):
                if name not in self.environ:
                    raise BatchFileError(f"{source}: environment variable {name[:40]} is not set",
                                         hint="export it before running the batch")
                from_env.append(self.environ[name])
                return self.environ[name]
            if name not in self.variables:
                raise BatchFileError(f"{source}: variable {name[:40]} is not set",
                                     hint=f"define it first: set {name} value (or write $$ for a literal $)")
            return self.variables[name]

        return SUBSTITUTION_RE.sub(value, text), tuple(from_env)


def read_batch(path: str, environ: dict, stdin=None) -> BatchScript:
    return BatchReader(environ, stdin).read(path)


def _logical_lines(lines: list[str], shown: str):
    """(first line number, text) with `\\`-continued lines joined by one space."""
    pending: list[str] = []
    first = 0
    length = 0
    for number, line in enumerate(lines, start=1):
        if not pending:
            first, length = number, 0
        length += len(line)
        if length > MAX_LINE:
            raise BatchFileError(f"{shown}:{first}: a line longer than {MAX_LINE} characters",
                                 hint="a batch file holds one command a line")
        stripped = line.rstrip()
        if stripped.endswith("\\"):
            pending.append(stripped[:-1].strip())
            continue
        yield first, " ".join([*pending, line.strip()]) if pending else line
        pending = []
    if pending:
        raise BatchFileError(f"{shown}:{first}: the file ends inside a `\\` continuation",
                             hint="remove the last backslash, or add the line it continues to")


def _file_text(file: Path, shown: str, where: str | None, budget: int) -> str:
    prefix = f"{where}: " if where else ""
    # a regular file only (a FIFO would hang, /dev/zero never end), of bounded size
    data = fileio.read_regular(file, max(budget, 0), "batch file", shown_as=shown,
                               error=_prefixed(prefix))
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BatchFileError(f"{prefix}batch file {shown} is not UTF-8 text (byte {exc.start})") from None


def _prefixed(prefix: str):
    """The error class file refusals raise here: BatchFileError, its message after `prefix`."""
    return lambda message: BatchFileError(prefix + message)


def _unquote(value: str, source: str) -> str:
    """`set X "a b"` and `source 'my file.hsm'`: one quoted word loses its quotes."""
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        try:
            words = shlex.split(value)
        except ValueError:
            raise BatchFileError(f"{source}: unbalanced quotes") from None
        if len(words) == 1:
            return words[0]
    return value


def _display(path: Path) -> str:
    """How a source location names an included file: relative to here when that is shorter."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return relative if not relative.startswith("..") else str(path)
