"""The Telegram side of qabot: `bot.app.build_application` builds the bot from its settings,
the engine and its state; `bot.transport.running.run_bot` runs it. `qabot/serve.py` composes them.

Nothing is imported here: `qabot.config` reads `bot.settings` for every command, and
python-telegram-bot should load only when the bot is built.
"""
