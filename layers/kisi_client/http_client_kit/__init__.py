"""What the bridge's HTTP API clients share (kisi_client, pushpress_client): httpx + pydantic, no
AWS imports, no API of its own.

- ``errors``: ``HttpApiError``, the base of each client's errors (message, status, endpoint,
  ``Retry-After``, whether the call may have been carried out) and its redaction of the API key;
- ``retry``: ``RetryPolicy``, bounded retries with jittered exponential backoff;
- ``pacing``: ``Pacer`` and ``PacerRegistry``, client-side pacing per API identity;
- ``transport``: ``ApiRequest``, the shared connection pool, ``HttpTransport`` (paced, retried,
  counted, errors mapped, the key only in the headers of each request) and ``ApiClient``.

Nothing is imported here, so that a module which needs only the errors does not load httpx.
It ships in the Kisi client's layer (every function has that layer); see docs/architecture.md.
"""
