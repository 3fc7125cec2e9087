"""The payment provider's stand-in (speaking WeChat Pay v3) from the payments tests."""

from tests.payments.conftest import _standin_server, standin  # noqa: F401
