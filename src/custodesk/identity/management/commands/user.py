from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from custodesk.core import clock
from custodesk.core.cli import run
from custodesk.identity import governance, services
from custodesk.identity.models import Organisation, Role, User


class Command(BaseCommand):
    help = "Manage users from the server: create, lock, unlock, reset-password."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create", help="create a user (must change password at sign-in)")
        create.add_argument("username")
        create.add_argument("--full-name", required=True)
        create.add_argument("--organisation", default=None, help="organisation code")
        create.add_argument("--email", default="")
        create.add_argument("--role", action="append", default=[], help="role code (repeatable)")
        create.add_argument("--password", help="omit to generate a temporary one")
        lock = sub.add_parser("lock", help="lock a user's sign-in")
        lock.add_argument("username")
        lock.add_argument("--reason", required=True)
        unlock = sub.add_parser("unlock", help="unlock a user (also clears a lockout)")
        unlock.add_argument("username")
        reset = sub.add_parser("reset-password", help="issue a new temporary password")
        reset.add_argument("username")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username__iexact=username).first()
        if user is None:
            raise CommandError(f"not_found: no user {username!r}")
        return user

    def handle(self, *args: Any, **opts: Any) -> None:
        action = opts["action"]
        now = clock.now()
        if action == "create":
            code = opts["organisation"]
            org = (
                Organisation.objects.filter(code=code).first()
                if code
                else Organisation.objects.filter(kind=Organisation.Kind.STAFF)
                .order_by("pk")
                .first()
            )
            if org is None:
                raise CommandError("not_found: no such organisation (run `custodesk init` first)")
            user, temp = run(
                services.user_create,
                actor=None,
                organisation_id=org.public_id,
                username=opts["username"],
                full_name=opts["full_name"],
                email=opts["email"],
                password=opts["password"],
                now=now,
            )
            for role_code in opts["role"]:
                role = Role.objects.filter(organisation=org, code=role_code).first()
                if role is None:
                    raise CommandError(f"not_found: no role {role_code!r} in {org.code}")
                run(
                    services.role_grant_cli, user_id=user.public_id, role_id=role.public_id, now=now
                )
            self.stdout.write(self.style.SUCCESS(f"User {user.username} created in {org.code}."))
            if not opts["password"]:
                self.stdout.write(f"Temporary password: {temp}")
        elif action == "lock":
            user = self._user(opts["username"])
            run(
                services.user_lock,
                actor=None,
                user_id=user.public_id,
                reason=opts["reason"],
                now=now,
            )
            self.stdout.write(f"User {user.username} locked.")
        elif action == "unlock":
            user = self._user(opts["username"])
            run(governance.user_unlock_cli, user_id=user.public_id, now=now)
            self.stdout.write(f"User {user.username} unlocked.")
        elif action == "reset-password":
            user = self._user(opts["username"])
            _, temp = run(governance.user_reset_password_cli, user_id=user.public_id, now=now)
            self.stdout.write(f"Temporary password for {user.username}: {temp}")
