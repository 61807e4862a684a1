"""Whether the bubblewrap sandbox can run on this machine, asked once per process.

Owns finding the tools (`bwrap`, `setpriv`) and the probe: a throw-away sandbox with the same
namespaces and system mounts as a real run, started before any submission is touched, so that a
machine that cannot sandbox stops the batch with one reason instead of failing every submission.
The system-dir mounts are built here because the probe and the real argv must mount the same.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess

from datalit.grading.sandbox.limits import SYSTEM_DIRS


def _tool(name: str) -> str | None:
    for directory in ("/usr/bin", "/bin", "/usr/sbin", "/sbin"):
        path = os.path.join(directory, name)
        if os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def _system_dir_args() -> list[str]:
    args: list[str] = []
    for d in SYSTEM_DIRS:
        if os.path.islink(d):
            args += ["--symlink", os.readlink(d), d]
        elif os.path.isdir(d):
            args += ["--ro-bind", d, d]
    return args


def _unavailable_reason() -> str | None:
    bwrap, setpriv = _tool("bwrap"), _tool("setpriv")
    if bwrap is None:
        return "bubblewrap (`bwrap`) is not installed"
    if setpriv is None:
        return "`setpriv` (Debian package util-linux) is not installed"
    if os.geteuid() != 0:
        return "the grader is not running as root"
    probe = [
        bwrap,
        *("--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"),
        *("--die-with-parent", "--cap-drop", "ALL"),
        *_system_dir_args(),
        *("--proc", "/proc", "--dev", "/dev", "--", "/usr/bin/true"),
    ]
    try:
        done = subprocess.run(probe, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"`bwrap` could not be started ({e})"
    if done.returncode != 0:
        msg = done.stderr.decode("utf-8", "replace").strip().splitlines()
        return f"`bwrap` is installed but failed ({msg[-1] if msg else done.returncode})"
    return None


@functools.cache
def _cached_unavailable_reason() -> str | None:
    return _unavailable_reason()


def bwrap_available() -> bool:
    """True if the sandbox can run here: bwrap and setpriv installed, running as root, and a
    probe sandbox starts (checked once per process)."""
    return _cached_unavailable_reason() is None
