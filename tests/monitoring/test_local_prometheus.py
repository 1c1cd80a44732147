"""deploy/local/prometheus.yml (what `make monitor` runs) is valid and scrapes the ports the services
listen on by default, under the job names the alert rules expect."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from services.competition.settings import CompetitionSettings
from services.talent.settings import TalentSettings

CONFIG = Path(__file__).parents[2] / "deploy" / "local" / "prometheus.yml"


def test_jobs_scrape_the_default_metrics_ports() -> None:
    config = yaml.safe_load(CONFIG.read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert targets == {
        "talent": [f"127.0.0.1:{TalentSettings.model_fields['metrics_port'].default}"],
        "competition": [f"127.0.0.1:{CompetitionSettings.model_fields['metrics_port'].default}"],
    }


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool missing: apt-get install prometheus")
def test_promtool_accepts_the_config_and_its_rules() -> None:
    result = subprocess.run(["promtool", "check", "config", str(CONFIG)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rules found" in result.stdout
