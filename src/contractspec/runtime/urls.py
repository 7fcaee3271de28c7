"""Database URLs: reading one, and keeping its password (and a pointer's
token) out of every text the runtime writes (messages, events, the audit
log)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from .exits import EXIT_SPEC, MigrationError

if TYPE_CHECKING:
    from collections.abc import Sequence

DATABASE_ENV = "CONTRACTSPEC_DATABASE_URL"
DEFAULT_DATABASE_URL = "sqlite:///contractspec.db"
_URL_HINT = (
    "use sqlite:///relative.db, sqlite:////absolute/path.db, sqlite:///:memory:"
    " or postgresql://user@host:port/dbname"
)
_QUERY_SECRET = (
    r"([?&](?:[\w.-]*[_.-])?(?:token|secret|signature|sig|credential|key|apikey|auth)=)"
    r"(?!\*\*\*)[^&#\s'\"]*"
)
# Passwords in every form libpq reads, wherever they appear in a text: URL
# userinfo up to the last "@" (any scheme, any case), a `password=` query
# parameter, and the keyword/value `password = value` or `password='v a l'`.
_SECRET_PATTERNS = (
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s:/?#@'\"]*):[^\s'\"]*@"), r"\1:***@"),
    (re.compile(r"(?i)([?&]password=)[^&#\s'\"]*"), r"\1***"),
    (
        re.compile(
            r"(?i)(?<![\w?&-])(password\s*=\s*)(?!\*\*\*)('(?:\\.|[^'\\])*'?|[^\s'\"]+)"
        ),
        r"\1***",
    ),
    # A pointer's URL (runtime/pointers.py): a token as its user name, and
    # the query parameters that carry credentials (token, access_token,
    # X-Amz-Signature, sig, api_key, key, client_secret...).
    (re.compile(r"(?i)\b(https?://)[^\s/?#@'\"]+@"), r"\1***@"),
    (re.compile(_QUERY_SECRET, re.IGNORECASE), r"\1***"),
)
_KEYWORD = re.compile(r"\s*([A-Za-z_]+)\s*=\s*('(?:\\.|[^'\\])*'|[^\s']*)")
# A whole keyword/value string, as libpq reads one: nothing but `key=value`
# pairs (a value with a space in quotes). libpq's message for anything else
# quotes the word it stopped at, which may be the tail of a password.
_KEYWORD_STRING = re.compile(
    r"(?:\s*[A-Za-z_]+\s*=\s*(?:'(?:\\.|[^'\\])*'|[^\s']*))+\s*"
)
_ENCODE = "write a space as %20, an '@' as %40, a '/' as %2F"


def first_line(exc: BaseException) -> str:
    """An exception as one line for people, passwords masked (a driver's
    message may quote the connection string)."""
    lines = str(exc).strip().splitlines()
    text = f"{type(exc).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    state = getattr(exc, "sqlstate", None)
    text = f"{text} [SQLSTATE {state}]" if isinstance(state, str) else text
    return redact_url(text)


def redact_url(text: object, secrets: Sequence[str] = ()) -> str:
    """text with every database password in it masked: the forms libpq reads
    (see _SECRET_PATTERNS), and the given secrets wherever they occur (a
    driver message may quote a password outside any of those forms)."""
    text = str(text)
    if not secrets and "@" not in text and "=" not in text:
        return text  # the common case, cheaply: no form a password takes
    for secret in secrets:
        text = text.replace(secret, "***")
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def database_secrets(url: str, used: str | None = None) -> list[str]:
    """The password(s) a database URL or conninfo string holds, and `used`
    (the one libpq connected with, wherever it found it: PGPASSWORD,
    ~/.pgpass, a service file), each as given, decoded and encoded, longest
    first (for redact_url). The URL is read by libpq's own conninfo parser
    when psycopg is there, and by the standard library too."""
    if url[:7].lower() == "sqlite:":
        return []  # a file: no password (and no reason to import psycopg)
    found: set[str] = {used or ""}
    try:
        from psycopg.conninfo import conninfo_to_dict

        found.add(str(conninfo_to_dict(libpq_form(url)).get("password") or ""))
    except Exception:  # no psycopg, or libpq cannot parse it: our own reading
        pass
    if "://" in url:
        parts = urlsplit(url)
        found.add(parts.netloc.rpartition("@")[0].partition(":")[2])
        found.update(v for k, v in parse_qsl(parts.query) if k == "password")
    else:
        found.update(v for k, v in _KEYWORD.findall(url) if k == "password")
    variants: set[str] = set()
    for secret in found:
        secret = secret.strip("'")
        variants.update((secret, unquote(secret), quote(secret, safe="")))
    # Shorter ones would mask ordinary words; the patterns still cover them.
    return sorted((v for v in variants if len(v) >= 4), key=len, reverse=True)


def url_secrets(url: str) -> list[str]:
    """The secrets of a pointer's URL (for redact_url): its user information
    and the values of its credential query parameters; longest first."""
    userinfo = urlsplit(url).netloc.rpartition("@")[0]
    found = set(userinfo.split(":", 1))
    for match in re.finditer(_QUERY_SECRET, url, re.IGNORECASE):
        found.add(url[match.end(1) :].split("&", 1)[0].split("#", 1)[0])
    variants = {v for secret in found for v in (secret, unquote(secret))}
    return sorted((v for v in variants if len(v) >= 4), key=len, reverse=True)


def libpq_form(url: str) -> str:
    """The URL as libpq should get it: the scheme in lower case (libpq reads
    only `postgresql://` and `postgres://` as a URI; anything else as a
    keyword/value string, quoting the whole URL back in its error)."""
    scheme, sep, rest = url.partition("://")
    return scheme.lower() + sep + rest if sep else url


def _shown_url(url: str) -> str:
    """A URL as a refusal shows it: from the first ':' after the user name to
    the last '@' before the query, and a `password=` parameter up to the next
    '&', masked whole. A URL that is refused may hold a password no pattern
    can find the end of (an unencoded '@', '/' or space)."""
    base, mark, query = url.partition("?")
    scheme, sep, rest = base.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if sep and at:
        user, colon, _ = userinfo.partition(":")
        base = f"{scheme}{sep}{user}{':***' if colon else ''}@{host}"
    pairs = [
        "password=***" if pair.lower().startswith("password=") else pair
        for pair in query.split("&")
    ]
    return redact_url(base + mark + "&".join(pairs))


def _url_problem(url: str) -> str | None:
    """Why libpq would read this URL otherwise than it is written (None: it
    reads it as written). libpq takes the user name and password up to the
    first '@' or '/' and quotes in its errors what comes after: a password
    holding either would leak in part, into a host name or a database name."""
    rest = url.partition("://")[2]
    if any(char.isspace() for char in rest):
        return f"it holds a space; {_ENCODE}"
    head = rest.partition("?")[0]
    userinfo = head.rpartition("@")[0]
    if "@" in userinfo or "/" in userinfo:
        return f"the user name or password holds an '@' or a '/'; {_ENCODE}"
    try:
        urlsplit(url).port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:  # its message quotes what it took for the port
        return (
            "the port is not a number (a password holding a '?' or '#' must be"
            " percent-encoded too: %3F, %23)"
        )
    return None


def parse_database_url(url: object) -> tuple[str, str]:
    """("sqlite", path) or ("postgresql", url); MigrationError (exit 3) if bad.
    A refusal never shows a password, nor any part of one."""
    if not isinstance(url, str) or not url.strip():
        raise MigrationError(f"no database URL given: {_URL_HINT}", EXIT_SPEC)
    url = url.strip()
    if url.startswith("sqlite:"):
        if not url.startswith("sqlite:///") or url == "sqlite:///":
            message = f"malformed SQLite URL {_shown_url(url)!r}: {_URL_HINT}"
            raise MigrationError(message, EXIT_SPEC)
        return "sqlite", unquote(url[len("sqlite:///") :])
    if url.split("://", 1)[0].lower() in ("postgresql", "postgres") and "://" in url:
        problem = _url_problem(url)
        if problem:
            message = f"malformed PostgreSQL URL {_shown_url(url)!r}: {problem}"
            raise MigrationError(message, EXIT_SPEC)
        return "postgresql", libpq_form(url)
    if _KEYWORD.match(url) and "://" not in url:  # libpq's `host=... dbname=...`
        if not _KEYWORD_STRING.fullmatch(url):  # shown not at all: where would it end?
            message = (
                "malformed keyword/value connection string (not shown: it may hold"
                " a password): every value with a space must be in single quotes,"
                " as password='two words'"
            )
            raise MigrationError(message, EXIT_SPEC)
        return "postgresql", url
    message = f"unsupported database URL {_shown_url(url)!r}: {_URL_HINT}"
    raise MigrationError(message, EXIT_SPEC)
