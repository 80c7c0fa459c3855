"""What the tests share: stand-in servers, their data and the readers of what a run leaves
behind, one job per module. Test modules import from here, never from one another; pytest
fixtures that several folders use live in the nearest common conftest.py."""
