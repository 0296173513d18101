"""居民身份证号码 (GB 11643-1999): check digit, sex and birth date, and masking."""

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_SHAPE = re.compile(r"^\d{17}[\dX]$")
_FIRST_GENERATION = re.compile(r"^\d{15}$")
# GB/T 2260 province codes, and 81/82/83 of the residence permits (港澳台居民居住证).
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 "
    "61 62 63 64 65 71 81 82 83".split()
)
_EARLIEST_BIRTH = datetime.date(1900, 1, 1)


def check_digit(first17: str) -> str:
    return _CHECK[sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True)) % 11]


def id_number_error(value: str) -> str | None:
    """The reason `value` is not a valid ID number, in the user's language, or None."""
    if len(value) != 18:
        return _("an ID number has 18 characters, this one has %(n)d") % {"n": len(value)}
    if not _SHAPE.match(value):
        return _("an ID number is 17 digits and a final digit or X")
    if value[:2] not in _PROVINCES or value[2:6] == "0000":
        return _("the area code (characters 1-6, 「%(area)s」) is not a county of China") % {
            "area": value[:6]
        }
    birth = birth_date_of(value)
    if birth is None:
        return _("the birth date in the ID number (characters 7-14) is not a real date")
    # the local date only for the recent births that could be in the future (it costs a clock
    # and time-zone read, and a ledger checks thousands of numbers)
    recent = birth.year >= datetime.date.today().year - 1
    if birth < _EARLIEST_BIRTH or (recent and birth > timezone.localdate()):
        return _(
            "the birth date in the ID number (characters 7-14) is %(date)s, in the future or "
            "before 1900: a character was mistyped"
        ) % {"date": birth.isoformat()}
    if check_digit(value[:17]) != value[17]:
        return _("the check digit is wrong (expected %(digit)s): a character was mistyped") % {
            "digit": check_digit(value[:17])
        }
    return None


def validate_id_number(value: str) -> None:
    if value:
        error = id_number_error(value)
        if error:
            raise ValidationError(error, code="invalid_id_number")


def normalise(value: str) -> str:
    """As the house stores it: full-width digits and letters made ASCII (NFKC), every kind of
    space (NBSP, U+3000, line breaks) removed, a final x upper case."""
    text = unicodedata.normalize("NFKC", value).replace("\u200b", "").replace("\ufeff", "")
    return "".join(text.split()).upper()


def from_first_generation(value: str) -> str | None:
    """The 18-character number of a 15-digit first-generation one (born 19YY, no check digit),
    or None when `value` is not one."""
    if not _FIRST_GENERATION.match(value):
        return None
    first17 = f"{value[:6]}19{value[6:]}"
    return first17 + check_digit(first17)


def birth_date_of(value: str) -> datetime.date | None:
    try:
        return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def sex_of(value: str) -> str:
    if len(value) < 17 or not value[16].isdigit():
        return ""
    return _("male") if int(value[16]) % 2 else _("female")


def mask(value: str) -> str:
    """370481********123X: area code and last four kept, birth date hidden."""
    if len(value) != 18:
        return "*" * len(value)
    return f"{value[:6]}********{value[14:]}"


def compose(area: str, birth: datetime.date, sequence: int) -> str:
    """A valid ID number from a 6-digit area code, a birth date and a 3-digit sequence (whose
    last digit is odd for men): used by the demo data and tests."""
    first17 = f"{area}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_digit(first17)
