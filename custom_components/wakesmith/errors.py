"""How a Judge failure reaches the user: one translated Home Assistant error for every caller."""

from __future__ import annotations

from homeassistant.exceptions import HomeAssistantError

from .api import JudgeError, JudgeRequestError
from .const import DOMAIN


def judge_error(err: JudgeError) -> HomeAssistantError:
    """``judge_refused`` (the Judge answered and said no, with its reason) or ``judge_unreachable``."""
    if isinstance(err, JudgeRequestError):
        return HomeAssistantError(
            translation_domain=DOMAIN,
            translation_key="judge_refused",
            translation_placeholders={"detail": err.detail},
        )
    return HomeAssistantError(
        translation_domain=DOMAIN,
        translation_key="judge_unreachable",
        translation_placeholders={"error": str(err)},
    )
