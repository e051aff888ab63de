"""python-telegram-bot handlers: what the bot does with each kind of update."""
