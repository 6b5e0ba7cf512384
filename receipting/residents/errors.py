"""What can go wrong for a resident's account, each saying what to do about it."""

from __future__ import annotations

from receipting.errors import InvalidRequest, NotFound, ReceiptingError


class ResidentError(ReceiptingError):
    code = "RESIDENT_ERROR"


class SignInAttemptUnknown(InvalidRequest):
    """The `state` a provider sent back matches no sign-in started here, or one already used or
    expired: a replayed or forged callback."""

    code = "SIGN_IN_ATTEMPT_UNKNOWN"

    def __init__(self) -> None:
        super().__init__(
            "This sign-in link has already been used or has expired. Start signing in again."
        )


class TooManySavedReferences(InvalidRequest):
    code = "TOO_MANY_SAVED_REFERENCES"


class SavedReferenceNotFound(NotFound):
    code = "SAVED_REFERENCE_NOT_FOUND"
