"""The GitHub comment client: upsert by marker, pagination, retries, errors, loopback server."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from aksflow.diff.cli import comment as comment_command
from aksflow.errors import GitHubError
from aksflow.github import MARKER, GitHubClient, client_from_env, fit_body, upsert_comment

API = "http://api.test"


class FakeGitHub:
    """An in-memory issue-comment API with pagination (Link headers) and scripted failures."""

    def __init__(self, comments: int = 0, per_page_cap: int = 100) -> None:
        self.comments: list[dict[str, Any]] = [
            {"id": i + 1, "body": f"comment {i}", "user": {"login": "someone"}}
            for i in range(comments)
        ]
        self.per_page_cap = per_page_cap
        self.failures: list[httpx.Response] = []
        self.calls: list[tuple[str, str]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.calls.append((request.method, str(request.url)))
        assert request.headers["authorization"] == "Bearer t0ken"
        if self.failures:
            return self.failures.pop(0)
        path = request.url.path
        if request.method == "GET" and path.endswith("/comments"):
            page = int(request.url.params.get("page", "1"))
            per_page = min(int(request.url.params.get("per_page", "30")), self.per_page_cap)
            chunk = self.comments[(page - 1) * per_page : page * per_page]
            headers = {}
            if page * per_page < len(self.comments):
                nxt = request.url.copy_set_param("page", str(page + 1))
                headers["link"] = f'<{nxt}>; rel="next", <{request.url}>; rel="first"'
            return httpx.Response(200, json=chunk, headers=headers)
        if request.method == "POST":
            new = {"id": 1000 + len(self.comments), "body": json.loads(request.content)["body"]}
            new["html_url"] = f"https://github.test/c/{new['id']}"
            self.comments.append(new)
            return httpx.Response(201, json=new)
        if request.method == "PATCH":
            cid = int(path.rsplit("/", 1)[1])
            target = next(c for c in self.comments if c["id"] == cid)
            target["body"] = json.loads(request.content)["body"]
            return httpx.Response(200, json={**target, "html_url": f"https://github.test/c/{cid}"})
        return httpx.Response(404, json={"message": "Not Found"})


def client(fake: FakeGitHub, sleeps: list[float] | None = None, **kw: Any) -> GitHubClient:
    record: Callable[[float], None] = sleeps.append if sleeps is not None else lambda s: None
    return GitHubClient(
        "t0ken",
        base_url=API,
        transport=httpx.MockTransport(fake.handler),
        sleep=record,
        clock=lambda: 1000.0,
        **kw,
    )


def test_creates_then_updates_the_same_comment_found_on_a_later_page() -> None:
    fake = FakeGitHub(comments=250)
    with client(fake) as gh:
        first = upsert_comment(gh, "org/repo", 7, f"{MARKER}\nv1")
        assert first.action == "created"
        fake.comments += [{"id": 5000 + i, "body": "noise"} for i in range(120)]
        second = upsert_comment(gh, "org/repo", 7, f"{MARKER}\nv2")
    assert (second.action, second.id) == ("updated", first.id)
    ours = [c for c in fake.comments if c["body"].startswith(MARKER)]
    assert [c["body"] for c in ours] == [f"{MARKER}\nv2"]
    gets = [url for method, url in fake.calls if method == "GET"]
    assert all("per_page=100" in url for url in gets)
    assert len(gets) == 3 + 3  # all 3 pages of 250; then up to page 3, where ours is


def test_a_quoted_marker_is_not_our_comment_and_the_marker_is_added() -> None:
    fake = FakeGitHub()
    fake.comments.append({"id": 1, "body": f"> {MARKER}\nquoting the bot"})
    with client(fake) as gh:
        result = upsert_comment(gh, "org/repo", 1, "no marker here")
    assert result.action == "created"
    assert fake.comments[-1]["body"] == f"{MARKER}\nno marker here"


def test_rate_limits_are_retried_with_the_advertised_wait() -> None:
    fake = FakeGitHub()
    fake.failures = [
        httpx.Response(429, headers={"retry-after": "7"}, json={"message": "slow down"}),
        httpx.Response(
            403,
            headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1030"},
            json={"message": "API rate limit exceeded"},
        ),
        httpx.Response(502, text="bad gateway"),
    ]
    sleeps: list[float] = []
    with client(fake, sleeps) as gh:
        assert upsert_comment(gh, "org/repo", 1, "x").action == "created"
    assert sleeps == [7.0, 31.0, 4.0]


def test_retries_are_bounded() -> None:
    fake = FakeGitHub()
    fake.failures = [httpx.Response(503, text="down") for _ in range(10)]
    sleeps: list[float] = []
    with client(fake, sleeps, max_retries=2) as gh, pytest.raises(GitHubError, match="HTTP 503"):
        upsert_comment(gh, "org/repo", 1, "x")
    assert sleeps == [1.0, 2.0]


def test_a_reset_too_far_away_gives_up_clearly() -> None:
    fake = FakeGitHub()
    fake.failures = [
        httpx.Response(403, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "99999"})
    ]
    with client(fake) as gh, pytest.raises(GitHubError, match="rate limited for another"):
        upsert_comment(gh, "org/repo", 1, "x")


@pytest.mark.parametrize(
    ("status", "match"),
    [
        (401, "GITHUB_TOKEN was rejected"),
        (403, "pull-requests: write"),
        (404, "check --repo and --pr"),
    ],
)
def test_permission_and_not_found_errors(status: int, match: str) -> None:
    fake = FakeGitHub()
    fake.failures = [
        httpx.Response(status, json={"message": "Resource not accessible by integration"})
    ]
    with client(fake) as gh, pytest.raises(GitHubError, match=match):
        upsert_comment(gh, "org/repo", 1, "x")


def test_missing_token_and_bad_repo() -> None:
    with pytest.raises(GitHubError, match="GITHUB_TOKEN is not set"):
        client_from_env({})
    with client(FakeGitHub()) as gh, pytest.raises(GitHubError, match="OWNER/NAME"):
        upsert_comment(gh, "just-a-name", 1, "x")


def test_the_token_never_follows_a_link_to_another_host() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, json=[], headers={"link": '<https://evil.test/x?page=2>; rel="next"'}
        )

    gh = GitHubClient("t0ken", base_url=API, transport=httpx.MockTransport(handler))
    with pytest.raises(GitHubError, match=r"refusing to send the token to evil\.test"):
        list(gh.comments("org/repo", 1))


def test_bodies_over_the_limit_are_truncated_not_rejected() -> None:
    body = fit_body(MARKER + "\n" + ("line of text 🚀\n" * 10_000))
    assert len(body.encode("utf-16-le")) // 2 <= 65_536 and "Truncated" in body


# --- a real HTTP server on loopback ------------------------------------------------------


@pytest.fixture
def loopback() -> Iterator[tuple[str, FakeGitHub]]:
    fake = FakeGitHub(comments=130)
    fake.failures = [httpx.Response(429, headers={"retry-after": "0"}, text="")]

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = httpx.Request(
                self.command,
                f"http://{self.headers['host']}{self.path}",
                headers=dict(self.headers),
                content=self.rfile.read(length) if length else b"",
            )
            response = fake.handler(request)
            body = response.content
            self.send_response(response.status_code)
            for key, value in response.headers.items():
                if key.lower() not in ("content-length", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = _serve  # noqa: N815

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", fake
    finally:
        server.shutdown()
        server.server_close()


def test_comment_command_against_a_loopback_server(
    loopback: tuple[str, FakeGitHub], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, fake = loopback
    monkeypatch.setenv("GITHUB_API_URL", url)
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    body = tmp_path / "comment.md"
    body.write_text(f"{MARKER}\nfirst\n")
    runner = CliRunner()
    first = runner.invoke(comment_command, ["--repo", "org/repo", "--pr", "5", "--file", str(body)])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("created comment ")
    body.write_text(f"{MARKER}\nsecond\n")
    second = runner.invoke(
        comment_command, ["--repo", "org/repo", "--pr", "5", "--file", str(body)]
    )
    assert second.exit_code == 0 and second.output.startswith("updated comment ")
    assert [c["body"] for c in fake.comments if c["body"].startswith(MARKER)] == [
        f"{MARKER}\nsecond\n"
    ]


def test_comment_command_without_a_token(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    body = tmp_path / "comment.md"
    body.write_text("x")
    result = CliRunner().invoke(
        comment_command, ["--repo", "o/r", "--pr", "1", "--file", str(body)]
    )
    assert isinstance(result.exception, GitHubError)
