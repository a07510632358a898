"""``python -m monitoring.settings``: print Pulumi.yaml's config block; ``--write`` updates Pulumi.yaml and README.md."""

import sys
from pathlib import Path

import yaml

from monitoring.settings.generate import project_config_block, write

if "--write" in sys.argv[1:]:
    write(Path(__file__).resolve().parents[2])
else:
    yaml.safe_dump({"config": project_config_block()}, sys.stdout, sort_keys=False, width=120)
