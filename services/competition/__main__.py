"""``python -m services.competition [serve|migrate]``"""

import sys

from services.common.server import main
from services.common.settings import load_settings
from services.competition.service import DEFINITION
from services.competition.settings import CompetitionSettings

main(load_settings(CompetitionSettings), DEFINITION, sys.argv[1:])
