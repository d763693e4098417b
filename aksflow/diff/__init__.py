"""Pull-request previews: preview base and head offline, diff the plans, render one comment.

Modules, one job each: ``git`` (revisions and worktrees), ``runner`` (the preview subprocess),
``paths`` (property paths), ``replace`` (replace-on-change rules from data), ``plan`` (the
per-stack diff of two stack exports), ``risk`` (ranking), ``policyconfig`` (enforcement-level
changes), ``model`` (the result types), ``comment`` (the sticky markdown comment), ``report``
(``diff.json`` and atomic writes), ``service`` (the whole ``aksflow diff``) and ``cli``.
"""
