"""Errors a user can cause. The CLI prints these as one clear message, never a traceback."""


class DatalitError(Exception):
    """A problem with the user's input: the message says what was wrong and how to fix it."""


class InvalidArgument(DatalitError):
    """An argument (anomaly argument, CLI option, spec entry) has an invalid value."""


class UnknownName(DatalitError):
    """A recipe, anomaly or exercise name that does not exist; the message lists the valid ones."""

    def __init__(self, kind: str, name: str, valid: list[str]):
        self.kind, self.name, self.valid = kind, name, sorted(valid)
        super().__init__(f"unknown {kind} {name!r}; valid {kind}s: {', '.join(self.valid)}")
