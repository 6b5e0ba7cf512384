"""Reading a posted HTML form: URL-encoded UTF-8 only, small, without NUL characters."""

from __future__ import annotations

from urllib.parse import parse_qs

import falcon

from receipting.api.errors import RequestBodyTooLarge, UnsupportedContentType
from receipting.web.errors import FormRefused

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"

# The largest form of the resident pages (reference, amount, email, token) is well under a
# kilobyte; 16 KiB leaves ample room for long references and Welsh text while refusing anything
# that is not one of our forms before it is parsed.
MAX_FORM_BODY_BYTES = 16 * 1024

# No form of ours has more than a dozen fields.
MAX_FORM_FIELDS = 50

NUL = "\x00"


def read_form(
    req: falcon.Request,
    *,
    max_bytes: int = MAX_FORM_BODY_BYTES,
    max_fields: int = MAX_FORM_FIELDS,
) -> dict[str, str]:
    """The posted form's fields, the first value of each (a field sent twice is not ours)."""
    _check_media_type(req.content_type)
    body = _read_body(req, max_bytes)
    try:
        fields = parse_qs(
            body.decode("utf-8"),
            keep_blank_values=True,
            strict_parsing=False,
            max_num_fields=max_fields,
            errors="strict",
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise FormRefused(
            f"The form could not be read: it is not UTF-8 form data with at most {max_fields} "
            "fields. Go back, reload the page and submit the form again."
        ) from exc
    form = {name: values[0] for name, values in fields.items()}
    for name, value in form.items():
        if NUL in name or NUL in value:
            raise FormRefused(
                "The form holds a NUL character (%00), which no field accepts. Remove it and "
                "submit the form again.",
                field=name if NUL not in name else None,
            )
    return form


def _check_media_type(content_type: str | None) -> None:
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type != FORM_MEDIA_TYPE:
        sent = f"Content-Type {content_type!r}" if content_type else "no Content-Type"
        raise UnsupportedContentType(
            f"This page takes HTML form posts, but this one was sent with {sent}. Submit the "
            f"form from the page, or send Content-Type: {FORM_MEDIA_TYPE}."
        )


def _read_body(req: falcon.Request, max_bytes: int) -> bytes:
    too_large = (
        f"The form is over {max_bytes} bytes, the most this page accepts. Submit the form from "
        "the page."
    )
    if req.content_length is not None and req.content_length > max_bytes:
        raise RequestBodyTooLarge(too_large)
    body = req.bounded_stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise RequestBodyTooLarge(too_large)
    return body
