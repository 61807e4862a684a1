"""The runner's command line: bwrap's argv (the mount allowlist), its environment, its arguments.

Owns what the sandbox can see: the system dirs and the Python runtime read-only, a generated
passwd/group, private /tmp and /dev/shm, the work dir at /work, the scrubbed environment and the
`setpriv` switch to the slot's uid. The environment and the runner's own arguments are shared
with the unsafe launcher, so that both modes run the same runner the same way.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from datalit.grading.sandbox.availability import _system_dir_args, _tool
from datalit.grading.sandbox.limits import (
    EXECUTED,
    PASSTHROUGH_ENV,
    PRIVATE_DIR,
    RUNNER,
    SANDBOX_OPT,
    SANDBOX_RUNNER,
    SANDBOX_SHM_BYTES,
    SANDBOX_TMP_BYTES,
    SANDBOX_VENV,
    SANDBOX_WORK,
    SUBMISSION,
    SYSTEM_DIRS,
    Limits,
    SandboxUnavailable,
)


def _sandbox_env(home: str, python_bin: str, tmp: str) -> dict[str, str]:
    env = {
        "HOME": home,
        "PATH": f"{python_bin}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "USER": "candidate",
        "LOGNAME": "candidate",
        "TMPDIR": tmp,
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{tmp}/matplotlib",
        "IPYTHONDIR": f"{tmp}/ipython",  # not in the work dir: only the candidate's files go there
        "XDG_CACHE_HOME": f"{tmp}/cache",
        "XDG_CONFIG_HOME": f"{tmp}/config",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONNOUSERSITE": "1",
        "GX_ANALYTICS_ENABLED": "false",
        # One thread per BLAS/OpenMP pool: threads count against RLIMIT_NPROC, and job slots
        # already use the cores in parallel.
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "NUMEXPR_NUM_THREADS": "1",
        "VECLIB_MAXIMUM_THREADS": "1",
    }
    for name in PASSTHROUGH_ENV:
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _python_runtime() -> tuple[list[str], str, str]:
    """bwrap mounts for the Python runtime, the interpreter and its bin dir inside the sandbox.

    The base prefix (a pyenv build under /root, mode 0700, on these machines) is mounted at its
    real path, because the venv's `python3` is an absolute symlink into it and pyvenv.cfg names
    it; parents that bwrap creates are made 0755 (bwrap's default 0700 would lock the uid out).
    The venv is mounted at SANDBOX_VENV, not its real path: it lives in the repository
    (/work/main/.venv), which must stay invisible, and /work is the candidate's work dir.
    """
    base = Path(sys.base_prefix).resolve()
    args: list[str] = []
    if not any(base == Path(d) or Path(d) in base.parents for d in SYSTEM_DIRS):
        for top in ("/work", "/tmp", "/proc", "/dev", "/etc", SANDBOX_OPT):
            if base == Path(top) or Path(top) in base.parents:
                raise SandboxUnavailable(f"the Python runtime at {base} overlaps {top}")
        for parent in reversed(base.parents[:-1]):
            args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", str(base), str(base)]
    args += ["--perms", "0755", "--dir", "/opt", "--perms", "0755", "--dir", SANDBOX_OPT]
    if sys.prefix != sys.base_prefix:
        prefix = Path(sys.prefix)
        args += ["--ro-bind", str(prefix), SANDBOX_VENV]
        try:
            rel = Path(sys.executable).relative_to(prefix)
        except ValueError:
            rel = Path("bin/python")
        python = f"{SANDBOX_VENV}/{rel.as_posix()}"
        python_bin = f"{SANDBOX_VENV}/bin"
    else:
        python = str(Path(sys.executable).resolve())
        python_bin = str(Path(python).parent)
    return args, python, python_bin


def _data_fd(data: bytes) -> int:
    """A pipe's read end holding `data` (small: it must fit in the pipe buffer)."""
    r, w = os.pipe()
    try:
        os.write(w, data)
    finally:
        os.close(w)
    return r


def _bwrap_argv(
    *,
    workdir: Path,
    uid: int,
    marker_fd: int,
    limits: Limits,
    passwd_fd: int,
    group_fd: int,
    seccomp_fd: int | None,
) -> list[str]:
    bwrap, setpriv = _tool("bwrap"), _tool("setpriv")
    if bwrap is None or setpriv is None:
        raise SandboxUnavailable("bwrap or setpriv disappeared")
    runtime, python, python_bin = _python_runtime()
    etc: list[str] = ["--perms", "0755", "--dir", "/etc"]
    if os.path.isfile("/etc/ld.so.cache"):
        etc += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    if os.path.exists("/etc/localtime"):
        etc += ["--ro-bind", os.path.realpath("/etc/localtime"), "/etc/localtime"]
    # A generated passwd/group naming only the candidate's uid (getpass.getuser() and `id`
    # work), instead of the host's account list.
    etc += ["--perms", "0444", "--ro-bind-data", str(passwd_fd), "/etc/passwd"]
    etc += ["--perms", "0444", "--ro-bind-data", str(group_fd), "/etc/group"]
    env = _sandbox_env(SANDBOX_WORK, python_bin, "/tmp")
    setenv = [a for k, v in env.items() for a in ("--setenv", k, v)]
    return [
        bwrap,
        *("--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts"),
        *("--unshare-cgroup-try", "--hostname", "datalit"),
        # --die-with-parent: the sandbox dies if the grader does; --new-session: no TIOCSTI.
        *("--die-with-parent", "--new-session"),
        # Root inside bwrap would keep its capabilities (it could remount / read-write): drop
        # them all except the three setpriv needs to switch to the slot's uid; setpriv then
        # clears those too (bounding, inheritable, and permitted/effective by the uid change).
        *("--cap-drop", "ALL"),
        *("--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"),
        # ALLOWLIST of mounts; `--ro-bind / /` would expose keys, solutions and the gradebook.
        *_system_dir_args(),
        *etc,
        *runtime,
        *("--ro-bind", str(RUNNER.resolve()), SANDBOX_RUNNER),
        *("--proc", "/proc", "--dev", "/dev"),
        *("--perms", "1777", "--size", str(SANDBOX_TMP_BYTES), "--tmpfs", "/tmp"),
        # POSIX semaphores and shared memory (multiprocessing, joblib) live in /dev/shm.
        *("--perms", "1777", "--size", str(SANDBOX_SHM_BYTES), "--tmpfs", "/dev/shm"),
        # No --chdir: bwrap would chdir without capabilities, as a root that cannot enter the
        # 0700 work dir owned by the slot's uid; the runner changes to /work itself.
        *("--bind", str(workdir.resolve()), SANDBOX_WORK),
        *(["--seccomp", str(seccomp_fd)] if seccomp_fd is not None else []),
        "--clearenv",
        *setenv,
        "--",
        setpriv,
        *("--reuid", str(uid), "--regid", str(uid), "--clear-groups"),
        *("--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"),
        *_runner_args(python, SANDBOX_RUNNER, SANDBOX_WORK, marker_fd, limits),
    ]


def _runner_args(python: str, runner: str, work: str, marker_fd: int, limits: Limits) -> list:
    # -I (isolated): ignore PYTHON* variables, no user site-packages, and the script's directory
    # is not put on sys.path. Not -S: `site` is what puts the venv's site-packages (pandas, ...)
    # on sys.path. -B: -I also ignores PYTHONDONTWRITEBYTECODE, and no .pyc should land in /work.
    return [
        *(python, "-I", "-B", runner),
        f"{work}/{SUBMISSION}",
        f"{work}/{PRIVATE_DIR}/{EXECUTED}",
        str(marker_fd),
        str(limits.max_stream_bytes),
    ]
