"""Every `CompositionError` the composer raises, one case each: `tests/compose_cases/`.

A case is WAT plus the steps that make the composer fail (`case.json`) and the error it
must raise, class, message and fields (`expected.json`; `BLESS=1` rewrites them). The
format is described in `tests/support/compose_cases.py`.
"""

from __future__ import annotations

import pytest

from support.compose_cases import case_names, check_case


@pytest.mark.parametrize("name", case_names())
def test_compose_error_case(name: str) -> None:
    check_case(name)
