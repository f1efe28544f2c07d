"""The domain layer: rules that the blueprints, the CLI and the jobs share, beneath them."""
