"""The Telegram channel: python-telegram-bot in front of the core, and the outbox's sender."""
