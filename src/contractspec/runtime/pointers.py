"""Pointers: a data step's SQL named by an `https://` or `file://` URL and
pinned by its sha256, fetched at run time (builds never fetch).

Where the bytes come from, in order: the cache folder, each offline folder
(`--scripts-dir`: files named by their sha256), then the URL itself, under
a timeout for the whole transfer, a size cap and the standard proxy
variables (urllib reads `https_proxy` and `no_proxy`; `SSL_CERT_FILE` names
extra trusted certificates). Whatever the source, bytes whose sha256 is not
the pin are refused. Fetched bytes are written to the cache by their hash:
a cache folder is an offline folder for the next machine.

`${NAME}` in a URL is replaced by the environment variable NAME when it is
fetched, so that a token need not be written into the spec; its value, and
a password or token the URL holds, are added to the session's secrets,
masked in every message and event (urls.redact_url).
"""

from __future__ import annotations

import base64
import contextlib
import errno
import hashlib
import os
import re
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from .exits import EXIT_SPEC, MigrationError
from .loader import NotReadable, read_regular_file
from .urls import redact_url, url_secrets

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from .shapes import Step

DEFAULT_TIMEOUT_S = 30.0
MAX_TIMEOUT_S = 3600.0  # the most fetch_timeout may be
DEFAULT_MAX_BYTES = 64 * 1024 * 1024  # at most loader.MAX_FILE_BYTES
_CHUNK = 64 * 1024
_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class Pointers:
    """How a session gets pointers' SQL: where to look before fetching, where
    to keep what it fetched, and the bounds of a fetch."""

    def __init__(
        self,
        *,
        cache: str | os.PathLike[str] | None = None,
        dirs: Iterable[str | os.PathLike[str]] = (),
        timeout: float = DEFAULT_TIMEOUT_S,
        max_bytes: int = DEFAULT_MAX_BYTES,
    ) -> None:
        self.cache = None if cache is None else Path(cache)
        self.dirs = [Path(folder) for folder in dirs]
        self.timeout, self.max_bytes = timeout, max_bytes

    def fetch(self, url: str, sha256: str, secrets: list[str]) -> bytes:
        """The verified bytes a pointer names; secrets gets the URL's own.
        MigrationError (exit 1) when they can't be had or differ from the pin."""
        pin = sha256.lower().removeprefix("sha256:")
        expanded, values = expand(url)
        found = [*url_secrets(expanded), *(v for v in values if len(v) >= 4)]
        secrets.extend(sorted(set(found) - set(secrets), key=len, reverse=True))
        shown = redact_url(url, secrets)
        refused: list[str] = []
        for folder in [self.cache, *self.dirs]:
            data = self._stored(folder, pin, refused) if folder else None
            if data is not None:
                if folder != self.cache:
                    self._keep(pin, data)
                return data
        try:
            data = self._download(expanded)
        except MigrationError as exc:
            where = f"; {'; '.join(refused)}" if refused else ""
            message = f"cannot fetch {shown}: {exc}{where}; without a network, give"
            message += f" --scripts-dir DIR holding the file named {pin}"
            raise MigrationError(redact_url(message, secrets)) from None
        actual = hashlib.sha256(data).hexdigest()
        if actual != pin:
            raise MigrationError(
                f"{shown}: sha256 {actual}, pinned {pin}: refused (it changed since"
                " the spec pinned it: review the new file, then put its sha256 in"
                " the spec, in a new version if this one is applied anywhere)"
            )
        self._keep(pin, data)
        return data

    def _stored(self, folder: Path, pin: str, refused: list[str]) -> bytes | None:
        """The file named pin in folder, if it is there and holds the pinned bytes."""
        path = folder / pin
        try:
            data = read_regular_file(str(path), self.max_bytes)
        except NotReadable as exc:
            if exc.errno != errno.ENOENT:
                refused.append(f"{path} {exc.strerror}")
            return None
        if hashlib.sha256(data).hexdigest() != pin:
            refused.append(f"{path} does not hold the pinned bytes (ignored)")
            return None
        return data

    def _keep(self, pin: str, data: bytes) -> None:
        """Store fetched bytes in the cache by their hash; a cache that can't
        be written only costs a fetch next time."""
        if self.cache is None:
            return
        temporary = None
        try:
            self.cache.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.cache, prefix=".fetch-")
            with os.fdopen(fd, "wb") as file:
                file.write(data)
            os.replace(temporary, self.cache / pin)
        except OSError:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)

    def _download(self, url: str) -> bytes:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "file":
            if parts.netloc not in ("", "localhost"):
                raise MigrationError(f"a file:// URL names no host, not {parts.netloc}")
            path = unquote(parts.path)
            try:
                return read_regular_file(path, self.max_bytes)
            except NotReadable as exc:
                raise MigrationError(f"{path} {exc.strerror}") from None
        if scheme != "https":
            raise MigrationError(f"{scheme}:// is not fetched: use https:// or file://")
        return self._https(parts)

    def _https(self, parts: SplitResult) -> bytes:
        import urllib.error
        import urllib.request

        userinfo, _, host = parts.netloc.rpartition("@")
        request = urllib.request.Request(
            urlunsplit((parts.scheme, host, parts.path, parts.query, "")),
            headers={"User-Agent": "contractspec-runtime"},
        )
        if userinfo:  # urllib sends no credentials of its own from a URL
            user, _, password = userinfo.partition(":")
            token = f"{unquote(user)}:{unquote(password)}".encode()
            # To this URL only: a redirect (to a signed download elsewhere,
            # say) is not given the password.
            request.add_unredirected_header(
                "Authorization", "Basic " + base64.b64encode(token).decode()
            )
        deadline = time.monotonic() + self.timeout
        try:
            # An opener of its own: it reads the proxy variables as they are now.
            opener = urllib.request.build_opener()
            with opener.open(request, timeout=self.timeout) as response:
                length = response.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > self.max_bytes:
                    raise MigrationError(f"{length} bytes: {self._too_large()}")
                chunks, size = [], 0
                while chunk := response.read1(_CHUNK):  # what has come, at once
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise MigrationError(self._too_large())
                    if time.monotonic() > deadline:
                        raise TimeoutError
                    chunks.append(chunk)
                return b"".join(chunks)
        except MigrationError:
            raise
        except urllib.error.HTTPError as exc:
            raise MigrationError(f"HTTP {exc.code} {exc.reason}") from None
        except urllib.error.URLError as exc:
            raise MigrationError(_reason(exc.reason)) from None
        except (TimeoutError, OSError) as exc:
            if isinstance(exc, TimeoutError) or "timed out" in str(exc):
                raise MigrationError(f"timed out after {self.timeout:g} s") from None
            raise MigrationError(_reason(exc)) from None

    def _too_large(self) -> str:
        return (
            f"more than the {self.max_bytes} bytes a pointer may hold (fetch_max_bytes)"
        )


def _reason(reason: object) -> str:
    if isinstance(reason, TimeoutError) or "timed out" in str(reason):
        return "timed out"
    return getattr(reason, "strerror", None) or str(reason)


def expand(url: str) -> tuple[str, list[str]]:
    """url with each `${NAME}` replaced by the environment variable NAME, and
    the values put in (MigrationError, exit 3, naming one that is not set)."""
    values: list[str] = []

    def value(match: re.Match[str]) -> str:
        name = match[1]
        found = os.environ.get(name)
        if found is None:
            message = f"{redact_url(url)} needs the environment variable {name}, which is not set"
            raise MigrationError(message, EXIT_SPEC)
        values.append(found)
        return found

    return _VARIABLE.sub(value, url), values


def pointer_steps(steps: Sequence[Step]) -> list[tuple[str, str]]:
    """(url, sha256) of each step whose script is a pointer, in plan order."""
    return [
        (step["script"], str(step.get("script_sha256") or ""))
        for step in steps
        if step.get("script_type") == "url"
    ]
