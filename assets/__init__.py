"""This folder is the package data ``production._assets`` of the built wheel (see pyproject.toml).

Code reads these files through ``production.assets``, never by a path of its own.
"""
