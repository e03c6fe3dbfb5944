"""Documents drawn from what the council gathered: the board PDF, the report's charts and CSV
files. Rendering only: the rules and the figures stay in bot.council."""
