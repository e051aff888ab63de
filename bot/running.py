"""Running a built bot until it is told to stop, by long polling or as a webhook server."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import BadRequest, InvalidToken, NetworkError

from bot.app import BotApplication
from bot.settings import TelegramConfig

logger = logging.getLogger(__name__)

UPDATE_TYPES = (Update.MESSAGE, Update.CALLBACK_QUERY, Update.INLINE_QUERY)


def run_bot(
    application: BotApplication, settings: TelegramConfig, webhook_secret: str | None
) -> int:
    """Poll or serve the webhook until SIGINT/SIGTERM; returns the process exit status.

    python-telegram-bot stops cleanly on those signals, finishing the work in hand. A
    failure to start is logged in words an operator can act on, not as a traceback.
    """
    try:
        if settings.mode == "webhook":
            application.run_webhook(
                listen=settings.webhook.listen,
                port=settings.webhook.port,
                url_path=settings.webhook.path,
                webhook_url=settings.webhook.url,
                secret_token=webhook_secret,
                allowed_updates=list(UPDATE_TYPES),
            )
        else:
            application.run_polling(allowed_updates=list(UPDATE_TYPES))
    except InvalidToken:
        logger.error(
            "Telegram rejected the token in %s; check it with @BotFather", settings.token_env
        )
        return 1
    except BadRequest as error:  # a NetworkError subclass, but the server answered: a setting
        logger.error("Telegram refused to start the bot in %s mode: %s", settings.mode, error)
        return 1
    except NetworkError as error:
        logger.error("Cannot reach the Telegram Bot API: %s", error)
        return 1
    return 0
