"""aksflow's CrossGuard policies as pure functions over plain dicts (see model.py)."""
