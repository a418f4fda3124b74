"""Local development (the default of manage.py): base settings with DJANGO_DEBUG on unless set.

Production never uses this module: WSGI/ASGI default to config.settings.prod, and operators set
DJANGO_SETTINGS_MODULE=config.settings.prod for management commands (README).
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "1")

from config.settings.base import *  # noqa: E402, F403
