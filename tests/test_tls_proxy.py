"""TLS and proxies as client settings, over loopback with real parts.

The API side is the bundled mock served over TLS with a certificate from a throwaway trustme CA
(``TLSMock``); the proxies are proxy.py (a real forward proxy, in a subprocess) and a small
CONNECT proxy written for these tests (``ConnectProxy``), which counts its tunnels exactly.
"""

from __future__ import annotations

import datetime
import logging
import ssl
import warnings
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest
import pytest_asyncio
import trustme
from hypothesis import given, settings
from hypothesis import strategies as st
from tls_support import ConnectProxy, ProxyPy, TLSMock, basic, free_port
from yarl import URL

from plexy_async import Amount, CardDetails, ClientConfig, PlexyClient, RetryPolicy, errors
from plexy_async.errors import ConfigurationError, InsecureTLSWarning

KEY = "sk_test_TLS_SECRET_0123456789"
USER = "proxyuser"
PASSWORD = "pw-S3CRET-7f3a"  # distinctive, so that any leak of it is found
FAST = RetryPolicy(initial_delay=0.01, max_delay=0.02)
VISA = CardDetails(number="4242424242424242", cvc="123", expiry_month="03", expiry_year="2030")
PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "REQUEST_METHOD")


async def pay(client: PlexyClient, reference: str = "order-1") -> Any:
    return await client.payments.create(
        amount=Amount(1000, "KZT"),
        reference=reference,
        merchant_account="TestMerchant",
        payment_method=VISA,
    )


# -- fixtures --------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def clean_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No proxy variable of the machine running the tests leaks into them."""
    for name in PROXY_VARS:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_path(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


@pytest_asyncio.fixture
async def server(ca: trustme.CA) -> AsyncIterator[TLSMock]:
    async with TLSMock(KEY, ca.issue_cert("127.0.0.1", "localhost")) as mock:
        yield mock


@pytest.fixture(scope="module")
def proxy_py(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyPy]:
    proxy = ProxyPy(tmp_path_factory.mktemp("proxy_py"), USER, PASSWORD)
    try:
        yield proxy
    finally:
        proxy.stop()


def context_trusting(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return context


@pytest.fixture
def trusting(ca: trustme.CA) -> ssl.SSLContext:
    """A context that trusts the CA which issued ``server``'s certificate."""
    return context_trusting(ca)


# -- TLS -------------------------------------------------------------------------------------


@pytest.mark.parametrize("form", ["str path", "pathlib path", "SSLContext"])
async def test_a_private_ca_given_by_path_or_context_verifies_the_server(
    form: str, ca: trustme.CA, ca_path: Path, server: TLSMock
) -> None:
    setting: Any = {
        "str path": str(ca_path),
        "pathlib path": ca_path,
        "SSLContext": context_trusting(ca),
    }[form]
    async with PlexyClient(api_key=KEY, base_url=server.url, ssl=setting, retry=FAST) as client:
        payment = await pay(client)
    assert payment.result_code == "Authorised"
    assert len(server.ledger.charges) == 1
    assert server.accepts == 1


def _expired(ca: trustme.CA) -> trustme.LeafCert:
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    return ca.issue_cert("127.0.0.1", not_before=past, not_after=past + datetime.timedelta(days=1))


def _for_loopback(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("127.0.0.1")


def _for_another_host(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("api.example.test")


# (what the server presents, issued by the module's CA; which CA the client trusts): every one
# must fail the handshake.
BAD_CERTIFICATES: dict[str, tuple[Callable[[trustme.CA], trustme.LeafCert], str | None]] = {
    "unknown CA, system trust store": (_for_loopback, None),
    "unknown CA, another private CA": (_for_loopback, "other"),
    "right CA, wrong host name": (_for_another_host, "ca"),
    "right CA, expired": (_expired, "ca"),
}


@pytest.mark.parametrize("case", list(BAD_CERTIFICATES))
async def test_a_certificate_that_does_not_verify_is_a_tls_error_never_retried(
    case: str, ca: trustme.CA, tmp_path: Path
) -> None:
    make_cert, trusted = BAD_CERTIFICATES[case]
    ssl_setting: Path | None = None
    if trusted is not None:
        ssl_setting = tmp_path / "trusted.pem"
        (ca if trusted == "ca" else trustme.CA()).cert_pem.write_to_path(str(ssl_setting))
    async with (
        TLSMock(KEY, make_cert(ca)) as server,
        PlexyClient(
            api_key=KEY,
            base_url=server.url,
            ssl=ssl_setting,
            retry=RetryPolicy(max_attempts=4, initial_delay=0.01),
        ) as client,
    ):
        with pytest.raises(errors.TLSError) as caught:
            await pay(client)
    assert caught.value.attempts == 1
    assert caught.value.maybe_sent is False
    assert server.accepts == 1  # one handshake, refused by the client, and no second try
    assert server.ledger.requests == [] and server.ledger.charges == []


async def test_a_wrong_ca_through_a_proxy_is_one_tunnel_and_a_tls_error(
    server: TLSMock, tmp_path: Path
) -> None:
    other = tmp_path / "other.pem"
    trustme.CA().cert_pem.write_to_path(str(other))
    async with (
        ConnectProxy(credentials=(USER, PASSWORD)) as proxy,
        PlexyClient(
            api_key=KEY,
            base_url=server.url,
            ssl=other,
            proxy=proxy.url_with(USER, PASSWORD),
            retry=RetryPolicy(max_attempts=4, initial_delay=0.01),
        ) as client,
    ):
        with pytest.raises(errors.TLSError) as caught:
            await pay(client)
    assert caught.value.attempts == 1
    assert proxy.tunnels == 1 and server.accepts == 1
    assert server.ledger.requests == []


def _unverified_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def _no_hostname_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False
    return context


def _no_verification() -> bool:
    return False


INSECURE_SETTINGS: dict[str, tuple[Callable[[], ssl.SSLContext | bool], str]] = {
    "ssl=False": (_no_verification, "ssl=False"),
    "CERT_NONE context": (_unverified_context, "CERT_NONE"),
    "no host name check": (_no_hostname_context, "check_hostname"),
}


@pytest.mark.parametrize("case", list(INSECURE_SETTINGS))
def test_verification_is_off_only_when_asked_and_then_with_a_warning(case: str) -> None:
    make, words = INSECURE_SETTINGS[case]
    with pytest.warns(InsecureTLSWarning, match=words) as record:
        PlexyClient(api_key=KEY, base_url="https://127.0.0.1:1", ssl=make())
    assert len(record) == 1 and record[0].filename == __file__  # points at the caller
    config = ClientConfig.resolve(api_key=KEY, base_url="https://127.0.0.1:1", ssl=make())
    with pytest.warns(InsecureTLSWarning):
        PlexyClient(config=config)


def test_default_and_verifying_settings_do_not_warn(ca: trustme.CA, ca_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for setting in (None, True, ca_path, str(ca_path), context_trusting(ca)):
            client = PlexyClient(api_key=KEY, base_url="https://127.0.0.1:1", ssl=setting)
            assert client.config.insecure_tls() is None
            assert client.config.tls_context is not False


async def test_ssl_false_really_skips_verification(server: TLSMock) -> None:
    with pytest.warns(InsecureTLSWarning):
        client = PlexyClient(api_key=KEY, base_url=server.url, ssl=False, retry=FAST)
    async with client:
        assert (await pay(client)).result_code == "Authorised"
    assert len(server.ledger.charges) == 1


# -- proxies ---------------------------------------------------------------------------------


async def test_calls_go_through_the_proxy_with_its_credentials(
    server: TLSMock, trusting: ssl.SSLContext
) -> None:
    async with (
        ConnectProxy(credentials=(USER, PASSWORD)) as proxy,
        PlexyClient(
            api_key=KEY,
            base_url=server.url,
            ssl=trusting,
            proxy=proxy.url_with(USER, PASSWORD),
            retry=FAST,
        ) as client,
    ):
        for i in range(3):
            await pay(client, f"order-{i}")
    assert proxy.tunnels >= 1
    assert proxy.connects == [f"127.0.0.1:{server.port}"] * proxy.tunnels
    assert {r.authorization for r in proxy.requests} == {basic(USER, PASSWORD)}
    assert server.accepts == proxy.tunnels  # every connection the server saw came via the proxy
    assert len(server.ledger.charges) == 3


async def test_an_https_proxy_is_verified_with_the_same_ssl_setting(
    server: TLSMock, ca: trustme.CA, ca_path: Path, tmp_path: Path
) -> None:
    """TLS to the proxy, then TLS to the server inside the tunnel: both checked against ssl=."""
    async with (
        ConnectProxy(credentials=(USER, PASSWORD), tls=ca.issue_cert("127.0.0.1")) as proxy,
        PlexyClient(
            api_key=KEY, base_url=server.url, ssl=ca_path, proxy=proxy.url_with(USER, PASSWORD)
        ) as client,
    ):
        assert repr(client.config.proxy).startswith("ProxyURL('https://****@")
        await pay(client)
    assert proxy.tunnels == 1 and server.accepts == 1
    assert len(server.ledger.charges) == 1

    untrusted = trustme.CA().issue_cert("127.0.0.1")
    async with (
        ConnectProxy(credentials=(USER, PASSWORD), tls=untrusted) as proxy,
        PlexyClient(
            api_key=KEY, base_url=server.url, ssl=ca_path, proxy=proxy.url_with(USER, PASSWORD)
        ) as client,
    ):
        with pytest.raises(errors.TLSError) as caught:
            await pay(client, "order-2")
    assert caught.value.attempts == 1
    assert proxy.requests == [] and server.accepts == 1  # the CONNECT was never sent
    assert len(server.ledger.charges) == 1


async def test_percent_encoded_credentials_reach_the_proxy_decoded(
    server: TLSMock, trusting: ssl.SSLContext
) -> None:
    password = "p@ss:w/rd%?#"
    async with (
        ConnectProxy(credentials=(USER, password)) as proxy,
        PlexyClient(
            api_key=KEY,
            base_url=server.url,
            ssl=trusting,
            proxy=proxy.url_with(USER, quote(password, safe="")),
        ) as client,
    ):
        await pay(client)
    assert [r.authorization for r in proxy.requests] == [basic(USER, password)]
    assert len(server.ledger.charges) == 1


async def test_proxy_py_forwards_the_call_and_checks_the_password(
    server: TLSMock, proxy_py: ProxyPy, trusting: ssl.SSLContext
) -> None:
    async with PlexyClient(
        api_key=KEY,
        base_url=server.url,
        ssl=trusting,
        proxy=proxy_py.url_with(USER, PASSWORD),
        retry=FAST,
    ) as client:
        payment = await pay(client)
    assert payment.result_code == "Authorised"
    assert len(server.ledger.charges) == 1 and server.accepts >= 1
    line = f"CONNECT 127.0.0.1:{server.port}"
    assert line in proxy_py.wait_for_log(line)  # logged when the tunnel closes

    async with PlexyClient(
        api_key=KEY,
        base_url=server.url,
        ssl=trusting,
        proxy=proxy_py.url_with(USER, "wrong-" + PASSWORD),
        retry=FAST,
    ) as client:
        with pytest.raises(errors.ConnectError, match="proxy") as caught:
            await pay(client, "order-2")
    assert "407" in str(caught.value)
    assert "wrong-" not in repr(caught.value)
    assert len(server.ledger.charges) == 1 and len(server.ledger.requests) == 1


def reachable_texts(exc: BaseException) -> list[str]:
    """str() and repr() of everything reachable from ``exc``: its cause and context chain, its
    args, its attributes, and what those hold."""
    texts: list[str] = []
    seen: set[int] = set()
    stack: list[object] = [exc]
    while stack:
        obj = stack.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        texts += [str(obj), repr(obj)]
        if isinstance(obj, BaseException):
            stack += [obj.__cause__, obj.__context__, *obj.args]
            stack += list(getattr(obj, "__dict__", {}).values())
        elif isinstance(obj, (list, tuple, set, frozenset)):
            stack += list(obj)
        elif isinstance(obj, dict):
            stack += [*obj.keys(), *obj.values()]
    return texts


def secret_forms(user: str, password: str) -> list[str]:
    return [password, quote(password, safe=""), basic(user, password).split()[1]]


PROXY_FAILURES = {
    "wrong password (407)": (errors.ConnectError, "407"),
    "tunnel refused (502)": (errors.ConnectError, "502"),
    "tunnel forbidden (403)": (errors.ConnectError, "403"),
    "proxy hangs up": (errors.APIConnectionError, ""),
    "proxy port closed": (errors.ConnectError, "proxy"),
    "server certificate from another CA": (errors.TLSError, ""),
}


@pytest.mark.parametrize("case", list(PROXY_FAILURES))
async def test_proxy_failures_are_library_errors_that_never_show_the_credentials(
    case: str,
    server: TLSMock,
    trusting: ssl.SSLContext,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    expected_type, words = PROXY_FAILURES[case]
    mode: Any = {"tunnel refused (502)": "refuse", "tunnel forbidden (403)": "refuse"}.get(
        case, "hang_up" if case == "proxy hangs up" else "tunnel"
    )
    status = 403 if "403" in case else 502
    password = "wrong-" + PASSWORD if "407" in case else PASSWORD
    trusted: Any = trusting
    if "another CA" in case:
        trusted = tmp_path / "other.pem"
        trustme.CA().cert_pem.write_to_path(str(trusted))
    async with ConnectProxy(credentials=(USER, PASSWORD), mode=mode, refuse_status=status) as px:
        port = free_port() if case == "proxy port closed" else px.port
        proxy_url = f"http://{USER}:{quote(password, safe='')}@127.0.0.1:{port}"
        async with PlexyClient(
            api_key=KEY,
            base_url=server.url,
            ssl=trusted,
            proxy=proxy_url,
            retry=RetryPolicy(max_attempts=2, initial_delay=0.01),
        ) as client:
            texts = [repr(client), str(client), repr(client.config), str(client.config)]
            with pytest.raises(errors.PlexyError) as caught:
                await pay(client)
    exc = caught.value
    assert isinstance(exc, expected_type), repr(exc)
    assert words in str(exc)
    assert server.ledger.charges == []
    formatter = logging.Formatter()
    texts += reachable_texts(exc)
    texts += [formatter.format(record) for record in caplog.records]
    texts += [repr(record.args) for record in caplog.records]
    for text in texts:
        for secret in [*secret_forms(USER, password), KEY]:
            assert secret not in text, (secret, text)


# -- trust_env -------------------------------------------------------------------------------


async def test_trust_env_routes_through_https_proxy_and_no_proxy_bypasses_it(
    server: TLSMock, trusting: ssl.SSLContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with ConnectProxy(credentials=(USER, PASSWORD)) as proxy:
        monkeypatch.setenv("HTTPS_PROXY", proxy.url_with(USER, PASSWORD))

        def client(**kwargs: Any) -> PlexyClient:
            return PlexyClient(api_key=KEY, base_url=server.url, ssl=trusting, **kwargs)

        async with client() as plain:  # trust_env defaults to False: the variable is ignored
            await pay(plain, "order-direct")
        assert proxy.requests == [] and server.accepts == 1

        async with client(trust_env=True) as via_env:
            assert "****" in repr(via_env.config.effective_proxy())
            await pay(via_env, "order-env")
        assert proxy.connects == [f"127.0.0.1:{server.port}"] and proxy.tunnels == 1
        assert proxy.requests[0].authorization == basic(USER, PASSWORD)
        assert server.accepts == 2

        monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
        async with client(trust_env=True) as bypassing:
            await pay(bypassing, "order-bypass")
        assert proxy.tunnels == 1 and server.accepts == 3

        async with client(trust_env=True, proxy=proxy.url_with(USER, PASSWORD)) as explicit:
            await pay(explicit, "order-explicit")  # NO_PROXY only filters the environment's
        assert proxy.tunnels == 2 and server.accepts == 4
    assert len(server.ledger.charges) == 4


API = "https://api.plexypay.com"
P = "http://p:3128"


@pytest.mark.parametrize(
    ("variables", "base_url", "proxied"),
    [
        ({"HTTPS_PROXY": P}, API, True),
        ({"https_proxy": P}, API, True),
        ({"HTTP_PROXY": P}, API, False),
        ({"HTTP_PROXY": P}, "http://127.0.0.1:8080", True),
        ({"HTTP_PROXY": P, "REQUEST_METHOD": "GET"}, "http://127.0.0.1:80", False),  # httpoxy
        ({"HTTPS_PROXY": "p:3128"}, API, True),
        ({"HTTPS_PROXY": P, "NO_PROXY": "*"}, API, False),
        ({"HTTPS_PROXY": P, "NO_PROXY": "plexypay.com"}, API, False),
        ({"HTTPS_PROXY": P, "NO_PROXY": ".plexypay.com"}, API, False),
        ({"HTTPS_PROXY": P, "no_proxy": "API.PLEXYPAY.COM"}, API, False),
        ({"HTTPS_PROXY": P, "NO_PROXY": "xplexypay.com"}, API, True),
        ({"HTTPS_PROXY": P, "NO_PROXY": "other.com, api.plexypay.com:443"}, API, False),
        ({"HTTPS_PROXY": P, "NO_PROXY": "api.plexypay.com:8443"}, API, True),
        ({"HTTPS_PROXY": P, "NO_PROXY": "10.0.0.0/8"}, "https://10.1.2.3", False),
        ({"HTTPS_PROXY": P, "NO_PROXY": "10.0.0.0/8"}, "https://11.1.2.3", True),
        ({"HTTPS_PROXY": P, "NO_PROXY": "::1"}, "https://[::1]:8443", False),
        ({"HTTPS_PROXY": P, "NO_PROXY": "[::1]:8443"}, "https://[::1]:8443", False),
    ],
)
def test_which_environment_proxy_applies(
    variables: dict[str, str], base_url: str, proxied: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    config = ClientConfig.resolve(api_key=KEY, base_url=base_url, trust_env=True)
    found = config.effective_proxy()
    assert (found is not None) == proxied
    if found is not None:
        assert found.reveal().startswith("http://p")
    assert ClientConfig.resolve(api_key=KEY, base_url=base_url).effective_proxy() is None


# -- settings checked before anything is sent ------------------------------------------------


def test_bad_ca_settings_are_configuration_errors(tmp_path: Path) -> None:
    not_pem = tmp_path / "not-a-ca.pem"
    not_pem.write_text("hello\n")
    cases: list[tuple[Any, str]] = [
        (tmp_path / "missing.pem", "no CA bundle at"),
        (str(tmp_path / "missing.pem"), "no CA bundle at"),
        (tmp_path, "is a directory"),
        (not_pem, "no usable CA certificate"),
        (42, "ssl must be"),
        (b"/etc/ssl/cert.pem", "ssl must be"),
    ]
    for setting, words in cases:
        with pytest.raises(ConfigurationError, match=words):
            PlexyClient(api_key=KEY, base_url="https://127.0.0.1:1", ssl=setting)


BAD_PROXIES = {
    "socks5://{creds}@127.0.0.1:1080": "http:// or https://",
    "ftp://{creds}@127.0.0.1:21": "http:// or https://",
    "http://{creds}@": "not a valid proxy URL",
    "http://{creds}@127.0.0.1:99999": "not a valid proxy URL",
    "http://{creds}@127.0.0.1:80x": "not a valid proxy URL",
    "http://{creds}@127.0.0.1:3128/path": "path, query or fragment",
    "http://{creds}@127.0.0.1:3128/?q=1": "path, query or fragment",
    "http://{creds}@127.0.0.1:3128 ": "",  # trailing whitespace is stripped: valid
    "http://{creds} @127.0.0.1:3128": "whitespace",
}


@pytest.mark.parametrize("template", list(BAD_PROXIES))
def test_bad_proxy_urls_are_configuration_errors_without_the_password(
    template: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = template.format(creds=f"{USER}:{PASSWORD}")
    words = BAD_PROXIES[template]
    if not words:
        assert PlexyClient(api_key=KEY, base_url="https://127.0.0.1:1", proxy=url).config.proxy
        return
    with pytest.raises(ConfigurationError, match=words) as caught:
        PlexyClient(api_key=KEY, base_url="https://127.0.0.1:1", proxy=url)
    monkeypatch.setenv("HTTPS_PROXY", url)
    with pytest.raises(ConfigurationError, match="HTTPS_PROXY") as from_env:
        PlexyClient(api_key=KEY, base_url="https://127.0.0.1:1", trust_env=True)
    for exc in (caught.value, from_env.value):
        for text in reachable_texts(exc):
            assert PASSWORD not in text


async def test_settings_for_our_sessions_refuse_a_borrowed_session(ca_path: Path) -> None:
    async with aiohttp.ClientSession() as session:
        for settings_ in ({"ssl": ca_path}, {"proxy": "http://p:3128"}, {"trust_env": True}):
            with pytest.raises(ConfigurationError, match="your aiohttp session"):
                PlexyClient(
                    api_key=KEY, base_url="https://127.0.0.1:1", session=session, **settings_
                )


passwords = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x2FF, blacklist_characters="\x7f"),
    min_size=0,
    max_size=24,
).map(lambda text: "pw" + text)


@settings(max_examples=150, deadline=None)
@given(password=passwords, user=st.sampled_from(["u", "proxy user", "corp\\jdoe"]))
def test_proxy_credentials_never_show_and_survive_percent_encoding(
    password: str, user: str
) -> None:
    creds = f"{quote(user, safe='')}:{quote(password, safe='')}"
    url = f"http://{creds}@127.0.0.1:3128"
    config = ClientConfig.resolve(api_key=KEY, base_url="https://127.0.0.1:1", proxy=url)
    proxy = config.proxy
    assert proxy is not None
    shown = [repr(proxy), str(proxy), proxy.redacted, repr(config), str(config)]
    assert proxy.redacted == "http://****@127.0.0.1:3128"
    parsed = URL(proxy.reveal())
    assert (parsed.user, parsed.password) == (user, password)
    for bad in (f"socks5://{creds}@h:1", f"http://{creds}@h:1/x", f"http://{creds}@h:x"):
        with pytest.raises(ConfigurationError) as caught:
            ClientConfig.resolve(api_key=KEY, base_url="https://127.0.0.1:1", proxy=bad)
        shown += reachable_texts(caught.value)
    for text in shown:
        assert password not in text and quote(password, safe="") not in text
