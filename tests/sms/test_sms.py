"""Switching by SMS, through HTTP against a real `notices serve`, signed as Twilio signs."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.support.log import query, raw_log, records
from tests.support.published import published
from tests.support.site import site_files
from tests.support.sms import COMPANY, MAIJA, OSKARI, PIN, PUBLIC, STRANGER, finished, switched
from tests.support.twilio import TOKEN

pytestmark = pytest.mark.integration

EMPTY = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


def code_in(message: str) -> str:
    found = re.findall(r"\b\d{6}\b", message)
    assert len(found) == 1, message
    return found[0]


def refusals(home: Path) -> list[dict]:
    return [r["payload"] for r in records(home, "sms.refused")]


def test_code_from_an_allowed_sender_switches_every_channel_and_confirms(gateway, notices):
    gw = gateway()
    answer = gw.text(MAIJA, "evakuoi 4h")
    assert answer.status_code == 200
    assert answer.content == EMPTY

    code_message = gw.next_reply(MAIJA, 0)
    assert "EVAKUOI 4h" in code_message and "vahvista" in code_message
    code = code_in(code_message)
    time.sleep(0.5)
    assert not switched(gw.home), "nothing may switch before the second factor"

    assert gw.text(MAIJA, code).content == EMPTY
    started = finished(gw.home, "evacuate")
    assert started["payload"]["ok"] is True
    assert started["actor"] == "Maija Virtanen"
    command = records(gw.home, "command.started")[0]
    assert command["actor"] == "Maija Virtanen"
    assert command["payload"]["arguments"]["channel"] == "sms"
    assert command["payload"]["arguments"]["for"] == "4h"
    assert command["payload"]["arguments"]["factor"] == "code"

    confirmation = gw.next_reply(MAIJA, 1)
    assert confirmation.startswith("notices: EVAKUOI 4h tehty."), confirmation
    for channel in ("phone", "website", "mail"):
        assert f"{channel}: vaihdettu" in confirmation
    assert "Automaattinen paluu" in confirmation and " klo " in confirmation

    # What the CLI sees: every channel in evacuation, the resume planned.
    status = notices("status", "--json").json()
    assert status["mode"] == "evacuate"
    assert all(c["ok"] and c["state"] == "evacuate" for c in status["channels"])
    assert status["planned_resume"] == status["expected_return"]
    assert "<Say" in site_files(gw.home)["greeting.xml"].decode()

    # Back to normal the same way, in Swedish this time.
    gw.text(MAIJA, "ÅTERGÅ")
    resume_code = code_in(gw.next_reply(MAIJA, 2))
    gw.text(MAIJA, resume_code)
    assert finished(gw.home, "resume")["payload"]["ok"] is True
    restored = gw.next_reply(MAIJA, 3)
    assert restored.startswith("notices: ÅTERGÅ klart."), restored
    assert "phone: återställd" in restored
    assert notices("status", "--json").json()["mode"] == "normal"
    cancelled = records(gw.home, "resume.cancelled")
    assert cancelled and cancelled[0]["actor"] == "Maija Virtanen"

    # The chain verifies; no staff number, no token, no code in any hashed record.
    assert notices("log", "verify").exit_code == 0
    log = raw_log(gw.home)
    for secret in (MAIJA, OSKARI, TOKEN, code, resume_code, MAIJA.lstrip("+")):
        assert secret not in log
    accepted = records(gw.home, "sms.accepted")
    assert [r["actor"] for r in accepted] == ["Maija Virtanen", "Maija Virtanen"]


def test_pin_runs_at_once_and_replies_in_the_language_of_the_keyword(gateway):
    gw = gateway()
    gw.text(OSKARI, f"POWER-OUT 2h {PIN}")
    assert finished(gw.home, "power-out")["payload"]["ok"] is True
    reply = gw.next_reply(OSKARI, 0)
    assert reply.startswith("notices: POWER-OUT 2h done."), reply
    assert "website: switched" in reply and "Automatic resume on " in reply
    assert len(gw.replies(OSKARI)) == 1, "a PIN needs no code"
    command = records(gw.home, "command.started")[0]
    assert command["actor"] == "Oskari Lind"
    assert command["payload"]["arguments"]["factor"] == "pin"
    # As a word: a random hex digest holds "4711" in about 2 % of runs.
    assert not re.search(rf"\b{PIN}\b", raw_log(gw.home))

    # STATUS needs the second factor too; with the PIN it answers at once.
    gw.text(OSKARI, f"TILA {PIN}")
    status = gw.next_reply(OSKARI, 1)
    assert status.startswith("notices: tila SÄHKÖKATKO alkaen"), status
    assert "phone: SÄHKÖKATKO" in status and "Automaattinen paluu" in status


def test_a_wrong_pin_is_refused(gateway):
    gw = gateway()
    gw.text(OSKARI, "EVAKUOI 4h 1234")
    assert "väärä PIN" in gw.next_reply(OSKARI, 0)
    assert not switched(gw.home)
    assert refusals(gw.home)[-1]["reason"] == "wrong PIN"


def test_invalid_signatures_are_refused_and_logged(gateway):
    gw = gateway()
    loopback = gw.address + "_notices/sms"
    attempts = {
        "wrong token": gw.text(MAIJA, "EVAKUOI", token="not-the-token"),
        # What a validator trusting the Host header would accept: signed for the local URL.
        "signed for the Host": gw.text(MAIJA, "EVAKUOI", url=loopback),
        "another path": gw.text(MAIJA, "EVAKUOI", url=f"{PUBLIC}/elsewhere"),
        "no signature": gw.text(MAIJA, "EVAKUOI", signature=""),
    }
    for what, answer in attempts.items():
        assert answer.status_code == 403, what
    # A body altered after signing.
    params = {"MessageSid": "SM" + "1" * 32, "From": MAIJA, "To": COMPANY, "Body": "TILA"}
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(TOKEN).compute_signature(f"{PUBLIC}/_notices/sms", params)
    assert gw.post({**params, "Body": "EVAKUOI"}, signature=signature).status_code == 403

    time.sleep(0.5)
    assert [r["reason"] for r in refusals(gw.home)] == ["invalid signature"] * 5
    assert gw.replies(MAIJA) == [], "no code is sent for an unsigned request"
    assert not switched(gw.home)
    # The sender of an unsigned request is personal data: only its keyed digest is logged.
    assert all(r["sender"].startswith("hmac-sha256:") for r in refusals(gw.home))
    assert MAIJA not in raw_log(gw.home)


def test_an_unknown_sender_gets_no_hint_and_only_a_digest_is_logged(gateway):
    gw = gateway()
    for body in ("EVAKUOI 4h", "HELP", "123456"):
        answer = gw.text(STRANGER, body)
        assert answer.status_code == 200 and answer.content == EMPTY
    time.sleep(0.5)
    assert gw.replies(STRANGER) == []
    refused = refusals(gw.home)
    assert [r["reason"] for r in refused] == ["unknown sender"] * 3
    assert not switched(gw.home)
    log = raw_log(gw.home)
    assert STRANGER not in log and STRANGER.lstrip("+") not in log
    # The number itself is kept apart, erasable, under the digest the log holds.
    kept = dict(query(gw.home / "notices.db", "SELECT ref, value FROM personal"))
    assert {kept[r["sender"]] for r in refused} == {STRANGER}


def test_a_wrong_code_is_refused(gateway):
    gw = gateway()
    gw.text(MAIJA, "EVACUATE 4h")
    code = code_in(gw.next_reply(MAIJA, 0))
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    gw.text(MAIJA, wrong)
    assert "wrong code" in gw.next_reply(MAIJA, 1)
    # Another staff member's phone cannot answer Maija's code.
    gw.text(OSKARI, code)
    assert "ei vahvistettavaa komentoa" in gw.next_reply(OSKARI, 0)
    reasons = [r["reason"] for r in refusals(gw.home)]
    assert reasons == ["wrong code", "code without a command"]
    assert not switched(gw.home)
    # The right code still works after one wrong one (3 tries by default).
    gw.text(MAIJA, code)
    assert finished(gw.home, "evacuate")["payload"]["ok"] is True


def test_an_expired_code_is_refused(gateway):
    gw = gateway(code_lifetime_s=2)
    gw.text(MAIJA, "EVACUATE 4h")
    message = gw.next_reply(MAIJA, 0)
    assert "within 2 s" in message
    time.sleep(2.5)
    gw.text(MAIJA, code_in(message))
    assert "expired" in gw.next_reply(MAIJA, 1)
    # The expired code is gone for good.
    gw.text(MAIJA, code_in(message))
    assert "no command is waiting" in gw.next_reply(MAIJA, 2)
    reasons = [r["reason"] for r in refusals(gw.home)]
    assert reasons == ["expired code", "code without a command"]
    assert not switched(gw.home)


def test_a_replayed_request_is_refused(gateway):
    gw = gateway()
    gw.text(MAIJA, "TILA", sid="SM" + "ab" * 16)
    code = code_in(gw.next_reply(MAIJA, 0))
    # An eavesdropper replays the code message with its valid signature: refused, even
    # after the command it confirmed has run.
    answer_sid = "SM" + "cd" * 16
    gw.text(MAIJA, code, sid=answer_sid)
    status = gw.next_reply(MAIJA, 1)
    assert status.startswith("notices: tila normaali"), status
    gw.text(MAIJA, code, sid=answer_sid)
    gw.text(MAIJA, "TILA", sid="SM" + "ab" * 16)
    time.sleep(0.5)
    assert len(gw.replies(MAIJA)) == 2, "a replay sends no new code"
    assert [r["reason"] for r in refusals(gw.home)] == ["replayed request"] * 2
    assert len(records(gw.home, "sms.accepted")) == 1


def test_too_many_attempts_lock_the_sender_out(gateway):
    gw = gateway(max_failures_per_sender=3, code_attempts=10)
    gw.text(MAIJA, "EVAKUOI")
    code = code_in(gw.next_reply(MAIJA, 0))
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for n in range(3):
        gw.text(MAIJA, wrong)
        gw.next_reply(MAIJA, 1 + n)
    # Now even the right code is refused, and so is a new command.
    gw.text(MAIJA, code)
    assert "liian monta epäonnistunutta yritystä" in gw.next_reply(MAIJA, 4)
    gw.text(MAIJA, "EVAKUOI")
    time.sleep(0.5)
    assert len(gw.replies(MAIJA)) == 5, "told once that it is locked, not at every attempt"
    reasons = [r["reason"] for r in refusals(gw.home)]
    assert reasons == ["wrong code"] * 3 + ["too many failed attempts"], "logged once too"
    assert not switched(gw.home)
    # Other staff are not locked out by one sender's failures.
    gw.text(OSKARI, f"TILA {PIN}")
    assert gw.next_reply(OSKARI, 0).startswith("notices: tila")


def test_a_hundred_unknown_senders_lock_nobody_out_and_do_not_fill_the_log(gateway):
    gw = gateway(max_failures_total=10, max_failures_per_sender=3)
    # 50 texts from one number and one text each from 50 others, all signed by Twilio.
    for n in range(50):
        assert gw.text(STRANGER, "EVAKUOI").status_code == 200
        assert gw.text(f"+3584055{n:05d}", "EVAKUOI").status_code == 200
    gw.text(OSKARI, f"EVACUATE {PIN}")
    assert finished(gw.home, "evacuate")["payload"]["ok"] is True
    assert gw.next_reply(OSKARI, 0).startswith("notices: EVACUATE done."), gw.replies(OSKARI)
    refused = refusals(gw.home)
    assert all(r["reason"] == "unknown sender" for r in refused)
    # Up to 3 per number and 10 for all unknown numbers together, each limit then logged
    # once more, saying so: STRANGER 3 + 1, four others, then the one over the total.
    assert len(refused) == 10, len(refused)
    assert [r.get("more_not_logged") for r in refused].count(True) == 2
    assert refused[-1]["more_not_logged"] is True
    # Without a record, no number is kept either.
    assert query(gw.home / "notices.db", "SELECT count(*) FROM personal")[0][0] == 10


def test_a_staff_number_under_attack_keeps_its_pending_code(gateway):
    gw = gateway(max_codes_per_hour=2)
    gw.text(MAIJA, "EVAKUOI 4h")
    first = code_in(gw.next_reply(MAIJA, 0))
    # Someone texting as Maija asks for codes again and again.
    for _ in range(5):
        gw.text(MAIJA, "TILA")
    time.sleep(1)
    sent = gw.replies(MAIJA)
    assert len(sent) == 3, sent  # the 2 codes of the hour, then told once: no more
    assert "2 koodia" in sent[2]
    refused = [r for r in refusals(gw.home) if r["reason"] == "too many code requests"]
    assert len(refused) == 1, "the limit is logged once in its window"
    # The first code still confirms the command it was sent for.
    gw.text(MAIJA, first)
    assert finished(gw.home, "evacuate")["payload"]["ok"] is True


def test_the_limits_survive_a_restart_of_serve(gateway):
    gw = gateway(max_failures_per_sender=2)
    for n in range(2):
        gw.text(MAIJA, "123456")
        gw.next_reply(MAIJA, n)
    gw.process.terminate()
    gw.process.communicate(timeout=20)
    again = gateway(max_failures_per_sender=2)
    again.text(MAIJA, "TILA")
    assert "liian monta" in again.next_reply(MAIJA, 0)


def test_without_an_auth_token_unsigned_requests_write_one_record(gateway):
    gw = gateway(unset=("TWILIO_AUTH_TOKEN",))
    started = time.monotonic()
    answers = {gw.text(STRANGER, "EVAKUOI", signature="x").status_code for _ in range(300)}
    took = time.monotonic() - started
    assert answers == {503}
    reasons = [r["reason"] for r in refusals(gw.home)]
    assert len(reasons) == 1 and reasons[0].startswith("no auth token"), reasons
    assert len(records(gw.home)) <= 3, "at most a handful of records"
    print(f"300 unsigned POSTs without a token: {took:.2f} s, {len(records(gw.home))} records")


def test_invalid_signatures_are_logged_up_to_the_limit(gateway):
    gw = gateway(max_failures_total=3)
    for _ in range(50):
        assert gw.text(MAIJA, "EVAKUOI", signature="forged").status_code == 403
    refused = refusals(gw.home)
    assert [r["reason"] for r in refused] == ["invalid signature"] * 4
    assert [r["more_not_logged"] for r in refused] == [False] * 3 + [True]
    # Staff are not locked out by them.
    gw.text(OSKARI, f"TILA {PIN}")
    assert gw.next_reply(OSKARI, 0).startswith("notices: tila")


def test_a_failure_is_reported_in_plain_words(gateway, home):
    gw = gateway()
    # The mail channel's folder is a file: that channel fails, the others switch.
    (home / "blocked").write_text("not a folder")
    config = (home / "notices.toml").read_text()
    config += (
        '\n[channels.phone]\nkind = "local_voice"\n[channels.website]\nkind = "local_banner"\n'
    )
    config += '[channels.mail]\nkind = "local_email"\nfolder = "blocked"\n'
    (home / "notices.toml").write_text(config)
    gw.text(OSKARI, f"EVACUATE {PIN}")
    assert finished(gw.home, "evacuate")["payload"]["ok"] is False
    reply = gw.next_reply(OSKARI, 0)
    assert reply.startswith("notices: EVACUATE FAILED on some channels."), reply
    assert "phone: switched" in reply and "mail: FAILED: " in reply
    assert "No return time: send RESUME" in reply
    assert "Send the command again" in reply


def test_texts_that_are_no_command_get_a_bounded_number_of_answers(gateway):
    gw = gateway(max_failures_per_sender=3)
    for _ in range(10):  # from a spoofed staff number, say
        gw.text(MAIJA, "HELLO?")
    time.sleep(1)
    assert len(gw.replies(MAIJA)) == 3, gw.replies(MAIJA)
    refused = refusals(gw.home)
    assert [r["reason"] for r in refused] == ["not a command"] * 4
    assert refused[-1]["more_not_logged"] is True
    # Not counted as failures: the number is not locked out, a command still gets its code.
    gw.text(MAIJA, "EVAKUOI")
    assert code_in(gw.next_reply(MAIJA, 3))


def test_a_reason_by_sms_is_said_in_the_keywords_language_only(gateway):
    gw = gateway()
    gw.text(OSKARI, f"UTRYM 2h Brandlarm i huset {PIN}")
    assert finished(gw.home, "evacuate")["payload"]["ok"] is True
    for channel, by_lang in published(gw.home).items():
        assert "Brandlarm i huset." in " ".join(by_lang["sv"].split()), channel
        assert "Brandlarm" not in by_lang["fi"] + by_lang["en"], channel
    command = records(gw.home, "command.started")[0]
    assert command["payload"]["arguments"]["reason"] == "Brandlarm i huset"


def test_a_bad_reason_by_sms_is_refused_and_nothing_runs(gateway):
    gw = gateway()
    gw.text(OSKARI, f"EVACUATE 2h de:Feueralarm {PIN}")
    assert "'de' is not one of the configured languages" in gw.next_reply(OSKARI, 0)
    time.sleep(0.5)
    assert not switched(gw.home)
    assert refusals(gw.home)[-1]["reason"] == "bad reason"


def test_a_command_sent_again_never_moves_the_return_earlier(gateway, notices):
    gw = gateway()
    gw.text(OSKARI, f"EVAKUOI 4h {PIN}")
    assert finished(gw.home, "evacuate")["payload"]["ok"] is True
    before = notices("status", "--json").json()["expected_return"]
    gw.text(OSKARI, f"EVAKUOI 1h {PIN}")
    reply = gw.next_reply(OSKARI, 1)
    assert "would move it earlier" in reply, reply
    assert notices("status", "--json").json()["expected_return"] == before
    assert len(records(gw.home, "command.finished")) == 1


def test_extend_by_sms_adds_to_the_current_return(gateway, notices):
    from datetime import datetime, timedelta

    def returning() -> datetime:
        stamp = notices("status", "--json").json()["expected_return"]
        return datetime.fromisoformat(stamp.replace("Z", "+00:00"))

    gw = gateway()
    gw.text(OSKARI, f"EVAKUOI 4h {PIN}")
    assert finished(gw.home, "evacuate")["payload"]["ok"] is True
    before = returning()
    gw.text(OSKARI, f"JATKA 30m {PIN}")
    assert finished(gw.home, "extend")["payload"]["ok"] is True
    assert returning() == before + timedelta(minutes=30)
    reply = gw.next_reply(OSKARI, 1)
    assert reply.startswith("notices: JATKA 30m tehty."), reply
    assert "Paluuaika siirretty:" in reply and " → " in reply
