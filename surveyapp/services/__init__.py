"""Services shared by blueprints and commands (audit, geography, waves, API tokens): they
flush, the caller commits."""
