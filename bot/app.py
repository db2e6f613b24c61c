"""The running bot: the PTB Application with its handlers, shared resources, jobs and HTTP server.

`python -m bot run` calls `serve`. Updates come by long polling, or, when telegram.webhook_url is
set, by webhook into the bot's own aiohttp server (the one serving /healthz and /metrics), so one
port serves everything. A worker (run.role) receives no updates and does all the rest; a receiver
receives them and leaves feeds and scheduled digests to the workers.
"""

from __future__ import annotations

import asyncio
import logging
import re
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy.engine import make_url
from telegram import BotCommand, Update, User
from telegram.error import Conflict, InvalidToken, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, ExtBot, TypeHandler

from bot.logs import HandledFloodWaits
from bot.metrics import Metrics
from bot.platforms import RENDERS, senders
from bot.resources import Resources, open_resources
from bot.scheduler import Scheduler
from bot.server import Webhook, WebServer
from bot.store.queries import all_channels
from bot.telegram import handlers, texts
from bot.telegram.admin import admin_handlers
from bot.telegram.context import OUTBOX, USECASES, BotContext
from bot.telegram.notices import PauseNotices
from bot.usecases import UseCases, build_use_cases
from bot.usecases.delivery import Senders
from bot.usecases.health import health
from bot.usecases.summaries import Limits
from config.settings import ConfigError, Settings
from summarizer import Summarizer, load_language_detector

log = logging.getLogger(__name__)

# Commands and files are all the bot reads.
ALLOWED_UPDATES = [Update.MESSAGE]
_RESOURCES, _SERVER, _SCHEDULER = "resources", "server", "scheduler"
# Seconds the long-polling loop gets to end on stop. After an error (409 Conflict while another
# process polls with the same token, a network failure) PTB sleeps up to 30 s before it looks at
# the stop request; what it had not confirmed is fetched again on the next start.
UPDATER_STOP = 3.0
TELEGRAM_API_HOST = "api.telegram.org"


def check_config(settings: Settings) -> list[str]:
    """What `run` needs beyond a valid config file; raises ConfigError with one line, returns notes worth saying."""
    telegram = settings.telegram
    token = telegram.token
    on_telegram = [channel.chat for channel in settings.channels if channel.platform == "telegram"]
    role = settings.run.role
    # Without channels, or as a receiver, the bot is only good for its Telegram commands.
    if not token and (on_telegram or not settings.channels or telegram.webhook_url or role == "receiver"):
        raise ConfigError("telegram.token is not set (put it in the config or in TELEGRAM_BOT_TOKEN)"
                          + (f", and channel {on_telegram[0]} is on Telegram" if on_telegram else ""))
    if token and not re.fullmatch(r"\d+:[\w-]+", token):
        raise ConfigError("telegram.token does not look like a bot token (digits, a colon, then letters)")
    matrix_rooms = [channel.room for channel in settings.channels if channel.platform == "matrix"]
    if matrix_rooms and not settings.matrix.homeserver:
        raise ConfigError(f"matrix.homeserver is not set, and channel {matrix_rooms[0]} is a Matrix room")
    if matrix_rooms and not settings.matrix.access_token:
        raise ConfigError(f"matrix.access_token is not set (put it in BRIEFBOT_MATRIX__ACCESS_TOKEN), and channel "
                          f"{matrix_rooms[0]} is a Matrix room")
    for platform, account in (("discord", settings.discord), ("slack", settings.slack)):
        as_bot = [channel.chat for channel in settings.channels if channel.platform == platform and channel.channel_id]
        if as_bot and not account.bot_token:
            raise ConfigError(f"{platform}.bot_token is not set (put it in BRIEFBOT_{platform.upper()}__BOT_TOKEN), "
                              f"and channel {as_bot[0]} is posted to as the bot")
    if role != "all" and make_url(settings.storage.url).get_backend_name() != "postgresql":
        raise ConfigError(f"role {role} needs a PostgreSQL storage.url: processes share work only there "
                          "(one process per SQLite file)")
    notes = []
    webhook = telegram.webhook_url
    if webhook and urlsplit(webhook).scheme != "https":
        # A self-hosted telegram-bot-api server (--local) delivers to plain-HTTP webhooks on any
        # address and port; api.telegram.org only to https.
        if not _self_hosted_api(telegram.base_url):
            raise ConfigError("telegram.webhook_url must be an https:// URL")
        notes.append(f"webhook over plain HTTP ({webhook}): allowed for the self-hosted Bot API server "
                     f"at {urlsplit(telegram.base_url).netloc}")
    return notes


def _receives_updates(settings: Settings) -> bool:
    return bool(settings.telegram.token) and settings.run.role != "worker"


def _self_hosted_api(base_url: str | None) -> bool:
    host = urlsplit(base_url).hostname if base_url else None
    return host is not None and host != TELEGRAM_API_HOST


def build_application(
    settings: Settings, config_path: str | Path | None, *, summarizer: Summarizer | None = None,
    limits: Limits = Limits(),
) -> Application:
    """The bot, ready for `started()`. `summarizer` replaces the configured model and gate (tests pass
    a small one)."""
    telegram = settings.telegram
    rate_limiter_log = logging.getLogger("telegram.ext.AIORateLimiter")
    if not any(isinstance(existing, HandledFloodWaits) for existing in rate_limiter_log.filters):
        rate_limiter_log.addFilter(HandledFloodWaits())
    builder = (
        ApplicationBuilder()
        .concurrent_updates(True)  # one user's slow /summarize must not hold up everyone else
        .context_types(ContextTypes(context=BotContext))
        .post_init(partial(_open, settings=settings, config_path=config_path, summarizer=summarizer, limits=limits))
        .post_shutdown(_close)
    )
    if not telegram.token:
        builder = builder.bot(_WithoutTelegram()).updater(None)
    else:
        # Paces requests to Telegram's limits; it does not retry (max_retries 0): the outbox is the
        # one place that waits out a "retry after", bounded (bot/telegram/outbox.py).
        builder = builder.token(telegram.token).rate_limiter(AIORateLimiter(max_retries=0))
        if not _receives_updates(settings):
            # Telegram gives one getUpdates per token at a time: the others would only meet 409 Conflict.
            builder = builder.updater(None)
    if telegram.token and telegram.base_url:
        # A self-hosted Bot API server serves files under /file/bot<token>, next to /bot<token>.
        builder = builder.base_url(telegram.base_url).base_file_url(re.sub(r"/bot$", "/file/bot", telegram.base_url))
    application = builder.build()
    application.add_handler(TypeHandler(Update, handlers.remember_language), group=-1)
    application.add_handlers([*handlers.user_handlers(), *admin_handlers(), handlers.unknown_command_handler()])
    application.add_error_handler(handlers.on_error)
    return application


_NO_ACCOUNT = User(id=0, first_name="briefbot", is_bot=True)


class _WithoutTelegram(ExtBot):
    """The Application's bot when no Telegram token is set (no channel is on Telegram): never started,
    so it never calls Telegram; the Application still runs the jobs and the outboxes of the other platforms."""

    def __init__(self) -> None:
        super().__init__("0:no-telegram")  # PTB needs a token; this one is never sent

    async def initialize(self) -> None:
        """Nothing to check: getMe needs a real token."""

    async def shutdown(self) -> None:
        """Nothing was opened."""

    @property
    def bot(self) -> User:
        """No Telegram account: PTB still names its tasks after the bot's id."""
        return _NO_ACCOUNT


async def _no_notice(channel_id: int, reason: str) -> None:
    """Without Telegram a paused channel's owner can't be messaged; the outbox's WARNING line says it."""


def usecases_of(application: Application) -> UseCases:
    return application.bot_data[USECASES]


def outbox_of(application: Application) -> Senders:
    return application.bot_data[OUTBOX]


def web_server_of(application: Application) -> WebServer:
    return application.bot_data[_SERVER]


async def _open(
    application: Application, *, settings: Settings, config_path: str | Path | None,
    summarizer: Summarizer | None, limits: Limits,
) -> None:
    """post_init: the store, HTTP session, model, use cases, HTTP server and jobs, once for the process."""
    resources = application.bot_data[_RESOURCES] = await open_resources(settings, config_path)
    if summarizer is not None:
        resources.summarizer = summarizer  # load_model() below keeps it
    metrics = Metrics()
    on_paused = (PauseNotices(resources.sessions, application.bot, settings.telegram.admins)
                 if settings.telegram.token else _no_notice)
    outbox = application.bot_data[OUTBOX] = senders(settings, resources.sessions, application.bot, metrics, on_paused)
    scheduler = application.bot_data[_SCHEDULER] = Scheduler(application.job_queue,
                                                             digests=settings.run.role != "receiver")
    usecases = application.bot_data[USECASES] = build_use_cases(
        resources, metrics, renders=RENDERS, sender=outbox, digest_times=scheduler, limits=limits
    )

    async def metrics_body() -> bytes:
        return metrics.render(await usecases.queue_depths())

    server = WebServer(
        settings.server.host, settings.server.port,
        health=partial(health, resources), metrics=metrics_body, webhook=_webhook(application, settings),
    )
    await server.start()
    application.bot_data[_SERVER] = server
    # The language detector loads its models on first use (seconds), and the summarizer calls it
    # on the event loop: loaded here, in a thread, it can't hold up the first /summarize.
    loaded, _ = await asyncio.gather(resources.load_model(), asyncio.to_thread(load_language_detector))
    log.info("model %s ready", loaded.model_name)
    if _receives_updates(settings):
        await _set_commands(application)
    async with resources.sessions() as session:
        scheduler.start(await all_channels(session))


def _webhook(application: Application, settings: Settings) -> Webhook | None:
    if not settings.telegram.webhook_url or not _receives_updates(settings):
        return None

    async def deliver(data: dict) -> None:
        await application.update_queue.put(Update.de_json(data, application.bot))

    path = urlsplit(settings.telegram.webhook_url).path or "/"
    return Webhook(path, settings.telegram.webhook_secret, deliver)


async def _set_commands(application: Application) -> None:
    """The command menu, in each language the bot speaks (English for everyone else).

    Cosmetic: a Bot API server that lacks the method (PTB reads its 404 as InvalidToken) or refuses
    it leaves the menu as it was, and the bot runs. Only getMe, at initialize, judges the token.
    """
    for language in texts.LANGUAGES:
        commands = [BotCommand(name, description) for name, description in texts.commands(language)]
        try:
            await application.bot.set_my_commands(commands, language_code=None if language == "en" else language)
        except TelegramError as exc:
            log.warning("the command menu was not set (setMyCommands: %s); the bot runs without it", exc)
            return


async def _close(application: Application) -> None:
    """post_shutdown: whatever post_init got to open, closed."""
    outbox: Senders | None = application.bot_data.pop(OUTBOX, None)
    if outbox is not None:
        await outbox.aclose()
    server: WebServer | None = application.bot_data.pop(_SERVER, None)
    if server is not None:
        await server.stop()
    resources: Resources | None = application.bot_data.pop(_RESOURCES, None)
    if resources is not None:
        await resources.close()


@asynccontextmanager
async def started(application: Application) -> AsyncIterator[Application]:
    """The bot runs inside the block: the steps of PTB's run_polling, with webhook mode through our server.

    Leaving the block stops it gracefully: a message being sent is finished, and what is still
    unsent stays in the outbox for the next start.
    """
    try:
        await application.initialize()  # getMe: the one call that says whether the token is good
    except InvalidToken:
        # PTB's message quotes the token; this one doesn't.
        raise ConfigError("telegram.token was rejected by Telegram") from None
    try:
        await application.post_init(application)
        settings = usecases_of(application).resources.settings
        telegram = settings.telegram
        if not telegram.token:
            log.info("no Telegram token: posting to the other platforms only")
        elif not _receives_updates(settings):
            log.info("worker: Telegram updates are left to the other processes")
        elif telegram.webhook_url:
            await application.bot.set_webhook(
                telegram.webhook_url, secret_token=telegram.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
        else:
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES, error_callback=_polling_failed)
        await application.start()
        try:
            yield application
        finally:
            outbox_of(application).close()
            await application.bot_data[_SCHEDULER].stop()
            if application.updater is not None and application.updater.running:
                try:
                    await asyncio.wait_for(application.updater.stop(), UPDATER_STOP)
                except TimeoutError:
                    log.info("stopping: long polling cut short")
            await application.stop()
    finally:
        await application.shutdown()
        await application.post_shutdown(application)


def _polling_failed(error: TelegramError) -> None:
    """In place of PTB's traceback for each failed getUpdates (it asks again after a pause)."""
    if isinstance(error, Conflict):
        # Telegram answers one getUpdates per token at a time: another bot process is taking its turn.
        log.debug("getUpdates: %s", error)
    else:
        log.warning("getUpdates failed (%s); asking again", error)


async def serve(settings: Settings, config_path: str | Path | None) -> None:
    """Run the bot until SIGINT or SIGTERM."""
    # httpx logs request URLs at INFO, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    application = build_application(settings, config_path)
    try:
        async with started(application):
            mode = "webhook" if settings.telegram.webhook_url else "long polling"
            log.info("running (%s)", mode if _receives_updates(settings) else "no Telegram updates")
            await stop.wait()
            log.info("stopping")
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
