import pytest
from falcon import Request
from falcon.testing import create_req

from receipting.api.errors import RequestBodyTooLarge, UnsupportedContentType
from receipting.web.errors import FormRefused
from receipting.web.forms import FORM_MEDIA_TYPE, MAX_FORM_BODY_BYTES, read_form


def _post(body: bytes, content_type: str | None = FORM_MEDIA_TYPE) -> Request:
    headers = {} if content_type is None else {"Content-Type": content_type}
    return create_req(method="POST", path="/pay", body=body, headers=headers)


def test_a_form_is_read_into_its_fields() -> None:
    form = read_form(_post(b"reference=A123&amount=12.50&email=a%40example.com"))
    assert form == {"reference": "A123", "amount": "12.50", "email": "a@example.com"}


def test_plus_signs_and_percent_escapes_are_decoded_as_utf_8() -> None:
    assert read_form(_post(b"name=Si%C3%A2n+Jones&x=%C5%B5"))["name"] == "Siân Jones"


def test_empty_fields_are_kept_as_empty_text() -> None:
    assert read_form(_post(b"reference=&amount=")) == {"reference": "", "amount": ""}


def test_only_the_first_value_of_a_field_sent_twice_is_taken() -> None:
    assert read_form(_post(b"amount=1&amount=2")) == {"amount": "1"}


def test_a_charset_parameter_on_the_content_type_is_allowed() -> None:
    assert read_form(_post(b"a=1", FORM_MEDIA_TYPE + "; charset=UTF-8")) == {"a": "1"}


@pytest.mark.parametrize("content_type", [None, "application/json", "multipart/form-data"])
def test_anything_but_a_url_encoded_form_is_refused(content_type: str | None) -> None:
    with pytest.raises(UnsupportedContentType, match=FORM_MEDIA_TYPE):
        read_form(_post(b"a=1", content_type))


def test_a_form_over_the_size_limit_is_refused() -> None:
    with pytest.raises(RequestBodyTooLarge):
        read_form(_post(b"a=" + b"x" * MAX_FORM_BODY_BYTES))


def test_a_smaller_limit_can_be_given() -> None:
    with pytest.raises(RequestBodyTooLarge):
        read_form(_post(b"a=" + b"x" * 100), max_bytes=50)


def test_a_form_with_too_many_fields_is_refused() -> None:
    with pytest.raises(FormRefused, match="at most 3 fields"):
        read_form(_post(b"a=1&b=2&c=3&d=4"), max_fields=3)


def test_a_form_that_is_not_utf_8_is_refused() -> None:
    with pytest.raises(FormRefused, match="UTF-8"):
        read_form(_post(b"name=Si%E2n"))


@pytest.mark.parametrize("body", [b"reference=A%00B", b"ref%00erence=AB"])
def test_a_nul_character_in_a_name_or_value_is_refused(body: bytes) -> None:
    with pytest.raises(FormRefused, match="NUL"):
        read_form(_post(body))
