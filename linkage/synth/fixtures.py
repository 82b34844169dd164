"""Regenerate the repository's small fixtures (data/fixtures/) and the demo config (configs/demo.yaml).

    python -m linkage.synth.fixtures          # from the repository root

The fixtures are the files of `linkage synth --people 1000 --seed 2024` (about 4,100 records across all nine
systems, under 1 MB); configs/demo.yaml reads them and writes its run to out/demo.
"""

from __future__ import annotations

import json
from pathlib import Path

from linkage.synth.generate import command_line, config_text, generate

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "data" / "fixtures"
DEMO_CONFIG = REPO / "configs" / "demo.yaml"
PEOPLE, SEED, NOISE = 1000, 2024, "default"


def demo_config(summary: dict) -> str:
    """configs/demo.yaml for fixtures described by `summary` (truth_summary.json)."""
    header = (f"Demo run on data/fixtures/, made by `{command_line(PEOPLE, SEED, NOISE)} --out data/fixtures`\n"
              "(python -m linkage.synth.fixtures); check a run with\n"
              "linkage evaluate --truth data/fixtures/truth.parquet out/demo")
    return config_text(summary["sources"], header, name="demo", output="../out/demo",
                       prefix="../data/fixtures/", region=summary["generator"]["city"])


def main() -> None:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    for old in FIXTURES.iterdir():
        if old.is_file():
            old.unlink()
    summary = generate(FIXTURES, PEOPLE, seed=SEED, noise=NOISE)
    (FIXTURES / "config.yaml").unlink()  # configs/demo.yaml is the fixtures' config
    DEMO_CONFIG.parent.mkdir(parents=True, exist_ok=True)
    DEMO_CONFIG.write_text(demo_config(summary), encoding="utf-8")
    records = sum(t["records"] for t in summary["entity_types"].values())
    print(f"{records:,} records in {FIXTURES}; {DEMO_CONFIG} written")


def load_summary(folder: Path = FIXTURES) -> dict:
    return json.loads((folder / "truth_summary.json").read_text(encoding="utf-8"))


if __name__ == "__main__":
    main()
