"""Services shared by blueprints and commands: they flush, the caller commits."""
