"""The web app (``massca ui``): build a scenario, launch runs, follow them, view, compare.

``spec`` (what a user asks for, validated), ``launcher`` (runs as background processes,
followed through their status API), ``views`` (one view per run kind, plug-ins),
``app`` (the Dash app and ``massca ui``).
"""
