"""Pod Security Standards, baseline and restricted, to Kubernetes v1.37 (policies.md §4).

Every Pod Security Admission control (``kubernetes/pod-security-admission/policy/check_*.go``) is
one pure function over a :class:`~aksflow_policies.podspec.Pod`, published as policy
``pss-<control>``. Semantics follow PSA, not scanners: absent differs from explicit values, all
container lists are visited, restricted overrides some baseline controls (the overridden control
is then not applicable), Windows pods and ``hostUsers: false`` pods get PSA's exemptions, and
version-dependent rules honour the configured ``version``.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .model import Finding, NotApplicable, Rule, Subject, get, is_map, items
from .podspec import WORKLOAD_TYPES, Container, Pod, pod_of

LATEST = (1, 37)
Version = tuple[int, int]

BASELINE_CAPABILITIES = frozenset(
    {
        "AUDIT_WRITE",
        "CHOWN",
        "DAC_OVERRIDE",
        "FOWNER",
        "FSETID",
        "KILL",
        "MKNOD",
        "NET_BIND_SERVICE",
        "SETFCAP",
        "SETGID",
        "SETPCAP",
        "SETUID",
        "SYS_CHROOT",
    }
)
RESTRICTED_VOLUME_SOURCES = (
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
)
# check_sysctls.go: the safe set grows with the policy version.
_SYSCTLS_BY_VERSION: tuple[tuple[Version, tuple[str, ...]], ...] = (
    (
        (1, 0),
        (
            "kernel.shm_rmid_forced",
            "net.ipv4.ip_local_port_range",
            "net.ipv4.tcp_syncookies",
            "net.ipv4.ping_group_range",
            "net.ipv4.ip_unprivileged_port_start",
        ),
    ),
    ((1, 27), ("net.ipv4.ip_local_reserved_ports",)),
    (
        (1, 29),
        (
            "net.ipv4.tcp_keepalive_time",
            "net.ipv4.tcp_fin_timeout",
            "net.ipv4.tcp_keepalive_intvl",
            "net.ipv4.tcp_keepalive_probes",
        ),
    ),
    ((1, 32), ("net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")),
    ((1, 37), ("net.ipv4.tcp_slow_start_after_idle", "net.ipv4.tcp_notsent_lowat")),
)
_SELINUX_TYPES_1_0 = frozenset({"", "container_t", "container_init_t", "container_kvm_t"})
_SELINUX_TYPES_1_31 = _SELINUX_TYPES_1_0 | {"container_engine_t"}
_APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"
_VALID_SECCOMP = ("RuntimeDefault", "Localhost")
_VERSION_RE = re.compile(r"^v?(\d+)\.(\d+)$")


def parse_version(text: str) -> Version:
    """``v1.37`` / ``1.37`` / ``latest`` -> (1, 37)."""
    if text == "latest":
        return LATEST
    m = _VERSION_RE.match(text.strip())
    if not m:
        raise ValueError(f"PSS version must look like v1.37 or latest, got {text!r}")
    return (int(m.group(1)), int(m.group(2)))


def safe_sysctls(version: Version) -> frozenset[str]:
    """The sysctls PSA allows at a policy version."""
    allowed: set[str] = set()
    for since, names in _SYSCTLS_BY_VERSION:
        if version >= since:
            allowed.update(names)
    return frozenset(allowed)


@dataclass(frozen=True)
class Ctx:
    """Evaluation context of one control: pod, version and image exemptions."""

    pod: Pod
    version: Version
    exempt_images: tuple[str, ...]

    def containers(self) -> Iterable[Container]:
        """Containers not exempted by image glob."""
        for c in self.pod.containers():
            # Read the image only when exemptions exist: an unknown image (preview) must not
            # turn every PSS control into an advisory "can't run policy".
            if self.exempt_images:
                image = c.body.get("image")
                if isinstance(image, str) and any(
                    fnmatch.fnmatchcase(image, g) for g in self.exempt_images
                ):
                    continue
            yield c


ControlFn = Callable[[Ctx], Iterable[Finding]]


@dataclass(frozen=True)
class Control:
    """One PSA control and how it is published."""

    psa_id: str
    policy: str
    level: str  # "baseline" | "restricted"
    severity: str
    tier: int
    description: str
    fix: str
    fn: ControlFn
    since: Version = (1, 0)
    overridden_by: str | None = None  # restricted control that replaces this one


def _pod_sc(pod: Pod) -> Mapping[str, Any]:
    sc = pod.spec.get("securityContext")
    if is_map(sc):
        return sc
    return {}


def _c(c: Container, *rest: str) -> str:
    return ".".join((c.path, *rest))


# --- baseline -------------------------------------------------------------------------------


def _windows_host_process(ctx: Ctx) -> Iterable[Finding]:
    fix = "remove windowsOptions.hostProcess or set it to false"
    if get(_pod_sc(ctx.pod), "windowsOptions", "hostProcess") is True:
        path = f"{ctx.pod.spec_path}.securityContext.windowsOptions.hostProcess"
        yield Finding(path, "HostProcess pods are not allowed.", fix)
    for c in ctx.containers():
        if get(c.security_context, "windowsOptions", "hostProcess") is True:
            path = _c(c, "securityContext.windowsOptions.hostProcess")
            yield Finding(path, f"container {c.name!r} is a HostProcess container.", fix)


def _host_namespaces(ctx: Ctx) -> Iterable[Finding]:
    for key in ("hostNetwork", "hostPID", "hostIPC"):
        if ctx.pod.spec.get(key) is True:
            yield Finding(
                f"{ctx.pod.spec_path}.{key}",
                f"the pod shares the host's namespace ({key}=true).",
                f"remove {key} or set it to false.",
            )


def _privileged(ctx: Ctx) -> Iterable[Finding]:
    for c in ctx.containers():
        if c.security_context.get("privileged") is True:
            yield Finding(
                _c(c, "securityContext.privileged"),
                f"container {c.name!r} runs privileged.",
                "remove securityContext.privileged or set it to false.",
            )


def _added_caps(c: Container) -> list[str]:
    return [str(x) for _, x in items(get(c.security_context, "capabilities", "add"))]


def _capabilities_baseline(ctx: Ctx) -> Iterable[Finding]:
    for c in ctx.containers():
        bad = [cap for cap in _added_caps(c) if cap not in BASELINE_CAPABILITIES]
        if bad:
            yield Finding(
                _c(c, "securityContext.capabilities.add"),
                f"container {c.name!r} adds non-default capabilities {sorted(set(bad))}.",
                "add only capabilities from the default set (e.g. NET_BIND_SERVICE, CHOWN); "
                "remove the others.",
            )


def _volumes(pod: Pod) -> Iterable[tuple[int, Mapping[str, Any]]]:
    for i, v in items(pod.spec.get("volumes")):
        if is_map(v):
            yield i, v


def _host_path_volumes(ctx: Ctx) -> Iterable[Finding]:
    for i, v in _volumes(ctx.pod):
        if v.get("hostPath") is not None:
            yield Finding(
                f"{ctx.pod.spec_path}.volumes[{i}].hostPath",
                f"volume {v.get('name')!r} mounts a host path.",
                "use an emptyDir, configMap, secret, projected or PVC volume instead of hostPath.",
            )


def _host_ports(ctx: Ctx) -> Iterable[Finding]:
    for c in ctx.containers():
        for i, port in items(c.body.get("ports")):
            hp = get(port, "hostPort")
            if hp is not None and hp != 0:
                yield Finding(
                    _c(c, f"ports[{i}].hostPort"),
                    f"container {c.name!r} binds host port {hp}.",
                    "remove hostPort (or set it to 0) and expose the port through a Service.",
                )


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")
_LIFECYCLE = (("lifecycle", "postStart"), ("lifecycle", "preStop"))


def _host_probes(ctx: Ctx) -> Iterable[Finding]:
    for c in ctx.containers():
        handlers: list[tuple[str, Any]] = [(p, c.body.get(p)) for p in _PROBES]
        handlers += [(".".join(k), get(c.body, *k)) for k in _LIFECYCLE]
        for where, handler in handlers:
            for kind in ("httpGet", "tcpSocket"):
                host = get(handler, kind, "host")
                if host is not None and host != "":
                    yield Finding(
                        _c(c, where, kind, "host"),
                        f"container {c.name!r} points a probe or lifecycle hook at a host.",
                        f"remove {where}.{kind}.host so the kubelet targets the pod's own IP.",
                    )


def _apparmor(ctx: Ctx) -> Iterable[Finding]:
    fix_field = "set appArmorProfile.type to RuntimeDefault or Localhost (or remove it)."
    annotations = ctx.pod.meta.get("annotations")
    if is_map(annotations):
        for key in annotations:
            if not str(key).startswith(_APPARMOR_ANNOTATION):
                continue
            value = annotations[key]
            if value in ("", None, "runtime/default") or (
                isinstance(value, str) and value.startswith("localhost/")
            ):
                continue
            yield Finding(
                f"{ctx.pod.meta_path}.annotations[{key}]",
                "the AppArmor annotation selects a profile other than runtime/default "
                "or localhost/*.",
                "set it to runtime/default or localhost/<profile>, or remove it.",
            )
    pod_type = get(_pod_sc(ctx.pod), "appArmorProfile", "type")
    if pod_type is not None and pod_type not in _VALID_SECCOMP:
        yield Finding(
            f"{ctx.pod.spec_path}.securityContext.appArmorProfile.type",
            f"pod AppArmor profile type is {pod_type!r}.",
            fix_field,
        )
    for c in ctx.containers():
        ctype = get(c.security_context, "appArmorProfile", "type")
        if ctype is not None and ctype not in _VALID_SECCOMP:
            yield Finding(
                _c(c, "securityContext.appArmorProfile.type"),
                f"container {c.name!r} AppArmor profile type is {ctype!r}.",
                fix_field,
            )


def _selinux(ctx: Ctx) -> Iterable[Finding]:
    allowed = _SELINUX_TYPES_1_31 if ctx.version >= (1, 31) else _SELINUX_TYPES_1_0
    places: list[tuple[str, Any]] = [
        (
            f"{ctx.pod.spec_path}.securityContext.seLinuxOptions",
            _pod_sc(ctx.pod).get("seLinuxOptions"),
        )
    ]
    places += [
        (_c(c, "securityContext.seLinuxOptions"), c.security_context.get("seLinuxOptions"))
        for c in ctx.containers()
    ]
    for path, opts in places:
        if not is_map(opts):
            continue
        se_type = opts.get("type")
        if se_type is not None and se_type not in allowed:
            yield Finding(
                f"{path}.type",
                f"SELinux type {se_type!r} is not allowed.",
                f"use one of {sorted(t for t in allowed if t)} or leave it unset.",
            )
        for key in ("user", "role"):
            value = opts.get(key)
            if value is not None and value != "":
                yield Finding(f"{path}.{key}", f"a custom SELinux {key} is set.", f"remove {key}.")


def _proc_mount_findings(ctx: Ctx) -> Iterable[Finding]:
    for c in ctx.containers():
        pm = c.security_context.get("procMount")
        if pm is not None and pm != "Default":
            yield Finding(
                _c(c, "securityContext.procMount"),
                f"container {c.name!r} uses an unmasked /proc ({pm!r}).",
                "remove securityContext.procMount or set it to Default.",
            )


def _proc_mount(ctx: Ctx) -> Iterable[Finding]:
    if ctx.version >= (1, 35) and ctx.pod.host_users_false:
        return []  # user-namespaced pods may unmask /proc at baseline
    return _proc_mount_findings(ctx)


def _seccomp_baseline(ctx: Ctx) -> Iterable[Finding]:
    fix = "set seccompProfile.type to RuntimeDefault or Localhost."
    if get(_pod_sc(ctx.pod), "seccompProfile", "type") == "Unconfined":
        yield Finding(
            f"{ctx.pod.spec_path}.securityContext.seccompProfile.type",
            "the pod runs Unconfined.",
            fix,
        )
    for c in ctx.containers():
        if get(c.security_context, "seccompProfile", "type") == "Unconfined":
            yield Finding(
                _c(c, "securityContext.seccompProfile.type"),
                f"container {c.name!r} runs Unconfined.",
                fix,
            )


def _sysctls(ctx: Ctx) -> Iterable[Finding]:
    allowed = safe_sysctls(ctx.version)
    for i, s in items(_pod_sc(ctx.pod).get("sysctls")):
        name = get(s, "name")
        if name not in allowed:
            yield Finding(
                f"{ctx.pod.spec_path}.securityContext.sysctls[{i}].name",
                f"sysctl {name!r} is not in the safe set.",
                "remove it, or use only safe sysctls such as net.ipv4.ip_local_port_range.",
            )


# --- restricted -----------------------------------------------------------------------------


def _restricted_volumes(ctx: Ctx) -> Iterable[Finding]:
    for i, v in _volumes(ctx.pod):
        # PSA lists the forbidden sources: a volume with no source at all is allowed.
        kinds = sorted(
            str(k)
            for k in v
            if k != "name" and k not in RESTRICTED_VOLUME_SOURCES and v[k] is not None
        )
        if not kinds:
            continue
        yield Finding(
            f"{ctx.pod.spec_path}.volumes[{i}]",
            f"volume {v.get('name')!r} uses a restricted volume type {kinds}.",
            "use only configMap, csi, downwardAPI, emptyDir, ephemeral, image, "
            "persistentVolumeClaim, projected or secret volumes.",
        )


def _allow_privilege_escalation(ctx: Ctx) -> Iterable[Finding]:
    if ctx.version >= (1, 25) and ctx.pod.is_windows:
        return
    for c in ctx.containers():
        if c.security_context.get("allowPrivilegeEscalation") is not False:
            yield Finding(
                _c(c, "securityContext.allowPrivilegeEscalation"),
                f"container {c.name!r} does not set allowPrivilegeEscalation=false.",
                "set securityContext.allowPrivilegeEscalation: false.",
            )


def _user_ns_waiver(ctx: Ctx) -> bool:
    return ctx.version >= (1, 35) and ctx.pod.host_users_false


def _run_as_non_root(ctx: Ctx) -> Iterable[Finding]:
    if _user_ns_waiver(ctx):
        return
    fix = "set securityContext.runAsNonRoot: true on the pod (or on every container)."
    pod_value = _pod_sc(ctx.pod).get("runAsNonRoot")
    if pod_value is False:
        yield Finding(
            f"{ctx.pod.spec_path}.securityContext.runAsNonRoot",
            "the pod sets runAsNonRoot=false.",
            fix,
        )
    for c in ctx.containers():
        value = c.security_context.get("runAsNonRoot")
        if value is False:
            yield Finding(
                _c(c, "securityContext.runAsNonRoot"),
                f"container {c.name!r} sets runAsNonRoot=false.",
                fix,
            )
        elif value is None and pod_value is not True:
            yield Finding(
                _c(c, "securityContext.runAsNonRoot"),
                f"container {c.name!r} may run as root (runAsNonRoot unset on pod and container).",
                fix,
            )


def _run_as_user(ctx: Ctx) -> Iterable[Finding]:
    if _user_ns_waiver(ctx):
        return
    fix = "set runAsUser to a non-zero UID or remove it."
    if _pod_sc(ctx.pod).get("runAsUser") == 0:
        yield Finding(
            f"{ctx.pod.spec_path}.securityContext.runAsUser", "the pod runs as UID 0.", fix
        )
    for c in ctx.containers():
        if c.security_context.get("runAsUser") == 0:
            yield Finding(
                _c(c, "securityContext.runAsUser"), f"container {c.name!r} runs as UID 0.", fix
            )


def _seccomp_restricted(ctx: Ctx) -> Iterable[Finding]:
    if ctx.version >= (1, 25) and ctx.pod.is_windows:
        return
    fix = "set securityContext.seccompProfile.type: RuntimeDefault (or Localhost) on the pod."
    pod_profile = _pod_sc(ctx.pod).get("seccompProfile")
    pod_set = False
    if pod_profile is not None:
        ptype = get(pod_profile, "type")
        if ptype in _VALID_SECCOMP:
            pod_set = True
        else:
            yield Finding(
                f"{ctx.pod.spec_path}.securityContext.seccompProfile.type",
                f"the pod seccomp profile type is {ptype!r}.",
                fix,
            )
    for c in ctx.containers():
        profile = c.security_context.get("seccompProfile")
        if profile is not None:
            ctype = get(profile, "type")
            if ctype not in _VALID_SECCOMP:
                yield Finding(
                    _c(c, "securityContext.seccompProfile.type"),
                    f"container {c.name!r} seccomp profile type is {ctype!r}.",
                    fix,
                )
        elif not pod_set:
            yield Finding(
                _c(c, "securityContext.seccompProfile"),
                f"container {c.name!r} has no seccomp profile (none set on the pod either).",
                fix,
            )


def _capabilities_restricted(ctx: Ctx) -> Iterable[Finding]:
    if ctx.version >= (1, 25) and ctx.pod.is_windows:
        return
    for c in ctx.containers():
        drop = [str(x) for _, x in items(get(c.security_context, "capabilities", "drop"))]
        if "ALL" not in drop:
            yield Finding(
                _c(c, "securityContext.capabilities.drop"),
                f"container {c.name!r} does not drop ALL capabilities.",
                'set securityContext.capabilities.drop: ["ALL"].',
            )
        bad = [cap for cap in _added_caps(c) if cap != "NET_BIND_SERVICE"]
        if bad:
            yield Finding(
                _c(c, "securityContext.capabilities.add"),
                f"container {c.name!r} adds capabilities {sorted(set(bad))}.",
                "add at most NET_BIND_SERVICE.",
            )


CONTROLS: tuple[Control, ...] = (
    Control(
        "windowsHostProcess",
        "pss-windows-host-process",
        "baseline",
        "critical",
        1,
        "PSS baseline: Windows HostProcess containers are not allowed.",
        "Remove windowsOptions.hostProcess.",
        _windows_host_process,
    ),
    Control(
        "hostNamespaces",
        "pss-host-namespaces",
        "baseline",
        "critical",
        1,
        "PSS baseline: pods must not share the host network, PID or IPC namespace.",
        "Remove hostNetwork/hostPID/hostIPC.",
        _host_namespaces,
    ),
    Control(
        "privileged",
        "pss-privileged",
        "baseline",
        "critical",
        1,
        "PSS baseline: containers must not run privileged.",
        "Remove securityContext.privileged or set it to false.",
        _privileged,
    ),
    Control(
        "capabilities_baseline",
        "pss-capabilities-baseline",
        "baseline",
        "high",
        1,
        "PSS baseline: containers may add only capabilities from the default set.",
        "Remove non-default capabilities from securityContext.capabilities.add.",
        _capabilities_baseline,
        overridden_by="pss-capabilities-restricted",
    ),
    Control(
        "hostPathVolumes",
        "pss-host-path-volumes",
        "baseline",
        "high",
        1,
        "PSS baseline: hostPath volumes are not allowed.",
        "Replace hostPath volumes.",
        _host_path_volumes,
        overridden_by="pss-restricted-volumes",
    ),
    Control(
        "hostPorts",
        "pss-host-ports",
        "baseline",
        "medium",
        2,
        "PSS baseline: containers must not bind host ports.",
        "Remove hostPort and use a Service.",
        _host_ports,
    ),
    Control(
        "hostProbesAndHostLifecycle",
        "pss-host-probes-and-host-lifecycle",
        "baseline",
        "medium",
        2,
        "PSS baseline: probes and lifecycle hooks must not target a host.",
        "Remove the host field of httpGet/tcpSocket probes and hooks.",
        _host_probes,
        since=(1, 34),
    ),
    Control(
        "appArmorProfile",
        "pss-apparmor-profile",
        "baseline",
        "medium",
        2,
        "PSS baseline: AppArmor must not be disabled or overridden.",
        "Use RuntimeDefault or Localhost AppArmor profiles.",
        _apparmor,
    ),
    Control(
        "seLinuxOptions",
        "pss-selinux-options",
        "baseline",
        "medium",
        2,
        "PSS baseline: SELinux type must be a container type; user and role must be unset.",
        "Remove custom SELinux options.",
        _selinux,
    ),
    Control(
        "procMount",
        "pss-proc-mount",
        "baseline",
        "medium",
        2,
        "PSS baseline: /proc must keep the default masking.",
        "Remove securityContext.procMount.",
        _proc_mount,
        overridden_by="pss-proc-mount-restricted",
    ),
    Control(
        "seccompProfile_baseline",
        "pss-seccomp-profile-baseline",
        "baseline",
        "medium",
        2,
        "PSS baseline: seccomp must not be Unconfined.",
        "Use the RuntimeDefault seccomp profile.",
        _seccomp_baseline,
        overridden_by="pss-seccomp-profile-restricted",
    ),
    Control(
        "sysctls",
        "pss-sysctls",
        "baseline",
        "medium",
        2,
        "PSS baseline: only safe sysctls may be set.",
        "Remove unsafe sysctls.",
        _sysctls,
    ),
    Control(
        "restrictedVolumes",
        "pss-restricted-volumes",
        "restricted",
        "medium",
        2,
        "PSS restricted: only core volume types (configMap, csi, downwardAPI, emptyDir, "
        "ephemeral, image, persistentVolumeClaim, projected, secret) are allowed.",
        "Replace other volume types.",
        _restricted_volumes,
    ),
    Control(
        "allowPrivilegeEscalation",
        "pss-allow-privilege-escalation",
        "restricted",
        "high",
        1,
        "PSS restricted: containers must set allowPrivilegeEscalation=false.",
        "Set securityContext.allowPrivilegeEscalation: false on every container.",
        _allow_privilege_escalation,
    ),
    Control(
        "runAsNonRoot",
        "pss-run-as-non-root",
        "restricted",
        "high",
        1,
        "PSS restricted: containers must run as non-root.",
        "Set securityContext.runAsNonRoot: true on the pod.",
        _run_as_non_root,
    ),
    Control(
        "runAsUser",
        "pss-run-as-user",
        "restricted",
        "high",
        1,
        "PSS restricted: containers must not run as UID 0.",
        "Use a non-zero runAsUser.",
        _run_as_user,
        since=(1, 23),
    ),
    Control(
        "seccompProfile_restricted",
        "pss-seccomp-profile-restricted",
        "restricted",
        "medium",
        2,
        "PSS restricted: a RuntimeDefault or Localhost seccomp profile must be set.",
        "Set securityContext.seccompProfile.type: RuntimeDefault on the pod.",
        _seccomp_restricted,
        since=(1, 19),
    ),
    Control(
        "capabilities_restricted",
        "pss-capabilities-restricted",
        "restricted",
        "medium",
        2,
        "PSS restricted: containers must drop ALL capabilities and add at most NET_BIND_SERVICE.",
        'Set securityContext.capabilities.drop: ["ALL"].',
        _capabilities_restricted,
        since=(1, 22),
    ),
    Control(
        "procMount_restricted",
        "pss-proc-mount-restricted",
        "restricted",
        "medium",
        2,
        "PSS restricted: /proc must keep the default masking, user namespaces included.",
        "Remove securityContext.procMount.",
        _proc_mount_findings,
        since=(1, 35),
    ),
)
CONTROLS_BY_POLICY = {c.policy: c for c in CONTROLS}

PSS_CONFIG: Mapping[str, Mapping[str, Any]] = {
    "level": {
        "type": "string",
        "enum": ["baseline", "restricted"],
        "default": "restricted",
        "description": "Pod Security Standards level enforced by this control.",
    },
    "version": {
        "type": "string",
        "pattern": r"^(latest|v?1\.\d+)$",
        "default": "v1.37",
        "description": "PSA policy version (v1.N or latest).",
    },
    "exemptImages": {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "description": "Image globs exempt from this control (container-level checks only).",
    },
}


def evaluate(control: Control, pod: Pod, config: Mapping[str, Any]) -> list[Finding]:
    """Run one control on one pod under a config; NotApplicable when level/version exclude it."""
    level = str(config.get("level", "restricted"))
    version = parse_version(str(config.get("version", "latest")))
    if control.level == "restricted" and level == "baseline":
        raise NotApplicable(f"{control.policy} is a restricted-level control; level is baseline")
    if level == "restricted" and control.overridden_by:
        raise NotApplicable(
            f"at level restricted {control.overridden_by} replaces {control.policy}"
        )
    if version < control.since:
        raise NotApplicable(f"{control.psa_id} applies from v{control.since[0]}.{control.since[1]}")
    exempt = config.get("exemptImages") or ()
    ctx = Ctx(pod, version, tuple(str(g) for _, g in items(exempt)))
    return list(control.fn(ctx))


def _make_check(control: Control) -> Callable[[Subject, Mapping[str, Any]], Iterable[Finding]]:
    def check(subject: Subject, config: Mapping[str, Any]) -> Iterable[Finding]:
        pod = pod_of(subject.type, subject.props)
        if pod is None:
            return []
        return evaluate(control, pod, config)

    check.__name__ = control.policy.replace("-", "_")
    return check


def _rule(control: Control) -> Rule:
    return Rule(
        name=control.policy,
        description=control.description,
        severity=control.severity,
        tier=control.tier,
        remediation=control.fix,
        types=WORKLOAD_TYPES,
        check=_make_check(control),
        config=PSS_CONFIG,
        tags=("security", "kubernetes", "pss", f"pss-{control.level}", f"psa:{control.psa_id}"),
    )


RULES: Sequence[Rule] = tuple(_rule(c) for c in CONTROLS)
