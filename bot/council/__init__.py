"""The council's rules as plain async Python. No Telegram here: handlers adapt, this decides."""
