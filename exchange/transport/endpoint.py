"""Endpoint URLs (``ftp://user@host:21/orders/?passive=1``) parsed into a validated dataclass.

Passwords never come from a URL: they are looked up when connecting, in this order:

1. the environment variable ``EXCHANGE_PASSWORD_<HOST>_<USER>`` (host and user uppercased, every
   character other than A-Z and 0-9 replaced by ``_``), e.g. ``EXCHANGE_PASSWORD_FTP_SHOP_CZ_ORDERS``;
2. the OS keyring (python ``keyring``), service ``exchange:<host>``, user name ``<user>``;
3. the environment variable ``EXCHANGE_<SCHEME>_PASSWORD`` (``EXCHANGE_FTP_PASSWORD``,
   ``EXCHANGE_FTPS_PASSWORD``, ``EXCHANGE_SFTP_PASSWORD``).

Anonymous FTP (no user, or user ``anonymous``) needs no password.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from types import MappingProxyType
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit

from exchange.errors import ConfigError


class Stability(StrEnum):
    """How a reader decides that a remote file is completely written."""

    LISTING = "listing"  # size and mtime unchanged across two listings
    DONEFILE = "donefile"  # a companion NAME<done_suffix> file exists
    NONE = "none"  # trust the writer (it renames atomically)


class After(StrEnum):
    """What happens to a remote input once it has been processed."""

    MOVE = "move"  # to the processed (or error) folder
    DELETE = "delete"
    KEEP = "keep"  # leave it; the store remembers it was seen


COMMON_OPTIONS = {
    "stable": "listing|donefile|none (default listing)",
    "settle": "seconds between the two listings of stable=listing (default 1)",
    "done_suffix": "suffix of done-files for stable=donefile (default .done)",
    "after": "move|delete|keep: what to do with a remote input once processed (default move)",
    "processed": "folder for processed inputs (default processed/)",
    "error": "folder for inputs whose import failed (default error/)",
    "pattern": "glob of the file names to pull (default *)",
    "timeout": "network timeout in seconds (default 30)",
}
_HTTP_OPTIONS = {
    "auth": "basic|bearer|key: how the secret is sent (default basic when the URL has a user; "
            "key: an API key as the basic-auth user with no password, as PrestaShop takes it)",
    "method": "put|post: how push sends a file (default put)",
    "paths": "comma-separated documents under the URL's folder that pull takes",
    "max_size": "largest download accepted, in bytes (default 268435456)",
    "redirects": "redirects followed at most (default 5)",
    "expect": "xml|any: refuse an HTML page where XML is expected (default xml)",
    "parallel": "GETs of ?paths= in flight at once, each on its own connection (1-16, default 4)",
}
SCHEME_OPTIONS: dict[str, dict[str, str]] = {
    "file": {},
    "memory": {},
    "ftp": {"passive": "1|0 (default 1)"},
    "ftps": {
        "passive": "1|0 (default 1)",
        "verify": "true|false: verify the server certificate (default true)",
        "cafile": "PEM file of CA certificates to trust instead of the system ones",
    },
    "http": {
        **_HTTP_OPTIONS,
        "insecure": "1: allow plain http:// to a host that is not this machine",
    },
    "https": {
        **_HTTP_OPTIONS,
        "cafile": "PEM file of CA certificates to trust instead of the system ones",
    },
    "sftp": {
        "known_hosts": "known_hosts file (default ~/.ssh/known_hosts)",
        "fingerprint": "pinned host key fingerprint, SHA256:base64 (accepts a key not in known_hosts)",
        "key": "private key file for key authentication",
    },
}
DEFAULT_PORTS = {"ftp": 21, "ftps": 21, "sftp": 22, "http": 80, "https": 443}
#: Schemes whose endpoint URL may carry query parameters of the server's own (sent as they are).
HTTP_SCHEMES = ("http", "https")
#: Options that say how to fetch, not which files: left out of :attr:`Endpoint.source`.
TRANSFER_OPTIONS: dict[str, frozenset[str]] = {
    scheme: frozenset({"paths", "parallel", "timeout", "redirects"}) for scheme in HTTP_SCHEMES}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _parse_bool(value: str, name: str, problems: list[str]) -> bool:
    low = value.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    problems.append(f"option {name}={value!r}: expected true or false")
    return False


@dataclass(frozen=True)
class Endpoint:
    """A parsed endpoint; ``root`` is the folder on the server every path is relative to."""

    scheme: str
    host: str = ""
    port: int | None = None
    user: str | None = None
    root: str = ""
    options: Mapping[str, str] = field(default_factory=dict)
    secret: str | None = field(default=None, repr=False, compare=False)
    #: http(s) only: the URL's own query parameters, in order, sent to the server as they are.
    query: tuple[tuple[str, str], ...] = ()

    # -- derived settings --------------------------------------------------------------------
    def option(self, name: str, default: str = "") -> str:
        """The raw value of a query option, or ``default``."""
        return self.options.get(name, default)

    @property
    def stable(self) -> Stability:
        """How pull decides a file is complete."""
        return Stability(self.option("stable", Stability.LISTING))

    @property
    def settle(self) -> float:
        """Seconds to wait between the two listings of ``stable=listing``."""
        return float(self.option("settle", "1"))

    @property
    def done_suffix(self) -> str:
        """Suffix of done-files."""
        return self.option("done_suffix", ".done")

    @property
    def after(self) -> After:
        """What to do with a processed remote input (an http(s) source is only read)."""
        default = After.KEEP if self.scheme in HTTP_SCHEMES else After.MOVE
        return After(self.option("after", default))

    @property
    def processed_dir(self) -> str:
        """Folder (relative to the root) where processed inputs go."""
        return self.option("processed", "processed/")

    @property
    def error_dir(self) -> str:
        """Folder (relative to the root) where failed inputs go."""
        return self.option("error", "error/")

    @property
    def pattern(self) -> str:
        """Glob of the file names to pull."""
        return self.option("pattern", "*")

    @property
    def timeout(self) -> float:
        """Network timeout in seconds."""
        return float(self.option("timeout", "30"))

    @property
    def effective_port(self) -> int:
        """The port, or the scheme's default."""
        return self.port or DEFAULT_PORTS.get(self.scheme, 0)

    @property
    def anonymous(self) -> bool:
        """True for anonymous FTP logins."""
        return self.user in (None, "", "anonymous", "ftp")

    @property
    def url(self) -> str:
        """The URL; it never holds a secret."""
        if self.scheme == "file":
            base = f"file://{quote(self.root)}"
        elif self.scheme == "memory":
            base = f"memory://{self.host}/{quote(self.root)}"
        else:
            userinfo = f"{quote(self.user, safe='')}@" if self.user else ""
            port = f":{self.port}" if self.port else ""
            base = f"{self.scheme}://{userinfo}{self.host}{port}/{quote(self.root.lstrip('/'))}"
        if self.scheme in HTTP_SCHEMES:
            base = f"{self.scheme}://{userinfo}{self.host}{port}{quote(self.root or '/')}"
        query = urlencode([*self.query, *sorted(self.options.items())], safe="/:,")
        return f"{base}?{query}" if query else base

    @property
    def source(self) -> str:
        """Who the files came from, as the store remembers it: the URL without the options that
        only say how to fetch (see :data:`TRANSFER_OPTIONS`). Adding a document to ``?paths=`` or
        changing ``?parallel=`` keeps what was pulled before, and a long ``?paths=`` list never
        outgrows the store's column."""
        transfer = TRANSFER_OPTIONS.get(self.scheme, frozenset())
        if not transfer & self.options.keys():
            return self.url
        kept = {k: v for k, v in self.options.items() if k not in transfer}
        return replace(self, options=kept, secret=None).url

    def __str__(self) -> str:
        return self.url

    def with_secret(self, secret: str | None) -> Endpoint:
        """A copy carrying a password resolved elsewhere (kept out of repr and str)."""
        return Endpoint(self.scheme, self.host, self.port, self.user, self.root,
                        self.options, secret, self.query)


def parse_endpoint(url: str | Endpoint) -> Endpoint:
    """Parse and validate an endpoint URL; report every problem at once as a ConfigError.

    A bare path (no ``scheme://``) is a local folder.
    """
    if isinstance(url, Endpoint):
        return url
    if "://" not in url:
        return Endpoint("file", root=str(Path(url).resolve()))
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    problems: list[str] = []
    if scheme not in SCHEME_OPTIONS:
        known = ", ".join(sorted(SCHEME_OPTIONS))
        raise ConfigError(f"unknown endpoint scheme {scheme!r}; known: {known}")
    if parts.password is not None:
        # The message must not echo the password.
        raise ConfigError(
            f"{scheme}://{parts.hostname or ''}: a password in an endpoint URL is refused; "
            "set EXCHANGE_PASSWORD_<HOST>_<USER> or store it in the OS keyring"
        )
    options: dict[str, str] = {}
    foreign: list[tuple[str, str]] = []
    allowed = {**COMMON_OPTIONS, **SCHEME_OPTIONS[scheme]}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in ("password", "pass", "secret"):
            raise ConfigError(f"{scheme}://{parts.hostname or ''}: option {key!r} is refused; "
                              "passwords come from the environment or the OS keyring")
        if key not in allowed and scheme in HTTP_SCHEMES:
            foreign.append((key, value))  # the shop's own parameter (patternId=5, …)
            continue
        if key not in allowed:
            problems.append(f"unknown option {key!r} (known: {', '.join(sorted(allowed))})")
            continue
        if key == "fingerprint":
            value = value.replace(" ", "+")  # an unquoted "+" of base64 arrives as a space
        options[key] = value
    _validate_options(options, problems)
    try:
        port = parts.port
    except ValueError:
        problems.append(f"bad port in {parts.netloc!r}")
        port = None
    path = unquote(parts.path)
    host = parts.hostname or ""
    if scheme == "file":
        if host not in ("", "localhost"):
            problems.append("file:// URLs take no host: use file:///absolute/path")
        root = path
    elif scheme == "memory":
        root = path.strip("/")
    elif scheme in HTTP_SCHEMES:
        root = path or "/"
        _check_http(scheme, host, root, options, problems)
    else:
        if not host:
            problems.append(f"{scheme} endpoint without a host")
        root = path.rstrip("/") or "/"
        if ".." in root.split("/"):
            problems.append(f"root {root!r} must not contain '..'")
    if problems:
        raise ConfigError(f"bad endpoint {scheme}://{host}: " + "; ".join(problems))
    user = unquote(parts.username) if parts.username else None
    return Endpoint(scheme, host, port, user, root, MappingProxyType(options), query=tuple(foreign))


def is_loopback(host: str) -> bool:
    """True for localhost and the loopback addresses (127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_http(scheme: str, host: str, root: str, options: dict[str, str],
                problems: list[str]) -> None:
    if not host:
        problems.append(f"{scheme} endpoint without a host")
    if ".." in root.split("/"):
        problems.append(f"path {root!r} must not contain '..'")
    insecure = options.get("insecure", "0").lower() in _TRUE
    if scheme == "http" and not insecure and not is_loopback(host):
        problems.append("plain http:// is allowed only to this machine (127.0.0.1, localhost): "
                        "use https://, or add ?insecure=1 if you accept that anyone on the way "
                        "can read and change what is sent")
    if options.get("after", After.KEEP) != After.KEEP:
        problems.append("option after: an http(s) source is only read; after=keep is the only choice")
    choices = {"auth": ("basic", "bearer", "key"), "method": ("put", "post"), "expect": ("xml", "any")}
    for key, allowed in choices.items():
        if key in options and options[key].lower() not in allowed:
            problems.append(f"option {key}={options[key]!r}: expected one of {', '.join(allowed)}")
    for key in ("max_size", "redirects"):
        if key in options and not options[key].isdigit():
            problems.append(f"option {key}={options[key]!r}: expected a whole number >= 0")
    parallel = options.get("parallel", "4")
    if not (parallel.isdigit() and 1 <= int(parallel) <= 16):
        problems.append(f"option parallel={parallel!r}: expected a whole number from 1 to 16")
    for name in options.get("paths", "").split(","):
        if name.strip() and (name.startswith("/") or ".." in name.split("/")):
            problems.append(f"option paths: {name!r} must be relative to the URL's folder")


def _validate_options(options: dict[str, str], problems: list[str]) -> None:
    checks = {
        "stable": [s.value for s in Stability],
        "after": [a.value for a in After],
    }
    for key, choices in checks.items():
        if key in options and options[key] not in choices:
            problems.append(f"option {key}={options[key]!r}: expected one of {', '.join(choices)}")
    for key in ("settle", "timeout"):
        if key in options:
            try:
                if float(options[key]) < 0:
                    raise ValueError
            except ValueError:
                problems.append(f"option {key}={options[key]!r}: expected a number >= 0")
    for key in ("passive", "verify", "insecure"):
        if key in options:
            _parse_bool(options[key], key, problems)
    if "processed" in options and "after" not in options:
        options["after"] = After.MOVE
    fp = options.get("fingerprint")
    if fp is not None and not fp.startswith("SHA256:"):
        problems.append("option fingerprint: expected SHA256:<base64> (as ssh-keygen -l prints)")


def flag(endpoint: Endpoint, name: str, default: bool) -> bool:
    """A boolean option of an endpoint (already validated)."""
    value = endpoint.options.get(name)
    return default if value is None else value.lower() in _TRUE


def password_env_name(endpoint: Endpoint) -> str:
    """The specific environment variable that holds this endpoint's password."""
    return f"EXCHANGE_PASSWORD_{_env_part(endpoint.host)}_{_env_part(endpoint.user or '')}"


def _env_part(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "_", text.upper())


def resolve_password(endpoint: Endpoint, environ: Mapping[str, str] | None = None) -> str | None:
    """The endpoint's password from its secret, the environment or the OS keyring, else None."""
    if endpoint.secret is not None:
        return endpoint.secret
    env = os.environ if environ is None else environ
    specific = env.get(password_env_name(endpoint))
    if specific is not None:
        return specific
    if endpoint.user:
        try:
            import keyring

            found = keyring.get_password(f"exchange:{endpoint.host}", endpoint.user)
        except Exception:  # no keyring backend on this machine: not an error, just no secret
            found = None
        if found is not None:
            return found
    return env.get(f"EXCHANGE_{endpoint.scheme.upper()}_PASSWORD")
