"""The rules of the domain, beneath the blueprints: each rule has one home here or on a model.

Blueprints (and the CLI) import from here; nothing here imports a blueprint.
"""
