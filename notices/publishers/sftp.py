"""An SFTP account: the typical shared web hosting. paramiko, imported when first used.

The server's host key is pinned (a known_hosts file or the key itself): an unknown or changed
key is refused, never accepted. Each file is uploaded to a temporary name beside it, then
moved over the real one with the OpenSSH `posix-rename` extension, so a visitor never reads
half a file.
"""

from __future__ import annotations

import contextlib
import os
import posixpath
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from notices.errors import PermanentChannelError, TransientChannelError
from notices.publishers.base import Publisher, decode_text, known_or_read

if TYPE_CHECKING:
    import paramiko

T = TypeVar("T")


class SftpPublisherOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["sftp"]
    host: str = Field(min_length=1, description="The SFTP server, e.g. 'sftp.example-host.fi'.")
    port: int = Field(default=22, ge=1, le=65535)
    username: str = Field(min_length=1)
    path: str = Field(
        min_length=1, description="Remote folder the files go into, e.g. 'public_html/notices'."
    )
    key_file: Path | None = Field(default=None, description="Private key file for the login.")
    key_passphrase_env: str | None = Field(
        default=None, description="Environment variable holding the key file's passphrase."
    )
    password_env: str | None = Field(
        default=None, description="Environment variable holding the password (instead of a key)."
    )
    known_hosts: Path | None = Field(
        default=None, description="An OpenSSH known_hosts file that holds the server's key."
    )
    host_key: str | None = Field(
        default=None,
        description="The server's public key, 'ssh-ed25519 AAAA...' (as in known_hosts).",
    )
    timeout: float = Field(default=15.0, gt=0, description="Seconds to wait for the server.")

    @model_validator(mode="after")
    def _login_and_pin(self) -> SftpPublisherOptions:
        if (self.key_file is None) == (self.password_env is None):
            raise ValueError("give exactly one of key_file or password_env")
        if self.known_hosts is None and self.host_key is None:
            raise ValueError(
                "pin the server's host key with known_hosts or host_key"
                " (notices never accepts an unknown key)"
            )
        if self.host_key is not None and len(self.host_key.split()) < 2:
            raise ValueError("host_key must look like 'ssh-ed25519 AAAA...'")
        return self


class SftpPublisher(Publisher):
    sdk = ("paramiko",)

    def __init__(self, options: SftpPublisherOptions, home: Path) -> None:
        self.options = options
        self.home = home
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None

    def identity(self) -> str:
        o = self.options
        return f"sftp {o.username}@{o.host}:{o.port} {o.path}"

    def _where(self, name: str) -> str:
        return posixpath.join(self.options.path, name)

    # -- connection ---------------------------------------------------------------------

    def _path(self, path: Path) -> Path:
        path = path.expanduser()
        return path if path.is_absolute() else self.home / path

    def _secret(self, env: str, what: str) -> str:
        value = os.environ.get(env)
        if not value:
            raise PermanentChannelError(f"the environment variable {env} ({what}) is not set")
        return value

    def _connect(self) -> paramiko.SFTPClient:
        if self._sftp is not None:
            return self._sftp
        import paramiko

        o = self.options
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        if o.known_hosts is not None:
            try:
                client.load_host_keys(str(self._path(o.known_hosts)))
            except OSError as exc:
                raise PermanentChannelError(
                    f"cannot read known_hosts {self._path(o.known_hosts)}: {exc.strerror}"
                ) from exc
        if o.host_key is not None:
            key_type, key_data = o.host_key.split()[:2]
            try:
                import base64

                key = paramiko.PKey.from_type_string(key_type, base64.b64decode(key_data))
            except Exception as exc:
                raise PermanentChannelError(f"host_key is not a valid public key: {exc}") from exc
            entry = o.host if o.port == 22 else f"[{o.host}]:{o.port}"
            client.get_host_keys().add(entry, key_type, key)
        password = self._secret(o.password_env, "SFTP password") if o.password_env else None
        passphrase = (
            self._secret(o.key_passphrase_env, "key passphrase") if o.key_passphrase_env else None
        )
        key_file = str(self._path(o.key_file)) if o.key_file is not None else None
        if key_file is not None and not Path(key_file).is_file():
            raise PermanentChannelError(f"the SFTP key file {key_file} does not exist")
        try:
            client.connect(
                o.host,
                port=o.port,
                username=o.username,
                password=password,
                key_filename=key_file,
                passphrase=passphrase,
                look_for_keys=False,
                allow_agent=False,
                timeout=o.timeout,
                banner_timeout=o.timeout,
                auth_timeout=o.timeout,
                channel_timeout=o.timeout,
            )
            sftp = client.open_sftp()
            sftp.get_channel().settimeout(o.timeout)  # type: ignore[union-attr]
        except BaseException:
            client.close()
            raise
        self._client, self._sftp = client, sftp
        return sftp

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = self._sftp = None

    def _call(self, what: str, action: Callable[[paramiko.SFTPClient], T]) -> T:
        """Run `action` on a connection; map failures to what a person can act on."""
        import paramiko

        o = self.options
        server = f"{o.host}:{o.port}"
        try:
            return action(self._connect())
        except (PermanentChannelError, TransientChannelError):
            raise
        except paramiko.BadHostKeyException as exc:
            self.close()
            raise PermanentChannelError(
                f"{server} presented a host key that does not match the pinned one: refusing to"
                " connect (the server was reinstalled, or this is not your server)"
            ) from exc
        except paramiko.AuthenticationException as exc:
            self.close()
            raise PermanentChannelError(
                f"{server} refused the login of {o.username!r}: check the key or password"
            ) from exc
        except paramiko.SSHException as exc:
            self.close()
            if "known_hosts" in str(exc):
                raise PermanentChannelError(
                    f"{server}'s host key is not pinned: add it to known_hosts or host_key"
                ) from exc
            raise TransientChannelError(f"SFTP session with {server} failed: {exc}") from exc
        except PermissionError as exc:
            raise PermanentChannelError(
                f"{server} denies permission to {what} {exc.filename or o.path}"
            ) from exc
        except (TimeoutError, ConnectionError, EOFError) as exc:
            self.close()
            raise TransientChannelError(f"{server} did not answer in time ({what})") from exc
        except OSError as exc:
            self.close()
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise TransientChannelError(f"cannot {what} on {server}: {reason}") from exc

    # -- the contract ---------------------------------------------------------------------

    def read(self, names: list[str]) -> dict[str, str | None]:
        def action(sftp: paramiko.SFTPClient) -> dict[str, str | None]:
            result: dict[str, str | None] = {}
            for name in names:
                where = self._where(name)
                try:
                    with sftp.open(where, "rb") as handle:
                        data = handle.read()
                except FileNotFoundError:
                    result[name] = None
                else:
                    result[name] = decode_text(data, f"{self.identity()} {name}")
            return result

        return self._call("read", action)

    def write(
        self,
        files: dict[str, str | None],
        content_types: dict[str, str],
        current: dict[str, str | None] | None = None,
    ) -> bool:
        current = known_or_read(self, files, current)

        def action(sftp: paramiko.SFTPClient) -> bool:
            changed = False
            for name, text in files.items():
                where = self._where(name)
                temporary = posixpath.join(
                    posixpath.dirname(where), f".{posixpath.basename(where)}.notices.tmp"
                )
                _remove(sftp, temporary)  # left behind by a killed process, if at all
                if current[name] == text:
                    continue
                changed = True
                if text is None:
                    _remove(sftp, where)
                    continue
                _makedirs(sftp, posixpath.dirname(where))
                with sftp.open(temporary, "wb") as handle:
                    handle.write(text.encode("utf-8"))
                sftp.chmod(temporary, 0o644)
                sftp.posix_rename(temporary, where)
            return changed

        return self._call("write", action)


def _remove(sftp: paramiko.SFTPClient, path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        sftp.remove(path)


def _makedirs(sftp: paramiko.SFTPClient, path: str) -> None:
    if path in ("", "/", "."):
        return
    try:
        if stat.S_ISDIR(sftp.stat(path).st_mode or 0):
            return
    except FileNotFoundError:
        pass
    _makedirs(sftp, posixpath.dirname(path))
    sftp.mkdir(path, 0o755)
