"""What every model of the configuration shares: unknown keys are errors, values frozen."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict

LANGUAGE_PATTERN = r"^[a-z]{2}$"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A phone number in international form: + and up to 15 digits (ITU-T E.164).
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")


def e164(value: str) -> str:
    """`value` if it is an E.164 number; the error says what one looks like."""
    if not E164.match(value):
        raise ValueError(f"{value!r} is not an E.164 number such as '+358401234567'")
    return value


# A configuration field holding one phone number, checked as it is read.
PhoneNumber = Annotated[str, AfterValidator(e164)]
