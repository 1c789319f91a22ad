"""Who may do what: roles, permissions and legal-entity scope.

The API, the CLI and the web app all call the use cases with a ``Principal``; every use case
checks it here, so the rules are the same whatever the way in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from creditdesk.service_layer.errors import PermissionDeniedError


class Role(StrEnum):
    ADMIN = "admin"
    CREDIT_MANAGER = "credit_manager"
    CREDIT_CLERK = "credit_clerk"
    APPROVER = "approver"
    INTEGRATION = "integration"
    VIEWER = "viewer"


class Permission(StrEnum):
    READ = "read"
    CHECK = "check"
    PUSH_DOCUMENTS = "push_documents"
    MANAGE_CUSTOMERS = "manage_customers"
    MANAGE_LIMITS = "manage_limits"
    PREPARE_JOURNALS = "prepare_journals"  # create, add lines, generate, submit (not post)
    MANAGE_SETUP = "manage_setup"
    MANAGE_RATES = "manage_rates"
    WORK_HOLDS = "work_holds"
    APPROVE = "approve"
    MANAGE_TOKENS = "manage_tokens"


_GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.CREDIT_MANAGER: frozenset(
        {
            Permission.READ,
            Permission.CHECK,
            Permission.MANAGE_CUSTOMERS,
            Permission.MANAGE_LIMITS,
            Permission.PREPARE_JOURNALS,
            Permission.MANAGE_SETUP,
            Permission.MANAGE_RATES,
            Permission.WORK_HOLDS,
            Permission.APPROVE,
        }
    ),
    Role.CREDIT_CLERK: frozenset(
        {Permission.READ, Permission.CHECK, Permission.WORK_HOLDS, Permission.PREPARE_JOURNALS}
    ),
    Role.APPROVER: frozenset({Permission.READ, Permission.APPROVE}),
    Role.INTEGRATION: frozenset(
        {
            Permission.READ,
            Permission.CHECK,
            Permission.PUSH_DOCUMENTS,
            Permission.MANAGE_CUSTOMERS,
            Permission.MANAGE_LIMITS,
            Permission.PREPARE_JOURNALS,
            Permission.MANAGE_RATES,
        }
    ),
    Role.VIEWER: frozenset({Permission.READ}),
}


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: a user or an API token."""

    name: str
    role: Role
    legal_entities: frozenset[str] | None = None  # None: every legal entity

    def can(self, permission: Permission) -> bool:
        return permission in _GRANTS[self.role]

    def sees(self, legal_entity: str) -> bool:
        return self.legal_entities is None or legal_entity in self.legal_entities

    @property
    def is_unscoped(self) -> bool:
        return self.legal_entities is None


SYSTEM = Principal("system", Role.ADMIN)
"""The principal of the CLI and of periodic tasks run on the server itself."""


def authorize(actor: Principal, permission: Permission, legal_entity: str | None = None) -> None:
    """Raise ``PermissionDeniedError`` unless the actor holds the permission (in that legal
    entity, when one is named; across all of them when ``legal_entity`` is None and the
    permission concerns data outside any one legal entity)."""
    if not actor.can(permission):
        raise PermissionDeniedError(
            f"role {actor.role.value} may not {permission.value.replace('_', ' ')}",
            permission=permission.value,
        )
    if legal_entity is not None and not actor.sees(legal_entity):
        raise PermissionDeniedError(
            f"this caller has no access to legal entity {legal_entity}",
            legal_entity=legal_entity,
        )


def authorize_all_entities(actor: Principal, permission: Permission) -> None:
    """For data that spans legal entities (credit groups, exchange rates, tokens)."""
    authorize(actor, permission)
    if not actor.is_unscoped:
        raise PermissionDeniedError(
            "this needs a caller with access to every legal entity", permission=permission.value
        )
