"""In-sandbox notebook runner: execute a notebook's code cells in one IPython shell.

This script runs INSIDE the sandbox, as the candidate's uid, in the same interpreter as the
candidate's code, so everything it does is tamperable: a cell can monkeypatch it, write fake
progress markers or rewrite the executed notebook. The trusted monitor (`sandbox/`) therefore
uses the markers only for per-cell timeouts and for saying which cell failed, bounds the run with
a total timeout enforced from outside, and re-sanitizes the executed notebook after the run.

It must not import datalit (the editable install points at the repository, which is not mounted)
and imports nothing heavy: a plain `InteractiveShell` starts in ~0.4 s, far cheaper than a
Jupyter kernel with ZMQ.

Usage: python -I -B runner.py NOTEBOOK OUTPUT MARKER_FD MAX_STREAM_BYTES

- NOTEBOOK: the trusted minimal notebook written by the grader (code cells only).
- OUTPUT: where the executed notebook goes; rewritten after every cell (atomically), so a kill
  during cell k keeps the outputs of cells before k.
- MARKER_FD: inherited pipe; the runner writes `ready N`, `cell-start K`, `cell-end K ok`,
  `cell-end K error "NAME"` (a JSON string) and `done` lines to it.
- MAX_STREAM_BYTES: budget for the text kept in the notebook's outputs (the rest is dropped with
  a note). Everything printed is also copied to the real stdout, which the monitor caps itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys

# Only these MIME types reach the executed notebook: no HTML or JavaScript, so nothing a
# candidate's code produces can execute in a reviewer's browser.
ALLOWED_MIME = ("text/plain", "image/png")
# Total base64 bytes of images kept in the notebook.
MAX_IMAGE_BYTES = 10 * 1024**2
TRUNCATED_NOTE = "\n[datalit: output truncated, the notebook's text output limit was reached]\n"
NOTE_BYTES = 2 * len(TRUNCATED_NOTE.encode())
"""Budget kept for truncation notes (stdout and stderr may each get one)."""


class Budget:
    """Byte budgets shared by all cells of one run."""

    def __init__(self, text: int, images: int = MAX_IMAGE_BYTES):
        self.text = text
        self.images = images

    def take_text(self, s: str) -> tuple[str, bool]:
        """The part of `s` that fits in the text budget, and whether anything was cut. The
        truncation note a cut adds is counted in the budget too, so that the monitor's own
        check of the budget never cuts the note off."""
        if self.text <= 0:
            return "", bool(s)
        # Characters as an upper bound for UTF-8 bytes would under-count; encode to be exact.
        b = s.encode("utf-8", "surrogatepass")
        if len(b) <= self.text - NOTE_BYTES:
            self.text -= len(b)
            return s, False
        kept = b[: max(self.text - NOTE_BYTES, 0)].decode("utf-8", "ignore")
        self.text = 0
        return kept, True


class CellOutputs:
    """The outputs of the cell being run, in nbformat v4 shape."""

    def __init__(self, budget: Budget):
        self.budget = budget
        self.items: list[dict] = []
        self.truncated: set[str] = set()

    def stream(self, name: str, text: str) -> None:
        kept, cut = self.budget.take_text(text)
        if cut and name not in self.truncated:
            self.truncated.add(name)
            kept += TRUNCATED_NOTE
        if not kept:
            return
        last = self.items[-1] if self.items else None
        if last is not None and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += kept
        else:
            self.items.append({"output_type": "stream", "name": name, "text": kept})

    def rich(self, output_type: str, data: dict, execution_count: int | None = None) -> None:
        kept = {}
        for mime in ALLOWED_MIME:
            value = data.get(mime)
            if not isinstance(value, str):
                continue
            if mime == "image/png":
                if len(value) > self.budget.images:
                    continue
                self.budget.images -= len(value)
                kept[mime] = value
            else:
                text, cut = self.budget.take_text(value)
                kept[mime] = text + (TRUNCATED_NOTE if cut else "")
        if not kept:
            return
        item = {"output_type": output_type, "data": kept, "metadata": {}}
        if output_type == "execute_result":
            item["execution_count"] = execution_count
        self.items.append(item)

    def error(self, ename: str, evalue: str, traceback: list[str]) -> None:
        tb, cut = self.budget.take_text("\n".join(traceback))
        evalue, _ = self.budget.take_text(evalue[:10_000])
        self.items.append(
            {
                "output_type": "error",
                "ename": ename[:200],
                "evalue": evalue,
                "traceback": (tb + (TRUNCATED_NOTE if cut else "")).split("\n"),
            }
        )

    def clear(self) -> None:
        self.items.clear()


class Tee(io.TextIOBase):
    """sys.stdout/sys.stderr during a cell: into the cell's outputs and on to the real stream."""

    def __init__(self, name: str, real, sink_getter):
        self.name = name
        self.real = real
        self.sink_getter = sink_getter

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def isatty(self):
        return False

    def fileno(self):
        return self.real.fileno()

    def write(self, s):
        if not isinstance(s, str):
            raise TypeError(f"write() argument must be str, not {type(s).__name__}")
        sink = self.sink_getter()
        if sink is not None:
            sink.stream(self.name, s)
        with contextlib.suppress(OSError, ValueError):
            self.real.write(s)
        return len(s)

    def flush(self):
        with contextlib.suppress(OSError, ValueError):
            self.real.flush()


def make_shell(get_sink):
    """A bare IPython InteractiveShell whose display hooks feed the current cell's outputs."""
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False):
            sink = get_sink()
            if sink is not None and isinstance(data, dict):
                sink.rich("display_data", data)

        def clear_output(self, wait=False):
            sink = get_sink()
            if sink is not None:
                sink.clear()

    class Hook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            sink = get_sink()
            if sink is not None and isinstance(format_dict, dict):
                sink.rich("execute_result", format_dict)

        def finish_displayhook(self):
            self._is_active = False

    class Shell(InteractiveShell):
        def ask_exit(self):
            # `exit()`/`quit()` in a cell: like a Jupyter kernel, stop after this cell.
            self.exit_now = True

        def _showtraceback(self, etype, evalue, stb):
            sink = get_sink()
            name = getattr(etype, "__name__", "Exception")
            try:
                value = str(evalue)
            except Exception:
                value = "<unprintable exception>"
            if sink is not None:
                sink.error(name, value, list(stb))
            # The traceback also goes to the real stderr (for the monitor's stream tail), not
            # into the cell's stream output, where it would appear twice.
            try:
                sys.__stderr__.write("\n".join(stb) + "\n")
                sys.__stderr__.flush()
            except (OSError, ValueError):
                pass

    config = Config()
    config.HistoryManager.enabled = False  # no SQLite history file in the work dir
    config.InteractiveShell.colors = "nocolor"  # no ANSI escapes in tracebacks
    config.InteractiveShell.autocall = 0
    return Shell.instance(config=config, displayhook_class=Hook, display_pub_class=Publisher)


def write_notebook(nb: dict, path: str) -> None:
    """Write the executed notebook; a failure (the cells filled the work dir, or replaced the
    file by a folder) loses outputs, not the run: the next cells still run."""
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as f:
            json.dump(nb, f, ensure_ascii=False, indent=1)
            f.write("\n")
        os.replace(tmp, path)
    except (OSError, ValueError) as e:
        with contextlib.suppress(OSError, ValueError):
            sys.__stderr__.write(f"[datalit: the executed notebook could not be written: {e}]\n")
        with contextlib.suppress(OSError):
            os.remove(tmp)


def main(argv: list[str]) -> int:
    nb_path, out_path, marker_fd, max_stream = argv[1], argv[2], int(argv[3]), int(argv[4])
    markers = os.fdopen(marker_fd, "w", buffering=1, encoding="ascii", closefd=True)

    def mark(line: str) -> None:
        try:
            markers.write(line + "\n")
            markers.flush()
        except (OSError, ValueError):
            pass  # a cell may have closed the pipe; the monitor copes without markers

    # Work in the notebook's directory, like Jupyter. (Not bwrap's --chdir: bwrap changes
    # directory after dropping capabilities but before setpriv, as a root without
    # CAP_DAC_OVERRIDE that cannot enter the candidate's 0700 work dir.)
    os.chdir(os.path.dirname(os.path.abspath(nb_path)))
    with open(nb_path, encoding="utf-8") as f:
        nb = json.load(f)
    cells = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    budget = Budget(max_stream)
    current: list[CellOutputs | None] = [None]
    real_out, real_err = sys.stdout, sys.stderr
    shell = make_shell(lambda: current[0])
    # Jupyter kernels have the working directory on sys.path; candidates may rely on it.
    sys.path.insert(0, "")
    write_notebook(nb, out_path)
    mark(f"ready {len(cells)}")

    runner_pid = os.getpid()
    for k, cell in enumerate(cells, start=1):
        mark(f"cell-start {k}")
        sink = CellOutputs(budget)
        current[0] = sink
        sys.stdout = Tee("stdout", real_out, lambda: current[0])
        sys.stderr = Tee("stderr", real_err, lambda: current[0])
        try:
            source = cell["source"]
            source = "".join(source) if isinstance(source, list) else source
            result = shell.run_cell(source, store_history=True)
        finally:
            try:
                sys.stdout.flush()
                sys.stderr.flush()
            except Exception:
                pass
            sys.stdout, sys.stderr = real_out, real_err
            current[0] = None
        if os.getpid() != runner_pid:
            # A process the cell forked (os.fork) came back here: only the runner reports and
            # runs the next cells, or a fork bomb's children would each write markers and the
            # executed notebook, and run the rest of the notebook in parallel.
            os._exit(0)
        error = result.error_before_exec or result.error_in_exec
        for item in sink.items:
            if item["output_type"] == "execute_result":
                item["execution_count"] = k
        cell["outputs"] = sink.items
        cell["execution_count"] = k
        write_notebook(nb, out_path)
        if error is not None:
            # As a JSON string, so that any class name (non-ASCII ones too) stays one ASCII line.
            name = json.dumps(str(type(error).__name__)[:100], ensure_ascii=True)
            mark(f"cell-end {k} error {name}")
            break
        mark(f"cell-end {k} ok")
        if shell.exit_now:
            # No `done`: the monitor reports that the notebook ended itself after cell k.
            mark(f"exit {k}")
            return 0
    mark("done")
    try:
        real_out.flush()
        real_err.flush()
    except (OSError, ValueError):
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
