"""The base of every settings section."""

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    """A settings section that refuses unknown keys (a typo is an error, not a silent default)."""

    model_config = ConfigDict(extra="forbid")
