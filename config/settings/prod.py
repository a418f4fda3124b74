"""Production: identical to base except that DEBUG may never be switched on.

Everything else (secrets, database, broker, SMTP, hosts) comes from the environment.
"""

from django.core.exceptions import ImproperlyConfigured

from config.settings.base import *  # noqa: F403
from config.settings.base import DEBUG

if DEBUG:
    raise ImproperlyConfigured("DJANGO_DEBUG must be off with config.settings.prod")

STORAGES["staticfiles"]["BACKEND"] = "whitenoise.storage.CompressedManifestStaticFilesStorage"  # noqa: F405
