"""Who asks: the principals every use case is given, and the actor it records on what it writes.

There are four kinds of principal:

- an API key, held by a system (a CRM, a digital service, a revenues system);
- a member of staff, signed in through the council's workforce provider, holding roles;
- a resident, signed in through a One Login-style provider (or paying as a guest);
- the engine itself (the worker, a command run by an operator, an import), named by component.

Every use case takes the principal that asks and records its `Actor` (kind, id and a readable
name at the time) on what it writes, so attribution does not depend on how the caller was
authenticated. Authorisation of routes and pages is decided at the edge from the principal's
scopes or permissions; segregation of duties that concerns the data itself (nobody approves their
own request) is checked by the use case and again by the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from receipting.auth.scopes import Scope

# Column sizes for recording an actor, shared by every table that does.
MAX_ACTOR_KIND_LEN = 16
MAX_ACTOR_ID_LEN = 64
MAX_ACTOR_NAME_LEN = 200


class PrincipalKind(StrEnum):
    API_KEY = "api_key"
    STAFF = "staff"
    RESIDENT = "resident"
    SYSTEM = "system"


@dataclass(frozen=True, slots=True)
class Actor:
    """Who did something, as recorded on what they wrote: kind, a stable id, a readable name."""

    kind: PrincipalKind
    id: str
    name: str

    def same_person(self, other: Actor) -> bool:
        """True when both are the same principal (whatever name each was recorded with)."""
        return self.kind == other.kind and self.id == other.id

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.id}"


@runtime_checkable
class Principal(Protocol):
    """Anything that can ask the engine to do something."""

    @property
    def actor(self) -> Actor: ...


class Role(StrEnum):
    """Staff roles. What each may do is the council configuration's mapping of roles to
    permissions (with a default); these are the names it maps."""

    AGENT = "agent"
    CASHIER = "cashier"
    CASHIER_SUPERVISOR = "cashier_supervisor"
    FINANCE_OFFICER = "finance_officer"
    FINANCE_APPROVER = "finance_approver"
    ADMINISTRATOR = "administrator"
    AUDITOR = "auditor"


class Permission(StrEnum):
    """What a member of staff may do, granted through their roles."""

    TAKE_PAYMENT = "take_payment"
    VOID = "void"
    REFUND = "refund"
    APPROVE = "approve"
    TRANSFER = "transfer"
    ALLOCATE_SUSPENSE = "allocate_suspense"
    IMPORT = "import"
    RECONCILE = "reconcile"
    EXPORT = "export"
    CONFIGURE = "configure"
    READ_AUDIT = "read_audit"
    READ_RECEIPTS = "read_receipts"


@dataclass(frozen=True, slots=True)
class ApiKeyPrincipal:
    """A system's API key: what it may do is its scopes; it sees only its service's payments."""

    key_id: int
    name: str
    service: str  # the council service (or system) that owns what this key creates
    scopes: frozenset[Scope]
    live: bool  # api_live_ key (True) or api_test_ key (False)

    @property
    def actor(self) -> Actor:
        return Actor(PrincipalKind.API_KEY, str(self.key_id), self.name)


@dataclass(frozen=True, slots=True)
class StaffPrincipal:
    """A signed-in member of staff, with the roles they hold now and what those permit."""

    staff_id: int
    email: str
    name: str
    roles: frozenset[Role] = field(default_factory=frozenset)
    permissions: frozenset[Permission] = field(default_factory=frozenset)

    @property
    def actor(self) -> Actor:
        return Actor(PrincipalKind.STAFF, str(self.staff_id), self.name or self.email)

    def may(self, permission: Permission) -> bool:
        return permission in self.permissions


@dataclass(frozen=True, slots=True)
class ResidentPrincipal:
    """A resident: signed in (with their account id) or a guest (account id None)."""

    resident_id: int | None = None
    email: str | None = None

    @property
    def actor(self) -> Actor:
        if self.resident_id is None:
            return Actor(PrincipalKind.RESIDENT, "guest", "guest")
        return Actor(PrincipalKind.RESIDENT, str(self.resident_id), "resident")


@dataclass(frozen=True, slots=True)
class SystemPrincipal:
    """The engine itself: the worker, an operator's command, an import. `component` names it."""

    component: str

    @property
    def actor(self) -> Actor:
        return Actor(PrincipalKind.SYSTEM, self.component, self.component)


GUEST = ResidentPrincipal()
