"""``plexy-async mock``: the bundled mock Plexy server in the foreground, with faults and bounds.

::

    plexy-async mock --port 8080 --fault 503:3 --fault drop-after-commit:2 --seed 7

The banner's first lines are stable (scripts parse them)::

    mock Plexy listening on http://127.0.0.1:8080 (Checkout /v2, Pay API /v1)
      export PLEXY_BASE_URL=http://127.0.0.1:8080
      export PLEXY_API_KEY=sk_test_mock
    Ctrl-C to stop.

then the test cards, the faults, the bounds and the mock's own routes.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import textwrap
from typing import IO, Any

from plexy_async.cli._running import EXIT_OK, on_interrupt
from plexy_async.testing._cards import mock_cards
from plexy_async.testing._fault_spec import (
    MONEY_ROUTE_NAMES,
    MONEY_ROUTES,
    FaultSpec,
    parse_fault_route,
    parse_fault_spec,
)
from plexy_async.testing._limits import DAY, MockLimits

_DEFAULTS = MockLimits.for_cli()

FAULTS_HELP = """\
faults (--fault SPEC, repeatable):
  SPEC    KIND[=VALUE][:AMOUNT]
  KIND    500-599          answer that status, error body in the surface's shape; not processed
          429              answer 429 with Retry-After: VALUE seconds (default 1); not processed
          delay            wait VALUE seconds (required: delay=0.2), then process
          drop-before      close the connection without processing
          drop-after-commit  process (charge, store the idempotent answer), then close unanswered
          truncated        process, then send half the body and close
          garbled-after-commit  process, then answer half the body, well framed
          invalid-json     answer 200 with a body that is not JSON; not processed
  AMOUNT  COUNT: an integer, the first COUNT matching requests (default 1); or
          RATE: a fraction 0 < RATE <= 1 with a point (0.1, 1.0) or a percentage (10%): each
          matching request with that probability (--seed makes it repeatable)
  e.g. --fault 503:3 --fault drop-after-commit:2 --fault 429=2:0.05 --fault delay=0.2:10%
  Counted faults queue up in the order given (503:3 then drop-after-commit:2: requests 1-3 get
  503, 4-5 are dropped); rate faults are drawn for requests no counted fault hit.
  Routes hit: the money-moving POSTs, unless --fault-route is given:
    {routes}
  A retry with the same Idempotency-Key after a processed fault replays the stored answer: one
  charge.
"""

CARDS_HELP_HEAD = """\
test cards (any future expiry; any CVC, but CVC 000 is refused "CVC Declined"):
"""

LIMITS_HELP = """\
memory: idempotent answers are replayed for --idempotency-ttl seconds (default 86400: Plexy
keeps keys 24 hours), at most --max-idempotency-records of them (the least recently used go
first). After that the same key is new again: the request is processed, and charged, again.
The ledger keeps the latest --max-ledger-records charges and a tenth as many requests (its
counts cover all); 3-D Secure payments, sessions, Pay API transactions, links and payouts keep
the latest --max-objects each. 0 means no bound. With the defaults the mock peaked at 120 MB
over 200,000 requests (benchmarks/mock_memory.py).

the mock's own routes (same API key, in x-api-key or Authorization):
  GET /_mock/ledger[?requests=N]          charges, counts, faults injected (JSON)
  GET /_mock/payments/{pspReference}/redirect-result
                                          the redirectResult that completes a 3-D Secure
                                          payment: POST it to /v2/payments/details as
                                          {"details": {"redirectResult": ...}}
"""


def cards_text(indent: str = "  ") -> str:
    """The test cards, one a line: number, outcome, detail."""
    return "".join(
        f"{indent}{card.number:<17}{card.outcome:<16}{card.detail}\n" for card in mock_cards()
    )


def _routes_text(routes: frozenset[tuple[str, str]], indent: str = "") -> str:
    """The routes, sorted by path, wrapped to lines of at most 96 characters under ``indent``."""
    pairs = sorted(routes, key=lambda r: r[1])
    text = ", ".join(f"{method}\xa0{path}" for method, path in pairs)  # no break inside a pair
    lines = textwrap.wrap(text, 96, initial_indent=indent, subsequent_indent=indent)
    return "\n".join(lines).removeprefix(indent).replace("\xa0", " ")


def _epilog() -> str:
    faults = FAULTS_HELP.format(routes=_routes_text(MONEY_ROUTES, "    "))
    cards = CARDS_HELP_HEAD + cards_text()  # an epilog is %-formatted only with "%(prog)"
    return f"{faults}\n{cards}\n{LIMITS_HELP}"


def _fault_arg(text: str) -> FaultSpec:
    try:
        return parse_fault_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _route_arg(text: str) -> tuple[str, str]:
    try:
        return parse_fault_route(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _bound(text: str) -> int | None:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be >= 0 (0: no bound), got {value}")
    return value or None


def _seconds(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be finite seconds >= 0 (0: for ever), got {text}")
    return value or None


def add_mock_parser(commands: Any) -> None:
    """Add the ``mock`` command to the ``plexy-async`` sub-parsers."""
    mock = commands.add_parser(
        "mock",
        help="run the bundled mock Plexy server in the foreground, with faults",
        description="Run the mock Plexy server (Checkout /v2, Pay API /v1) until Ctrl-C, for "
        "pointing your own services at it: test cards decide outcomes, idempotency keys "
        "replay as Plexy's do, --fault injects failures, memory stays bounded.",
        epilog=_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    mock.add_argument("--host", default="127.0.0.1", help="default 127.0.0.1")
    mock.add_argument("--port", type=int, default=8080, help="default 8080; 0 picks a free one")
    mock.add_argument("--api-key", default="sk_test_mock", help="default sk_test_mock")
    mock.add_argument(
        "--fault",
        action="append",
        type=_fault_arg,
        default=[],
        metavar="SPEC",
        help="inject a fault: KIND[=VALUE][:COUNT|RATE], repeatable (see below)",
    )
    mock.add_argument(
        "--fault-route",
        action="append",
        type=_route_arg,
        default=[],
        metavar="METHOD:PATH",
        help="the faults hit this route instead of the money-moving POSTs, repeatable; PATH as "
        "sent or its pattern, e.g. POST:/v2/payments, POST:/v1/payments/{transaction_id}/refund",
    )
    mock.add_argument(
        "--seed", type=int, help="seed the RATE faults' random draws, to replay a run"
    )
    mock.add_argument(
        "--idempotency-ttl",
        type=_seconds,
        default=DAY,
        metavar="SECONDS",
        help="replay a stored idempotent answer for this long (default 86400, as Plexy; 0: for "
        "ever)",
    )
    mock.add_argument(
        "--max-idempotency-records",
        type=_bound,
        default=_DEFAULTS.max_idempotency_records,
        metavar="N",
        help=f"keep at most N idempotent answers, least recently used dropped first (default "
        f"{_DEFAULTS.max_idempotency_records:,}; 0: no bound)",
    )
    mock.add_argument(
        "--max-ledger-records",
        type=_bound,
        default=_DEFAULTS.max_charges,
        metavar="N",
        help=f"the ledger keeps the latest N charges and N/10 requests (default "
        f"{_DEFAULTS.max_charges:,}; 0: no bound)",
    )
    mock.add_argument(
        "--max-objects",
        type=_bound,
        default=_DEFAULTS.max_objects,
        metavar="N",
        help=f"keep the latest N of each per-payment store: 3-D Secure payments, sessions, Pay "
        f"API transactions, links, payouts (default {_DEFAULTS.max_objects:,}; 0: no bound)",
    )


def limits_from(args: argparse.Namespace) -> MockLimits:
    """The ``MockLimits`` the parsed flags ask for."""
    ledger = args.max_ledger_records
    return MockLimits(
        idempotency_ttl=args.idempotency_ttl,
        max_idempotency_records=args.max_idempotency_records,
        max_charges=ledger,
        max_requests=None if ledger is None else max(ledger // 10, 1),
        max_objects=args.max_objects,
    )


def _bound_text(value: float | int | None, unit: str = "") -> str:
    return "no bound" if value is None else f"{value:,g}{unit}"


def banner(url: str, api_key: str, args: argparse.Namespace, limits: MockLimits) -> str:
    """What the mock prints once listening: URL and exports first, then cards, faults, bounds."""
    routes = frozenset(args.fault_route) or MONEY_ROUTES
    lines = [
        f"mock Plexy listening on {url} (Checkout /v2, Pay API /v1)",
        f"  export PLEXY_BASE_URL={url}",
        f"  export PLEXY_API_KEY={api_key}",
        "Ctrl-C to stop.",
        CARDS_HELP_HEAD.rstrip("\n"),
        cards_text().rstrip("\n"),
    ]
    if args.fault:
        specs = ", ".join(spec.text for spec in args.fault)
        seed = "" if args.seed is None else f" (seed {args.seed})"
        lines.append(f"faults: {specs}{seed}")
        lines.append(f"  on {_routes_text(routes, '     ')}")
    else:
        lines.append("faults: none (--fault SPEC adds some; see --help)")
    lines.append(
        f"bounds: idempotency records kept {_bound_text(limits.idempotency_ttl, ' s')}, at "
        f"most {_bound_text(limits.max_idempotency_records)}; ledger keeps "
        f"{_bound_text(limits.max_charges)} charges, {_bound_text(limits.max_requests)} "
        f"requests; {_bound_text(limits.max_objects)} objects a store"
    )
    lines.append(
        f"admin: GET {url}/_mock/ledger, GET {url}/_mock/payments/{{pspReference}}"
        "/redirect-result (same API key)"
    )
    return "\n".join(lines)


async def mock_command(args: argparse.Namespace, out: IO[str]) -> int:
    """Serve until SIGINT or SIGTERM; exit 0.

    Raises:
        OSError: The address cannot be listened on.
    """
    from plexy_async.testing import MockPlexy

    limits = limits_from(args)
    async with MockPlexy(
        api_key=args.api_key, host=args.host, port=args.port, limits=limits
    ) as mock:
        rng = random.Random(args.seed)
        routes = frozenset(args.fault_route) or None
        for spec in args.fault:
            mock.add_fault_spec(spec, routes=routes, rng=rng)
        stop = asyncio.Event()
        restore = on_interrupt(stop.set)  # before the banner: a script may interrupt at once
        try:
            print(banner(mock.url, mock.api_key, args, limits), file=out, flush=True)
            await stop.wait()
        finally:
            restore()
        ledger = mock.ledger
        print(
            f"stopped after {ledger.total_requests:,} requests and {ledger.total_charges:,} "
            "charges",
            file=out,
            flush=True,
        )
    return EXIT_OK


__all__ = ["MONEY_ROUTE_NAMES", "add_mock_parser", "banner", "limits_from", "mock_command"]
