"""The running bot: the PTB Application with its handlers, shared resources, jobs and HTTP server.

`python -m bot run` calls `serve`. Updates come by long polling, or, when telegram.webhook_url is
set, by webhook into the bot's own aiohttp server (the one serving /healthz and /metrics), so one
port serves everything.
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

from telegram import BotCommand, Update
from telegram.error import InvalidToken
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, TypeHandler

from bot.resources import Runtime, open_runtime
from bot.scheduler import Scheduler
from bot.server import Webhook, WebServer
from bot.services import SERVICES, BotContext, Limits, Services, build_services
from bot.store.queries import all_channels
from bot.telegram import handlers, messages
from bot.telegram.admin import admin_handlers
from config.settings import ConfigError, Settings
from summarizer.backends.base import Backend
from summarizer.language import detect_language

log = logging.getLogger(__name__)

# Commands and files are all the bot reads.
ALLOWED_UPDATES = [Update.MESSAGE]
# Retries of a request Telegram answered with "retry after": the limiter waits them out itself.
FLOOD_RETRIES = 3
_RUNTIME, _SERVER = "runtime", "server"
LANGUAGE_PROBE = "Any sentence will do to load the language detector."


def check_config(settings: Settings) -> None:
    """What `run` needs beyond a valid config file; raises ConfigError with one line."""
    token = settings.telegram.token
    if not token:
        raise ConfigError("telegram.token is not set (put it in the config or in TELEGRAM_BOT_TOKEN)")
    if not re.fullmatch(r"\d+:[\w-]+", token):
        raise ConfigError("telegram.token does not look like a bot token (digits, a colon, then letters)")
    webhook = settings.telegram.webhook_url
    if webhook and urlsplit(webhook).scheme != "https":
        raise ConfigError("telegram.webhook_url must be an https:// URL")


def build_application(
    settings: Settings, config_path: str | Path | None, *, backend: Backend | None = None, limits: Limits = Limits()
) -> Application:
    """The bot, ready for `started()`. `backend` replaces the configured model (tests pass a small one)."""
    telegram = settings.telegram
    builder = (
        ApplicationBuilder()
        .token(telegram.token)
        .rate_limiter(AIORateLimiter(max_retries=FLOOD_RETRIES))
        .concurrent_updates(True)  # one user's slow /summarize must not hold up everyone else
        .context_types(ContextTypes(context=BotContext))
        .post_init(partial(_open, settings=settings, config_path=config_path, backend=backend, limits=limits))
        .post_shutdown(_close)
    )
    if telegram.base_url:
        # A self-hosted Bot API server serves files under /file/bot<token>, next to /bot<token>.
        builder = builder.base_url(telegram.base_url).base_file_url(re.sub(r"/bot$", "/file/bot", telegram.base_url))
    application = builder.build()
    application.add_handler(TypeHandler(Update, handlers.remember_language), group=-1)
    application.add_handlers([*handlers.user_handlers(), *admin_handlers(), handlers.unknown_command_handler()])
    application.add_error_handler(handlers.on_error)
    return application


def services_of(application: Application) -> Services:
    return application.bot_data[SERVICES]


def web_server_of(application: Application) -> WebServer:
    return application.bot_data[_SERVER]


async def _open(
    application: Application, *, settings: Settings, config_path: str | Path | None,
    backend: Backend | None, limits: Limits,
) -> None:
    """post_init: the store, HTTP session, model, services, HTTP server and jobs, once for the process."""
    runtime = application.bot_data[_RUNTIME] = await open_runtime(settings, config_path)
    if backend is not None:
        runtime.backend = backend  # load_model() below keeps it
    services = application.bot_data[SERVICES] = build_services(
        runtime, application.bot, Scheduler(application.job_queue), limits
    )
    server = WebServer(
        settings.server.host, settings.server.port,
        health=services.health, metrics=services.metrics_body, webhook=_webhook(application, settings),
    )
    await server.start()
    application.bot_data[_SERVER] = server
    # The language detector loads its models on first use (seconds), and the summarizer calls it
    # on the event loop: loaded here, in a thread, it can't hold up the first /summarize.
    loaded, _ = await asyncio.gather(runtime.load_model(), asyncio.to_thread(detect_language, LANGUAGE_PROBE))
    log.info("model %s ready", loaded.model_name)
    await _set_commands(application)
    async with runtime.sessions() as session:
        services.scheduler.start(await all_channels(session))


def _webhook(application: Application, settings: Settings) -> Webhook | None:
    if not settings.telegram.webhook_url:
        return None

    async def deliver(data: dict) -> None:
        await application.update_queue.put(Update.de_json(data, application.bot))

    path = urlsplit(settings.telegram.webhook_url).path or "/"
    return Webhook(path, settings.telegram.webhook_secret, deliver)


async def _set_commands(application: Application) -> None:
    """The command menu, in each language the bot speaks (English for everyone else)."""
    for language in messages.LANGUAGES:
        commands = [BotCommand(name, description) for name, description in messages.commands(language)]
        await application.bot.set_my_commands(commands, language_code=None if language == "en" else language)


async def _close(application: Application) -> None:
    """post_shutdown: whatever post_init got to open, closed."""
    server: WebServer | None = application.bot_data.pop(_SERVER, None)
    if server is not None:
        await server.stop()
    runtime: Runtime | None = application.bot_data.pop(_RUNTIME, None)
    if runtime is not None:
        await runtime.close()


@asynccontextmanager
async def started(application: Application) -> AsyncIterator[Application]:
    """The bot runs inside the block: the steps of PTB's run_polling, with webhook mode through our server.

    Leaving the block stops it gracefully: a message being sent is finished, and what is still
    unsent stays in the outbox for the next start.
    """
    await application.initialize()
    try:
        await application.post_init(application)
        telegram = services_of(application).runtime.settings.telegram
        if telegram.webhook_url:
            await application.bot.set_webhook(
                telegram.webhook_url, secret_token=telegram.webhook_secret, allowed_updates=ALLOWED_UPDATES
            )
        else:
            await application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await application.start()
        try:
            yield application
        finally:
            services_of(application).outbox.close()
            if application.updater.running:
                await application.updater.stop()
            await application.stop()  # waits for running jobs
    finally:
        await application.shutdown()
        await application.post_shutdown(application)


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
            log.info("running (%s)", "webhook" if settings.telegram.webhook_url else "long polling")
            await stop.wait()
            log.info("stopping")
    except InvalidToken:
        # PTB's message quotes the token; this one doesn't.
        raise ConfigError("telegram.token was rejected by Telegram") from None
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
