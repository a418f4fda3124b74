# English uses the same dd/mm/yyyy formats as Vietnamese (Vietnamese first).
from config.formats.vi.formats import *  # noqa: F403
