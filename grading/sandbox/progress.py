"""What the monitor reads from a run: the runner's progress markers and the output's tail.

Both are candidate-controlled. Owns the marker grammar and the runner's strict sequence
(`_Progress`: a line out of it is counted as forged), the bounded tail of stdout/stderr
(`_Tail`), and `_clean`, which strips control characters and direction overrides from any
candidate text before it is shown to anyone.
"""

from __future__ import annotations

import json
import re

_MARKER = re.compile(
    rb"(ready|cell-start|cell-end|exit|done)(?: (\d{1,6}))?"
    rb'(?: (ok|error)(?: ("(?:[^"\\]|\\.){0,700}"|\w{1,100}))?)?'
)


def _exception_name(raw: bytes | None) -> str:
    """The class name in a `cell-end K error` marker: a JSON string (any name, non-ASCII too),
    cleaned of control characters and capped, or "Exception" if unreadable."""
    if not raw:
        return "Exception"
    if raw.startswith(b'"'):
        try:
            name = json.loads(raw)
        except ValueError:
            return "Exception"
    else:
        name = raw.decode("ascii")
    name = _clean(name if isinstance(name, str) else "")[:100].strip()
    return name or "Exception"


class _Progress:
    """State from the runner's markers. Tamperable: candidate code runs in the runner's own
    process and can write to the pipe, so the markers only drive per-cell timeouts and
    reporting, cell numbers are bounded by the real count, and a line the runner would never
    have written there and then (not a marker, out of sequence, anything after `done`) is
    counted as forged: the run's account of itself is then not trusted (status "tampered")."""

    def __init__(self, cells_total: int):
        self.cells_total = cells_total
        self.ready = False
        self.running: int | None = None  # cell started and not ended
        self.started_at: float | None = None
        self.last_started: int | None = None
        self.completed = 0
        self.error: tuple[int, str] | None = None
        self.done_at: float | None = None
        self.exited_after: int | None = None  # `exit()` in a cell: the runner stopped after it
        self.forged = 0
        """Lines out of the runner's sequence. Which of two conflicting lines was forged cannot
        be told (a forged `cell-end K ok` is accepted, the runner's own `cell-end K error` after
        it is not), so none is quoted to the reviewer."""
        self._buf = b""

    def feed(self, data: bytes, now: float) -> None:
        self._buf += data
        *lines, self._buf = self._buf.split(b"\n")
        if len(self._buf) > 4096:  # no legitimate marker is that long
            self._buf = b""
            self.forged += 1
        for line in lines:
            m = _MARKER.fullmatch(line.strip())
            if m is None or not self._handle(m, now):
                self.forged += 1

    def _handle(self, m: re.Match, now: float) -> bool:
        """Apply one marker; False if the runner's own sequence could not have produced it."""
        kind, number = m.group(1), m.group(2)
        k = int(number) if number else None
        if self.done_at is not None:
            return False  # nothing follows `done`
        if kind == b"ready":  # once, first, with the real number of cells
            first = not self.ready and k == self.cells_total
            self.ready = True
            return first
        if not self.ready:
            return False
        if kind == b"done":  # after the last cell, or after the cell that raised
            if self.running is not None:
                return False
            self.done_at = now
            return True
        if k is None or not 1 <= k <= self.cells_total:
            return False
        # The runner's sequence is strict (cell k starts after cell k-1 ended ok, and ends
        # before cell k+1 starts); markers out of sequence are forgeries and change nothing, so
        # a notebook can at most misreport the cell it is running.
        if kind == b"exit":
            if k == self.completed and self.running is None and self.exited_after is None:
                self.exited_after = k
                return True
            return False
        if kind == b"cell-start":
            if self.running is None and self.error is None and k == self.completed + 1:
                self.running, self.started_at, self.last_started = k, now, k
                return True
            return False
        if kind == b"cell-end" and self.running == k and m.group(3):
            self.running, self.started_at = None, None
            if m.group(3) == b"ok":
                self.completed = k
            else:
                self.error = (k, _exception_name(m.group(4)))
            return True
        return False


class _Tail:
    """Keeps the last `cap` bytes of a stream; everything else is read and discarded."""

    def __init__(self, cap: int):
        self.cap = cap
        self.buf = bytearray()
        self.dropped = 0

    def add(self, data: bytes) -> None:
        self.buf += data
        if len(self.buf) > 2 * self.cap:
            cut = len(self.buf) - self.cap
            self.dropped += cut
            del self.buf[:cut]

    def text(self) -> str:
        data = bytes(self.buf[-self.cap :])
        dropped = self.dropped + len(self.buf) - len(data)
        text = _clean(data.decode("utf-8", "replace"))
        if dropped:
            text = f"[datalit: {dropped} earlier bytes of output dropped]\n" + text
        encoded = text.encode("utf-8")
        if len(encoded) > self.cap:
            text = encoded[-self.cap :].decode("utf-8", "ignore")
        return text


# ANSI escape sequences, C0/C1 control characters other than tab and newline, and Unicode
# direction overrides (which can make text read differently from what it is).
_CONTROL = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-_]|[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def _clean(text: str) -> str:
    text = text.encode("utf-8", "replace").decode("utf-8")  # lone surrogates
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
