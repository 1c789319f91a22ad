"""Languages of the web app: Babel message catalogs (.po, read at startup), the language of a
request, and money, numbers and dates formatted by Babel for that language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal, format_percent

LANGUAGES = ("en", "fi", "nb", "sv")
NAMES = {"en": "English", "fi": "suomi", "nb": "norsk bokmål", "sv": "svenska"}
TRANSLATIONS = Path(__file__).parent / "translations"
# The Norwegian krone leads the amount in the ERP our users know ("kr 15 000,00"); CLDR now
# puts it last, so nb uses its own pattern.
_CURRENCY_PATTERN = {"nb": "¤\xa0#,##0.00"}
_DATE_FORMAT = {"en": "medium"}


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Mark a message for extraction where it is defined; it is translated where shown."""
    return message


@cache
def catalog(language: str) -> dict[str, str]:
    """msgid → msgstr for one language (English is the msgids themselves)."""
    path = TRANSLATIONS / language / "LC_MESSAGES" / "messages.po"
    if language == "en" or not path.exists():
        return {}
    with path.open("rb") as handle:
        po = read_po(handle, locale=language)
    return {str(m.id): str(m.string) for m in po if m.id and m.string and not m.fuzzy}


def negotiate(accept_language: str | None) -> str:
    """The best of our languages for an Accept-Language header (English when none fits)."""
    if not accept_language:
        return "en"
    wanted: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        piece = part.strip().split(";")
        tag = piece[0].strip().lower()
        quality = 1.0
        for param in piece[1:]:
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if tag:
            wanted.append((quality, tag))
    for _, tag in sorted(wanted, key=lambda item: -item[0]):
        base = tag.split("-")[0]
        if base in ("no", "nn"):
            base = "nb"
        if base in LANGUAGES:
            return base
    return "en"


@dataclass(frozen=True)
class Translator:
    """Everything a template needs to speak one language."""

    language: str

    @property
    def locale(self) -> Locale:
        return _locale(self.language)

    def gettext(self, message: str, **values: Any) -> str:
        text = catalog(self.language).get(message, message)
        return text % values if values else text

    def money(self, value: dict[str, str] | None) -> str:
        if value is None:
            return "–"
        amount = Decimal(value["amount"])
        pattern = _CURRENCY_PATTERN.get(self.language)
        return format_currency(amount, value["currency"], pattern, locale=self.language)

    def number(self, value: Decimal | int | str | None) -> str:
        if value is None:
            return "–"
        number = Decimal(str(value))
        if not number.is_finite() or abs(number.adjusted()) > 18:
            # a value no form accepts any more (1E+30 stored by an old version): shown as
            # stored, so that the page that deletes it still opens
            return str(number)
        return format_decimal(number, locale=self.language)

    def percent(self, value: Decimal | str | None) -> str:
        """``value`` in percent (``"37.5"`` → 37.5 %)."""
        if value is None:
            return "–"
        return format_percent(Decimal(str(value)) / 100, "#,##0.0 %", locale=self.language)

    def date(self, value: date | str | None) -> str:
        if value is None:
            return "–"
        day = date.fromisoformat(value[:10]) if isinstance(value, str) else value
        return format_date(day, _DATE_FORMAT.get(self.language, "short"), locale=self.language)

    def datetime(self, value: datetime | str | None) -> str:
        if value is None:
            return "–"
        moment = (
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            if isinstance(value, str)
            else value
        )
        return format_datetime(moment, "short", tzinfo=None, locale=self.language)

    def yes_no(self, value: bool | None) -> str:
        if value is None:
            return "–"
        return self.gettext("yes") if value else self.gettext("no")


@cache
def _locale(language: str) -> Locale:
    return Locale.parse(language)


@cache
def translator(language: str) -> Translator:
    return Translator(language if language in LANGUAGES else "en")
