"""Pay API v1. Merchant: retrieve details."""

from __future__ import annotations

from typing import Unpack

from plexy_async._core.config import RequestOptions

from ..models.merchant import Merchant
from ._base import NoOtherKeywords, Service, check_arguments


class MerchantService(Service):
    """Merchant: retrieve details (``plexy.merchant``)."""

    async def retrieve(
        self,
        *,
        options: RequestOptions | None = None,
        **unexpected: Unpack[NoOtherKeywords],
    ) -> Merchant:
        """The merchant the API key belongs to (``GET /v1/merchant``).

        Args:
            options: This call's retry policy and timeouts (seconds).

        Returns:
            ``name``, ``status``, ``settings`` and ``balance`` (minor units of ``currency``).

        Raises:
            InvalidRequestError: An argument is of the wrong type or unknown (the message
                names the closest parameter); nothing was sent.
            AuthenticationError: The API key was refused (401).
            APIStatusError: Any other error status: ``RateLimitError`` (429), ``ServerError``
                (5xx) once the retries are spent.
            APIConnectionError: The network failed before an answer came, after the retries.

        Example:
            ::

                merchant = await plexy.merchant.retrieve()
                print(merchant.name, merchant.balance, merchant.currency)
        """
        # generated: arguments (_signatures.py)
        check_arguments(self.retrieve, unexpected, options)
        # end generated
        return await self._call("merchant.retrieve", Merchant, options=options)
