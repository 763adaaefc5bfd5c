"""Pure checks of official codes, shared by wire schemas and services (no I/O).

Unified social credit code (统一社会信用代码, GB 32100-2015): format and check character.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # 31 characters: no I, O, S, V, Z
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {ch: i for i, ch in enumerate(ALPHABET)}


def uscc_check_character(first17: str) -> str:
    """The 18th character for the first 17."""
    total = sum(_VALUE[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """Why `code` is not a valid USCC, or None when it is."""
    if len(code) != 18:
        return "must be 18 characters"
    bad = sorted({ch for ch in code if ch not in _VALUE})
    if bad:
        return f"contains characters outside the GB 32100 alphabet: {''.join(bad)}"
    if not code[2:8].isdigit():
        return "characters 3-8 must be the administrative division code (digits)"
    if uscc_check_character(code[:17]) != code[17]:
        return "check character does not match (GB 32100-2015)"
    return None


# Chinese patent application numbers (专利申请号, CNIPA). Since 2003: 12 digits = year (4), type (1:
# invention, 2: utility model, 3: design, 8: PCT invention, 9: PCT utility model), serial (7);
# before 2003: 8 digits = year (2), type (1), serial (5). A check digit follows a dot: the digits
# times 2,3,4,5,6,7,8,9,2,3,4,5 (8-digit numbers: 2..9), summed, modulo 11; 10 is written X.
# A grant is cited with the application number prefixed ZL (专利号); CN prefixes an application.

PATENT_PREFIXES = ("CN", "ZL")
PATENT_TYPES = frozenset("12389")
_PATENT_WEIGHTS = (2, 3, 4, 5, 6, 7, 8, 9, 2, 3, 4, 5)


def patent_check_digit(digits: str) -> str:
    """The check digit of an 8- or 12-digit CNIPA application number."""
    total = sum(int(d) * w for d, w in zip(digits, _PATENT_WEIGHTS, strict=False))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def normalise_patent_number(value: str) -> str:
    """Upper case, no spaces: `zl 2023 1012 3456.6` -> `ZL202310123456.6`."""
    return "".join(value.split()).upper()


def patent_number_problem(number: str) -> str | None:
    """Why `number` is not a valid CN/ZL patent number, or None when it is."""
    prefix, rest = number[:2], number[2:]
    if prefix not in PATENT_PREFIXES:
        return "must start with CN (application) or ZL (granted patent)"
    digits, dot, check = rest.partition(".")
    if not dot or len(check) != 1 or not digits.isdigit() or len(digits) not in (8, 12):
        return "must be CN or ZL, 12 digits (8 before 2003), a dot and a check digit, e.g. ZL202310123456.6"
    type_digit = digits[4] if len(digits) == 12 else digits[2]
    if len(digits) == 12 and not 1985 <= int(digits[:4]) <= 2099:
        return "the first four digits must be the filing year"
    if type_digit not in PATENT_TYPES:
        return "the type digit must be 1, 2, 3, 8 or 9"
    if patent_check_digit(digits) != check:
        return f"check digit does not match (expected {patent_check_digit(digits)})"
    return None
