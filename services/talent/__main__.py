"""``python -m services.talent [serve|migrate]``"""

import sys

from services.common.server import main
from services.common.settings import load_settings
from services.talent.service import DEFINITION
from services.talent.settings import TalentSettings

main(load_settings(TalentSettings), DEFINITION, sys.argv[1:])
