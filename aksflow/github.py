"""A small GitHub REST client for the sticky PR comment (httpx, no other dependency).

* The previous comment is found by its hidden marker, paging through every comment
  (``per_page=100`` and the ``Link`` header), never just the first page.
* Rate limits (403/429 with ``Retry-After``, or ``x-ratelimit-remaining: 0`` with
  ``x-ratelimit-reset``) and 5xx/transport errors are retried a bounded number of times with an
  injectable ``sleep``; a wait longer than ``max_wait`` gives up with a clear error.
* The token goes only to the API host: a ``Link`` to another host is refused.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from aksflow.errors import GitHubError

DEFAULT_API = "https://api.github.com"
MAX_BODY = 65_536
MARKER = "<!-- aksflow:preview -->"


@dataclass(frozen=True)
class CommentResult:
    """What :func:`upsert_comment` did."""

    action: str  # "created" or "updated"
    id: int
    url: str


def _permission_help(status: int) -> str:
    if status == 401:
        return "GITHUB_TOKEN was rejected (401 Bad credentials)"
    return (
        "permission denied (403): the token needs `pull-requests: write` (or `issues: write`); "
        "pull requests from forks only get a read-only GITHUB_TOKEN"
    )


class GitHubClient:
    """Issue-comment calls against ``base_url`` with retries for rate limits and 5xx."""

    def __init__(
        self,
        token: str,
        *,
        base_url: str = DEFAULT_API,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        max_retries: int = 4,
        max_wait: float = 120.0,
        timeout: float = 30.0,
    ) -> None:
        if not token:
            raise GitHubError("GITHUB_TOKEN is not set: it is needed to post the PR comment")
        self.base_url = base_url.rstrip("/")
        self._host = urlsplit(self.base_url).netloc
        self._sleep, self._clock = sleep, clock
        self.max_retries, self.max_wait = max_retries, max_wait
        self._http = httpx.Client(
            transport=transport,
            timeout=timeout,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept": "application/vnd.github+json",
                "X-GitHub-Api-Version": "2022-11-28",
                "User-Agent": "aksflow",
            },
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> GitHubClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _wait_for(self, response: httpx.Response) -> float | None:
        """Seconds to wait before retrying ``response``, or None when it is final."""
        headers = response.headers
        status = response.status_code
        if status in (403, 429):
            if "retry-after" in headers:
                try:
                    return max(0.0, float(headers["retry-after"]))
                except ValueError:
                    return 60.0
            if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
                try:
                    return max(0.0, float(headers["x-ratelimit-reset"]) - self._clock()) + 1.0
                except ValueError:
                    return 60.0
            if status == 429 or "secondary rate limit" in response.text.lower():
                return 60.0  # GitHub: wait at least a minute when no header says how long
            return None
        if status >= 500:
            return None  # decided by the caller's backoff
        return None

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One API call with bounded retries; a final failure is a :class:`GitHubError`."""
        if url.startswith("/"):
            url = self.base_url + url
        elif urlsplit(url).netloc != self._host:
            raise GitHubError(f"refusing to send the token to {urlsplit(url).netloc}")
        attempt = 0
        while True:
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise GitHubError(f"{method} {url}: {type(exc).__name__}: {exc}") from None
                self._sleep(2.0**attempt)
                attempt += 1
                continue
            if response.is_success:
                return response
            wait = self._wait_for(response)
            if wait is None and response.status_code >= 500:
                wait = 2.0**attempt
            if wait is None or attempt >= self.max_retries:
                raise self._error(method, url, response)
            if wait > self.max_wait:
                raise GitHubError(
                    f"{method} {url}: rate limited for another {wait:.0f} s "
                    f"(more than {self.max_wait:.0f} s); try again later"
                )
            self._sleep(wait)
            attempt += 1

    def _error(self, method: str, url: str, response: httpx.Response) -> GitHubError:
        status = response.status_code
        try:
            detail = str(response.json().get("message", ""))
        except ValueError:
            detail = response.text[:200]
        if status == 401 or (status == 403 and self._wait_for(response) is None):
            return GitHubError(f"{method} {url}: {_permission_help(status)}: {detail}")
        if status == 404:
            return GitHubError(f"{method} {url}: not found (404): check --repo and --pr")
        return GitHubError(f"{method} {url}: HTTP {status}: {detail}")

    def comments(self, repo: str, number: int) -> Iterator[Mapping[str, Any]]:
        """Every comment on issue/PR ``number``, following ``Link: rel="next"``."""
        url: str | None = f"/repos/{repo}/issues/{number}/comments?per_page=100"
        while url:
            response = self.request("GET", url)
            yield from response.json()
            url = response.links.get("next", {}).get("url")

    def create_comment(self, repo: str, number: int, body: str) -> Mapping[str, Any]:
        response = self.request(
            "POST", f"/repos/{repo}/issues/{number}/comments", json={"body": body}
        )
        return dict(response.json())

    def update_comment(self, repo: str, comment_id: int, body: str) -> Mapping[str, Any]:
        response = self.request(
            "PATCH", f"/repos/{repo}/issues/comments/{comment_id}", json={"body": body}
        )
        return dict(response.json())


def fit_body(body: str, marker: str = MARKER) -> str:
    """``body`` starting with ``marker`` and within GitHub's 65,536-character limit."""
    if not body.startswith(marker):
        body = f"{marker}\n{body}"
    if len(body.encode("utf-16-le")) // 2 <= MAX_BODY:
        return body
    note = "\n\n_Truncated to GitHub's comment limit; see the workflow artifacts._\n"
    keep = body[: MAX_BODY - len(note) * 2 - 1000]
    while len((keep + note).encode("utf-16-le")) // 2 > MAX_BODY:
        keep = keep[: len(keep) - 1000]
    return keep[: keep.rfind("\n")] + note


def upsert_comment(
    client: GitHubClient, repo: str, number: int, body: str, marker: str = MARKER
) -> CommentResult:
    """Update the comment that starts with ``marker``, or create one."""
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise GitHubError(f"--repo: {repo!r} is not OWNER/NAME")
    body = fit_body(body, marker)
    existing = next(
        (c for c in client.comments(repo, number) if str(c.get("body") or "").startswith(marker)),
        None,
    )
    if existing is not None:
        done = client.update_comment(repo, int(existing["id"]), body)
        return CommentResult(
            "updated", int(done.get("id", existing["id"])), str(done.get("html_url", ""))
        )
    done = client.create_comment(repo, number, body)
    return CommentResult("created", int(done.get("id", 0)), str(done.get("html_url", "")))


def client_from_env(env: Mapping[str, str] | None = None, **kwargs: Any) -> GitHubClient:
    """A client for ``GITHUB_API_URL`` (default api.github.com) with ``GITHUB_TOKEN``."""
    env = os.environ if env is None else env
    return GitHubClient(
        env.get("GITHUB_TOKEN", ""), base_url=env.get("GITHUB_API_URL") or DEFAULT_API, **kwargs
    )
