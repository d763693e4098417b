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

    def __init__(
        self, comments: int = 0, per_page_cap: int = 100, login: str | None = "aksflow-bot"
    ) -> None:
        self.login = login  # None: an installation token, which cannot read /user
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
        if request.method == "GET" and path == "/user":
            if self.login is None:
                return httpx.Response(
                    403, json={"message": "Resource not accessible by integration"}
                )
            return httpx.Response(200, json={"login": self.login})
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
            new["user"] = {"login": self.login or "github-actions[bot]"}
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
    gets = [url for method, url in fake.calls if method == "GET" and "/comments" in url]
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
        upsert_comment(gh, "org/repo", 1, "x", author="aksflow-bot")


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


# --- the sticky comment is ours: marker AND author ----------------------------------------


def test_a_marker_comment_by_someone_else_is_not_ours() -> None:
    fake = FakeGitHub()
    fake.comments.append({"id": 1, "body": f"{MARKER}\nforged", "user": {"login": "mallory"}})
    with client(fake) as gh:
        result = upsert_comment(gh, "org/repo", 1, f"{MARKER}\nreal")
    assert result.action == "created"
    assert fake.comments[0]["body"] == f"{MARKER}\nforged"  # never edited
    assert fake.comments[-1]["user"] == {"login": "aksflow-bot"}


def test_an_installation_token_comments_as_the_actions_bot() -> None:
    fake = FakeGitHub(login=None)
    fake.comments.append(
        {"id": 9, "body": f"{MARKER}\nold", "user": {"login": "github-actions[bot]"}}
    )
    with client(fake) as gh:
        result = upsert_comment(gh, "org/repo", 1, f"{MARKER}\nnew")
    assert (result.action, result.id) == ("updated", 9)


# --- a POST that may have succeeded is never sent twice -----------------------------------


def _lands_then_fails(fake: FakeGitHub, failure: Callable[[], httpx.Response]) -> None:
    inner = fake.handler
    posted: list[bool] = []

    def handler(request: httpx.Request) -> httpx.Response:
        response = inner(request)
        if request.method == "POST" and not posted:
            posted.append(True)
            return failure()  # GitHub created the comment; the answer is lost
        return response

    fake.handler = handler  # type: ignore[method-assign]


def _timeout() -> httpx.Response:
    raise httpx.ReadTimeout("timed out")


@pytest.mark.parametrize(
    "failure",
    [_timeout, lambda: httpx.Response(502, text="bad gateway")],
    ids=["timeout", "502"],
)
def test_a_post_that_landed_but_failed_is_not_posted_again(
    failure: Callable[[], httpx.Response],
) -> None:
    fake = FakeGitHub(comments=3)
    _lands_then_fails(fake, failure)
    sleeps: list[float] = []
    with client(fake, sleeps) as gh:
        result = upsert_comment(gh, "org/repo", 1, f"{MARKER}\nbody")
    ours = [c for c in fake.comments if c["body"].startswith(MARKER)]
    assert len(ours) == 1 and result.action == "updated" and result.id == ours[0]["id"]
    assert [m for m, _ in fake.calls].count("POST") == 1
    assert sleeps == [1.0]


def test_a_post_that_did_not_land_is_retried_after_looking_again() -> None:
    fake = FakeGitHub()
    fake.failures = [
        httpx.Response(200, json={"login": "aksflow-bot"}),  # /user
        httpx.Response(200, json=[]),  # the first look
        httpx.Response(503, text="unavailable"),  # the POST: nothing was created
    ]
    with client(fake) as gh:
        result = upsert_comment(gh, "org/repo", 1, f"{MARKER}\nbody")
    assert result.action == "created"
    methods = [m for m, _ in fake.calls]
    assert methods == ["GET", "GET", "POST", "GET", "POST"]  # looked again before the retry
    assert len([c for c in fake.comments if c["body"].startswith(MARKER)]) == 1


def test_a_post_that_keeps_failing_gives_up_without_duplicates() -> None:
    fake = FakeGitHub()
    fake.failures = [httpx.Response(200, json={"login": "b"}), httpx.Response(200, json=[])]
    fake.failures += [httpx.Response(500, text="x"), httpx.Response(200, json=[])] * 3
    with client(fake, max_retries=2) as gh, pytest.raises(GitHubError, match="HTTP 500"):
        upsert_comment(gh, "org/repo", 1, "x")
    assert [m for m, _ in fake.calls].count("POST") == 3
    assert fake.comments == []


# --- pagination is bounded; responses are checked ------------------------------------------


def test_a_link_that_loops_is_an_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = request.url.params.get("page", "1")
        target = (
            f"{API}/repos/o/r/issues/1/comments?per_page=100&page={'2' if page == '1' else '1'}"
        )
        return httpx.Response(200, json=[], headers={"link": f'<{target}>; rel="next"'})

    gh = GitHubClient("t0ken", base_url=API, transport=httpx.MockTransport(handler))
    with pytest.raises(GitHubError, match="loops"):
        list(gh.comments("o/r", 1))


def test_pagination_is_bounded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params.get("page", "1"))
        nxt = request.url.copy_set_param("page", str(page + 1))
        return httpx.Response(200, json=[], headers={"link": f'<{nxt}>; rel="next"'})

    gh = GitHubClient("t0ken", base_url=API, transport=httpx.MockTransport(handler))
    with pytest.raises(GitHubError, match="more than 5 pages"):
        list(gh.comments("o/r", 1, max_pages=5))


@pytest.mark.parametrize(
    ("response", "match"),
    [
        (httpx.Response(200, text="<html>proxy</html>"), "not JSON"),
        (httpx.Response(200, json={"message": "not a list"}), "expected a list"),
        (httpx.Response(200, json=[{"id": "7", "body": 3}]), "not an issue comment"),
    ],
)
def test_an_unexpected_body_is_a_clear_error(response: httpx.Response, match: str) -> None:
    fake = FakeGitHub()
    fake.failures = [httpx.Response(200, json={"login": "b"}), response]
    with client(fake) as gh, pytest.raises(GitHubError, match=match):
        upsert_comment(gh, "org/repo", 1, "x")


def test_invalid_json_through_the_cli_exits_2(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aksflow.cli import main

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"{not json"
            self.send_response(200)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("GITHUB_API_URL", f"http://127.0.0.1:{server.server_address[1]}")
        monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
        body = tmp_path / "comment.md"
        body.write_text("x")
        result = CliRunner().invoke(
            main, ["comment", "--repo", "o/r", "--pr", "1", "--file", str(body)]
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 2
    assert "not JSON" in result.output and "Traceback" not in result.output


# --- what a fork controls is neutralised before it is posted -------------------------------


def test_mentions_images_and_html_are_neutralised_outside_code() -> None:
    fake = FakeGitHub()
    hostile = (
        "hi @octocat and @org/team, ![pixel](https://evil.test/p.gif) "
        '<img src="https://evil.test/x"> <a href="x">y</a> <!-- hide -->\n'
        "`@kept <b>` and digest repo:tag@sha256:abc\n"
        "```\n@fenced <script>\n```\n"
        "<details><summary>ok</summary>\n\nbody\n</details>"
    )
    with client(fake) as gh:
        upsert_comment(gh, "org/repo", 1, f"{MARKER}\n{hostile}")
    posted = fake.comments[-1]["body"]
    assert posted.startswith(MARKER + "\n")
    assert "@\u200boctocat" in posted and "@\u200borg/team" in posted
    assert "\\![pixel]" in posted
    assert "&lt;img" in posted and "&lt;a href" in posted and "&lt;/a>" in posted
    assert "&lt;!-- hide -->" in posted
    assert "`@kept <b>`" in posted and "tag@sha256" in posted
    assert "```\n@fenced <script>\n```" in posted
    assert "<details><summary>ok</summary>" in posted and "</details>" in posted


def test_the_rendered_comment_passes_through_unchanged() -> None:
    from aksflow.diff.comment import render_comment
    from aksflow.mdsafe import neutralise
    from tests.diff.test_comment import sample

    text = render_comment(sample())
    assert neutralise(text) == text
    hostile = neutralise("@a ![x](y) <i>")
    assert neutralise(hostile) == hostile


def test_comment_command_never_posts_twice_when_the_answer_is_lost(
    loopback: tuple[str, FakeGitHub], tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, fake = loopback
    _lands_then_fails(fake, lambda: httpx.Response(502, text="bad gateway"))
    monkeypatch.setenv("GITHUB_API_URL", url)
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    body = tmp_path / "comment.md"
    body.write_text(f"{MARKER}\nonce\n")
    args = ["--repo", "org/repo", "--pr", "5", "--file", str(body)]
    result = CliRunner().invoke(comment_command, args)
    assert result.exit_code == 0, result.output
    assert [c["body"] for c in fake.comments if c["body"].startswith(MARKER)] == [
        f"{MARKER}\nonce\n"
    ]
    assert [m for m, _ in fake.calls].count("POST") == 1


def test_the_neutraliser_runs_standalone_with_the_standard_library_only() -> None:
    import subprocess
    import sys
    from pathlib import Path

    import aksflow.mdsafe

    done = subprocess.run(
        [sys.executable, "-I", "-S", str(Path(aksflow.mdsafe.__file__))],
        input="cc @octocat ![x](http://e.test/p.png) <img src=x>\n",
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout == "cc @\u200boctocat \\![x](http://e.test/p.png) &lt;img src=x>\n"
