"""Tests of the Telegram bot (bot/), end to end against the Bot API emulator."""
