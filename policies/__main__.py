"""aksflow CrossGuard policy pack: only builds the PolicyPack (policies live in aksflow_policies).

Run by the Pulumi CLI (``pulumi preview --policy-pack policies``) or loaded in-process by
``aksflow.policy.loader``, which substitutes a capturing class for ``PolicyPack``.
"""

from aksflow_policies.pack import PACK_NAME, build_policies  # type: ignore[import-not-found,unused-ignore]
from pulumi_policy import EnforcementLevel, PolicyPack

PolicyPack(
    name=PACK_NAME,
    policies=build_policies(),
    enforcement_level=EnforcementLevel.ADVISORY,
    description="aksflow guardrails: Pod Security Standards, AKS hardening, RBAC, k8s hygiene.",
)
