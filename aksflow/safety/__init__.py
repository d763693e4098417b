"""AKS-aware change safety: node-pool rotation, workload blast radius, upgrade planning, cost.

Pure functions over stack exports and the diff's plan (:mod:`aksflow.safety.analysis`), with
their data shipped beside them (``data/prices.json``, ``data/aks_versions.json``) and the
project's per-environment limits in ``safety.yaml`` (:mod:`aksflow.safety.settings`).
"""
