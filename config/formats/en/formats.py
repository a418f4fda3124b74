# English uses the same dd/mm/yyyy dates as Vietnamese (Vietnamese first), with English numbers:
# "5,260" and "102.5 %" (the Vietnamese pages write "5.260" and "102,5 %").
from config.formats.vi.formats import *  # noqa: F403

DECIMAL_SEPARATOR = "."
THOUSAND_SEPARATOR = ","
