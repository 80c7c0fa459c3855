"""An S3-compatible bucket (AWS S3, MinIO, Ceph, Hetzner, UpCloud ...). botocore, imported when
first used.

Every object gets its content type and a short Cache-Control, so browsers and CDNs pick up
a change within seconds. A PUT replaces an object whole (S3 never serves part of an upload),
so a visitor never reads half a file. The files are read and written in parallel, one
request each: a switch costs a round trip, not one per file.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, model_validator

from notices.errors import PermanentChannelError, TransientChannelError
from notices.net.http import is_transient, retry_after
from notices.net.network import within
from notices.publishers.base import Publisher, content_type_for, decode_text, known_or_read

T = TypeVar("T")

ABSENT = {"NoSuchKey", "404", "NotFound"}
RETRYABLE = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "RequestTimeTooSkewed",
    "InternalError",
    "ServiceUnavailable",
    "503",
    "500",
}


class S3PublisherOptions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["s3"]
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = Field(default="", description="Key prefix, e.g. 'notices/'.")
    endpoint_url: str | None = Field(
        default=None, description="For S3-compatible services, e.g. 'https://s3.example.com'."
    )
    region: str = Field(default="us-east-1")
    access_key_id_env: str | None = Field(
        default=None, description="Environment variable holding the access key id."
    )
    secret_access_key_env: str | None = Field(
        default=None, description="Environment variable holding the secret access key."
    )
    path_style: bool = Field(
        default=False, description="Path-style addressing (most S3-compatible services)."
    )
    acl: str | None = Field(
        default=None,
        description="Canned ACL for every object, e.g. 'public-read' (buckets that use ACLs).",
    )
    cache_control: str = Field(default="max-age=30", description="Cache-Control of every object.")
    timeout: float = Field(default=15.0, gt=0, description="Seconds to wait for the service.")

    @model_validator(mode="after")
    def _both_keys(self) -> S3PublisherOptions:
        if (self.access_key_id_env is None) != (self.secret_access_key_env is None):
            raise ValueError("give both access_key_id_env and secret_access_key_env, or neither")
        return self


class S3Publisher(Publisher):
    sdk = ("botocore.session", "botocore.config")

    def __init__(self, options: S3PublisherOptions, home: Path) -> None:
        self.options = options
        self._client: Any = None

    def identity(self) -> str:
        o = self.options
        where = f" at {o.endpoint_url}" if o.endpoint_url else ""
        return f"s3 {o.bucket}/{o.prefix}{where}"

    def _key(self, name: str) -> str:
        return f"{self.options.prefix}{name}"

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        # botocore alone: boto3's session and resource layer add s3transfer and ~0.04 s of
        # CPU to every cold switch, and we use neither (docs/benchmarks.md).
        import botocore.session
        from botocore.config import Config

        o = self.options
        credentials: dict[str, str] = {}
        if o.access_key_id_env and o.secret_access_key_env:
            for env, arg in (
                (o.access_key_id_env, "aws_access_key_id"),
                (o.secret_access_key_env, "aws_secret_access_key"),
            ):
                value = os.environ.get(env)
                if not value:
                    raise PermanentChannelError(
                        f"the environment variable {env} (S3 credentials) is not set"
                    )
                credentials[arg] = value
        self._client = botocore.session.get_session().create_client(
            "s3",
            endpoint_url=o.endpoint_url,
            region_name=o.region,
            config=Config(
                s3={"addressing_style": "path" if o.path_style else "auto"},
                connect_timeout=o.timeout,
                read_timeout=o.timeout,
                # One try per call: notices retries, and logs each attempt.
                retries={"total_max_attempts": 1, "mode": "standard"},
            ),
            **credentials,
        )
        return self._client

    def warm(self) -> None:
        """botocore's client made (the S3 model and endpoint rules loaded): no request."""
        self._connect()

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
        self._client = None

    def _call(self, what: str, action: Callable[[Any], T]) -> T:
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

        from notices.net.network import plain

        where = self.identity()
        try:
            return action(_Bounded(self._connect(), self.options.timeout, where))
        except ClientError as exc:
            code = str(exc.response.get("Error", {}).get("Code", ""))
            metadata = exc.response.get("ResponseMetadata", {})
            status = int(metadata.get("HTTPStatusCode", 0) or 0)
            message = exc.response.get("Error", {}).get("Message") or code
            if code in RETRYABLE or is_transient(status):
                raise TransientChannelError(
                    f"{where} could not {what}, a temporary problem"
                    f" (HTTP {status or '?'} {message})",
                    retry_after=retry_after(metadata.get("HTTPHeaders")),
                ) from exc
            if code in {"InvalidAccessKeyId", "SignatureDoesNotMatch"}:
                raise PermanentChannelError(
                    f"{where} refused the credentials: check the access keys"
                ) from exc
            if code == "NoSuchBucket":
                raise PermanentChannelError(
                    f"the bucket {self.options.bucket} does not exist"
                ) from exc
            if code in {"AccessDenied", "403"} or status == 403:
                raise PermanentChannelError(f"{where} denies permission to {what}") from exc
            raise PermanentChannelError(f"{where} refused to {what}: {message}") from exc
        except NoCredentialsError as exc:
            raise PermanentChannelError(
                f"no S3 credentials for {where}: set access_key_id_env and secret_access_key_env"
            ) from exc
        except BotoCoreError as exc:
            # Endpoint unreachable, connect or read timeouts, connection closed.
            self.close()
            host = urlsplit(self.options.endpoint_url or "https://s3.amazonaws.com").hostname
            raise TransientChannelError(
                f"{where} could not {what}: {plain(exc, host, self.options.timeout)}"
            ) from exc
        except TransientChannelError:
            self.close()  # a call left hanging: start afresh next time
            raise

    def read(self, names: list[str]) -> dict[str, str | None]:
        from botocore.exceptions import ClientError

        def one(s3: Any, name: str) -> str | None:
            try:
                body = s3.get_object(Bucket=self.options.bucket, Key=self._key(name))["Body"]
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code", "")) in ABSENT:
                    return None
                raise
            # Read and closed in the bounded thread: closing a body another thread still
            # reads would wait for that read, for ever with an answer that never ends.
            data = within(self.options.timeout, partial(_drain, body), f"{self.identity()} {name}")
            return decode_text(data, f"{self.identity()} {name}")

        return self._call("read", lambda s3: dict(_parallel(names, lambda n: one(s3, n))))

    def write(
        self,
        files: dict[str, str | None],
        content_types: dict[str, str],
        current: dict[str, str | None] | None = None,
    ) -> bool:
        current = known_or_read(self, files, current)
        o = self.options
        acl = {"ACL": o.acl} if o.acl else {}
        changes = [name for name, text in files.items() if current[name] != text]

        def one(s3: Any, name: str) -> None:
            text = files[name]
            if text is None:
                s3.delete_object(Bucket=o.bucket, Key=self._key(name))
            else:
                s3.put_object(
                    Bucket=o.bucket,
                    Key=self._key(name),
                    Body=text.encode("utf-8"),
                    ContentType=content_type_for(name, content_types),
                    CacheControl=o.cache_control,
                    **acl,
                )

        self._call("write", lambda s3: list(_parallel(changes, lambda n: one(s3, n))))
        return bool(changes)

    # -- write once: what the evidence witness needs (notices/witness.py) ----------------

    def object_lock(self) -> bool:
        """Whether the bucket has S3 Object Lock enabled (it can only be set at creation)."""
        from botocore.exceptions import ClientError

        def ask(s3: Any) -> bool:
            try:
                answer = s3.get_object_lock_configuration(Bucket=self.options.bucket)
            except ClientError as exc:
                if "ObjectLockConfigurationNotFound" in str(exc.response.get("Error", {})):
                    return False
                raise
            config = answer.get("ObjectLockConfiguration", {})
            return bool(config.get("ObjectLockEnabled") == "Enabled")

        return self._call("read the bucket's Object Lock", ask)

    def write_locked(self, files: dict[str, str], until: datetime) -> None:
        """Write new objects under Object Lock in compliance mode until `until`: no one, not
        even the account's root user, can delete or overwrite that version before then."""
        o = self.options

        def one(s3: Any, name: str) -> None:
            s3.put_object(
                Bucket=o.bucket,
                Key=self._key(name),
                Body=files[name].encode("utf-8"),
                ContentType=content_type_for(name, {}),
                ObjectLockMode="COMPLIANCE",
                ObjectLockRetainUntilDate=until,
            )

        self._call("write", lambda s3: list(_parallel(list(files), lambda n: one(s3, n))))

    def rewritten(self, folder: str) -> dict[str, int]:
        """The objects under `folder` written more than once (name -> versions), in a bucket
        that keeps versions (Object Lock needs versioning): a later version hides the first
        from a plain read."""

        def count(s3: Any) -> dict[str, int]:
            found: dict[str, int] = {}
            pages = s3.get_paginator("list_object_versions").paginate(
                Bucket=self.options.bucket, Prefix=self._key(folder)
            )
            for page in pages:
                for version in page.get("Versions", []) + page.get("DeleteMarkers", []):
                    name = str(version["Key"])[len(self.options.prefix) :]
                    found[name] = found.get(name, 0) + 1
            return {name: n for name, n in found.items() if n > 1}

        return self._call("list the versions", count)


def _parallel(names: list[str], work: Callable[[str], T]) -> Iterable[tuple[str, T]]:
    """`work` for every name at once (botocore clients are thread-safe); the first error raises."""
    if len(names) <= 1:
        return [(name, work(name)) for name in names]
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        return list(zip(names, pool.map(work, names), strict=True))


def _drain(body: Any) -> bytes:
    with body:
        return bytes(body.read())


class _Bounded:
    """The botocore client, each call bounded by the time-out as a whole: botocore's own time-outs
    bound each socket read, not an answer that trickles in for ever."""

    def __init__(self, client: Any, seconds: float, where: str) -> None:
        self._client = client
        self._seconds = seconds
        self._where = where

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            return within(self._seconds, lambda: method(*args, **kwargs), f"{self._where} ({name})")

        return call
