"""The one mask for card data and secrets: every text the library builds from server data goes
through it.

``mask_card_data(text)`` hides, wherever they stand in free text, JSON, HTML, form or query
strings:

* card numbers: runs of 13 to 19 digits that pass the Luhn check, also when their digit groups
  are joined by up to three spaces, tabs or dashes (``4242 4242 4242 4242``,
  ``4242-4242-4242-4242``), or written with JSON or Python escapes (``\\u0034242...``).
  At most the first 6 and last 4 digits stay (PCI DSS 3.4.1); separators stay where they were.
  Digit runs that fail the Luhn check (order numbers, millisecond timestamps) are left alone,
  and so are runs of more than 19 digits.
* card security codes: the value of a CVC, CVV, CVV2, CVN, CID, CSC or security-code field,
  however it is written (``"cvc": "737"``, ``'cvc': 737``, ``\\"cvc\\":\\"737\\"``,
  ``cvc=737``, ``card[cvc]=737``, ``<cvc>737</cvc>``, ``CVC: 737``, ``security code 737``)
  becomes ``***``;
* secrets the process registered with ``register_secret`` (the API key, a proxy password):
  wherever they appear, even echoed back by a server, they become ``****``.

``mask_data`` applies the same rules to parsed JSON (dicts, lists, strings, numbers), where a
field's name tells that its value is a security code. Pure functions, no I/O; this module
imports nothing from the library, so every module may use it.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from itertools import accumulate
from typing import Any, Final

#: What may join two digit groups of one card number: a space, a no-break space, a dash (or a
#: Unicode hyphen), or the HTML entity of one of them.
_SEPARATOR: Final = (
    r"(?:[ \t\-\u00a0\u2009\u202f\u2010\u2011\u2012\u2013\u2014\u2212]{1,3}"
    r"|&(?i:nbsp|#0*(?:32|45|160)|#x0*(?:20|2d|a0));)"
)
# A digit, space or dash written as an escape (JSON "\u0034", Python "\x34"): read as itself.
_ESCAPED_CHAR: Final = re.compile(r"\\(?:u00(3[0-9]|2[0dD])|x(3[0-9]|2[0dD]))")
_DIGIT_RUN: Final = re.compile(rf"(?<![0-9])[0-9]+(?:{_SEPARATOR}[0-9]+)*")
# An escape (JSON \u00e9, a repr's \xe9) whose last hex digits may be the first digits of a run.
_ESCAPE_BEFORE: Final = re.compile(
    r"\\(?:u([0-9A-Fa-f]{0,3})|x([0-9A-Fa-f]?)|U([0-9A-Fa-f]{0,7}))$"
)
_ESCAPE_DIGITS: Final = (4, 2, 8)
_SEPARATORS: Final = re.compile(_SEPARATOR)
_MIN_DIGITS: Final = 13
_MAX_DIGITS: Final = 19
# A run of more digit groups than this is a list of numbers; a card number has at most 19.
_MAX_GROUPS: Final = 64
_ALL_DIGITS_HIDDEN: Final = str.maketrans("0123456789", "*" * 10)
_DOUBLED: Final = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)  # a digit doubled, its two digits added (Luhn)

# The name of a card security code field, as a key in JSON or a form, or words in text.
_CVC_NAME: Final = (
    r"(?i:(?:card[ _\-]?)?(?:(?:cvc2?|cvv2?|cvn2?|cid|csc)(?:[ _\-]?(?:code|value|number))?"
    r"|security[ _\-]?code"
    r"|verification[ _\-]?(?:value|code))"
    r"|card[ _\-]?verification(?:[ _\-]?(?:value|code|number))?)"
)
# A name starts after a non-alphanumeric character, or at a camelCase hump (encryptedSecurityCode).
_NAME_START: Final = r"(?:(?<![A-Za-z0-9])|(?<=[a-z])(?=[A-Z]))"
# A field name or path that ends with one: cvc, payment.cvc, card[cvc], encryptedSecurityCode.
_CVC_FIELD: Final = re.compile(rf"{_NAME_START}{_CVC_NAME}(?:[\"'\]]|%5[dD])*$")
_CVC_VALUE: Final = re.compile(
    rf"{_NAME_START}{_CVC_NAME}"
    r"(?P<between>(?:\\?[\"'])?(?:\]|%5[dD])?"  # the key's closing quote; card[cvc]
    r"(?:(?P<strong>\s*(?:=>|[:=]|%3[aAdD])\s*|>)|(?P<weak>\s+)))"  # cvc: / cvc= / <cvc> / CVC
    r"(?P<value>\\\"[^\"\\]*\\\""  # \"737\" (JSON inside a JSON string)
    r"|\"(?:[^\"\\\n]|\\.)*\""  # "737"
    r"|'(?:[^'\\\n]|\\.)*'"  # '737'
    r"|[^\s\"'&,;<>{}\[\]()|]*[0-9][^\s\"'&,;<>{}\[\]()|]*)"  # 737, or a token with a digit
)
# Cheap to look for: a text without any of these (lower-cased) has no security-code name.
_CVC_HINTS: Final = ("cv", "cid", "csc", "secur", "verif")
_SHORT_NUMBER: Final = re.compile(r"(?<![0-9])[0-9]{3,}(?![0-9])")
_LEADING_NUMBER: Final = re.compile(r"[0-9]{3,}(?![0-9])")
HIDDEN: Final = "***"


def luhn_valid(digits: str) -> bool:
    """Whether a string of ASCII digits passes the Luhn (mod 10) check."""
    total = 0
    for position, char in enumerate(reversed(digits)):
        digit = ord(char) - 48
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def looks_like_card_number(digits: str) -> bool:
    """13 to 19 ASCII digits that pass the Luhn check."""
    return (
        _MIN_DIGITS <= len(digits) <= _MAX_DIGITS
        and digits.isascii()
        and digits.isdigit()
        and luhn_valid(digits)
    )


def keep_first6_last4(number: str) -> str:
    """A card number with all but its first 6 and last 4 digits starred; separators keep their
    places. Fewer than 13 digits is too short to show anything: every character is starred."""
    digits = sum(1 for char in number if char.isdigit())
    if digits < _MIN_DIGITS:
        return "*" * len(number)
    out, seen = [], 0
    for char in number:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= 6 or seen > digits - 4 else "*")
        else:
            out.append(char)
    return "".join(out)


def _mask_run(match: re.Match[str]) -> str:
    """Stars for the middle of every span of whole digit groups that is a card number."""
    run = match[0]
    if len(run) < _MIN_DIGITS:
        return run
    # After \u00e (say), the run's first digit closes the escape: a number may start after it.
    offset = 0
    escape = _ESCAPE_BEFORE.search(match.string, max(0, match.start() - 9), match.start())
    if escape is not None and escape.lastindex is not None:
        offset = _ESCAPE_DIGITS[escape.lastindex - 1] - len(escape[escape.lastindex])
    if run.isdigit() and offset == 0:  # one group, the common case
        if len(run) > _MAX_DIGITS or not luhn_valid(run):
            return run
        return run[:6] + "*" * (len(run) - 10) + run[-4:]
    groups, start = [], 0
    for separator in _SEPARATORS.finditer(run):
        groups.append((start, separator.start()))
        start = separator.end()
        if len(groups) >= _MAX_GROUPS:  # a list of numbers, not a card: hide all its digits
            return run.translate(_ALL_DIGITS_HIDDEN)
    groups.append((start, len(run)))
    hidden: set[int] = set()
    # A group too long to be part of a card number splits the run into parts checked alone.
    part: list[tuple[int, int]] = []
    for index, (start, end) in enumerate(groups):
        if end - start > _MAX_DIGITS + (offset if index == 0 else 0):
            _hide_card_spans(run, part, 0, hidden)
            part = []
        else:
            part.append((start, end))
    _hide_card_spans(run, part, offset if part and part[0] == groups[0] else 0, hidden)
    if not hidden:
        return run
    return "".join("*" if index in hidden else char for index, char in enumerate(run))


def _hide_card_spans(
    run: str, groups: list[tuple[int, int]], offset: int, hidden: set[int]
) -> None:
    """Add to ``hidden`` the run positions of the middle digits of every span of whole
    ``groups`` (the first may also start ``offset`` digits in) that is a card number."""
    digits = "".join(run[start:end] for start, end in groups)
    if len(digits) < _MIN_DIGITS:
        return
    # Digit k sits at run[place[k]]; group g's digits end at index ends[g] (exclusive).
    place = [index for start, end in groups for index in range(start, end)]
    ends = list(accumulate(end - start for start, end in groups))
    firsts = [0, *ends[:-1]]
    if 0 < offset < ends[0]:
        firsts.append(offset)
    if len(groups) <= 6:  # a card number as people write it: few spans, check each
        for first in firsts:
            for last in ends:
                if _MIN_DIGITS <= last - first <= _MAX_DIGITS and luhn_valid(digits[first:last]):
                    hidden.update(place[first + 6 : last - 4])
        return
    # The Luhn sum of any span in O(1): even[k] sums digits 0..k-1 with the odd-indexed ones
    # doubled, odd[k] with the even-indexed ones doubled; a span ending at digit b-1 takes the
    # one that leaves b-1 undoubled.
    values = [ord(char) - 48 for char in digits]
    even = list(accumulate((_DOUBLED[v] if k & 1 else v for k, v in enumerate(values)), initial=0))
    odd = list(accumulate((v if k & 1 else _DOUBLED[v] for k, v in enumerate(values)), initial=0))
    for first in firsts:
        group = bisect_left(ends, first + _MIN_DIGITS)
        while group < len(ends) and ends[group] - first <= _MAX_DIGITS:
            last = ends[group]
            sums = even if (last - 1) % 2 == 0 else odd
            if (sums[last] - sums[first]) % 10 == 0:
                hidden.update(place[first + 6 : last - 4])
            group += 1


def _mask_cvc(match: re.Match[str]) -> str:
    value = match["value"]
    keep = match[0][: match.start("value") - match.start()]
    quote = '\\"' if value.startswith('\\"') else value[0] if value[0] in "\"'" else ""
    if quote:
        if len(value) <= 2 * len(quote):  # "": nothing to hide
            return match[0]
        return keep + quote + HIDDEN + quote
    if match["weak"] is not None:  # plain words: only a number right after the name is a code
        number = _LEADING_NUMBER.match(value)
        if number is None:
            return match[0]  # "CVC check failed"
        return keep + HIDDEN + value[number.end() :]
    core = value.rstrip(".:!?")
    return keep + HIDDEN + value[len(core) :]


_secrets: set[str] = set()
_secret_pattern: re.Pattern[str] | None = None
#: Shorter values are not registered: hiding them would hide ordinary words.
MIN_SECRET_LENGTH: Final = 8
SECRET_HIDDEN: Final = "****"


def register_secret(secret: str) -> None:
    """Hide ``secret`` from every text this module masks, from now on, in this process."""
    global _secret_pattern
    if len(secret) < MIN_SECRET_LENGTH or secret in _secrets:
        return
    _secrets.add(secret)
    longest_first = sorted(_secrets, key=len, reverse=True)
    _secret_pattern = re.compile("|".join(re.escape(s) for s in longest_first))


def _unescape_char(match: re.Match[str]) -> str:
    return chr(int(match[1] or match[2], 16))


def mask_card_data(text: str) -> str:
    """``text`` with card numbers cut to their first 6 and last 4 digits, security codes and
    registered secrets dropped (see the module's docstring). Masking masked text again only
    ever hides more."""
    if not text:
        return text
    if _secret_pattern is not None:
        text = _secret_pattern.sub(SECRET_HIDDEN, text)
    if "\\" in text:
        text = _ESCAPED_CHAR.sub(_unescape_char, text)
    lowered = text.lower()
    if any(hint in lowered for hint in _CVC_HINTS):
        text = _CVC_VALUE.sub(_mask_cvc, text)
    return _DIGIT_RUN.sub(_mask_run, text)


def is_cvc_field(name: str) -> bool:
    """Whether a field name or path (``cvc``, ``securityCode``, ``card[cvv2]``, ``payment.cvc``)
    names a card security code."""
    return _CVC_FIELD.search(name) is not None


def mask_data(value: Any, *, cvc: bool = False) -> Any:
    """Parsed JSON with every string masked, card numbers given as JSON numbers masked, and the
    value of every security-code field dropped (``cvc=True``: ``value`` is one)."""
    if isinstance(value, str):
        masked = mask_card_data(value)
        return _SHORT_NUMBER.sub(HIDDEN, masked) if cvc else masked
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if cvc:
            return HIDDEN
        return mask_card_data(str(value)) if looks_like_card_number(str(value)) else value
    if isinstance(value, dict):
        return {
            mask_data(key): mask_data(item, cvc=cvc or (isinstance(key, str) and is_cvc_field(key)))
            for key, item in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [mask_data(item, cvc=cvc) for item in value]
    return value
