"""When and how long to wait before sending a failed request again."""

from dataclasses import dataclass

from http_client_kit import retry as kit_retry


@dataclass(frozen=True, slots=True)
class RetryPolicy(kit_retry.RetryPolicy):
    """The HTTP client kit's bounded retries, with PushPress's longer waits (up to 20 s in all,
    backoff doubling up to 10 s).

    Retried: 429, and 5xx / 408 / timeouts / connection failures (the SDK's defaults retry 5xx
    and connection errors only; this client adds 429 because PushPress names it the throttle
    signal). A non-idempotent request is retried only when it provably was not executed (a 429
    or a connection that never opened); every endpoint this client calls is a GET.
    """

    max_total_wait: float = 20.0
    max_backoff: float = 10.0


DEFAULT_RETRY_POLICY = RetryPolicy()
NO_RETRY = RetryPolicy(max_attempts=1)
