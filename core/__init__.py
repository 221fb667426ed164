"""The ground every stage stands on: data classes, enums, errors with their exit codes, settings.

Imports nothing of the project (``tests/architecture/test_import_graph.py`` checks it).
"""
