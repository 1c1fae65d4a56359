"""A sweeping process for the two-process test: issue a database's due certificates.

    python -m tests.schedules.certificate_child --db URL --at ISO-INSTANT [--batch N]

Sweeps once at the given instant, then prints what it did as JSON and exits.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from datetime import datetime

from core.config import CertificateConfig, CoreConfig
from db.engine import create_engine, create_sessions
from schedules.certificates import CertificateSweep


async def _run(args: argparse.Namespace) -> dict[str, int]:
    engine = create_engine(args.db)
    try:
        config = CoreConfig(certificates=CertificateConfig(public_url="https://dn.example.id"))
        sweep = CertificateSweep(create_sessions(engine), config, ["telegram"], batch=args.batch)
        report = await sweep.run(datetime.fromisoformat(args.at))
    finally:
        await engine.dispose()
    return {"issued": report.issued, "notices": report.notices}


def main() -> None:
    """Parse the arguments, sweep, print the report."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--at", required=True)
    parser.add_argument("--batch", type=int, default=50)
    print(json.dumps(asyncio.run(_run(parser.parse_args()))))


if __name__ == "__main__":
    main()
