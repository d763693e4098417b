"""Policy gate: load the CrossGuard pack in-process, evaluate it faithfully, report."""
