"""Members of an office and their roles, managed by the office's admins.

An office always keeps at least one active admin: the last one cannot be demoted or deactivated.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select

from pressdesk import addresses
from pressdesk.accounts.models import Membership, Role, User
from pressdesk.accounts.services import (
    PasswordRejected,
    check_password,
    create_user,
    disable_totp,
    end_sessions,
    find_user,
    send_invitation,
)
from pressdesk.audit.services import record
from pressdesk.extensions import db
from pressdesk.labels import ROLE_LABELS
from pressdesk.offices.models import Office
from pressdesk.text import has_line_break, one_line


class MemberError(ValueError):
    """A change was refused; the message is shown as is."""


def members(office: Office) -> list[Membership]:
    return list(db.session.scalars(
        select(Membership).join(User).where(Membership.office_id == office.id)
        .order_by(Membership.active.desc(), func.lower(User.name))))


def office_membership(office: Office, membership_id: int) -> Membership | None:
    return db.session.scalar(select(Membership).where(Membership.office_id == office.id,
                                                      Membership.id == membership_id))


def _other_admins(office: Office, membership: Membership) -> int:
    # Lock the office's admin rows (PostgreSQL), so two admins demoting each other at the same
    # moment cannot both succeed and leave the office without one.
    rows = db.session.scalars(
        select(Membership.id).where(Membership.office_id == office.id,
                                    Membership.role == Role.ADMIN.value,
                                    Membership.active.is_(True), Membership.id != membership.id)
        .with_for_update()).all()
    return len(rows)


def _guard_last_admin(office: Office, membership: Membership) -> None:
    if membership.role == Role.ADMIN.value and membership.active and \
            _other_admins(office, membership) == 0:
        raise MemberError(_("{name} ist die einzige Administration dieser Pressestelle. Ernennen "
                            "Sie zuerst eine weitere Person zur Administration.").format(
                                name=membership.user.name))


def add_member(office: Office, actor: User | None, email: str, name: str, role: Role,
               password: str) -> Membership:
    """Add an existing user to the office, or create the user: with an initial password if one
    is given, else with an invitation mail whose link lets the person choose theirs."""
    try:
        address = addresses.key(email)
    except addresses.InvalidAddress as exc:
        raise MemberError(_("Ungültige E-Mail-Adresse: {reason}").format(reason=exc.reason)) from exc
    user = find_user(address)
    if user is not None:
        existing = next((m for m in user.memberships if m.office_id == office.id), None)
        if existing is not None and existing.active:
            raise MemberError(_("{email} gehört schon zu dieser Pressestelle.").format(email=address))
        if existing is not None:
            existing.active, existing.role = True, role.value
            record(office.id, actor, "member.reactivated", "user", user.id,
                   f"{user.name} <{user.email}>: {ROLE_LABELS[role]}")
            return existing
        membership = Membership(office=office, role=role.value)
        user.memberships.append(membership)
        db.session.flush()
        record(office.id, actor, "member.added", "user", user.id,
               f"{user.name} <{user.email}>: {ROLE_LABELS[role]}")
        return membership
    if has_line_break(name) or not one_line(name):
        raise MemberError(_("Bitte den Namen der neuen Person angeben."))
    if password:
        try:
            check_password(password, address, name, office.name)
        except PasswordRejected as exc:
            raise MemberError(str(exc)) from exc
    user = create_user(address, one_line(name)[:200], password or None, office, role)
    record(office.id, actor, "member.created", "user", user.id,
           f"{user.name} <{user.email}>: {ROLE_LABELS[role]}")
    if not password:
        send_invitation(user, office, actor)
        record(office.id, actor, "member.invited", "user", user.id, user.email)
    return user.memberships[0]


def invite_again(office: Office, actor: User | None, membership: Membership) -> None:
    """A fresh invitation for a member who has not chosen a password yet."""
    if membership.office_id != office.id or membership.user.has_password:
        raise MemberError(_("{name} hat schon ein Passwort gewählt. Bei Bedarf hilft "
                            "„Passwort vergessen“ auf der Anmeldeseite.").format(
                                name=membership.user.name))
    send_invitation(membership.user, office, actor)
    record(office.id, actor, "member.invited", "user", membership.user_id, membership.user.email)


def reset_two_factor(office: Office, actor: User | None, membership: Membership) -> None:
    """A member lost their phone: the second factor goes, every session of theirs ends; an
    office that requires one makes them set it up again at the next login."""
    if membership.office_id != office.id:
        raise MemberError(_("Unbekanntes Mitglied."))
    disable_totp(membership.user)
    end_sessions(membership.user)
    record(office.id, actor, "member.two_factor_reset", "user", membership.user_id,
           membership.user.email)


def change_role(office: Office, actor: User | None, membership: Membership, role: Role) -> None:
    if membership.office_id != office.id:
        raise MemberError(_("Unbekanntes Mitglied."))
    if membership.role == role.value:
        return
    if role != Role.ADMIN:
        _guard_last_admin(office, membership)
    old = ROLE_LABELS[Role(membership.role)]
    membership.role = role.value
    record(office.id, actor, "member.role", "user", membership.user_id,
           f"{membership.user.name}: {old} → {ROLE_LABELS[role]}")


def set_active(office: Office, actor: User | None, membership: Membership, active: bool) -> None:
    if membership.office_id != office.id:
        raise MemberError(_("Unbekanntes Mitglied."))
    if membership.active == active:
        return
    if not active:
        _guard_last_admin(office, membership)
    membership.active = active
    if not active and not any(m.active is not False for m in membership.user.memberships):
        # No office left: log the person out everywhere now, not at their next login.
        end_sessions(membership.user)
    record(office.id, actor, "member.activated" if active else "member.deactivated", "user",
           membership.user_id, f"{membership.user.name} <{membership.user.email}>")
