"""The last line of defence: no exception stops the bot, and an error ends its update.

python-telegram-bot goes on to the next handler group after an error unless the error
handler stops it: then a person could get the apology and, from a later group, the answer.
So every error ends the handling of its update here (ApplicationHandlerStop), whatever it
was. What the person gets:

- nothing more, when a reply was sent (bot/transport/tickets.py): they have it, and an
  apology after an answer would say it was wrong (a database outage then is one line at
  WARNING: only the reply's bookkeeping is lost);
- nothing now, when the update sits in the durable inbox, the database is out and nothing
  was sent yet (`StateUnavailable` before the reply started): the inbox handles the update
  again once the database is back, so they get the answer late, once;
- nothing, when another worker took the update over (`ClaimLost`): that worker replies;
- nobody, for a job (the feed sync) that met a database outage: one line at WARNING, no
  traceback; it runs again at its next time;
- otherwise the apology, once.

Logs go through the token-redacting record factory (bot.transport.redact), so neither the
traceback nor a Bot API URL in an error message can leak the token.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from telegram import Update
from telegram.error import BadRequest, Forbidden, NetworkError, TelegramError
from telegram.ext import ApplicationHandlerStop, ContextTypes

from bot import messages
from bot.state.protocols import StateUnavailable
from bot.transport import tickets
from bot.transport.tickets import ClaimLost

logger = logging.getLogger(__name__)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    error = context.error
    where = _describe(update)
    ticket = tickets.current()
    if _caused_by(error, ClaimLost):
        logger.info("Stopped handling %s: another worker holds it now", where)
    elif ticket is not None and ticket.replied and _caused_by(error, StateUnavailable):
        # the person has the answer; only its bookkeeping (which message, the turn) is lost
        logger.warning("The database is out after the reply to %s was sent: %s", where, error)
    elif ticket is not None and ticket.replied:
        logger.warning("Error after the reply to %s was sent", where, exc_info=error)
    elif ticket is not None and ticket.retryable and _caused_by(error, StateUnavailable):
        ticket.retry_later = True
        logger.warning("The database is out while handling %s; it is handled again later", where)
    elif update is None and _caused_by(error, StateUnavailable):  # a job: it runs again
        logger.warning("The database is out during %s: %s", where, error)
    elif isinstance(error, Forbidden):
        logger.info("Cannot reach %s: %s", where, error)  # blocked by the user, kicked...
    else:
        if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
            logger.warning("Network problem while handling %s: %s", where, error)
        else:
            logger.error("Error while handling %s", where, exc_info=error)
        if isinstance(update, Update):
            await _apologise(update, context)
    raise ApplicationHandlerStop


async def _apologise(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(messages.ERROR)
        elif update.message is not None:  # a handler took it on, so it was meant for the bot
            await update.message.reply_text(messages.ERROR)
    except (TelegramError, StateUnavailable, ClaimLost) as error:  # what failed may fail again
        logger.warning("Could not tell the user about the error: %s", error)


def _caused_by(error: BaseException | None, kind: type[BaseException]) -> bool:
    return any(isinstance(link, kind) for link in _chain(error))


def _chain(error: BaseException | None) -> Iterator[BaseException]:
    """The error and those it came from (raise ... from, or during handling of)."""
    seen: set[int] = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        yield error
        error = error.__cause__ or error.__context__


def _describe(update: object) -> str:
    """Which update failed, without its content (people's messages stay out of logs)."""
    if not isinstance(update, Update):
        return "a background task" if update is None else type(update).__name__
    chat = update.effective_chat
    return f"update {update.update_id}" + (f" in chat {chat.id}" if chat else "")
