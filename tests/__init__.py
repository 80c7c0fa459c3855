import pytest

# tests/support's helpers assert as the tests do (many lived in conftest.py, which pytest
# rewrites): registered before anything imports them, so a failure is explained as in a test.
pytest.register_assert_rewrite("tests.support")
