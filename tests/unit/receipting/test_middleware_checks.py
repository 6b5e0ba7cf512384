import pytest

from receipting.api.errors import LengthRequired, RequestBodyTooLarge, UnsupportedContentType
from receipting.api.middleware import (
    MAX_REQUEST_BODY_BYTES,
    MAX_REQUEST_ID_LEN,
    check_body_size,
    check_content_type,
    new_request_id,
    parse_request_id,
    request_id_for,
)


@pytest.mark.parametrize(
    "incoming",
    ["abc-123", "4bf92f3577b34da6a3ce929d0e0e4736", "lb.trace:42_x", "a" * MAX_REQUEST_ID_LEN],
)
def test_a_sane_incoming_request_id_is_kept(incoming: str) -> None:
    assert parse_request_id(incoming) == incoming


def test_surrounding_spaces_are_trimmed_from_an_incoming_request_id() -> None:
    assert parse_request_id("  abc-123 ") == "abc-123"


@pytest.mark.parametrize(
    "incoming",
    [
        "",
        "two words",
        "line\nbreak",
        'quote"d',
        "semi;colon",
        "é-accent",
        "a" * (MAX_REQUEST_ID_LEN + 1),
    ],
)
def test_an_unsafe_incoming_request_id_is_not_reused(incoming: str) -> None:
    assert parse_request_id(incoming) is None


def test_a_missing_request_id_is_generated_fresh_each_time() -> None:
    first, second = request_id_for(None), request_id_for(None)

    assert first != second
    assert parse_request_id(first) == first


def test_an_unsafe_request_id_is_replaced_with_a_generated_one() -> None:
    replaced = request_id_for("bad\r\nX-Injected: yes")

    assert "\n" not in replaced
    assert len(replaced) == len(new_request_id())


def test_a_body_exactly_at_the_limit_is_accepted() -> None:
    check_body_size(MAX_REQUEST_BODY_BYTES, None)


def test_a_body_one_byte_over_the_limit_is_refused_saying_the_limit() -> None:
    with pytest.raises(RequestBodyTooLarge, match=str(MAX_REQUEST_BODY_BYTES)):
        check_body_size(MAX_REQUEST_BODY_BYTES + 1, None)


def test_a_chunked_body_of_unknown_length_is_refused_asking_for_content_length() -> None:
    with pytest.raises(LengthRequired, match="Content-Length"):
        check_body_size(None, "chunked")


def test_a_request_without_a_body_needs_no_content_type() -> None:
    check_content_type(None, None)
    check_content_type(0, "text/plain")


@pytest.mark.parametrize("content_type", ["application/json", "Application/JSON; charset=utf-8"])
def test_a_json_body_is_accepted(content_type: str) -> None:
    check_content_type(10, content_type)


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_body_that_is_not_json_is_refused_saying_what_to_send(content_type: str | None) -> None:
    with pytest.raises(UnsupportedContentType, match="Content-Type: application/json"):
        check_content_type(10, content_type)
