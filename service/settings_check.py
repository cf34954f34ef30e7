"""Reading the settings for a command: a refusal names each wrong setting and what is wrong with it, and
never echoes a value (a database URL holds a password, a JWKS may hold key material, a URL a token)."""

from __future__ import annotations

import re
import sys

from pydantic import ValidationError
from pydantic_settings import SettingsError

from service.settings import Settings, get_settings, url_without_secrets

# pydantic-settings names the field it could not decode, and nothing else useful (its cause quotes the value).
_UNREADABLE_FIELD = re.compile(r'field "(\w+)"')


class SettingsRefused(SystemExit):
    """The settings cannot start a safe service; the message names the setting."""


def read_settings() -> Settings:
    """The settings, or a :class:`SettingsRefused` naming each wrong one (never echoing its value)."""
    try:
        return get_settings()
    except ValidationError as exc:
        lines = [_problem(error["loc"], str(error["msg"])) for error in exc.errors()]
    except SettingsError as exc:
        field = _UNREADABLE_FIELD.search(str(exc))
        name = f"CLINRULES_{field.group(1).upper()}: " if field else ""
        lines = [f'  {name}not valid JSON (list and object settings take JSON, e.g. ["a"] or {{"k": 1}})']
    raise SettingsRefused("clinrules: the settings are refused:\n" + "\n".join(lines))


def settings_or_exit() -> Settings:
    """The settings; or, when they are refused, the reasons on stderr and exit status 2 (every command)."""
    try:
        return read_settings()
    except SettingsRefused as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(2) from None


def _problem(loc: tuple[int | str, ...], msg: str) -> str:
    message = msg.removeprefix("Value error, ")
    if not loc:
        return f"  {message}"
    name = f"CLINRULES_{str(loc[0]).upper()}"
    where = ", ".join(_position(part) for part in loc[1:])
    return f"  {name} ({where}): {message}" if where else f"  {name}: {message}"


def _position(part: int | str) -> str:
    """One step into a list or object setting: an entry's number, or a key (a URL key without secrets)."""
    if isinstance(part, int):
        return f"entry {part + 1}"
    if "://" in part or "@" in part:
        return f"key {url_without_secrets(part) or '(not shown)'}"
    return f"key {part[:60]}"
