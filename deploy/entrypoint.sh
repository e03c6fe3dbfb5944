#!/bin/sh
# The container's entry point: `docker run council-bot [run|health|backup|restore ...]`.
# Files the bot writes are for its own user alone (0600, folders 0700).
umask 077
exec python -m bot --config "${COUNCIL_CONFIG:-/config/config.toml}" "$@"
