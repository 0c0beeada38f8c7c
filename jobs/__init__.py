"""Background jobs run by RQ workers: the export pipeline and its steps."""
