"""``python -m services.portal``: the judges' portal."""

from services.portal.web.app import main

main()
