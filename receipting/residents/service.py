"""Residents' use cases. Each opens its own transaction; nothing below commits.

A sign-in attempt is stored when it starts and taken exactly once when the provider sends the
browser back: the UPDATE that marks it used is conditional on it being unused and unexpired, so two
racing callbacks with the same `state` cannot both succeed. Session tokens and states are stored
only as SHA-256 digests; the plaintext lives in the browser's cookie alone.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from receipting.residents.errors import (
    SavedReferenceNotFound,
    SignInAttemptUnknown,
    TooManySavedReferences,
)
from receipting.residents.tables import (
    MAX_RETURN_PATH_LEN,
    ResidentAccountRow,
    ResidentPaymentRow,
    ResidentSessionRow,
    SavedReferenceRow,
    SignInAttemptRow,
)

# Long enough to type a password and a code from a phone at the provider; short enough that a
# stolen `state` is soon worthless.
SIGN_IN_ATTEMPT_TTL = timedelta(minutes=15)
# A signed-in session lasts at most this long, however active: a shared or public computer left
# signed in is signed out by the time the next person sits down for long. One Login's own session
# is longer; signing in again is one click when it is still alive.
SESSION_TTL = timedelta(hours=1)
# A household pays a handful of bills; this stops one account from filling the table.
MAX_SAVED_REFERENCES = 20
# How many of a resident's payments "your account" lists.
MAX_LISTED_PAYMENTS = 50
SESSION_TOKEN_BYTES = 32
# Ended, expired and used rows are kept this long after they stop mattering (to look into a
# complaint about a sign-in), then deleted, so the tables hold only recent activity.
PURGE_AFTER = timedelta(days=7)
# Rows deleted in one worker pass: a bounded transaction, whatever backlog built up.
PURGE_BATCH = 1000


@dataclass(frozen=True, slots=True)
class SignInAttempt:
    nonce: str
    code_verifier: str
    return_path: str
    language: str


@dataclass(frozen=True, slots=True)
class Resident:
    id: int
    issuer: str
    subject: str
    email: str | None


@dataclass(frozen=True, slots=True)
class SignedInSession:
    resident: Resident
    id_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class SavedReference:
    id: int
    fund_code: str
    reference: str


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def safe_return_path(path: str | None, default: str = "/account") -> str:
    """A path on this site to go back to after signing in; anything else (an absolute URL, a
    scheme-relative `//host`, a backslash trick) becomes the default, so sign-in cannot be used
    to send a resident to another site."""
    if (
        not path
        or not path.startswith("/")
        or path.startswith("//")
        or "\\" in path
        or len(path) > MAX_RETURN_PATH_LEN
        or any(ord(c) < 0x20 for c in path)
    ):
        return default
    return path


class ResidentService:
    def __init__(
        self, session_factory: sessionmaker[Session], clock: Callable[[], datetime]
    ) -> None:
        self._sessions = session_factory
        self._clock = clock

    # --- signing in -----------------------------------------------------------------------------

    def begin_sign_in(
        self, state: str, nonce: str, code_verifier: str, return_path: str, language: str
    ) -> None:
        now = self._clock()
        with self._sessions.begin() as session:
            session.add(
                SignInAttemptRow(
                    state_sha256=digest(state),
                    nonce=nonce,
                    code_verifier=code_verifier,
                    return_path=safe_return_path(return_path),
                    language=language,
                    created_at=now,
                    expires_at=now + SIGN_IN_ATTEMPT_TTL,
                )
            )

    def take_sign_in_attempt(self, state: str) -> SignInAttempt:
        """The attempt this `state` started, marked used; refused if unknown, used or expired."""
        now = self._clock()
        with self._sessions.begin() as session:
            taken = session.execute(
                update(SignInAttemptRow)
                .where(
                    SignInAttemptRow.state_sha256 == digest(state),
                    SignInAttemptRow.used_at.is_(None),
                    SignInAttemptRow.expires_at > now,
                )
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                raise SignInAttemptUnknown()
            row = session.scalars(
                select(SignInAttemptRow).where(SignInAttemptRow.state_sha256 == digest(state))
            ).one()
            return SignInAttempt(row.nonce, row.code_verifier, row.return_path, row.language)

    def sign_in(
        self, issuer: str, subject: str, email: str | None, id_token: str
    ) -> tuple[str, SignedInSession]:
        """A new session for the resident the provider vouched for (their account made on first
        sign-in); the session token to put in the browser's cookie, and the session."""
        now = self._clock()
        token = secrets.token_urlsafe(SESSION_TOKEN_BYTES)
        with self._sessions.begin() as session:
            account = self._account(session, issuer, subject, email, now)
            row = ResidentSessionRow(
                token_sha256=digest(token),
                resident_id=account.id,
                id_token=id_token,
                created_at=now,
                expires_at=now + SESSION_TTL,
            )
            session.add(row)
            return token, SignedInSession(_resident(account), id_token, row.expires_at)

    def _account(
        self, session: Session, issuer: str, subject: str, email: str | None, now: datetime
    ) -> ResidentAccountRow:
        found = _account_row(session, issuer, subject)
        if found is None:
            try:
                with session.begin_nested():
                    found = ResidentAccountRow(
                        issuer=issuer,
                        subject=subject,
                        email=email,
                        created_at=now,
                        last_signed_in_at=now,
                    )
                    session.add(found)
                    session.flush()
            except IntegrityError:
                # The same person signing in twice at once: the other sign-in made the account.
                found = _account_row(session, issuer, subject)
                assert found is not None, "account vanished after a unique-key conflict"
        found.last_signed_in_at = now
        if email:
            found.email = email
        return found

    def current(self, token: str | None) -> SignedInSession | None:
        """The live session this cookie token belongs to, if any."""
        if not token:
            return None
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.scalars(
                select(ResidentSessionRow).where(ResidentSessionRow.token_sha256 == digest(token))
            ).one_or_none()
            if row is None or row.ended_at is not None or row.expires_at <= now:
                return None
            account = session.get(ResidentAccountRow, row.resident_id)
            assert account is not None, "a session without its account (foreign key broken)"
            return SignedInSession(_resident(account), row.id_token, row.expires_at)

    def end_session(self, token: str | None) -> str | None:
        """Ends the session; its ID token (for the provider's logout), or None if none was live."""
        if not token:
            return None
        now = self._clock()
        with self._sessions.begin() as session:
            row = session.scalars(
                select(ResidentSessionRow)
                .where(ResidentSessionRow.token_sha256 == digest(token))
                .with_for_update()
            ).one_or_none()
            if row is None or row.ended_at is not None:
                return None
            row.ended_at = now
            return row.id_token

    def purge(self, *, limit: int = PURGE_BATCH) -> int:
        """Deletes sign-in attempts and sessions that stopped mattering over PURGE_AFTER ago;
        how many rows went."""
        cutoff = self._clock() - PURGE_AFTER
        with self._sessions.begin() as session:
            attempts = session.scalars(
                select(SignInAttemptRow.id).where(SignInAttemptRow.expires_at < cutoff).limit(limit)
            ).all()
            if attempts:
                session.execute(delete(SignInAttemptRow).where(SignInAttemptRow.id.in_(attempts)))
            sessions = session.scalars(
                select(ResidentSessionRow.id)
                .where(
                    or_(
                        ResidentSessionRow.expires_at < cutoff,
                        ResidentSessionRow.ended_at < cutoff,
                    )
                )
                .limit(limit)
            ).all()
            if sessions:
                session.execute(
                    delete(ResidentSessionRow).where(ResidentSessionRow.id.in_(sessions))
                )
            return len(attempts) + len(sessions)

    # --- what a signed-in resident keeps -----------------------------------------------------

    def save_reference(self, resident_id: int, fund_code: str, reference: str) -> None:
        """Keeps a (checked) reference for next time; saving one already kept changes nothing."""
        now = self._clock()
        with self._sessions.begin() as session:
            exists = session.scalars(
                select(SavedReferenceRow.id).where(
                    SavedReferenceRow.resident_id == resident_id,
                    SavedReferenceRow.fund_code == fund_code,
                    SavedReferenceRow.reference == reference,
                )
            ).first()
            if exists is not None:
                return
            kept = session.scalar(
                select(func.count())
                .select_from(SavedReferenceRow)
                .where(SavedReferenceRow.resident_id == resident_id)
            )
            if (kept or 0) >= MAX_SAVED_REFERENCES:
                raise TooManySavedReferences(
                    f"You have saved {MAX_SAVED_REFERENCES} references, the most an account "
                    "keeps. Remove one you no longer need, then save this one.",
                    field="reference",
                )
            session.add(
                SavedReferenceRow(
                    resident_id=resident_id,
                    fund_code=fund_code,
                    reference=reference,
                    created_at=now,
                )
            )

    def remove_reference(self, resident_id: int, saved_id: int) -> None:
        with self._sessions.begin() as session:
            row = session.get(SavedReferenceRow, saved_id)
            # Another resident's reference answers exactly as a missing one does.
            if row is None or row.resident_id != resident_id:
                raise SavedReferenceNotFound(
                    "That saved reference is not in your account. It may already have been "
                    "removed.",
                )
            session.delete(row)

    def saved_references(self, resident_id: int) -> list[SavedReference]:
        with self._sessions.begin() as session:
            rows = session.scalars(
                select(SavedReferenceRow)
                .where(SavedReferenceRow.resident_id == resident_id)
                .order_by(SavedReferenceRow.fund_code, SavedReferenceRow.reference)
            ).all()
            return [SavedReference(row.id, row.fund_code, row.reference) for row in rows]

    def record_payment(self, resident_id: int, payment_id: str) -> None:
        with self._sessions.begin() as session:
            if session.get(ResidentPaymentRow, payment_id) is None:
                session.add(
                    ResidentPaymentRow(
                        payment_id=payment_id, resident_id=resident_id, created_at=self._clock()
                    )
                )

    def payment_ids(self, resident_id: int, *, limit: int = MAX_LISTED_PAYMENTS) -> list[str]:
        """The resident's payments, newest first."""
        with self._sessions.begin() as session:
            return list(
                session.scalars(
                    select(ResidentPaymentRow.payment_id)
                    .where(ResidentPaymentRow.resident_id == resident_id)
                    .order_by(ResidentPaymentRow.created_at.desc())
                    .limit(limit)
                ).all()
            )

    def owns_payment(self, resident_id: int, payment_id: str) -> bool:
        with self._sessions.begin() as session:
            row = session.get(ResidentPaymentRow, payment_id)
            return row is not None and row.resident_id == resident_id


def _account_row(session: Session, issuer: str, subject: str) -> ResidentAccountRow | None:
    return session.scalars(
        select(ResidentAccountRow).where(
            ResidentAccountRow.issuer == issuer, ResidentAccountRow.subject == subject
        )
    ).one_or_none()


def _resident(row: ResidentAccountRow) -> Resident:
    return Resident(row.id, row.issuer, row.subject, row.email)
