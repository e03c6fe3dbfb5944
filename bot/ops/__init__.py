"""What the establishment's IT team runs the bot with (docs/DEPLOY.md): the webhook, the health
check and metrics, and the nightly backup. Hooked into bot/app.py and bot/__main__.py by a few
lines, so start-up stays readable."""
