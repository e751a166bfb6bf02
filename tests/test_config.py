"""Configuration: keyword arguments, environment fallbacks, clear errors, no key in repr."""

from __future__ import annotations

import attrs
import pytest

import plexy_async
from plexy_async import ClientConfig, Environment, PlexyClient, RetryPolicy, Timeouts
from plexy_async.errors import ConfigurationError

KEY = "sk_test_SECRET_do_not_leak_1234567890"


def test_missing_api_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PLEXY_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="PLEXY_API_KEY"):
        PlexyClient()


def test_environment_fallbacks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEXY_API_KEY", KEY)
    monkeypatch.setenv("PLEXY_ENVIRONMENT", "sandbox")
    monkeypatch.delenv("PLEXY_BASE_URL", raising=False)
    config = ClientConfig.resolve()
    assert config.api_key.reveal() == KEY
    assert config.environment is Environment.SANDBOX
    assert config.base_url == "https://sandbox-api.plexypay.com"
    monkeypatch.setenv("PLEXY_BASE_URL", "http://127.0.0.1:9999/")
    assert ClientConfig.resolve().base_url == "http://127.0.0.1:9999"


def test_keyword_arguments_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PLEXY_API_KEY", "from_env")
    monkeypatch.setenv("PLEXY_ENVIRONMENT", "sandbox")
    config = ClientConfig.resolve(api_key=KEY, environment="live")
    assert config.api_key.reveal() == KEY
    assert config.base_url == "https://api.plexypay.com"


@pytest.mark.parametrize(
    "url", ["ftp://api.plexypay.com", "http://api.plexypay.com", "https://", "https://h/?q=1"]
)
def test_bad_base_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigurationError):
        ClientConfig.resolve(api_key=KEY, base_url=url)


def test_bad_environment_and_key() -> None:
    with pytest.raises(ConfigurationError, match="live' or 'sandbox"):
        ClientConfig.resolve(api_key=KEY, environment="staging")
    with pytest.raises(ConfigurationError, match="whitespace"):
        ClientConfig.resolve(api_key="sk test")


def test_config_values_are_frozen_and_validated() -> None:
    policy = RetryPolicy(initial_delay=0)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        policy.max_attempts = 5  # type: ignore[misc]
    with pytest.raises(ConfigurationError):
        Timeouts(deadline=0)
    with pytest.raises(ConfigurationError):
        RetryPolicy(max_attempts=0)
    assert RetryPolicy.disabled().max_attempts == 1


def test_key_never_in_repr_str_or_asdict() -> None:
    client = PlexyClient(api_key=KEY, base_url="http://127.0.0.1:1")
    config = client.config
    for text in (repr(client), str(client), repr(config), str(config), repr(attrs.asdict(config))):
        assert KEY not in text
        assert "SECRET" not in text
    assert "****" in repr(config)


def test_public_surface_is_curated() -> None:
    exported = set(plexy_async.__all__)
    assert {"PlexyClient", "Amount", "RetryPolicy", "Timeouts", "PoolLimits", "errors"} <= exported
    for name in plexy_async.__all__:
        assert hasattr(plexy_async, name), name
    assert not any(name.startswith("_") and name != "__version__" for name in exported)
