import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from receipting.logs import (
    REDACTED,
    JsonFormatter,
    RequestIdFilter,
    bind_request_id,
    configure_logging,
    current_request_id,
    json_log_handler,
    reset_request_id,
)


def record(message: str = "hello %s", *args: object, **extra: Any) -> logging.LogRecord:
    made = logging.LogRecord("receipting.test", logging.INFO, __file__, 1, message, args, None)
    for name, value in extra.items():
        setattr(made, name, value)
    return made


def formatted(made: logging.LogRecord) -> dict[str, Any]:
    RequestIdFilter().filter(made)
    line = JsonFormatter().format(made)
    assert "\n" not in line
    parsed: dict[str, Any] = json.loads(line)
    return parsed


def test_a_log_line_is_one_json_object_with_the_core_fields() -> None:
    line = formatted(record("hello %s", "world"))

    assert line["message"] == "hello world"
    assert line["level"] == "INFO"
    assert line["logger"] == "receipting.test"
    assert line["request_id"] is None
    assert datetime.fromisoformat(line["time"]).utcoffset() is not None


def test_a_log_line_carries_the_current_request_id() -> None:
    token = bind_request_id("req-42")
    try:
        line = formatted(record())
    finally:
        reset_request_id(token)

    assert line["request_id"] == "req-42"
    assert current_request_id() is None


def test_extras_become_fields_of_the_line() -> None:
    line = formatted(record(account_code="CTAX", amount_pence=1250))

    assert (line["account_code"], line["amount_pence"]) == ("CTAX", 1250)


@pytest.mark.parametrize(
    "name", ["authorization", "Authorization", "password", "api_key", "seal_key", "access_token"]
)
def test_a_credential_passed_as_an_extra_is_redacted(name: str) -> None:
    line = formatted(record(**{name: "s3cret"}))

    assert line[name] == REDACTED
    assert "s3cret" not in json.dumps(line)


def test_a_credential_nested_inside_an_extra_is_redacted() -> None:
    line = formatted(record(headers={"Authorization": "Bearer abc", "Accept": "x"}))

    assert line["headers"] == {"Authorization": REDACTED, "Accept": "x"}


def test_an_extra_cannot_overwrite_a_core_field() -> None:
    line = formatted(record(level="FAKE", logger="fake"))

    assert line["level"] == "INFO"
    assert (line["extra_level"], line["extra_logger"]) == ("FAKE", "fake")


def test_a_value_json_cannot_encode_is_written_as_text() -> None:
    line = formatted(record(when=datetime(2026, 11, 24, 9, 30)))

    assert line["when"] == "2026-11-24 09:30:00"


def test_an_exception_and_its_traceback_stay_on_the_one_line() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        made = logging.LogRecord(
            "receipting.test", logging.ERROR, __file__, 1, "failed", None, sys.exc_info()
        )

    line = formatted(made)

    assert "ValueError: boom" in line["exception"]
    assert "Traceback" in line["exception"]


def test_a_line_break_or_non_ascii_text_cannot_split_a_line() -> None:
    line = JsonFormatter().format(record("first\nsecond \u2028 £5"))

    assert line.count("\n") == 0
    assert line.isascii()
    assert json.loads(line)["message"] == "first\nsecond \u2028 £5"


@pytest.fixture
def restored_root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_configuring_logging_twice_still_writes_each_line_once(
    restored_root_logger: logging.Logger,
) -> None:
    stream = io.StringIO()
    configure_logging("INFO", stream)
    configure_logging("INFO", stream)

    logging.getLogger("receipting.test").info("once")

    lines = stream.getvalue().splitlines()
    assert [json.loads(line)["message"] for line in lines] == ["once"]


def test_the_json_handler_stamps_lines_from_any_logger_with_the_request_id() -> None:
    stream = io.StringIO()
    handler = json_log_handler(stream)
    token = bind_request_id("req-7")
    try:
        handler.handle(
            logging.LogRecord("sqlalchemy.engine", logging.WARNING, __file__, 1, "x", None, None)
        )
    finally:
        reset_request_id(token)

    assert json.loads(stream.getvalue())["request_id"] == "req-7"
