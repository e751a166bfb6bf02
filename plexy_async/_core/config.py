"""Client configuration: frozen attrs values, keyword arguments first, environment second."""

from __future__ import annotations

import enum
import ipaddress
import os
from collections.abc import Mapping
from ssl import CERT_NONE, SSLContext, SSLError, create_default_context
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit
from urllib.request import getproxies_environment

import attrs
from yarl import URL

from plexy_async._mask import register_secret
from plexy_async.errors import ConfigurationError

ENV_API_KEY = "PLEXY_API_KEY"
ENV_BASE_URL = "PLEXY_BASE_URL"
ENV_ENVIRONMENT = "PLEXY_ENVIRONMENT"

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Environment(enum.Enum):
    """Which Plexy environment a client talks to; each has its own base URL and API keys.

    ``PlexyClient(environment=...)`` also takes the value as a string (``"live"``,
    ``"sandbox"``, any case), as does ``$PLEXY_ENVIRONMENT``.
    """

    LIVE = "live"
    """Real money: ``https://api.plexypay.com``."""
    SANDBOX = "sandbox"
    """Test cards and test keys: ``https://sandbox-api.plexypay.com``."""

    @property
    def base_url(self) -> str:
        """The environment's API origin (no trailing slash)."""
        return _BASE_URLS[self]


_BASE_URLS = {
    Environment.LIVE: "https://api.plexypay.com",
    Environment.SANDBOX: "https://sandbox-api.plexypay.com",
}


class Secret:
    """Holds the API key so that repr(), str(), attrs.asdict() and logs never show it.

    The value is also registered with the one mask (``_mask.register_secret``): a server that
    echoes it back into an error body does not get it into an error message or a log line.
    Deliberately not an attrs class: ``attrs.asdict`` would recurse into one.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(value)

    def reveal(self) -> str:
        """The secret's value: only to send it, never to show it."""
        return self._value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__


_PROXY_EXAMPLE = "http://user:password@proxy.example:3128"
_PERCENT_HINT = "percent-encode special characters in the user name and password"


class ProxyURL(Secret):
    """An ``http://`` or ``https://`` forward-proxy URL, held like the API key.

    ``repr()`` and ``str()`` show ``http://****@host:port``: never the user name or password.
    ``reveal()`` gives the full URL (credentials as ``user:password@``, percent-encoded).
    A URL without a scheme is taken as ``http://``, as curl does.

    Raises ``ConfigurationError`` for anything but an http(s) URL with a host and an optional
    numeric port; the message never repeats the URL's credentials. ``setting`` names where the
    URL came from, for those messages.
    """

    __slots__ = ("_shown",)

    def __init__(self, url: str, *, setting: str = "proxy") -> None:
        parts = _parse_proxy(url, setting)
        host_port = parts.netloc.rpartition("@")[2]
        credentials = "****@" if "@" in parts.netloc else ""
        super().__init__(parts.geturl())
        for part in (parts.password, unquote(parts.password or "")):
            if part:
                register_secret(part)
        self._shown = f"{parts.scheme}://{credentials}{host_port}"

    @property
    def redacted(self) -> str:
        """The URL with its credentials replaced by ``****``."""
        return self._shown

    def __repr__(self) -> str:
        return f"ProxyURL({self._shown!r})"

    __str__ = __repr__


def _parse_proxy(url: object, setting: str) -> SplitResult:
    """Check a proxy URL. Messages name the problem, never the URL (it may hold a password)."""
    if not isinstance(url, str):
        raise ConfigurationError(f"{setting} must be a URL string, got {type(url).__name__}")
    text = url.strip()
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in text):
        raise ConfigurationError(f"{setting} must not contain whitespace or control characters")
    if "://" not in text:
        text = "http://" + text
    parts = _split(text)
    if parts is None or not parts.hostname:
        raise ConfigurationError(
            f"{setting} is not a valid proxy URL: it needs a host and at most a numeric port, "
            f"as in {_PROXY_EXAMPLE} ({_PERCENT_HINT})"
        )
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ConfigurationError(
            f"{setting} must be an http:// or https:// proxy URL such as {_PROXY_EXAMPLE}, "
            f"not {scheme[:16]}://"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ConfigurationError(
            f"{setting} must not carry a path, query or fragment ({_PERCENT_HINT})"
        )
    return parts._replace(scheme=scheme, path="")


def _split(text: str) -> SplitResult | None:
    """``urlsplit`` plus the checks it defers (port) and yarl's own; None if any fails."""
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 (raises ValueError for a bad port)
        URL(text)
    except ValueError:
        return None
    return parts


TLSSetting = SSLContext | str | os.PathLike[str] | bool | None
"""``ssl=``: None or True (the system's CAs), a CA bundle path, an ``SSLContext``, or False."""


def _tls_setting(value: TLSSetting) -> SSLContext | str | bool | None:
    if value is True:
        return None
    if value is None or isinstance(value, (bool, SSLContext, str)):
        return value
    if isinstance(value, os.PathLike):
        path = os.fspath(value)
        if isinstance(path, str):
            return path
    raise ConfigurationError(
        "ssl must be an ssl.SSLContext, a CA bundle path, None (the system's CAs) or False, "
        f"got {type(value).__name__}"
    )


def _tls_context(setting: SSLContext | str | bool | None) -> SSLContext | bool:
    """What aiohttp's connector takes as ``ssl=``; a CA path is loaded here, once."""
    if setting is None or isinstance(setting, (bool, SSLContext)):
        return True if setting is None else setting
    if not os.path.exists(setting):
        raise ConfigurationError(f"ssl: no CA bundle at {setting!r}")
    if os.path.isdir(setting):
        raise ConfigurationError(
            f"ssl: {setting!r} is a directory; pass a CA bundle file (PEM), or an ssl.SSLContext "
            "that loaded the directory with load_verify_locations(capath=...)"
        )
    reason = ""
    try:
        return create_default_context(cafile=setting)
    except (SSLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or str(exc)
    raise ConfigurationError(f"ssl: no usable CA certificate in {setting!r} ({reason})")


def _insecure_reason(tls: SSLContext | bool) -> str | None:
    if tls is False:
        return "ssl=False turns off TLS certificate verification"
    if isinstance(tls, SSLContext):
        if tls.verify_mode == CERT_NONE:
            return "the ssl= context does not verify certificates (verify_mode is CERT_NONE)"
        if not tls.check_hostname:
            return "the ssl= context does not check host names (check_hostname is False)"
    return None


def _proxy_setting(value: str | ProxyURL | None) -> ProxyURL | None:
    if value is None or isinstance(value, ProxyURL):
        return value
    return ProxyURL(value)


def proxy_from_environment(base_url: str) -> ProxyURL | None:
    """The proxy the process environment names for ``base_url``, as curl and requests read it.

    ``HTTPS_PROXY`` for an https base URL, ``HTTP_PROXY`` for an http one (lower-case names
    win; ``HTTP_PROXY`` is ignored in a CGI process); None when ``NO_PROXY`` matches the host
    (``*``, a host name, a domain suffix, ``host:port`` or an IP network such as
    ``10.0.0.0/8``). Read when called; raises ``ConfigurationError`` if the variable is not an
    http(s) proxy URL.
    """
    parts = urlsplit(base_url)
    proxies = getproxies_environment()
    url = proxies.get(parts.scheme)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if not url or _no_proxy(proxies.get("no", ""), parts.hostname or "", port):
        return None
    return ProxyURL(url, setting=f"the {parts.scheme.upper()}_PROXY environment variable")


def _no_proxy(no_proxy: str, host: str, port: int) -> bool:
    """Whether ``NO_PROXY`` exempts ``host``: ``*``, a host, a domain suffix (with or without
    the leading dot), an IP network such as ``10.0.0.0/8``; ``host:port`` exempts one port."""
    host = host.lower().rstrip(".")
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        ip = None
    for raw in no_proxy.split(","):
        entry = raw.strip().lower()
        if entry == "*":
            return True
        name, _, entry_port = entry.rpartition(":") if _has_port(entry) else (entry, "", "")
        if entry_port and entry_port != str(port):
            continue
        name = name.strip("[]").lstrip(".").rstrip(".")
        if not name:
            continue
        if ip is not None and "/" in name:
            try:
                if ip in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        if host == name or host.endswith("." + name):
            return True
    return False


def _has_port(entry: str) -> bool:
    """``host:port`` or ``[v6]:port``; a bare IPv6 address has colons but no port."""
    if entry.startswith("["):
        return "]:" in entry
    return entry.count(":") == 1


def _number(attribute: attrs.Attribute[Any], value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            f"{attribute.name} must be a number of seconds, got {type(value).__name__}"
        )
    return value


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not _number(attribute, value) > 0:  # NaN too
        raise ConfigurationError(f"{attribute.name} must be positive, got {value!r}")


def _not_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if not _number(attribute, value) >= 0:
        raise ConfigurationError(f"{attribute.name} must not be negative, got {value!r}")


def _optional_instance(cls: type) -> Any:
    """An attrs validator: None or an instance of ``cls``, else ``ConfigurationError``."""

    def check(_: object, attribute: attrs.Attribute[Any], value: object) -> None:
        if value is not None and not isinstance(value, cls):
            raise ConfigurationError(
                f"{attribute.name} must be a {cls.__name__} or None, got {type(value).__name__}"
            )

    return check


DEFAULT_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how often to retry. The defaults follow Plexy's docs: 3 attempts, 1 s then 2 s.

    Waits are exponential (``initial_delay * multiplier**n``, capped at ``max_delay``) with full
    jitter. A ``Retry-After`` answer is honoured instead when it fits in the remaining deadline.
    Only what is safe is retried: a connection that never reached the server, a retryable
    status, or a write that carries an idempotency key.

    Attributes:
        max_attempts: Attempts in all, the first included (1: never retry).
        initial_delay: The first wait, in seconds.
        multiplier: Each wait is this many times the one before.
        max_delay: The longest single wait, in seconds.
        jitter: Wait a random time between 0 and the computed wait ("full jitter").
        retry_statuses: HTTP statuses that are retried.
        respect_retry_after: Wait what a ``Retry-After`` header (seconds or a date) says.

    Raises:
        ConfigurationError: A count or delay out of range (such as ``max_attempts=0``).

    Example:
        ::

            RetryPolicy(max_attempts=5, initial_delay=0.5, max_delay=10.0)
    """

    max_attempts: int = attrs.field(default=3, validator=_positive)
    initial_delay: float = attrs.field(default=1.0, validator=_not_negative)
    multiplier: float = attrs.field(default=2.0, validator=_positive)
    max_delay: float = attrs.field(default=20.0, validator=_not_negative)
    jitter: bool = True
    retry_statuses: frozenset[int] = DEFAULT_RETRY_STATUSES
    respect_retry_after: bool = True

    @classmethod
    def disabled(cls) -> RetryPolicy:
        """One attempt, never retried."""
        return cls(max_attempts=1)


@attrs.frozen(kw_only=True)
class Timeouts:
    """Time limits, all in seconds: ``attempt`` bounds one attempt; ``deadline`` bounds the
    whole call, retries and waits between them included.

    Attributes:
        connect: Seconds to get a connection (from the pool, or a new one with TLS).
        read: Seconds to wait for each read from the socket.
        attempt: Seconds for one attempt, from sending the request to the end of the body.
        deadline: Seconds for the whole call; past it, ``APITimeoutError``.

    Raises:
        ConfigurationError: A limit that is not positive.

    Example:
        ::

            Timeouts(connect=2.0, attempt=10.0, deadline=30.0)
    """

    connect: float = attrs.field(default=10.0, validator=_positive)
    read: float = attrs.field(default=30.0, validator=_positive)
    attempt: float = attrs.field(default=30.0, validator=_positive)
    deadline: float = attrs.field(default=90.0, validator=_positive)


@attrs.frozen(kw_only=True)
class PoolLimits:
    """The aiohttp connector: size it to the concurrency you run (requests past it queue).

    ``max_response_bytes`` caps a response body as decoded (after gzip, deflate or br), with
    or without a Content-Length: past it, ``ResponseTooLargeError``.

    Attributes:
        limit: Connections open at once, all hosts together (0: no limit).
        limit_per_host: Connections open at once to one host (0: no limit of its own).
        keepalive_timeout: Seconds an idle connection is kept for reuse.
        dns_cache_ttl: Seconds a DNS answer is cached.
        max_response_bytes: The largest response body accepted, in bytes, as decoded.

    Raises:
        ConfigurationError: A negative size, or a timeout or cap that is not positive.
    """

    limit: int = attrs.field(default=100, validator=_not_negative)
    limit_per_host: int = attrs.field(default=0, validator=_not_negative)
    keepalive_timeout: float = attrs.field(default=30.0, validator=_positive)
    dns_cache_ttl: int = attrs.field(default=300, validator=_not_negative)
    max_response_bytes: int = attrs.field(default=4 * 1024 * 1024, validator=_positive)


def _strip_slash(url: str) -> str:
    return url.rstrip("/")


def _check_base_url(_: object, __: attrs.Attribute[str], url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(f"base_url must be an http(s) URL, got {url!r}")
    if parts.scheme == "http" and parts.hostname not in _LOOPBACK_HOSTS:
        raise ConfigurationError("base_url must use https unless it points at localhost")
    if parts.query or parts.fragment:
        raise ConfigurationError("base_url must not carry a query or fragment")


@attrs.frozen(kw_only=True)
class ClientConfig:
    """Everything a client needs, immutable. ``repr()`` never shows the API key.

    Build one with ``ClientConfig.resolve(...)`` (which reads the ``PLEXY_*`` variables too)
    and share it between clients with ``PlexyClient(config=...)``.

    TLS and proxies (checked here, before anything is sent; ``ConfigurationError`` otherwise):

    * ``ssl``: None (the system's CAs), a CA bundle path (PEM; only its CAs are trusted), or an
      ``ssl.SSLContext`` used as is. ``False`` turns verification off, as does a context with
      ``CERT_NONE`` or without ``check_hostname``: the client then warns (``InsecureTLSWarning``).
      The same setting verifies an ``https://`` proxy.
    * ``proxy``: an ``http://`` or ``https://`` forward proxy, credentials as
      ``user:password@`` (percent-encoded); held like the API key, never shown.
    * ``trust_env``: without ``proxy``, take it from ``HTTPS_PROXY`` (``HTTP_PROXY`` for an http
      base URL) unless ``NO_PROXY`` matches the API's host; read when the client is created.

    Attributes:
        api_key: The API key, held as a ``Secret`` (``reveal()`` gives the value).
        base_url: The API's origin, without a trailing slash.
        environment: Live or sandbox.
        retry: The default retry policy of every call.
        timeouts: The default time limits of every call, in seconds.
        pool: Connection pool sizes and the response size cap.
        user_agent: The ``User-Agent`` header's value.
        ssl: The TLS setting, as given (see above).
        proxy: The forward proxy, if any.
        trust_env: Whether the environment's proxy variables are read.

    Raises:
        ConfigurationError: A bad base URL, ``ssl`` or ``proxy`` value.
    """

    api_key: Secret
    base_url: str = attrs.field(converter=_strip_slash, validator=_check_base_url)
    environment: Environment = Environment.LIVE
    retry: RetryPolicy = RetryPolicy()
    timeouts: Timeouts = Timeouts()
    pool: PoolLimits = PoolLimits()
    user_agent: str = "plexy_async"
    ssl: SSLContext | str | bool | None = attrs.field(default=None, converter=_tls_setting)
    proxy: ProxyURL | None = attrs.field(default=None, converter=_proxy_setting)
    trust_env: bool = False
    _tls: SSLContext | bool = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_tls", _tls_context(self.ssl))

    @property
    def tls_context(self) -> SSLContext | bool:
        """aiohttp's ``ssl=``: True (the default checks), False, or the context to use."""
        return self._tls

    def insecure_tls(self) -> str | None:
        """Why certificates or host names go unchecked with these settings; None if they are."""
        return _insecure_reason(self._tls)

    def effective_proxy(self) -> ProxyURL | None:
        """``proxy``, else (with ``trust_env``) the environment's proxy for ``base_url``."""
        if self.proxy is not None or not self.trust_env:
            return self.proxy
        return proxy_from_environment(self.base_url)

    @classmethod
    def resolve(
        cls,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        environment: Environment | str | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        pool: PoolLimits | None = None,
        ssl: TLSSetting = None,
        proxy: str | ProxyURL | None = None,
        trust_env: bool = False,
        env: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """Keyword arguments win; ``PLEXY_*`` environment variables fill the gaps.

        ``ssl``, ``proxy`` and ``trust_env``: see the class; ``env`` does not feed them (with
        ``trust_env`` the client reads the process environment's proxy variables).

        Args:
            api_key: The API key; default ``$PLEXY_API_KEY``.
            base_url: The API's origin; default ``$PLEXY_BASE_URL``, else the environment's.
            environment: ``live`` or ``sandbox``; default ``$PLEXY_ENVIRONMENT``, else live.
            retry: The retry policy; default ``RetryPolicy()``.
            timeouts: The time limits, in seconds; default ``Timeouts()``.
            pool: The connection pool; default ``PoolLimits()``.
            ssl: The TLS setting (see the class).
            proxy: A forward proxy URL (see the class).
            trust_env: Read the proxy from the environment (see the class).
            env: The variables to read instead of ``os.environ`` (for tests).

        Returns:
            The checked, immutable configuration.

        Raises:
            ConfigurationError: No API key (or one with whitespace), an unknown environment,
                or a bad base URL, ``ssl`` or ``proxy``.

        Example:
            ::

                config = ClientConfig.resolve(environment="sandbox", timeouts=Timeouts(attempt=5))
                async with PlexyClient(config=config) as plexy:
                    ...
        """
        env = os.environ if env is None else env
        key = api_key if api_key is not None else env.get(ENV_API_KEY)
        if not key or not key.strip():
            raise ConfigurationError(
                f"no API key: pass api_key=... or set the {ENV_API_KEY} environment variable"
            )
        if any(ord(c) < 0x21 or ord(c) > 0x7E for c in key):
            raise ConfigurationError("the API key contains whitespace or non-ASCII characters")
        chosen = _environment(environment if environment is not None else env.get(ENV_ENVIRONMENT))
        return cls(
            api_key=Secret(key),
            base_url=base_url or env.get(ENV_BASE_URL) or chosen.base_url,
            environment=chosen,
            retry=retry or RetryPolicy(),
            timeouts=timeouts or Timeouts(),
            pool=pool or PoolLimits(),
            ssl=ssl,
            proxy=proxy,
            trust_env=trust_env,
        )


def _environment(value: Environment | str | None) -> Environment:
    if value is None:
        return Environment.LIVE
    if isinstance(value, Environment):
        return value
    try:
        return Environment(value.strip().lower())
    except ValueError:
        pass
    raise ConfigurationError(f"environment must be 'live' or 'sandbox', got {value!r}")


@attrs.frozen(kw_only=True)
class RequestOptions:
    """Per-call overrides of the client's retry policy and timeouts; every service method takes
    one as ``options=``.

    Attributes:
        retry: This call's retry policy (None: the client's).
        timeouts: This call's time limits, in seconds (None: the client's).

    Example:
        ::

            fast = RequestOptions(retry=RetryPolicy.disabled(), timeouts=Timeouts(deadline=5.0))
            await plexy.merchant.retrieve(options=fast)

    Raises:
        ConfigurationError: ``retry`` is not a ``RetryPolicy`` or ``timeouts`` not a
            ``Timeouts`` (None aside).
    """

    retry: RetryPolicy | None = attrs.field(default=None, validator=_optional_instance(RetryPolicy))
    timeouts: Timeouts | None = attrs.field(default=None, validator=_optional_instance(Timeouts))
