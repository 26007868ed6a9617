"""The error tree of digest.

    DigestError                 anything digest reports to a user as a clear message
    +-- ConfigError             the configuration file or environment is invalid
    +-- SourceError             a source could not be read
    |   +-- FetchError          network, HTTP status, size or time limits
    |   +-- ParseError          the body is not a feed we can read
    +-- StorageError            the database failed or is of an unknown schema
    +-- InputError              a user-supplied file or line is malformed
    +-- DeliveryError           a digest could not be rendered or delivered

Callers catch at the level they care about; the CLI turns any DigestError into exit status 2.
"""


class DigestError(Exception):
    """Base of every error digest explains to its user."""


class ConfigError(DigestError):
    """Invalid configuration; `problems` lists every error with its key path."""

    def __init__(self, problems: list[str], path: str | None = None) -> None:
        self.problems = problems
        self.path = path
        where = f"{path}: " if path else ""
        super().__init__(where + "; ".join(problems))


class SourceError(DigestError):
    """A source failed to deliver a usable feed."""


class FetchError(SourceError):
    """The source could not be fetched."""


class ParseError(SourceError):
    """The fetched body is not a readable feed."""


class StorageError(DigestError):
    """The database failed."""


class InputError(DigestError):
    """A file or line given by the user is malformed."""


class DeliveryError(DigestError):
    """A digest could not be rendered or delivered."""
