"""A local Zuora Mediation ingestion emulator (demo mode, tests, benchmarks).

Standard library plus ``zmed_gui.core.schema`` only.
"""

from zmed_gui.emulator.config import (
    DEMO_CLIENT_ID,
    DEMO_CLIENT_SECRET,
    DEMO_METER_ID,
    EmulatorConfig,
    demo_schema,
)
from zmed_gui.emulator.faults import FAULT_KINDS, Fault, FaultPlan
from zmed_gui.emulator.server import Emulator

__all__ = [
    "DEMO_CLIENT_ID",
    "DEMO_CLIENT_SECRET",
    "DEMO_METER_ID",
    "FAULT_KINDS",
    "Emulator",
    "EmulatorConfig",
    "Fault",
    "FaultPlan",
    "demo_schema",
]
