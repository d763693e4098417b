"""Names and positions the Pulumi engine derives for what a program registers.

Ported from pulumi/pulumi:

- :func:`default_provider_name`: ``ProviderRequest.DefaultName`` and ``String``
  (``pkg/resource/deploy/providers/provider.go``), ``tokens.IntoQName``
  (``sdk/go/common/tokens/names.go``), with the cases of ``providers/provider_test.go``.
- :func:`source_position`: ``sourcePositions.parseSourcePosition``
  (``pkg/resource/deploy/source_eval.go``): ``project:///<path relative to the project root>``
  with ``#<line>`` and ``,<column>`` only when the SDK sent one (the Python SDK never does:
  ``sdk/python/lib/pulumi/runtime/resource.py`` ``_get_source_position_for_frame``).
"""

from __future__ import annotations

import os
import re
import urllib.parse
from pathlib import Path

# blang/semver: MAJOR.MINOR.PATCH[-pre.release][+build.meta]
_SEMVER = re.compile(
    r"^(?P<major>0|[1-9]\d*)\.(?P<minor>0|[1-9]\d*)\.(?P<patch>0|[1-9]\d*)"
    r"(?:-(?P<pre>[0-9A-Za-z.-]+))?(?:\+(?P<build>[0-9A-Za-z.-]+))?$"
)
_QNAME_FIRST = re.compile(r"[A-Za-z0-9_.-]")
# Go's url.PathEscape keeps these unescaped in a path (shouldEscape, encodePath).
_PATH_SAFE = "/$&+,:;=@-._~"


class InvalidVersionError(ValueError):
    """A provider version that is not semver (the engine refuses it)."""


def _into_qname(text: str) -> str:
    """``tokens.IntoQName``: every non-name character becomes ``_``, empty segments dropped."""
    segments = [
        "".join(c if _QNAME_FIRST.fullmatch(c) else "_" for c in part)
        for part in text.split("/")
        if part
    ]
    return "/".join(segments) or "_"


def default_provider_name(version: str | None, plugin_download_url: str = "") -> str:
    """The name of the default provider the engine registers for a package at ``version``."""
    name = "default"
    if version:
        match = _SEMVER.fullmatch(version)
        if match is None:
            raise InvalidVersionError(version)
        name += f"_{match['major']}_{match['minor']}_{match['patch']}"
        for part in (match["pre"] or "").split("."):
            if part:
                name += "_" + (str(int(part)) if part.isdigit() else part)
        for part in (match["build"] or "").split("."):
            if part:
                name += "_" + part
    url = plugin_download_url.rstrip("/")
    if url:
        name += "_" + _into_qname(url)
    return name


def provider_request_key(package: str, version: str | None, plugin_download_url: str = "") -> str:
    """``ProviderRequest.String``: one default provider per package, version and download URL."""
    url = plugin_download_url.rstrip("/")
    return package + (f"-{version}" if version else "") + (f"-{url}" if url else "")


def source_position(uri: str, line: int, column: int, project_root: Path) -> str | None:
    """The ``sourcePosition`` the engine records for a registration, None when it records none.

    The engine logs and drops a position it cannot parse: a negative line or column, a scheme
    other than ``file``, a relative path.
    """
    if not uri or line < 0 or column < 0:
        return None
    parsed = urllib.parse.urlparse(uri)
    if parsed.scheme != "file":
        return None
    path = urllib.parse.unquote(parsed.path)
    if not Path(path).is_absolute():
        return None
    relative = os.path.relpath(path, os.path.normpath(project_root))  # lexical, as filepath.Rel
    fragment = f"{line}" + (f",{column}" if column else "")
    return f"project:///{urllib.parse.quote(Path(relative).as_posix(), safe=_PATH_SAFE)}#{fragment}"
