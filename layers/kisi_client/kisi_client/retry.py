"""When and how long to wait before sending a failed request again: the HTTP client kit's
``RetryPolicy``, whose defaults are Kisi's (4 attempts, at most 10 s of waits, backoff from 1 s
doubling up to 8 s).

Retried: 429 (Kisi did not execute it), and 5xx / timeouts / connection failures
(``KisiRateLimited``, ``KisiUnavailable``). A POST is retried only when Kisi provably did not
execute it: a 429 or a connection that never opened.
"""

from http_client_kit.retry import RetryPolicy

__all__ = ["DEFAULT_RETRY_POLICY", "NO_RETRY", "RetryPolicy"]

DEFAULT_RETRY_POLICY = RetryPolicy()
NO_RETRY = RetryPolicy(max_attempts=1)
