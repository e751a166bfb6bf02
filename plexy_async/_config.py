"""Client configuration: frozen attrs values, keyword arguments first, environment second."""

from __future__ import annotations

import enum
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import attrs

from .errors import ConfigurationError

ENV_API_KEY = "PLEXY_API_KEY"
ENV_BASE_URL = "PLEXY_BASE_URL"
ENV_ENVIRONMENT = "PLEXY_ENVIRONMENT"

_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


class Environment(enum.Enum):
    LIVE = "live"
    SANDBOX = "sandbox"

    @property
    def base_url(self) -> str:
        return _BASE_URLS[self]


_BASE_URLS = {
    Environment.LIVE: "https://api.plexypay.com",
    Environment.SANDBOX: "https://sandbox-api.plexypay.com",
}


class Secret:
    """Holds the API key so that repr(), str(), attrs.asdict() and logs never show it.

    Deliberately not an attrs class: ``attrs.asdict`` would recurse into one.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__


def _positive(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value <= 0:
        raise ConfigurationError(f"{attribute.name} must be positive, got {value!r}")


def _not_negative(_: object, attribute: attrs.Attribute[Any], value: float) -> None:
    if value < 0:
        raise ConfigurationError(f"{attribute.name} must not be negative, got {value!r}")


DEFAULT_RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When and how often to retry. The defaults follow Plexy's docs: 3 attempts, 1 s then 2 s.

    Waits are exponential (``initial_delay * multiplier**n``, capped at ``max_delay``) with full
    jitter. A ``Retry-After`` answer is honoured instead when it fits in the remaining deadline.
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
    """``attempt`` bounds one attempt; ``deadline`` bounds the whole call, retries included."""

    connect: float = attrs.field(default=10.0, validator=_positive)
    read: float = attrs.field(default=30.0, validator=_positive)
    attempt: float = attrs.field(default=30.0, validator=_positive)
    deadline: float = attrs.field(default=90.0, validator=_positive)


@attrs.frozen(kw_only=True)
class PoolLimits:
    """The aiohttp connector: size it to the concurrency you run (requests past it queue)."""

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
    """Everything a client needs, immutable. ``repr()`` never shows the API key."""

    api_key: Secret
    base_url: str = attrs.field(converter=_strip_slash, validator=_check_base_url)
    environment: Environment = Environment.LIVE
    retry: RetryPolicy = RetryPolicy()
    timeouts: Timeouts = Timeouts()
    pool: PoolLimits = PoolLimits()
    user_agent: str = "plexy_async"

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
        env: Mapping[str, str] | None = None,
    ) -> ClientConfig:
        """Keyword arguments win; ``PLEXY_*`` environment variables fill the gaps."""
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
        )


def _environment(value: Environment | str | None) -> Environment:
    if value is None:
        return Environment.LIVE
    if isinstance(value, Environment):
        return value
    try:
        return Environment(value.strip().lower())
    except ValueError:
        raise ConfigurationError(
            f"environment must be 'live' or 'sandbox', got {value!r}"
        ) from None


@attrs.frozen(kw_only=True)
class RequestOptions:
    """Per-call overrides of the client's retry policy and timeouts."""

    retry: RetryPolicy | None = None
    timeouts: Timeouts | None = None
