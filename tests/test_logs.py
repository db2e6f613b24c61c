"""`bot run` logging: JSON lines for collectors, and the token masked wherever it turns up."""

import json
import logging

from bot.logs import MASK, configure_logging
from config.settings import LogSettings

TOKEN = "123456:AAH-secret-token"


def test_json_lines_carry_level_logger_and_message_without_the_token(capsys):
    configure_logging(LogSettings(format="json", level="INFO"), secrets=[TOKEN, None])
    try:
        logging.getLogger("bot.app").info("GET https://api.telegram.org/bot%s/getMe", TOKEN)
        logging.getLogger("apscheduler").info("job ran")  # libraries stay at WARNING
        logging.getLogger("httpx").warning("POST /bot%s/sendMessage failed", TOKEN)
    finally:
        logging.basicConfig(force=True)
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [(line["levelname"], line["name"]) for line in lines] == [("INFO", "bot.app"), ("WARNING", "httpx")]
    assert all(TOKEN not in line["message"] and MASK in line["message"] for line in lines)
