"""The paved-path modules, shipped inside meshctl as ``meshctl.builtin_modules``.

Each folder is a module (HCL and its templates), read as package data through
``importlib.resources``; see ``setup.py`` for the mapping and README.md for the modules.
"""
