"""Load only the classes a program uses from the SDKs' largest packages.

``pulumi_azure_native.network`` (some 300 resource modules) and ``pulumi_kubernetes.core.v1``
import every class the moment one is touched: about 0.7 s and 0.6 s of a preview that needs
a VirtualNetwork, two Subnets and a Namespace. Both packages are already lazy modules
(``pulumi._utils.lazy_import``); here their loader is swapped, before first use, for one that
imports just the module defining the requested name. Anything it cannot place (a function,
an enum) falls back to executing the package's real ``__init__``, so every name resolves to
the very same object it would have been. Only the offline engine does this; the real
language host is untouched.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any

from pulumi._utils import lazy_import

_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def _azure_module(name: str) -> str:
    """``VirtualNetwork`` -> ``virtual_network``; input types live in ``_inputs``."""
    if name.endswith(("Args", "ArgsDict")):
        return "_inputs"
    return _CAMEL.sub("_", name).lower()


def _kubernetes_module(name: str) -> str:
    """``Namespace`` -> ``Namespace`` (one file per kind); input types live in ``_inputs``."""
    return "_inputs" if name.endswith(("Args", "ArgsDict")) else name


DEFERRED: dict[str, Callable[[str], str]] = {
    "pulumi_azure_native.network": _azure_module,
    "pulumi_kubernetes.core.v1": _kubernetes_module,
}


class _DeferredLoader:
    """Stands in for a lazy module's loader until the whole package is really needed."""

    def __init__(self, original: Any, fullname: str, module_for: Callable[[str], str]) -> None:
        self.original = original
        self.fullname = fullname
        self.module_for = module_for

    def exec_module(self, module: ModuleType) -> None:
        spec = module.__spec__
        assert spec is not None
        spec.loader = self.original
        loaded_fully = False

        def __getattr__(name: str) -> Any:  # noqa: N807 - the module-level hook PEP 562 names
            nonlocal loaded_fully
            if name.startswith("__") or loaded_fully:
                raise AttributeError(name)
            try:
                defining = importlib.import_module(f"{self.fullname}.{self.module_for(name)}")
            except ModuleNotFoundError:
                defining = None
            if defining is not None and name in vars(defining):
                value = vars(defining)[name]
            elif defining is not None and defining.__name__ == f"{self.fullname}.{name}":
                value = defining  # a submodule itself (``from . import outputs``)
            else:
                loaded_fully = True
                self.original.exec_module(module)  # the package's own __init__
                if name not in vars(module):
                    raise AttributeError(f"module {self.fullname!r} has no attribute {name!r}")
                value = vars(module)[name]
            setattr(module, name, value)
            return value

        module.__getattr__ = __getattr__  # type: ignore[method-assign]


def defer_heavy_packages() -> None:
    """Install the deferred loaders (idempotent; a package already loaded is left alone)."""
    for fullname, module_for in DEFERRED.items():
        # The SDKs' own lazy import: the existing module, or a new lazy one in sys.modules
        # that the package's parent will pick up (a plain import would execute it).
        module = lazy_import(fullname)  # type: ignore[no-untyped-call]
        if type(module).__name__ != "_LazyModule":
            continue  # already executed: nothing left to save
        spec = module.__spec__
        assert spec is not None
        if not isinstance(spec.loader, _DeferredLoader):
            spec.loader = _DeferredLoader(spec.loader, fullname, module_for)
