"""Entries of a JSON answer (a JSON Feed, the ReliefWeb API) read one by one: an entry of the
wrong shape (a number for a title, no title at all) is left out, with a word for the source's
health, and costs no other entry of its feed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def readable(model: type[M], entries: Sequence[Any], what: str) -> tuple[list[M], str | None]:
    """The entries `model` can read, and, when some could not be, how many and why the first."""
    read: list[M] = []
    first: str | None = None
    for number, entry in enumerate(entries):
        try:
            read.append(model.model_validate(entry))
        except ValidationError as exc:
            first = first or f"{what} {number}: {why(exc)}"
    left = len(entries) - len(read)
    return read, (f"{left} {what}(s) left out, unreadable (the first, {first})" if left else None)


def why(exc: ValidationError) -> str:
    """The first problem of a validation, with where it is."""
    error = exc.errors()[0]
    where = ".".join(str(part) for part in error["loc"]) or "(top level)"
    return f"{where}: {error['msg']}"
