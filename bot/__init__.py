"""The Telegram side of qabot: `build_application` builds the bot, `run_bot` runs it."""

from bot.app import build_application
from bot.running import run_bot

__all__ = ["build_application", "run_bot"]
