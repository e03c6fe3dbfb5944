"""The local channel: a Bot API server and a chat page on this machine (docs/LOCAL_CHANNEL.md)."""

from bot.botapi import FloodGuard
from bot.local.api import LocalBotApi
from bot.local.channel import LOCAL_BOT_ID, LocalChannel, bot_on_channel, store_path
from bot.local.http import LocalServer
from bot.local.store import ChannelStore, Persona

__all__ = [
    "LOCAL_BOT_ID",
    "ChannelStore",
    "FloodGuard",
    "LocalBotApi",
    "LocalChannel",
    "LocalServer",
    "Persona",
    "bot_on_channel",
    "store_path",
]
