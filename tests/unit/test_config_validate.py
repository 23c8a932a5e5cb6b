"""Former home of the config validation tests; now only the name of their helpers.

The tests moved to tests/unit/test_config_validate_*.py (split by topic) and the helpers to
tests/unit/config_validate_support.py. tests/unit/test_config_knowledge.py still imports
the helpers from this module, so it re-exports them until that import is changed; this
module holds no tests.
"""

from __future__ import annotations

from tests.unit.config_validate_support import (
    SAMPLE,
    STEPS,
    TEAM,
    TOPIC,
    find,
    issues_of,
    line_of,
    mutate,
)

__all__ = ["SAMPLE", "STEPS", "TEAM", "TOPIC", "find", "issues_of", "line_of", "mutate"]
