"""The fields of a console form, worked out from the command it sends, and the reading of
what a person typed into them.

A form field for each field of the command (`registry.domain.commands`): a date picker
for a date, a list for an enumeration, yes or no for a flag, one line per name for a list
of names. What is typed is read strictly (a date only as `YYYY-MM-DD`, a number only as
digits) and then validated by the command itself, so a form accepts exactly what the
HTTP API's body accepts, and each refusal names the field it concerns.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from datetime import date
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import ValidationError

from registry.domain.commands import AMENDMENTS, Command

#: How a field is shown: a text box, a date picker, a number, a list, yes/no, one name
#: per line, or a correction's "field = value" lines.
Kind = Literal["text", "date", "number", "select", "yesno", "lines", "amendments"]
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = re.compile(r"\d{1,6}(\.\d{1,3})?")
YES, NO = "yes", "no"

#: The words of a field's label, where its name alone does not say it well.
LABELS = {
    "post_number": "POST number",
    "agency_code": "Agency code",
    "academy_code": "Academy code",
    "new_agency_code": "New agency's code (if known)",
    "patrol_experience_began_on": "Patrol experience began on",
    "in_house_course": "Runs its own CIT course",
    "state_certified": "State-certified",
    "investigation_open": "An investigation was open when they left",
    "corrects_version": "Version of the record to correct",
    "volunteered": "The officer volunteered for CIT",
    "number": "Certificate number",
    "code": "Code",
    "status": "POST status",
    "withheld": "Withhold the public record",
}
#: What a field means or how to fill it in, where it needs saying.
HINTS = {
    "effective_on": "The day it took effect. Leave empty for today.",
    "began_on": "Leave empty if the course took one day.",
    "districts": "One district per line.",
    "shifts": "One shift per line.",
    "number": "Leave empty to have the registry number it; give one only to bring in a "
    "certificate issued before the registry.",
    "amendments": "One change per line, as field = value (for a training: kind, hours, "
    "began_on, completed_on, volunteered; an exam: kind, passed, taken_on; a POST status "
    "change: status, effective_on; an enrolment: name, patrol_experience_began_on). "
    "Leave empty to void the record.",
    "hours": "Hours of instruction, e.g. 40 or 7.5.",
}


@dataclass(frozen=True)
class Field:
    """One field of a form."""

    name: str
    label: str
    kind: Kind
    required: bool
    options: tuple[tuple[str, str], ...] = ()  # (value, words) of a list or yes/no
    hint: str = ""
    default: str = ""  # the value the field holds when the form opens


def words(value: str) -> str:
    """`cit_academy` as `Cit academy`: an enumeration's value as a person reads it."""
    text = value.replace("_", " ")
    return text[:1].upper() + text[1:]


def _base(annotation: Any) -> tuple[Any, bool]:
    """The type under `Annotated[...]` and `... | None`, and whether None is allowed."""
    optional = False
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin is Union or origin is types.UnionType:
            given = [a for a in get_args(annotation) if a is not type(None)]
            optional = optional or len(given) < len(get_args(annotation))
            annotation = given[0]
        else:
            return annotation, optional


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, Enum):
        return str(value.value)
    if value is None or isinstance(value, list | dict):
        return ""
    return str(value)


def fields_of(command: type[Command], skip: tuple[str, ...] = ()) -> list[Field]:
    """The form fields of `command`, in its order, but for those in `skip` (given by the
    page: the officer or certificate the form is about)."""
    found = []
    for name, info in command.model_fields.items():
        if name in skip:
            continue
        base, optional = _base(info.annotation)
        required = info.is_required()
        default = "" if required else _shown(info.get_default(call_default_factory=True))
        options: tuple[tuple[str, str], ...] = ()
        kind: Kind
        if base is bool:
            kind, options = "yesno", ((YES, "Yes"), (NO, "No"))
        elif base is date:
            kind = "date"
        elif isinstance(base, type) and issubclass(base, Enum):
            kind = "select"
            options = tuple((str(m.value), words(str(m.value))) for m in base)
        elif get_origin(base) is Literal:
            kind, options = "select", tuple((str(v), words(str(v))) for v in get_args(base))
        elif base is int or base is float:
            kind = "number"
        elif get_origin(base) is list:
            kind = "lines"
        elif get_origin(base) is dict:
            kind = "amendments"
        else:
            kind = "text"
        label = LABELS.get(name, words(name))
        found.append(Field(name, label, kind, required and not optional, options,
                           HINTS.get(name, ""), default))  # fmt: skip
    return found


class Unreadable(Exception):
    """What was typed cannot be read as the field's kind: the message for each field."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


def read(fields: list[Field], form: dict[str, str]) -> dict[str, Any]:
    """The command's values from the form: an empty field is left out (so its default
    applies, or the command says it is needed); each value read as its field's kind."""
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for f in fields:
        text = form.get(f.name, "").strip()
        if not text:
            if f.required:
                errors[f.name] = f"Enter the {f.label.lower()}."
            continue
        try:
            values[f.name] = _value(f, text)
        except ValueError as e:
            errors[f.name] = str(e)
    if errors:
        raise Unreadable(errors)
    return values


def _value(f: Field, text: str) -> Any:
    if f.kind == "date":
        return read_date(text)
    if f.kind == "number":
        if not NUMBER.fullmatch(text):
            raise ValueError(f"Write the {f.label.lower()} as a number, e.g. 8 or 7.5.")
        return float(text) if "." in text else int(text)
    if f.kind == "yesno":
        if text not in (YES, NO):
            raise ValueError("Choose yes or no.")
        return text == YES
    if f.kind == "lines":
        return [line.strip() for line in text.splitlines() if line.strip()]
    if f.kind == "amendments":
        return amendments(text)
    return text


def read_date(text: str) -> date:
    """A date written `YYYY-MM-DD`, and nothing else."""
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"“{text}” is not a date: write it as YYYY-MM-DD.") from None


#: The kind of each field a correction may amend, from the amendments' own models.
_AMENDABLE = {
    name: _base(info.annotation)[0]
    for model in AMENDMENTS.values()
    for name, info in model.model_fields.items()
}


def amendments(text: str) -> dict[str, Any]:
    """A correction's `field = value` lines, each value read as that field's kind."""
    found: dict[str, Any] = {}
    for line in (line.strip() for line in text.splitlines()):
        if not line:
            continue
        name, sep, value = (part.strip() for part in line.partition("="))
        if not sep or not name or not value:
            raise ValueError(f"“{line}”: write each change as field = value.")
        if name not in _AMENDABLE:
            raise ValueError(f"“{name}” cannot be amended; see the list above.")
        base = _AMENDABLE[name]
        if base is date:
            found[name] = read_date(value)
        elif base is bool:
            if value.lower() not in (YES, NO):
                raise ValueError(f"{name}: write yes or no.")
            found[name] = value.lower() == YES
        elif base is float:
            if not NUMBER.fullmatch(value):
                raise ValueError(f"{name}: write a number, e.g. 8 or 7.5.")
            found[name] = float(value)
        else:
            found[name] = value
    return found


def errors_of(error: ValidationError, fields: list[Field]) -> dict[str, str]:
    """A command's validation errors by field; one that names no field of the form goes
    under "" (shown at the top of the form)."""
    names = {f.name for f in fields}
    labels = {f.name: f.label for f in fields}
    errors: dict[str, str] = {}
    for item in error.errors():
        loc = item.get("loc") or ("",)
        name = str(loc[0]) if loc and str(loc[0]) in names else ""
        message = str(item.get("msg", "is not valid")).removeprefix("Value error, ")
        said = f"{labels[name]}: {message}" if name else message
        errors.setdefault(name, said)
    return errors
