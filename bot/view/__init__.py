"""What the bot shows: HTML answers and lists, buttons, charts, sending."""
