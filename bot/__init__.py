"""The Telegram side of qabot: `serve(config)` runs the bot, `build_application` builds it."""

from bot.app import build_application, serve

__all__ = ["build_application", "serve"]
