"""Helm charts: app declarations' vendored charts, offline rendering, v4 Chart children.

Submodules are imported on demand: :mod:`aksflow.helm.lock` is light (stdlib and PyYAML, imported
by the Pulumi program), :mod:`aksflow.helm.render` loads Helm's library only when it renders.
"""
