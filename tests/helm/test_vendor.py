"""``aksflow charts vendor`` against a Helm repository and an OCI registry served on loopback."""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import click.testing
import pytest
import yaml

from aksflow.errors import ConfigError, RenderError
from aksflow.helm.cli import charts
from aksflow.helm.lock import read_lock
from aksflow.helm.render import HelmPythonRenderer, RenderRequest
from aksflow.helm.vendor import HELM_CHART_LAYER, OCI_MANIFEST, vendor_charts
from infra.apps import load_releases
from tests.helm.conftest import make_chart, package_chart, write_yaml

CONFIGMAP = """
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-settings
data:
  colour: {{ .Values.colour | quote }}
"""


@dataclass
class Server:
    """Routes (path -> (status, headers, body)) served on 127.0.0.1; requests are recorded."""

    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base: str = ""


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append((self.path, dict(self.headers)))
            status, headers, body = state.routes.get(
                self.path.split("?")[0], (404, {}, b"not found")
            )
            if callable(body):
                status, headers, body = body(self)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base = f"127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


def chart_archive(tmp_path: Path, name: str = "colours", version: str = "1.2.3") -> bytes:
    source = make_chart(
        tmp_path / f"src-{version}",
        name,
        version,
        **{"values.yaml": "colour: blue\n", "templates/configmap.yaml": CONFIGMAP},
    )
    return package_chart(source, name, version)


def publish_index(
    server: Server, data: bytes, *, digest: str | None = None, url: str = "charts/colours-1.2.3.tgz"
) -> None:
    entry = {"apiVersion": "v2", "name": "colours", "version": "1.2.3", "urls": [url],
             "digest": digest if digest is not None else hashlib.sha256(data).hexdigest()}  # fmt: skip
    older = {**entry, "version": "1.2.2", "urls": ["charts/colours-1.2.2.tgz"]}
    index = {"apiVersion": "v1", "entries": {"colours": [entry, older]}}
    server.routes["/repo/index.yaml"] = (200, {}, yaml.safe_dump(index).encode())
    server.routes["/repo/charts/colours-1.2.3.tgz"] = (200, {}, data)


def declare_remote(project: Path, repository: str, version: str = "1.2.3") -> Path:
    app_dir = project / "apps" / "colours"
    write_yaml(
        app_dir / "app.yaml",
        {"chart": {"repository": repository, "name": "colours", "version": version},
         "namespace": "colours", "environments": ["dev"]},
    )  # fmt: skip
    write_yaml(app_dir / "values-dev.yaml", {"colour": "green"})
    return app_dir


def test_vendor_from_helm_repository_then_render_offline(
    server: Server, project: Path, tmp_path: Path
) -> None:
    data = chart_archive(tmp_path)
    publish_index(server, data)
    app_dir = declare_remote(project, f"http://{server.base}/repo")
    (result,) = vendor_charts(project)
    assert result.action == "downloaded"
    assert (app_dir / "charts" / "colours-1.2.3.tgz").read_bytes() == data
    lock = read_lock(app_dir)
    assert lock is not None
    assert (lock.name, lock.version, lock.archive) == (
        "colours",
        "1.2.3",
        "charts/colours-1.2.3.tgz",
    )
    assert lock.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    # The preview path: declarations resolve to the verified archive, the renderer reads it.
    (release,) = load_releases(project, "dev")
    assert (release.chart, release.chart_version) == (
        "apps/colours/charts/colours-1.2.3.tgz",
        "1.2.3",
    )
    (obj,) = HelmPythonRenderer().render(
        RenderRequest(chart=project / release.chart, release_name="colours", namespace="colours",
                      values=release.values, kube_version="1.34", app="colours", environment="dev")
    )  # fmt: skip
    assert obj.manifest["data"] == {"colour": "green"}
    assert obj.template == "apps/colours/charts/colours-1.2.3.tgz!/templates/configmap.yaml"
    # A second run is offline: nothing is fetched when the lock still matches.
    fetched = len(server.requests)
    (again,) = vendor_charts(project)
    assert again.action == "up to date" and len(server.requests) == fetched


def test_version_bump_replaces_the_archive(server: Server, project: Path, tmp_path: Path) -> None:
    publish_index(server, chart_archive(tmp_path))
    app_dir = declare_remote(project, f"http://{server.base}/repo", version="1.2.2")
    server.routes["/repo/charts/colours-1.2.2.tgz"] = (
        200,
        {},
        chart_archive(tmp_path, version="1.2.2"),
    )
    index = yaml.safe_load(server.routes["/repo/index.yaml"][2])
    del index["entries"]["colours"][1]["digest"]  # an index without digests is accepted
    server.routes["/repo/index.yaml"] = (200, {}, yaml.safe_dump(index).encode())
    vendor_charts(project)
    assert sorted(p.name for p in (app_dir / "charts").iterdir()) == ["colours-1.2.2.tgz"]
    declare_remote(project, f"http://{server.base}/repo", version="1.2.3")
    (result,) = vendor_charts(project)
    assert result.action == "downloaded"
    assert sorted(p.name for p in (app_dir / "charts").iterdir()) == ["colours-1.2.3.tgz"]


def test_index_digest_mismatch_is_an_error(server: Server, project: Path, tmp_path: Path) -> None:
    publish_index(server, chart_archive(tmp_path), digest="0" * 64)
    app_dir = declare_remote(project, f"http://{server.base}/repo")
    with pytest.raises(
        RenderError,
        match=r"apps/colours/app.yaml: chart: digest mismatch for .*colours-1.2.3.tgz: .*index.yaml says sha256:0000",
    ):
        vendor_charts(project)
    assert not (app_dir / "chart.lock.yaml").exists()


def test_unknown_version_lists_available(server: Server, project: Path, tmp_path: Path) -> None:
    publish_index(server, chart_archive(tmp_path))
    declare_remote(project, f"http://{server.base}/repo", version="9.9.9")
    with pytest.raises(
        RenderError,
        match=r"chart.version: colours 9.9.9 is not in .*index.yaml \(available: 1.2.3, 1.2.2\)",
    ):
        vendor_charts(project)


def test_archive_must_hold_the_pinned_chart(server: Server, project: Path, tmp_path: Path) -> None:
    wrong = chart_archive(tmp_path, version="1.2.4")
    publish_index(server, wrong)
    declare_remote(project, f"http://{server.base}/repo")
    with pytest.raises(
        RenderError, match=r"the download holds colours 1.2.4, not the pinned colours 1.2.3"
    ):
        vendor_charts(project)


def test_http_errors_are_render_errors(server: Server, project: Path) -> None:
    declare_remote(project, f"http://{server.base}/missing")
    with pytest.raises(
        RenderError, match=r"GET http://127.0.0.1:\d+/missing/index.yaml returned HTTP 404"
    ):
        vendor_charts(project)


def test_unknown_app_is_a_config_error(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"--app: no app 'nope'"):
        vendor_charts(project, apps=["nope"])


def publish_oci(
    server: Server, data: bytes, *, layer_digest: str | None = None, token: bool = True
) -> None:
    digest = layer_digest or "sha256:" + hashlib.sha256(data).hexdigest()
    manifest = {"schemaVersion": 2, "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": "sha256:" + "1" * 64, "size": 2},
                "layers": [{"mediaType": HELM_CHART_LAYER, "digest": digest, "size": len(data)}]}  # fmt: skip
    realm = f"http://{server.base}/token"

    def guarded(body: bytes, headers: dict[str, str]) -> object:
        def respond(handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, str], bytes]:
            if token and handler.headers.get("Authorization") != "Bearer anon-token":
                challenge = (
                    f'Bearer realm="{realm}",service="reg",scope="repository:charts/colours:pull"'
                )
                return 401, {"WWW-Authenticate": challenge}, b"{}"
            return 200, headers, body

        return respond

    server.routes["/v2/charts/colours/manifests/1.2.3"] = (
        200,
        {},
        guarded(json.dumps(manifest).encode(), {"Content-Type": OCI_MANIFEST}),
    )  # type: ignore[assignment]
    server.routes[f"/v2/charts/colours/blobs/{digest}"] = (200, {}, guarded(data, {}))  # type: ignore[assignment]
    server.routes["/token"] = (200, {}, json.dumps({"token": "anon-token"}).encode())


def test_vendor_from_oci_registry_with_anonymous_token(
    server: Server, project: Path, tmp_path: Path
) -> None:
    data = chart_archive(tmp_path)
    publish_oci(server, data)
    app_dir = declare_remote(project, f"oci://{server.base}/charts")
    (result,) = vendor_charts(project)
    assert result.lock.digest == "sha256:" + hashlib.sha256(data).hexdigest()
    assert (app_dir / "charts" / "colours-1.2.3.tgz").read_bytes() == data
    token_requests = [path for path, _ in server.requests if path.startswith("/token")]
    assert token_requests and "scope=repository%3Acharts%2Fcolours%3Apull" in token_requests[0]
    manifest_request = next(
        h for p, h in server.requests if p.endswith("/manifests/1.2.3") and "Authorization" in h
    )
    assert manifest_request["Accept"] == OCI_MANIFEST


def test_oci_blob_digest_mismatch(server: Server, project: Path, tmp_path: Path) -> None:
    data = chart_archive(tmp_path)
    publish_oci(server, data, layer_digest="sha256:" + "2" * 64, token=False)
    server.routes["/v2/charts/colours/blobs/sha256:" + "2" * 64] = (200, {}, data)
    declare_remote(project, f"oci://{server.base}/charts")
    with pytest.raises(
        RenderError,
        match=r"digest mismatch for oci://.*colours:1.2.3: the manifest says sha256:2222",
    ):
        vendor_charts(project)


def test_cli_vendor(server: Server, project: Path, tmp_path: Path) -> None:
    publish_index(server, chart_archive(tmp_path))
    declare_remote(project, f"http://{server.base}/repo")
    runner = click.testing.CliRunner()
    result = runner.invoke(charts, ["vendor", "--project-dir", str(project)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith(
        "colours: colours 1.2.3 downloaded (apps/colours/charts/colours-1.2.3.tgz, sha256:"
    )
    result = runner.invoke(charts, ["vendor", "--project-dir", str(project), "--app", "colours"])
    assert "colours 1.2.3 up to date" in result.output
