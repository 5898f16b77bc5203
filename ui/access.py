"""Who may read which collection (the README's "Who can read which collection").

The rules are one setting, ``access``: a mapping (a TOML table in ``rag.toml``, JSON in
``RAG_ACCESS``) or the path of a ``.toml`` or ``.json`` file holding one, read again
whenever the file changes::

    [collections.hr]
    groups = ["hr"]                            # single sign-on groups, or [groups] below
    users = ["dana"]                           # UI logins or single sign-on users
    tokens = ["hr-bot"]                        # API tokens by name (RAG_API_TOKENS hr-bot:...)
    origins = ["https://hr.intranet.example"]  # the widget on that page

    [groups]                                   # groups of UI logins (RAG_AUTH), by user
    hr = ["alice"]

- A collection without a rule is readable by everyone who may ask, as before rules existed.
- A collection with a rule is readable by the users, groups, tokens and origins it names.
- A token or widget origin that some rule names is bound to the collections naming it and
  reads those alone (the HR bot's token reads HR, not the collections without a rule).
- A refusal never tells the caller that a collection exists: one named in the request
  gets exactly the 404 of a missing collection; the server's default, asked by naming
  none, gets a 403 whose reason names no collection.
- Every decision is logged in one line (caller, collection, allowed or refused); a
  caller is shown as ``kind:name``: an API token by its name, never its value.
"""

import json
import logging
import threading
import tomllib
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator

from rag.errors import RagError, Unavailable
from rag.retrieve.collections import CollectionInfo, missing_collection
from rag.settings import Settings, SettingsInvalid, check_collection_name

log = logging.getLogger(__name__)

Kind = Literal["anonymous", "token", "login", "sso", "widget"]
_PEOPLE = ("login", "sso")


@dataclass(frozen=True)
class Caller:
    """Who a request comes from, as the rules see it.

    ``name`` is the user (login, sso), the API token's name ("" for an unnamed one) or
    the widget page's origin; ``groups`` are those the single sign-on proxy sent;
    ``key`` is the rate-limit key (it never holds a secret).
    """

    kind: Kind = "anonymous"
    name: str = ""
    groups: frozenset[str] = frozenset()
    key: str = ""

    def __str__(self) -> str:
        """``kind:name``, as logs show the caller."""
        return f"{self.kind}:{self.name}" if self.name else self.kind


class AccessRefused(RagError):
    """The caller may not read the server's default collection (a 403)."""


class RulesUnusable(Unavailable):
    """The rules file changed into something that cannot be used: nothing is served."""


DEFAULT_REFUSED = (
    "the server's default collection is not open to you: name a collection you may read "
    "(GET /api/collections lists them)"
)


class Rule(BaseModel):
    """Who may read one collection."""

    model_config = ConfigDict(extra="forbid")

    users: list[str] = []
    groups: list[str] = []
    tokens: list[str] = []
    origins: list[str] = []


class Rules(BaseModel):
    """A rule per collection, and the groups of UI logins."""

    model_config = ConfigDict(extra="forbid")

    collections: dict[str, Rule] = {}
    groups: dict[str, list[str]] = {}

    @field_validator("collections")
    @classmethod
    def _names(cls, value: dict[str, Rule]) -> dict[str, Rule]:
        for name in value:
            check_collection_name(name)
        return value

    def bound(self, caller: Caller) -> frozenset[str]:
        """The collections whose rules name ``caller``'s token or origin."""
        if caller.kind not in ("token", "widget") or not caller.name:
            return frozenset()
        return frozenset(
            collection
            for collection, rule in self.collections.items()
            if caller.name in (rule.tokens if caller.kind == "token" else rule.origins)
        )


def _parse(data: Any, where: str, token_names: Collection[str]) -> Rules:
    """``data`` as rules; a one-line ``SettingsInvalid`` naming ``where`` otherwise."""
    try:
        rules = Rules.model_validate(data)
    except ValidationError as error:
        problems = [
            f"{'.'.join(str(part) for part in problem['loc'])}: {problem['msg']}"
            for problem in error.errors(include_input=False, include_url=False)
        ]
        raise SettingsInvalid(f"access rules ({where}): {'; '.join(problems)}") from None
    for collection, rule in rules.collections.items():
        for number, name in enumerate(rule.tokens, 1):
            if name not in token_names:  # by number: a token's value pasted here stays unsaid
                raise SettingsInvalid(
                    f"access rules ({where}): collections.{collection}.tokens entry {number} "
                    "is not the name of an API token (RAG_API_TOKENS entries are name:token)"
                )
    return rules


class RuleSource:
    """The rules of the ``access`` setting: given inline, or a file read again when it
    changes (its modification time, size or inode), so that a change applies at once."""

    def __init__(self, setting: dict[str, Any] | str | None, token_names: Collection[str]):
        """Read the rules now; a ``SettingsInvalid`` when they cannot be used."""
        self._tokens = token_names
        self._path = Path(setting) if isinstance(setting, str) else None
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._problem = ""
        self._rules: Rules | None = None
        if self._path is None:
            self._rules = _parse(setting or {}, "access", token_names)
            return
        try:
            self.get()
        except RulesUnusable:
            raise SettingsInvalid(self._problem) from None

    def _read(self, path: Path) -> Rules:
        try:
            text = path.read_text()
            data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise SettingsInvalid(f"access rules ({path}): cannot be read: {error}") from None
        return _parse(data, str(path), self._tokens)

    def get(self) -> Rules:
        """The rules in force; ``RulesUnusable`` while the file cannot be used."""
        if self._path is None:
            assert self._rules is not None
            return self._rules
        with self._lock:
            try:
                stat = self._path.stat()
                seen: tuple[int, int, int] | None = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            except OSError as error:
                seen, self._rules = None, None
                self._problem = f"access rules ({self._path}): cannot be read: {error}"
            if seen is not None and seen != self._seen:
                try:
                    self._rules = self._read(self._path)
                except SettingsInvalid as error:
                    if self._seen is not None:  # a change while serving (at start: refused)
                        log.error("%s; every collection is closed until it is fixed", error)
                    self._rules, self._problem = None, str(error)
            self._seen = seen
            if self._rules is None:
                raise RulesUnusable(f"{self._problem}; every collection is closed until fixed")
            return self._rules


def admin_users(settings: Settings, logins: Collection[str]) -> frozenset[str]:
    """``admin_users`` (none while the admin tab is off); a ``SettingsInvalid`` when the
    tab is on but no one could be told apart from anyone else."""
    if not settings.admin:
        return frozenset()
    users = frozenset(user.strip() for user in settings.admin_users if user.strip())
    if not (users or settings.admin_groups) or not (logins or settings.trusted_user_header):
        raise SettingsInvalid(
            "RAG_ADMIN=1 needs RAG_ADMIN_USERS or RAG_ADMIN_GROUPS and a sign-in (RAG_AUTH "
            "logins or RAG_TRUSTED_USER_HEADER single sign-on); not serving an admin tab "
            "anyone could use"
        )
    strangers = sorted(users - set(logins)) if logins else []
    if strangers:
        raise SettingsInvalid(f"RAG_ADMIN_USERS: {', '.join(strangers)}: not a UI login (RAG_AUTH)")
    return users


class Access:
    """The access rules of one server, and who is an admin."""

    def __init__(
        self, settings: Settings, logins: Collection[str], token_names: Collection[str]
    ) -> None:
        """Read the rules (a ``SettingsInvalid`` when they cannot be used)."""
        self._default = settings.collection
        self._source = RuleSource(settings.access, frozenset(token_names))
        self._admins = admin_users(settings, logins)
        self._admin_groups = frozenset(settings.admin_groups) if settings.admin else frozenset()

    def groups(self, caller: Caller) -> frozenset[str]:
        """A person's groups: those the proxy sent and those ``[groups]`` gives them."""
        if caller.kind not in _PEOPLE:
            return frozenset()
        given = self._source.get().groups
        return caller.groups | {group for group, members in given.items() if caller.name in members}

    def _may_read(self, caller: Caller, collection: str) -> bool:
        rules = self._source.get()
        rule = rules.collections.get(collection)
        bound = rules.bound(caller)
        if bound:
            return collection in bound
        if rule is None:
            return True
        if caller.kind not in _PEOPLE:
            return False
        return caller.name in rule.users or not self.groups(caller).isdisjoint(rule.groups)

    def allows(self, caller: Caller, collection: str, route: str) -> bool:
        """Whether ``caller`` may read ``collection``, logged."""
        allowed = self._may_read(caller, collection)
        verdict = "allowed" if allowed else "refused"
        log.info("access user=%s collection=%s %s route=%s", caller, collection, verdict, route)
        return allowed

    def require(self, caller: Caller, collection: str | None, route: str) -> str:
        """The collection to read (None: the default), once ``caller`` may read it.

        Raises:
            NotFound: a named collection the caller may not read, as a missing one.
            AccessRefused: the default collection, which the caller may not read.
        """
        name = collection or self._default
        if self.allows(caller, name, route):
            return name
        if collection is None:
            raise AccessRefused(DEFAULT_REFUSED)
        raise missing_collection(collection)

    def readable(
        self, caller: Caller, collections: list[CollectionInfo], route: str
    ) -> list[CollectionInfo]:
        """Those of ``collections`` that ``caller`` may read, logged in one line."""
        shown = [c for c in collections if self._may_read(caller, c.name)]
        names = ",".join(c.name for c in shown) or "(none)"
        log.info(
            "access user=%s listed=%s hidden=%d route=%s",
            caller,
            names,
            len(collections) - len(shown),
            route,
        )
        return shown

    def is_admin(self, caller: Caller) -> bool:
        """Whether ``caller`` may use the admin tab: a person named in ``admin_users`` or
        in one of ``admin_groups`` (an API token or a widget never is)."""
        if caller.kind not in _PEOPLE:
            return False
        return caller.name in self._admins or not self.groups(caller).isdisjoint(self._admin_groups)
