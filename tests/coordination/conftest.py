"""Fixtures of the coordination tests (the styrgrupp builders live in styrgrupp.py)."""

from tests.coordination.consultation import konsult  # noqa: F401
from tests.coordination.statistics_data import year  # noqa: F401
from tests.coordination.styrgrupp import styrgrupp  # noqa: F401
