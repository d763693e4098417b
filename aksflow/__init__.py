"""aksflow: offline previews, policy gates and PR diffs for an AKS platform."""
