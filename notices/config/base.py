"""What every model of the configuration shares: unknown keys are errors, values frozen."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

LANGUAGE_PATTERN = r"^[a-z]{2}$"


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# A phone number in international form: + and up to 15 digits (ITU-T E.164).
E164 = re.compile(r"^\+[1-9][0-9]{1,14}$")
