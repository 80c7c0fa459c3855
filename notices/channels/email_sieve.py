"""`email_sieve`: a mailbox's auto-reply through ManageSieve (RFC 5804), e.g. Dovecot/Pigeonhole.

A mailbox runs one active Sieve script. The switch installs our own script (default name
`notices-emergency`): the `vacation` auto-reply first, then the rules of the script that was
active, and activates it. That script itself is never changed, so `resume` reactivates it
byte for byte (or deactivates all, if none was active) and deletes ours.
"""

from __future__ import annotations

import hashlib
import os
import socket
import ssl as std_ssl
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import Field

from notices.channels.base import Artefacts, Channel, ChannelOptions, Notice, Receipt, Setting
from notices.channels.sievescript import SieveSyntaxError, compose, kept_script, split_ours
from notices.channels.texts import sieve_vacation
from notices.errors import PermanentChannelError, TransientChannelError

SCRIPT_FILE = "auto-reply.sieve"
# sievelib's messages for failures that trying again will not mend.
PERMANENT_CONNECT_ERRORS = ("STARTTLS not supported", "SSL error", "SASL not supported")
CONNECT_FAILED = "Connection to server failed"


class EmailSieveOptions(ChannelOptions):
    host: str = Field(description="The ManageSieve server, e.g. mail.example.fi.")
    port: int = Field(default=4190, ge=1, le=65535)
    username: str = Field(description="The mailbox's login name.")
    password_env: str = Field(
        description="Name of the environment variable that holds the mailbox's password."
    )
    starttls: bool = Field(
        default=True,
        description="Encrypt with STARTTLS before logging in (the server must offer it).",
    )
    addresses: list[str] = Field(
        default_factory=list, description="Other addresses of the mailbox, for Sieve :addresses."
    )
    days: int = Field(
        default=1, ge=1, description="Answer the same sender at most once per N days."
    )
    script: str = Field(
        default="notices-emergency",
        pattern=r"^[^\x00-\x1f\x7f\"\\/]{1,64}$",
        description="Name of our script on the server.",
    )
    timeout: float = Field(
        default=20.0, ge=1, description="Seconds to wait for the server's answer."
    )


def _lines(text: str | None) -> str | None:
    """What sievelib's GETSCRIPT returns for a text: LF line ends, no final line break."""
    return None if text is None else "\n".join(text.splitlines())


def _connect_error(exc: Exception, where: str, opts: EmailSieveOptions) -> Exception:
    """sievelib's error as ours: permanent where trying again will not mend it."""
    text = str(exc)
    if any(permanent in text for permanent in PERMANENT_CONNECT_ERRORS):
        hint = " (set starttls = false only on a trusted link)" if opts.starttls else ""
        return PermanentChannelError(f"ManageSieve server {where}: {exc}{hint}")
    if text.startswith(CONNECT_FAILED):
        reason = text.removeprefix(CONNECT_FAILED).lstrip(": ")
        return TransientChannelError(f"cannot reach the ManageSieve server {where}: {reason}")
    if text.startswith("Failed to read"):
        text = f"no answer within {opts.timeout:g} s ({exc})"
    return TransientChannelError(f"ManageSieve server {where}: {text}")


def _message(raw: Any) -> str:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    return " ".join(str(raw or "no reason given").split())


def timed_client(host: str, port: int, timeout: float) -> Any:
    """A sievelib Client whose connect and reads are bounded by `timeout`, for this client only.

    sievelib 1.6 connects with `socket.create_connection` and no time limit (a server that
    drops packets hangs us), then sets the socket's read limit from the class attribute
    `Client.read_timeout`, which every thread shares. Only the socket set-up differs from
    sievelib's `connect`; the rest calls its own steps.
    """
    from sievelib.managesieve import SUPPORTED_AUTH_MECHS, Client, Error

    class TimedClient(Client):  # type: ignore[misc]
        def connect(
            self,
            login: str,
            password: str,
            authz_id: str = "",
            starttls: bool = False,
            ssl: bool = False,
            authmech: str | None = None,
        ) -> bool:
            if authmech is not None and authmech not in SUPPORTED_AUTH_MECHS:
                raise Error(f"Unsupported authentication mechanism: {authmech}")
            try:
                self.sock = socket.create_connection((self.srvaddr, self.srvport), timeout)
            except OSError as exc:
                raise Error(f"{CONNECT_FAILED}: {exc.strerror or exc}") from None
            if ssl:
                self._Client__enable_ssl()
            if not self._Client__get_capabilities():
                raise Error("Failed to read capabilities from server")
            if not ssl and starttls and not self._Client__starttls():
                return False
            if not isinstance(self.sock, std_ssl.SSLSocket):
                warnings.warn(
                    "Credentials are sent over an unencrypted connection,"
                    " use starttls=True or ssl=True",
                    stacklevel=2,
                )
            return bool(self._Client__authenticate(login, password, authz_id, authmech))

    return TimedClient(host, port)


def scripts_setting(active: str | None, content: str | None, scripts: list[str]) -> Setting:
    if active is None:
        summary = "no active script"
    else:
        size = len((content or "").encode("utf-8"))
        summary = f'active script "{active}" ({size} bytes)'
    others = sorted(set(scripts) - {active})
    if others:
        summary += "; also stored: " + ", ".join(f'"{name}"' for name in others)
    return Setting(
        data={"active": active, "content": content, "scripts": sorted(scripts)}, summary=summary
    )


class EmailSieve(Channel):
    kind = "email_sieve"
    medium = "email"
    Options = EmailSieveOptions
    self_expiring = True  # with a return time, the reply is wrapped in a `currentdate` test
    described = ("script", "starttls")
    sdk = ("sievelib.managesieve",)
    sign_in_round_trips = 3  # the server's greeting, STARTTLS, AUTHENTICATE

    _refused: str | None = None

    @property
    def opts(self) -> EmailSieveOptions:
        assert isinstance(self.options, EmailSieveOptions)
        return self.options

    def identity(self) -> str:
        return f"{self.opts.username} at {self.opts.host}:{self.opts.port}"

    # -- pure -----------------------------------------------------------------------------

    def build(self, notice: Notice) -> Artefacts:
        """Our script as it would stand alone; `apply` adds the mailbox's own rules to it."""
        script = sieve_vacation(
            notice,
            self.opts.addresses,
            self.opts.days,
            note="Installed by notices; `notices resume` puts back the script that was active.",
        )
        _, _, reply = split_ours(script)
        return Artefacts(
            files={SCRIPT_FILE: script},
            content_types={SCRIPT_FILE: "application/sieve; charset=utf-8"},
            expected=Setting(
                data={"active": self.opts.script, "includes": _lines(reply)},
                summary=f'active script "{self.opts.script}": the auto-reply, then the own rules',
            ),
        )

    def differences(self, expected: Setting, actual: Setting) -> list[str]:
        active, wanted = actual.data.get("active"), expected.data.get("active")
        if active != wanted:
            return [f"the active script is {active!r}, not {wanted!r}"]
        content = _lines(actual.data.get("content")) or ""
        if "includes" in expected.data:  # the incident: our reply, whatever rules follow it
            if expected.data["includes"] in content:
                return []
            return [f"the active script {active!r} does not hold the auto-reply just uploaded"]
        if content == (_lines(expected.data.get("content")) or ""):
            return []
        return [f"the active script {active!r} is not the one from before the incident"]

    # -- talking to the server ------------------------------------------------------------

    @contextmanager
    def _session(self) -> Iterator[Any]:
        from sievelib.managesieve import Error

        opts = self.opts
        where = f"{opts.host}:{opts.port}"
        if self._refused is not None:
            # Credentials do not change during one command; each failed login makes the
            # server wait longer before it answers the next one.
            raise PermanentChannelError(self._refused)
        password = os.environ.get(opts.password_env)
        if not password:
            raise PermanentChannelError(
                f"the environment variable {opts.password_env}, which should hold the"
                f" ManageSieve password of {opts.username}, is not set"
            )
        client = timed_client(opts.host, opts.port, opts.timeout)
        try:
            with warnings.catch_warnings():
                if not opts.starttls:  # the operator chose this; not worth a warning each time
                    warnings.filterwarnings("ignore", "Credentials are sent over an unencrypted")
                logged_in = client.connect(opts.username, password, starttls=opts.starttls)
            if not logged_in:
                self._refused = (
                    f"the ManageSieve server {where} refused the login of {opts.username}:"
                    f" {_message(client.errmsg)} (check the user name and the password in"
                    f" {opts.password_env})"
                )
                raise PermanentChannelError(self._refused)
            yield client
        except Error as exc:
            raise _connect_error(exc, where, opts) from None
        except OSError as exc:
            raise TransientChannelError(
                f"ManageSieve server {where}: {exc.strerror or exc}"
            ) from None
        finally:
            if client.sock is not None:
                try:
                    if client.authenticated:
                        client.logout()
                except (Error, OSError):
                    pass
                client.sock.close()
                client.sock = None

    def _read(self, client: Any) -> Setting:
        listing = client.listscripts()
        if listing is None:
            raise TransientChannelError(f"could not list the scripts: {_message(client.errmsg)}")
        active, others = listing
        content = None
        if active is not None:
            content = client.getscript(active)
            if content is None:
                raise TransientChannelError(
                    f'could not read the active script "{active}": {_message(client.errmsg)}'
                )
        return scripts_setting(active, content, [*others, *([active] if active else [])])

    def _compose(self, client: Any, current: Setting, ours: str) -> tuple[str | None, str]:
        """The script to install: ours, then the rules of the script active before ours."""
        active = current.data["active"]
        if active == self.opts.script:  # applied before: keep the rules ours already keeps
            base_name = kept_script(current.data["content"] or "")
        else:
            base_name = active
        base_script = current.data["content"] if base_name == active else None
        if base_name is not None and base_script is None:
            base_script = client.getscript(base_name)
            if base_script is None:
                raise PermanentChannelError(
                    f'the script "{base_name}", whose rules the auto-reply keeps, is gone from'
                    " the server; the auto-reply active now stays as it is"
                )
        try:
            return base_name, compose(ours, base_name, base_script)
        except SieveSyntaxError as exc:
            raise PermanentChannelError(
                f'the active Sieve script "{base_name}" cannot be read ({exc}): fix or'
                " deactivate it, then switch again"
            ) from None

    def snapshot(self, served: bool = False) -> Setting:
        with self._session() as client:
            return self._read(client)

    def apply(self, artefacts: Artefacts, current: Setting | None = None) -> Receipt:
        name = self.opts.script
        with self._session() as client:
            current = current or self._read(client)  # read just before, else now
            base_name, script = self._compose(client, current, artefacts.files[SCRIPT_FILE])
            confirmation: dict[str, Any] = {
                "script": name,
                "keeps_rules_of": base_name,
                "sha256": hashlib.sha256(script.encode("utf-8")).hexdigest(),
                "text": script,
            }
            if current.data["active"] == name and _lines(current.data["content"]) == _lines(script):
                return Receipt(False, confirmation)
            if not client.putscript(name, script):
                raise PermanentChannelError(
                    f'the server refused the auto-reply script "{name}": {_message(client.errmsg)}'
                )
            if not client.setactive(name):
                raise PermanentChannelError(
                    f'the server refused to activate "{name}": {_message(client.errmsg)}'
                )
            return Receipt(True, confirmation)

    def restore(self, setting: Setting, current: Setting | None = None) -> Receipt:
        ours = self.opts.script
        previous: str | None = setting.data["active"]
        content: str | None = setting.data["content"]
        confirmation: dict[str, Any] = {"reactivated": previous, "reuploaded": False}
        with self._session() as client:
            current = current or self._read(client)  # read just before, else now
            changed = False
            if previous is None:
                if current.data["active"] is not None:
                    self._setactive(client, "")
                    changed = True
            else:
                stored = (
                    current.data["content"]
                    if current.data["active"] == previous
                    else client.getscript(previous)
                    if previous in current.data["scripts"]
                    else None
                )
                # Only when the script was changed or deleted meanwhile is it uploaded again.
                if _lines(stored) != _lines(content):
                    if not client.putscript(previous, content or ""):
                        raise PermanentChannelError(
                            f'the server refused the saved script "{previous}":'
                            f" {_message(client.errmsg)}"
                        )
                    confirmation["reuploaded"] = True
                    changed = True
                if current.data["active"] != previous:
                    self._setactive(client, previous)
                    changed = True
            if previous != ours and ours in current.data["scripts"]:
                if not client.deletescript(ours):
                    raise PermanentChannelError(
                        f'could not delete the script "{ours}": {_message(client.errmsg)}'
                    )
                confirmation["deleted"] = ours
                changed = True
            return Receipt(changed, confirmation)

    def _setactive(self, client: Any, name: str) -> None:
        if not client.setactive(name):
            what = f'activate "{name}"' if name else "deactivate the active script"
            raise PermanentChannelError(f"the server refused to {what}: {_message(client.errmsg)}")

    def probe(self) -> str:
        """Logs in, reads the active script, and asks the server to check (CHECKSCRIPT, not
        stored) a script composed like the real one, and whether it has room (HAVESPACE)."""
        sample = (
            "# notices check\n"
            'require ["vacation"];\n'
            'vacation :days 1 :subject "notices: tarkistus / kontroll / check"'
            ' "Poikkeustilanne: tämä on vain tarkistus.";\n'
        )
        with self._session() as client:
            current = self._read(client)
            _, script = self._compose(client, current, sample)
            checked = "CHECKSCRIPT"
            try:
                valid = client.checkscript(script)
            except NotImplementedError:  # a pre-RFC server: HAVESPACE is all it can tell
                valid, checked = True, "nothing (the server has no CHECKSCRIPT)"
            if not valid:
                raise PermanentChannelError(
                    "the server would refuse the auto-reply script (CHECKSCRIPT):"
                    f" {_message(client.errmsg)}"
                )
            if not client.havespace(self.opts.script, len(script.encode("utf-8"))):
                raise PermanentChannelError(
                    f"the server has no room for the auto-reply script: {_message(client.errmsg)}"
                )
        return (
            f"logged in as {self.opts.username}; {current.summary}; the server accepts the"
            f" auto-reply with these rules ({checked}) and has room for it (HAVESPACE)"
        )
