"""Whole numbers from query strings and URLs, bounded before Python converts them.

int() refuses digit strings over 4,300 characters with a ValueError that looks like any other; a
bound far below it also keeps ids inside PostgreSQL's bigint.
"""

from django.core.exceptions import BadRequest

# bigint holds every 18-digit number; nothing the clinic counts or numbers is longer.
MAX_DIGITS = 18


class TooLong(ValueError):
    """A number with more digits than any id or count of ours."""


class OverlongNumber(BadRequest):
    """A page's numeric parameter too long to be ours: a 400 whose message the page shows (truffles.views)."""

    def __init__(self, parameter: str):
        super().__init__(f"The address has a {parameter} too long to be one of ours. Go back and try again.")


def whole_number(text: object, max_digits: int = MAX_DIGITS) -> int:
    """`text` as a non-negative whole number; ValueError (TooLong for overlong digits) for anything else."""
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()):
        raise ValueError(f"{text!r:.40} is not a whole number")
    if len(text.lstrip("0")) > max_digits:
        raise TooLong(f"a number of {len(text):,} digits is longer than {max_digits}")
    return int(text)


def whole_number_or_none(text: object, max_digits: int = MAX_DIGITS) -> int | None:
    try:
        return whole_number(text, max_digits)
    except ValueError:
        return None
