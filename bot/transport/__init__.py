"""Talking to Telegram: polling or webhook, start-up, retries, redaction."""
