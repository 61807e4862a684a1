"""The cohort secret: read from --secret-file, or COURSE/.datalit/secret, created on first use.
Every candidate's seed is derived from it (`datalit.seeding.candidate_seed`)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from datalit.errors import InvalidArgument
from datalit.grading.course.layout import Course

SECRET_BYTES = 32


def cohort_secret(course: Course, secret_file: Path | None = None) -> tuple[str, Path, bool]:
    """The cohort secret, where it is kept, and whether this call created it.

    With `secret_file`, that file (stripped of surrounding whitespace) is the secret. Without it,
    COURSE/.datalit/secret is used, created on first use with 32 random bytes (hex), mode 0600.
    """
    if secret_file is not None:
        path = Path(secret_file)
        try:
            secret = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            reason = getattr(exc, "strerror", None) or "not UTF-8 text"
            raise InvalidArgument(f"cannot read --secret-file {path}: {reason}") from None
        if len(secret) < 16:
            raise InvalidArgument(
                f"--secret-file {path} holds {len(secret)} characters; use at least 16 random "
                "characters (e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`)"
            )
        return secret, path, False
    path = course.secret_file
    path.parent.mkdir(parents=True, exist_ok=True)
    created = False
    if not path.exists():
        # Written to a private temporary file, then linked into place: the link fails if another
        # release created the secret meanwhile, and nobody ever reads a half-written secret.
        tmp = path.with_name(f".secret.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(secrets.token_hex(SECRET_BYTES) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        try:
            os.link(tmp, path)
            created = True
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
    try:
        secret = path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        secret = ""
    if not secret:
        raise InvalidArgument(
            f"the cohort secret {path} is empty or unreadable; restore it from a backup (the "
            "released variants depend on it) or pass --secret-file"
        )
    return secret, path, created
