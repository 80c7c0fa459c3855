def test_long_lists_show_their_ends_and_say_how_many_were_left_out():
    from notices.evidence.report import ROWS_SHOWN, _capped

    items = list(range(ROWS_SHOWN * 3))
    shown = list(_capped(items))  # type: ignore[arg-type]
    assert [i for i, _ in shown[: ROWS_SHOWN // 2]] == items[: ROWS_SHOWN // 2]
    assert shown[ROWS_SHOWN // 2] == (None, ROWS_SHOWN * 2)
    assert [i for i, _ in shown[-(ROWS_SHOWN // 2) :]] == items[-(ROWS_SHOWN // 2) :]
    assert [i for i, _ in _capped(items[:ROWS_SHOWN])] == items[:ROWS_SHOWN]  # type: ignore[arg-type]
