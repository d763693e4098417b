"""A small GitHub REST client for the sticky PR comment (httpx, no other dependency).

* The previous comment is the one that starts with the hidden marker AND was written by the
  authenticated account, found by paging through every comment (``per_page=100`` and the
  ``Link`` header); pagination is bounded and a ``Link`` that loops is an error.
* Rate limits (403/429 with ``Retry-After``, or ``x-ratelimit-remaining: 0`` with
  ``x-ratelimit-reset``) are retried a bounded number of times with an injectable ``sleep``; a
  wait longer than ``max_wait`` gives up with a clear error. 5xx and transport errors are retried
  only for idempotent calls (GET, PATCH). A POST that failed after it may have reached GitHub
  (a timeout, a 5xx) is never re-sent blindly: the comments are read again and, when ours is
  there, it is updated instead, so a retry never posts twice.
* Responses are checked: invalid JSON or an unexpected shape is a :class:`GitHubError`.
* The body is neutralised first: outside code, @mentions do not notify, images are not loaded
  and raw HTML other than the few tags the comment uses is shown as text.
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
from aksflow.mdsafe import neutralise

DEFAULT_API = "https://api.github.com"
MAX_BODY = 65_536
MARKER = "<!-- aksflow:preview -->"
MAX_PAGES = 100  # 10,000 comments: more is not a pull request, it is a loop or an attack
ACTIONS_BOT = "github-actions[bot]"  # who GITHUB_TOKEN comments as (it cannot read /user)
IDEMPOTENT = frozenset({"GET", "HEAD", "PATCH", "PUT", "DELETE"})


class MaybeSent(GitHubError):  # noqa: N818 - reads as what happened
    """A non-idempotent request failed after it may have reached GitHub (timeout, 5xx)."""


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

    def sleep_before_retry(self, attempt: int) -> None:
        """Exponential backoff (1, 2, 4, ... s) through the injectable ``sleep``."""
        self._sleep(2.0**attempt)

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
        safe = method.upper() in IDEMPOTENT
        attempt = 0
        while True:
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.TransportError as exc:
                what = f"{method} {url}: {type(exc).__name__}: {exc}"
                # A connection that never opened cannot have delivered the request.
                if not safe and not isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
                    raise MaybeSent(what) from None
                if attempt >= self.max_retries:
                    raise GitHubError(what) from None
                self._sleep(2.0**attempt)
                attempt += 1
                continue
            if response.is_success:
                return response
            wait = self._wait_for(response)
            if wait is None and response.status_code >= 500:
                if not safe:
                    raise MaybeSent(f"{method} {url}: HTTP {response.status_code}")
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
            doc = response.json()
        except ValueError:
            doc = None
        if isinstance(doc, Mapping):
            detail = str(doc.get("message", ""))
        else:  # an HTML error page or JSON of another shape: its first words, on one line
            detail = " ".join(response.text[:200].split())
        if status == 401 or (status == 403 and self._wait_for(response) is None):
            return GitHubError(f"{method} {url}: {_permission_help(status)}: {detail}")
        if status == 404:
            return GitHubError(f"{method} {url}: not found (404): check --repo and --pr")
        return GitHubError(f"{method} {url}: HTTP {status}: {detail}")

    def comments(
        self, repo: str, number: int, *, max_pages: int = MAX_PAGES
    ) -> Iterator[Mapping[str, Any]]:
        """Every comment on issue/PR ``number``, following ``Link: rel="next"``.

        At most ``max_pages`` pages; a ``next`` link to a page already read is an error.
        """
        url: str | None = f"/repos/{repo}/issues/{number}/comments?per_page=100"
        seen: set[str] = set()
        while url:
            absolute = self.base_url + url if url.startswith("/") else url
            if absolute in seen:
                raise GitHubError(f"GET {absolute}: the Link header loops back to a page read")
            if len(seen) >= max_pages:
                raise GitHubError(
                    f"GET {absolute}: more than {max_pages} pages of comments; giving up"
                )
            seen.add(absolute)
            response = self.request("GET", url)
            page = _json(response, "GET", absolute)
            if not isinstance(page, list):
                raise GitHubError(f"GET {absolute}: expected a list of comments, got {_kind(page)}")
            for item in page:
                yield _comment(item, "GET", absolute)
            url = response.links.get("next", {}).get("url")

    def login(self) -> str:
        """The account this token comments as (``github-actions[bot]`` for GITHUB_TOKEN).

        An installation token (GITHUB_TOKEN, a GitHub App) cannot read ``/user``: GitHub
        answers 403 "Resource not accessible by integration", and such tokens post as the bot.
        """
        url = "/user"
        try:
            response = self.request("GET", url)
        except GitHubError as exc:
            if "not accessible by integration" in str(exc) or "(403)" in str(exc):
                return ACTIONS_BOT
            raise
        doc = _json(response, "GET", self.base_url + url)
        login = doc.get("login") if isinstance(doc, Mapping) else None
        if not isinstance(login, str) or not login:
            raise GitHubError(f"GET {self.base_url}{url}: the response has no login")
        return login

    def create_comment(self, repo: str, number: int, body: str) -> Mapping[str, Any]:
        url = f"/repos/{repo}/issues/{number}/comments"
        response = self.request("POST", url, json={"body": body})
        return _comment(_json(response, "POST", url), "POST", url)

    def update_comment(self, repo: str, comment_id: int, body: str) -> Mapping[str, Any]:
        url = f"/repos/{repo}/issues/comments/{comment_id}"
        response = self.request("PATCH", url, json={"body": body})
        return _comment(_json(response, "PATCH", url), "PATCH", url)


def _kind(value: Any) -> str:
    return "null" if value is None else type(value).__name__


def _json(response: httpx.Response, method: str, url: str) -> Any:
    try:
        return response.json()
    except ValueError:
        snippet = " ".join(response.text[:80].split())
        raise GitHubError(
            f"{method} {url}: HTTP {response.status_code} but the body is not JSON: {snippet!r}"
        ) from None


def _comment(item: Any, method: str, url: str) -> Mapping[str, Any]:
    """``item`` when it has the shape of an issue comment (int id, string or null body)."""
    if (
        not isinstance(item, Mapping)
        or not isinstance(item.get("id"), int)
        or isinstance(item.get("id"), bool)
        or not isinstance(item.get("body"), (str, type(None)))
    ):
        raise GitHubError(
            f"{method} {url}: unexpected response, not an issue comment: {_kind(item)}"
        )
    return item


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


def _author(comment: Mapping[str, Any]) -> str:
    user = comment.get("user")
    return str(user.get("login", "")) if isinstance(user, Mapping) else ""


def find_comment(
    client: GitHubClient, repo: str, number: int, author: str, marker: str = MARKER
) -> Mapping[str, Any] | None:
    """Our sticky comment: starts with ``marker`` and was written by ``author``."""
    return next(
        (
            c
            for c in client.comments(repo, number)
            if str(c.get("body") or "").startswith(marker) and _author(c) == author
        ),
        None,
    )


def upsert_comment(
    client: GitHubClient,
    repo: str,
    number: int,
    body: str,
    marker: str = MARKER,
    *,
    author: str | None = None,
) -> CommentResult:
    """Update our comment that starts with ``marker``, or create one; never two.

    ``author`` is the login our comments carry (default: the token's own, see
    :meth:`GitHubClient.login`); a comment with the marker by anyone else is not ours.
    """
    if repo.count("/") != 1 or not all(repo.split("/")):
        raise GitHubError(f"--repo: {repo!r} is not OWNER/NAME")
    body = fit_body(neutralise(body), marker)
    author = author or client.login()

    def updated(existing: Mapping[str, Any]) -> CommentResult:
        done = client.update_comment(repo, int(existing["id"]), body)
        return CommentResult("updated", int(done["id"]), str(done.get("html_url") or ""))

    existing = find_comment(client, repo, number, author, marker)
    if existing is not None:
        return updated(existing)
    attempt = 0
    while True:
        try:
            done = client.create_comment(repo, number, body)
            return CommentResult("created", int(done["id"]), str(done.get("html_url") or ""))
        except MaybeSent:
            if attempt >= client.max_retries:
                raise
        client.sleep_before_retry(attempt)
        attempt += 1
        existing = find_comment(client, repo, number, author, marker)
        if existing is not None:  # the POST did land: never post a second one
            return updated(existing)


def client_from_env(env: Mapping[str, str] | None = None, **kwargs: Any) -> GitHubClient:
    """A client for ``GITHUB_API_URL`` (default api.github.com) with ``GITHUB_TOKEN``."""
    env = os.environ if env is None else env
    return GitHubClient(
        env.get("GITHUB_TOKEN", ""), base_url=env.get("GITHUB_API_URL") or DEFAULT_API, **kwargs
    )
