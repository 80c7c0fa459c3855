"""The dossier's PDF: what happened, what every channel published, who got in touch, and the
hashes that tie it all to the log. fpdf2 (PDF/A-3B, the bundled DejaVu font embedded),
matplotlib for the chart; both imported only when a report is made."""

from __future__ import annotations

import io
import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib.resources import files as package_files
from typing import Any
from zoneinfo import ZoneInfo

from notices.evidence.log import Record
from notices.evidence.personal import mask
from notices.timeparse import from_stamp

LABELS: dict[str, dict[str, str]] = {
    "fi": {
        "title": "Poikkeustilanneraportti",
        "period": "Ajanjakso",
        "generated": "Laadittu",
        "summary": "Yhteenveto",
        "incident": "Tapahtuma",
        "mode": "Tila",
        "reason": "Syy",
        "started_by": "Käynnisti",
        "host": "koneelta",
        "started": "Alkoi",
        "planned": "Arvioitu paluu",
        "changes": "Muutokset arvioituun paluuseen",
        "no_changes": "Ei muutoksia.",
        "ended": "Palautettu normaaliksi",
        "not_ended": "ei vielä palautettu",
        "duration": "Kesto yhteensä",
        "unknown": "ei ilmoitettu",
        "timeline": "Aikajana",
        "timeline_contacts": "{n} saapunutta yhteydenottoa on lueteltu kohdassa"
        ' "Yhteydenotot poikkeustilanteen aikana".',
        "time": "Aika",
        "who": "Kuka",
        "event": "Tapahtuma",
        "channel": "Kanava",
        "detail": "Tiedot",
        "texts": "Kanavien julkaisemat tekstit",
        "texts_intro": "Kunkin kanavan julkaisema teksti sellaisenaan, kaikilla kielillä,"
        " ja sen SHA-256-tiiviste.",
        "same_as_before": "sama teksti kuin edellä (sama SHA-256)",
        "omitted": "… {n} riviä jätetty tästä pois; kaikki ovat liitteissä events.csv ja"
        " events.jsonl.",
        "republished": "Julkaistu uudelleen samana tekstinä (sama SHA-256) {n} kertaa.",
        "confirmations": "Palveluntarjoajien vahvistukset",
        "read_back": "Luettu takaisin",
        "provider_record": "Palveluntarjoajan oma kirjaus muutoksista",
        "number": "Numero",
        "ours": "Oma aikamme",
        "theirs": "Palveluntarjoajan aika",
        "difference": "Ero (s)",
        "provider_missing": "palveluntarjoaja ei ollut kirjannut muutosta: {reason}",
        "holds": "vastaa julkaistua",
        "differs": "EI vastaa julkaistua",
        "errors": "Virheet ja uudelleenyritykset",
        "no_errors": "Ei virheitä eikä uudelleenyrityksiä.",
        "contacts": "Yhteydenotot poikkeustilanteen aikana",
        "no_record": "Kanavan {channel} palveluntarjoaja ei säilytä tietoja yhteydenotoista,"
        " joten niitä ei voida esittää.",
        "collect_error": "Kanavan {channel} yhteydenottoja ei saatu haettua: {error}",
        "received": "Kanava {channel}: {n} yhteydenottoa.",
        "not_collected": "Yhteydenottoja ei ole haettu palveluntarjoajilta (notices log"
        " contacts --incident ...).",
        "party": "Yhteydenottaja",
        "erased": "(poistettu säilytysajan päätyttyä)",
        "masked_note": "Puhelinnumerot ja osoitteet on peitetty.",
        "chart": "Kanavien tila ja saapuneet yhteydenotot",
        "chart_contacts": "Yhteydenotot / 15 min",
        "state_normal": "normaali",
        "state_notice": "poikkeustiedote",
        "state_failed": "virhe",
        "hashes": "Tiivisteet ja tarkistaminen",
        "verify_intro": "Tämä raportti on osa vientikansiota (report.pdf, events.csv,"
        " events.jsonl, manifest.json). Raporttiin on liitetty events.jsonl ja manifest.json.",
        "first": "Ensimmäinen tietue",
        "last": "Viimeinen tietue",
        "previous": "Edellisen tietueen ketjutiiviste",
        "log_head": "Koko lokin ketjun pää vientihetkellä",
        "key": "Allekirjoitusavaimen (Ed25519) sormenjälki",
        "files": "Tiedostojen SHA-256",
        "how": "Näin tarkistat",
        "how_text": "1. Aja `notices log verify KANSIO`: se tarkistaa tiedostojen tiivisteet,"
        " manifestin allekirjoituksen, jokaisen tietueen tiivisteen, ketjun jatkuvuuden ja sen,"
        " että ensimmäinen tietue jatkaa ilmoitettua edellistä ketjutiivistettä.\n"
        "2. Ilman ohjelmaa: record_hash = SHA-256(0x00 || JCS(tietue)), missä JCS on RFC 8785"
        " -kanoninen JSON kentistä seq, ts, actor, host, incident, kind, channel, payload;"
        " link_hash = SHA-256(0x01 || edellinen link_hash || record_hash).\n"
        "3. Vertaa ketjun päätä talteen otettuun (heads.jsonl, aiemmat viennit, sähköposti).",
        "proves": "Mitä tarkistus todistaa: että tiedostot ovat samat kuin vietäessä ja että"
        " tietueet ovat peräkkäin muuttamattomina siinä ketjussa, jonka pää on yllä. Mitä se ei"
        " todista: että kellonajat olivat oikein tai ettei koko lokia ja avainta olisi"
        " kirjoitettu uudelleen ennen ensimmäistä muualle talletettua ketjun päätä.",
        "page": "Sivu",
        "yes": "kyllä",
        "no": "ei",
    },
    "sv": {
        "title": "Rapport om undantagsläge",
        "period": "Period",
        "generated": "Upprättad",
        "summary": "Sammanfattning",
        "incident": "Händelse",
        "mode": "Läge",
        "reason": "Orsak",
        "started_by": "Startad av",
        "host": "från datorn",
        "started": "Började",
        "planned": "Beräknad återgång",
        "changes": "Ändringar av beräknad återgång",
        "no_changes": "Inga ändringar.",
        "ended": "Återställd till normalt",
        "not_ended": "ännu inte återställd",
        "duration": "Total längd",
        "unknown": "inte angiven",
        "timeline": "Tidslinje",
        "timeline_contacts": '{n} inkommande kontakter listas under "Kontakter under'
        ' undantagsläget".',
        "time": "Tid",
        "who": "Vem",
        "event": "Händelse",
        "channel": "Kanal",
        "detail": "Uppgifter",
        "texts": "Texter som kanalerna publicerade",
        "texts_intro": "Varje kanals publicerade text ordagrant, på alla språk, med dess SHA-256.",
        "same_as_before": "samma text som ovan (samma SHA-256)",
        "omitted": "… {n} rader utelämnade här; alla finns i bilagorna events.csv och"
        " events.jsonl.",
        "republished": "Publicerad på nytt med samma text (samma SHA-256) {n} gånger.",
        "confirmations": "Leverantörernas bekräftelser",
        "read_back": "Avläst",
        "provider_record": "Leverantörens egen registrering av ändringarna",
        "number": "Nummer",
        "ours": "Vår tid",
        "theirs": "Leverantörens tid",
        "difference": "Skillnad (s)",
        "provider_missing": "leverantören hade inte registrerat ändringen: {reason}",
        "holds": "motsvarar det publicerade",
        "differs": "motsvarar INTE det publicerade",
        "errors": "Fel och nya försök",
        "no_errors": "Inga fel och inga nya försök.",
        "contacts": "Kontakter under undantagsläget",
        "no_record": "Leverantören för kanalen {channel} sparar inga uppgifter om kontakter,"
        " så de kan inte visas.",
        "collect_error": "Kontakterna för kanalen {channel} kunde inte hämtas: {error}",
        "received": "Kanal {channel}: {n} kontakter.",
        "not_collected": "Kontakterna har inte hämtats från leverantörerna.",
        "party": "Kontakt",
        "erased": "(raderad efter lagringstiden)",
        "masked_note": "Telefonnummer och adresser är maskerade.",
        "chart": "Kanalernas läge och inkommande kontakter",
        "chart_contacts": "Kontakter / 15 min",
        "state_normal": "normal",
        "state_notice": "meddelande",
        "state_failed": "fel",
        "hashes": "Hashvärden och kontroll",
        "verify_intro": "Rapporten ingår i en exportmapp (report.pdf, events.csv, events.jsonl,"
        " manifest.json). events.jsonl och manifest.json är bifogade i rapporten.",
        "first": "Första posten",
        "last": "Sista posten",
        "previous": "Föregående posts kedjehash",
        "log_head": "Hela loggens kedjehuvud vid exporten",
        "key": "Signaturnyckelns (Ed25519) fingeravtryck",
        "files": "Filernas SHA-256",
        "how": "Så kontrollerar du",
        "how_text": "1. Kör `notices log verify MAPP`.\n2. Utan programmet: record_hash ="
        " SHA-256(0x00 || JCS(post)), JCS enligt RFC 8785 av fälten seq, ts, actor, host,"
        " incident, kind, channel, payload; link_hash = SHA-256(0x01 || föregående link_hash"
        " || record_hash).\n3. Jämför kedjehuvudet med ett som sparats på annat håll.",
        "proves": "Kontrollen visar att filerna är oförändrade och att posterna följer"
        " oförändrade på varandra i kedjan. Den visar inte att klockorna gick rätt.",
        "page": "Sida",
        "yes": "ja",
        "no": "nej",
    },
    "en": {
        "title": "Incident report",
        "period": "Period",
        "generated": "Generated",
        "summary": "Summary",
        "incident": "Incident",
        "mode": "Mode",
        "reason": "Reason",
        "started_by": "Started by",
        "host": "from host",
        "started": "Started",
        "planned": "Planned return",
        "changes": "Changes to the planned return",
        "no_changes": "No changes.",
        "ended": "Back to normal",
        "not_ended": "not yet restored",
        "duration": "Total duration",
        "unknown": "not given",
        "timeline": "Timeline",
        "timeline_contacts": '{n} inbound contacts are listed under "Contacts during the'
        ' incident".',
        "time": "Time",
        "who": "Who",
        "event": "Event",
        "channel": "Channel",
        "detail": "Detail",
        "texts": "Texts the channels published",
        "texts_intro": "Each channel's published text verbatim, in every language, with its"
        " SHA-256.",
        "same_as_before": "same text as above (same SHA-256)",
        "omitted": "… {n} rows left out here; every one is in the attached events.csv and"
        " events.jsonl.",
        "republished": "Published again with the same text (same SHA-256) {n} times.",
        "confirmations": "Provider confirmations",
        "read_back": "Read back",
        "provider_record": "The provider's own record of the changes",
        "number": "Number",
        "ours": "Our time",
        "theirs": "Provider's time",
        "difference": "Difference (s)",
        "provider_missing": "the provider had not recorded the change: {reason}",
        "holds": "matches what was published",
        "differs": "does NOT match what was published",
        "errors": "Errors and retries",
        "no_errors": "No errors and no retries.",
        "contacts": "Contacts during the incident",
        "no_record": "The provider of channel {channel} keeps no record of contacts, so none"
        " can be shown.",
        "collect_error": "The contacts of channel {channel} could not be fetched: {error}",
        "received": "Channel {channel}: {n} contacts.",
        "not_collected": "Contacts have not been collected from the providers.",
        "party": "Contact",
        "erased": "(erased after the retention period)",
        "masked_note": "Phone numbers and addresses are masked.",
        "chart": "Channel state and inbound contacts",
        "chart_contacts": "Contacts / 15 min",
        "state_normal": "normal",
        "state_notice": "notice",
        "state_failed": "failed",
        "hashes": "Hashes and how to verify",
        "verify_intro": "This report is part of an export folder (report.pdf, events.csv,"
        " events.jsonl, manifest.json). events.jsonl and manifest.json are attached to it.",
        "first": "First record",
        "last": "Last record",
        "previous": "Link of the record before",
        "log_head": "Head of the whole log at export",
        "key": "Signing key (Ed25519) fingerprint",
        "files": "SHA-256 of the files",
        "how": "How to verify",
        "how_text": "1. Run `notices log verify DIR`.\n2. Without the tool: record_hash ="
        " SHA-256(0x00 || JCS(record)), JCS being RFC 8785 canonical JSON of seq, ts, actor,"
        " host, incident, kind, channel, payload; link_hash = SHA-256(0x01 || previous"
        " link_hash || record_hash).\n3. Compare the chain head with one kept elsewhere.",
        "proves": "The check proves the files are unchanged and the records follow each other"
        " unaltered in the chain. It does not prove the clocks were right.",
        "page": "Page",
        "yes": "yes",
        "no": "no",
    },
}

KIND_LABELS: dict[str, dict[str, str]] = {
    "fi": {
        "command.started": "komento alkoi",
        "command.finished": "komento päättyi",
        "incident.opened": "poikkeustila alkoi",
        "incident.updated": "poikkeustila päivitetty",
        "incident.closed": "poikkeustila päättyi",
        "channel.snapshot": "tallennettu ennen",
        "channel.applied": "julkaistu",
        "channel.verified": "luettu takaisin",
        "channel.retry": "uusi yritys",
        "channel.failed": "epäonnistui",
        "channel.restored": "palautettu",
        "channel.skipped": "ohitettu",
        "contact.received": "yhteydenotto",
        "contacts.collected": "yhteydenotot haettu",
    },
    "sv": {
        "command.started": "kommando började",
        "command.finished": "kommando slutfört",
        "incident.opened": "undantagsläge började",
        "incident.updated": "undantagsläge ändrat",
        "incident.closed": "undantagsläge slut",
        "channel.applied": "publicerat",
        "channel.verified": "avläst",
        "channel.retry": "nytt försök",
        "channel.failed": "misslyckades",
        "channel.restored": "återställt",
        "contact.received": "kontakt",
    },
    "en": {},
}


@dataclass
class ReportInput:
    records: list[Record]
    lang: str
    zone: ZoneInfo
    scope: str  # incident id or a period, for the title
    organisation: str | None
    mode_titles: dict[str, dict[str, str]]
    include_personal: bool
    held_values: dict[str, str]  # ref -> value still stored (erased ones are absent)
    manifest: dict[str, Any]
    attachments: dict[str, bytes] = field(default_factory=dict)
    generated: str = ""
    version: str = ""


def _font_path(name: str) -> str:
    return str(package_files("notices").joinpath(f"fonts/{name}"))


class _Text:
    def __init__(self, data: ReportInput) -> None:
        self.data = data
        self.labels = LABELS[data.lang]
        self.kinds = KIND_LABELS.get(data.lang, {})

    def __call__(self, key: str, **values: Any) -> str:
        text = self.labels[key]
        return text.format(**values) if values else text

    def kind(self, kind: str) -> str:
        return self.kinds.get(kind, kind)

    def when(self, stamp: str | None, seconds: bool = True) -> str:
        if not stamp:
            return self("unknown")
        local = from_stamp(stamp).astimezone(self.data.zone)
        return f"{local:%d.%m.%Y %H:%M:%S}" if seconds else f"{local:%d.%m.%Y %H:%M}"

    def party(self, ref: str) -> str:
        value = self.data.held_values.get(ref)
        if value is None:
            return self("erased")
        return value if self.data.include_personal else mask(value)


def _corroboration(entry: str, update: dict[str, Any], t: _Text) -> list[str]:
    """One row: the number, our time of the change, the provider's, the difference, and
    who and what the provider recorded (or why its record is missing)."""
    ours = str(update["at"])
    event = update.get("twilio_event")
    if not isinstance(event, dict):
        reason = str(update.get("twilio_event_missing") or t("unknown"))
        return [entry, t.when(ours), "—", "", t("provider_missing", reason=reason)]
    theirs = str(event.get("event_date"))
    difference = (from_stamp(theirs) - from_stamp(ours)).total_seconds()
    who = "/".join(str(v) for v in (event.get("actor_type"), event.get("source")) if v)
    properties = ", ".join(event.get("properties") or [])
    detail = f"{who}: {properties} ({event.get('event_type')} {event.get('sid')})"
    return [entry, t.when(ours), t.when(theirs), f"{difference:+.1f}", detail]


ROWS_SHOWN = 400  # per table: the first and last half; the attachments hold every record


def _capped(items: list[Record]) -> Iterator[tuple[Record | None, int]]:
    """The items, or for a long list its first and last ROWS_SHOWN / 2 with one marker
    (None, how many were left out) between them."""
    if len(items) <= ROWS_SHOWN:
        yield from ((item, 0) for item in items)
        return
    half = ROWS_SHOWN // 2
    yield from ((item, 0) for item in items[:half])
    yield None, len(items) - 2 * half
    yield from ((item, 0) for item in items[-half:])


def _duration(start: str, end: str) -> str:
    delta = from_stamp(end) - from_stamp(start)
    minutes = int(delta.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min"


def _brief(record: Record, t: _Text) -> str:
    p = record.payload
    kind = record.kind
    if kind == "command.started":
        args = {k: v for k, v in (p.get("arguments") or {}).items() if v}
        return (
            f"{p.get('command')} {json.dumps(args, ensure_ascii=False)}"
            if args
            else str(p.get("command"))
        )
    if kind == "incident.opened":
        return f"{p.get('mode')}; {t('planned')}: {t.when(p.get('expected_return'), False)}"
    if kind == "incident.updated":
        ret = p.get("expected_return") or {}
        return f"{t('planned')}: {t.when(ret.get('from'), False)} → {t.when(ret.get('to'), False)}"
    if kind in ("channel.snapshot", "channel.restored"):
        return str((p.get("setting") or {}).get("summary", ""))
    if kind == "channel.applied":
        return ", ".join(f"{n} {a['sha256'][:12]}" for n, a in p.get("artefacts", {}).items())
    if kind == "channel.verified":
        summary = (p.get("read_back") or {}).get("summary", "")
        return f"{t('holds') if p.get('holds') else t('differs')}: {summary}"
    if kind == "channel.retry":
        return f"{p.get('step')} #{p.get('attempt')}: {p.get('error')}"
    if kind in ("channel.failed", "contacts.failed"):
        return str(p.get("error"))
    if kind == "incident.closed":
        return t.when(p.get("ended"))
    if kind == "command.finished":
        return f"{p.get('command')}: {'OK' if p.get('ok') else 'FAILED'}"
    if kind == "contact.received":
        detail = p.get("detail") or {}
        extra = " ".join(f"{k}={detail[k]}" for k in ("status", "duration") if k in detail)
        return f"{p.get('contact')} {t.party(str(p.get('party')))} {extra}".strip()
    if kind == "contacts.collected":
        return ", ".join(
            f"{name}: {c['received'] if c['available'] else '—'}"
            for name, c in p.get("channels", {}).items()
        )
    return json.dumps(p, ensure_ascii=False)


def _chart_png(records: list[Record], t: _Text) -> bytes | None:
    """Each channel's state over time, and inbound contacts per 15 minutes, as a PNG."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import dates as mdates
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from PIL import Image

    if not records:
        return None
    zone = t.data.zone
    start = from_stamp(records[0].ts)
    end = from_stamp(records[-1].ts)
    changes: dict[str, list[tuple[datetime, str]]] = {}
    contact_times: list[datetime] = []
    for record in records:
        if record.kind == "contact.received":
            contact_times.append(from_stamp(str(record.payload.get("at", record.ts))))
            continue
        if not record.channel:
            continue
        state = {
            "channel.applied": "notice",
            "channel.restored": "normal",
            "channel.failed": "failed",
        }.get(record.kind)
        if record.kind == "channel.verified" and not record.payload.get("holds"):
            state = "failed"
        if state:
            changes.setdefault(record.channel, []).append((from_stamp(record.ts), state))
    end = max(end, start + timedelta(minutes=15))
    # Contacts per 15 minutes (wider bins for a long period), aligned to the quarter hour;
    # contacts outside the slice's time span are not drawn.
    minutes = 15
    while (end - start).total_seconds() / 60 / minutes > 400:
        minutes *= 2
    contact_times = [when for when in contact_times if start <= when <= end]
    colours = {"normal": "#4c9a2a", "notice": "#e08a00", "failed": "#c62828"}

    figure = Figure(figsize=(7.2, 1.4 + 0.45 * max(len(changes), 1) + 1.6), dpi=110)
    top, bottom = figure.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [max(len(changes), 1), 2]}
    )
    names = sorted(changes)
    for row, name in enumerate(names):
        steps = [(start, "normal"), *changes[name], (end, "")]
        # One bar collection per state and row: one per step made a 10,000-record incident's
        # chart take half a minute (matplotlib recomputes its limits per collection).
        bars: dict[str, list[tuple[float, float]]] = {}
        for (since, state), (until, _) in itertools.pairwise(steps):
            left, right = mdates.date2num(since), mdates.date2num(until)
            bars.setdefault(state, []).append((left, max(right - left, 1e-6)))
        for state, ranges in bars.items():
            top.broken_barh(ranges, (row - 0.35, 0.7), color=colours[state])
    top.set_yticks(range(len(names)), names)
    top.set_ylim(-0.6, max(len(names), 1) - 0.4)
    handles = [
        matplotlib.patches.Patch(color=colours[s], label=t(f"state_{s}"))
        for s in ("normal", "notice", "failed")
    ]
    top.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 1.35), ncol=3, fontsize=7)
    first_bin = start.replace(minute=start.minute - start.minute % 15, second=0, microsecond=0)
    width = timedelta(minutes=minutes)
    counts = [0] * (int((end - first_bin) / width) + 1)
    for when in contact_times:
        counts[int((when - first_bin) / width)] += 1
    bottom.bar(
        [mdates.date2num(first_bin + width * (i + 0.5)) for i in range(len(counts))],
        counts,
        width=minutes / 1440 * 0.9,
        color="#1f5fa8",
    )
    bottom.set_ylim(0, max(1, *counts) * 1.15)
    bottom.set_ylabel(t("chart_contacts").replace("15", str(minutes)), fontsize=7)
    bottom.yaxis.get_major_locator().set_params(integer=True)
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M", tz=zone))
    for axis in (top, bottom):
        axis.tick_params(labelsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    buffer.seek(0)
    rgb = io.BytesIO()
    Image.open(buffer).convert("RGB").save(rgb, format="PNG")
    return rgb.getvalue()


def build_report(data: ReportInput) -> bytes:
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    t = _Text(data)
    records = data.records

    class Report(FPDF):
        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", "", 7)
            self.cell(
                0, 5, f"{t('title')} {data.scope} — {t('page')} {self.page_no()}/{{nb}}", align="C"
            )

    pdf = Report(format="A4", enforce_compliance="PDF/A-3B")
    pdf.set_lang(data.lang)
    pdf.set_title(f"{t('title')} {data.scope}")
    pdf.set_creator(f"notices {data.version}")
    pdf.set_author(data.organisation or "notices")
    pdf.add_font("DejaVu", "", _font_path("DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", _font_path("DejaVuSans-Bold.ttf"))
    pdf.set_auto_page_break(True, margin=16)
    pdf.set_margins(14, 14, 14)
    width = pdf.epw

    def heading(text: str, size: int = 13) -> None:
        pdf.ln(2)
        pdf.set_font("DejaVu", "B", size)
        pdf.multi_cell(width, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_font("DejaVu", "", 9)

    def pair(label: str, value: str) -> None:
        pdf.set_font("DejaVu", "B", 9)
        pdf.cell(62, 5, label)
        pdf.set_font("DejaVu", "", 9)
        pdf.multi_cell(width - 62, 5, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def para(text: str, size: int = 9) -> None:
        pdf.set_font("DejaVu", "", size)
        pdf.multi_cell(width, 4.5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    pdf.add_page()
    heading(f"{t('title')}: {data.scope}", 16)
    if data.organisation:
        para(data.organisation, 11)
    para(f"{t('generated')}: {t.when(data.generated)} (notices {data.version})")

    # -- summary, one block per incident in the slice ------------------------------------
    heading(t("summary"))
    by_incident: dict[str, list[Record]] = {}
    for record in records:
        if record.incident:
            by_incident.setdefault(record.incident, []).append(record)
    for incident, own in by_incident.items():
        opened = next((r for r in own if r.kind == "incident.opened"), None)
        if opened is None:
            continue
        closed = next((r for r in own if r.kind == "incident.closed"), None)
        mode = str(opened.payload.get("mode"))
        title = data.mode_titles.get(mode, {}).get(data.lang, mode)
        reasons = opened.payload.get("reasons") or {}
        updates = [r for r in own if r.kind == "incident.updated"]
        for update in updates:
            reasons = update.payload.get("reasons") or reasons
        started = str(opened.payload.get("started") or opened.ts)
        ended = str(closed.payload.get("ended")) if closed else None
        pair(t("incident"), incident)
        pair(t("mode"), f"{title} ({mode})")
        reason = reasons.get(data.lang) or next(iter(reasons.values()), None)
        pair(t("reason"), reason or t("unknown"))
        pair(t("started_by"), f"{opened.actor}, {t('host')} {opened.host}")
        pair(t("started"), t.when(started))
        pair(t("planned"), t.when(opened.payload.get("expected_return")))
        lines = []
        for update in updates:
            ret = update.payload.get("expected_return") or {}
            change = update.payload.get("mode") or {}
            text = (
                f"{t.when(update.ts)} {update.actor}: {t.when(ret.get('from'), False)}"
                f" → {t.when(ret.get('to'), False)}"
            )
            if change.get("from") != change.get("to"):
                text += f" ({change.get('from')} → {change.get('to')})"
            lines.append(text)
        pair(t("changes"), "\n".join(lines) or t("no_changes"))
        pair(t("ended"), t.when(ended) if ended else t("not_ended"))
        if ended:
            pair(t("duration"), _duration(started, ended))
        pdf.ln(2)

    def table(columns: list[tuple[float, str]], rows: Iterator[list[str]]) -> None:
        """A table drawn with plain text runs: thousands of rows stay fast."""
        columns = [*columns[:-1], (width - sum(w for w, _ in columns[:-1]), columns[-1][1])]
        # Characters that fit a column at 6.5 pt (DejaVu is wide: about 1.25 mm each).
        fits = [int(w / 1.25) for w, _ in columns]

        def header() -> None:
            pdf.set_font("DejaVu", "B", 7)
            for w, label in columns:
                pdf.cell(w, 5, label, border="B")
            pdf.ln(5)
            pdf.set_font("DejaVu", "", 6.5)

        header()
        for cells in rows:
            if pdf.get_y() + 4 > pdf.page_break_trigger:
                pdf.add_page()
                header()
            x, y = pdf.l_margin, pdf.get_y()
            for (w, _), limit, raw in zip(columns, fits, cells, strict=True):
                text = raw.replace("\n", " ")
                if text:
                    pdf.text(
                        x + 0.3, y + 2.9, text if len(text) <= limit else text[: limit - 1] + "…"
                    )
                x += w
            pdf.set_y(y + 4)

    # -- timeline -------------------------------------------------------------------------
    heading(t("timeline"))
    # Contacts have their own table below; listing them here too would only double the PDF.
    n_contacts = sum(1 for r in records if r.kind == "contact.received")
    if n_contacts:
        para(t("timeline_contacts", n=n_contacts), 8)
    table(
        [(30, t("time")), (22, t("who")), (30, t("event")), (18, t("channel")), (0, t("detail"))],
        (
            [t.when(r.ts), r.actor, t.kind(r.kind), r.channel or "", _brief(r, t)]
            if r is not None
            else ["", "", t("omitted", n=omitted), "", ""]
            for r, omitted in _capped([r for r in records if r.kind != "contact.received"])
        ),
    )

    # -- published texts ------------------------------------------------------------------
    pdf.add_page()
    heading(t("texts"))
    para(t("texts_intro"))
    # Each distinct text once; re-applying the same notice only counts (an incident re-run
    # thousands of times must not make a report of thousands of pages).
    repeats: dict[tuple[str, str], int] = {}
    for record in records:
        if record.kind != "channel.applied":
            continue
        for name, artefact in record.payload.get("artefacts", {}).items():
            key = (str(record.channel), artefact["sha256"])
            if key in repeats:
                repeats[key] += 1
                continue
            repeats[key] = 0
            heading(f"{record.channel} — {name} — {t.when(record.ts)}", 10)
            para(f"SHA-256 {artefact['sha256']}", 7)
            pdf.set_font("DejaVu", "", 7.5)
            pdf.multi_cell(
                width, 3.6, artefact["text"], border=1, new_x=XPos.LMARGIN, new_y=YPos.NEXT
            )
    for (channel, digest), count in repeats.items():
        if count:
            para(f"{channel}, SHA-256 {digest[:16]}…: {t('republished', n=count)}", 8)

    # -- confirmations ----------------------------------------------------------------------
    heading(t("confirmations"))
    confirmed = ("channel.applied", "channel.restored", "channel.verified")
    for shown, omitted in _capped([r for r in records if r.kind in confirmed]):
        if shown is None:
            para(t("omitted", n=omitted), 8)
        elif shown.kind in ("channel.applied", "channel.restored"):
            confirmation = json.dumps(shown.payload.get("confirmation"), ensure_ascii=False)
            para(f"{t.when(shown.ts)}  {shown.channel}  {t.kind(shown.kind)}: {confirmation}", 8)
        else:
            para(f"{t.when(shown.ts)}  {shown.channel}  {t('read_back')}: {_brief(shown, t)}", 8)

    # Twilio's own record of each number change (Monitor Events), beside our time.
    corroborated = [
        (entry, update)
        for record in records
        if record.kind in ("channel.applied", "channel.restored")
        for entry, update in (
            (record.payload.get("confirmation") or {}).get("numbers") or {}
        ).items()
        if isinstance(update, dict) and update.get("at")
    ]
    if corroborated:
        heading(t("provider_record"), 10)
        table(
            [(44, t("number")), (27, t("ours")), (27, t("theirs")), (16, t("difference")), (0, "")],
            (_corroboration(entry, update, t) for entry, update in corroborated),
        )

    # -- errors -------------------------------------------------------------------------------
    heading(t("errors"))
    problems = [
        r for r in records if r.kind in ("channel.retry", "channel.failed", "contacts.failed")
    ]
    for problem, omitted in _capped(problems):
        if problem is None:
            para(t("omitted", n=omitted), 8)
            continue
        para(
            f"{t.when(problem.ts)}  {problem.channel or ''}  {t.kind(problem.kind)}:"
            f" {_brief(problem, t)}",
            8,
        )
    if not problems:
        para(t("no_errors"))

    # -- contacts ----------------------------------------------------------------------------
    heading(t("contacts"))
    collected = [r for r in records if r.kind == "contacts.collected"]
    contacts = [r for r in records if r.kind == "contact.received"]
    if not collected and not contacts:
        para(t("not_collected"))
    statuses: dict[str, dict[str, Any]] = {}
    for record in collected:
        statuses.update(record.payload.get("channels", {}))
    for name, status in statuses.items():
        if not status.get("available"):
            para(t("no_record", channel=name))
        elif status.get("error"):
            para(t("collect_error", channel=name, error=status["error"]))
    counts: dict[str, int] = {}
    for record in contacts:
        counts[str(record.channel)] = counts.get(str(record.channel), 0) + 1
    for name, n in counts.items():
        para(t("received", channel=name, n=n))
    if contacts:
        if not data.include_personal:
            para(t("masked_note"), 8)
        table(
            [(30, t("time")), (20, t("channel")), (12, ""), (36, t("party")), (0, t("detail"))],
            (
                [
                    t.when(str(r.payload.get("at"))),
                    str(r.channel),
                    str(r.payload.get("contact")),
                    t.party(str(r.payload.get("party"))),
                    json.dumps(r.payload.get("detail") or {}, ensure_ascii=False),
                ]
                for r in contacts
            ),
        )

    # -- chart ---------------------------------------------------------------------------------
    png = _chart_png(records, t)
    if png:
        heading(t("chart"))
        pdf.image(io.BytesIO(png), w=width)

    # -- hashes -----------------------------------------------------------------------------
    pdf.add_page()
    heading(t("hashes"))
    para(t("verify_intro"))
    manifest = data.manifest
    slice_ = manifest.get("slice", {})
    pdf.set_font("DejaVu", "", 8)
    pair(
        t("first"),
        f"#{slice_.get('first_seq')}\nrecord {slice_.get('first_record_hash')}"
        f"\nlink {slice_.get('first_link')}",
    )
    pair(
        t("last"),
        f"#{slice_.get('last_seq')}\nrecord {slice_.get('last_record_hash')}"
        f"\nlink {slice_.get('last_link')}",
    )
    pair(t("previous"), str(slice_.get("previous_link")))
    head = manifest.get("log_head", {})
    pair(t("log_head"), f"#{head.get('seq')} {head.get('link')}")
    pair(t("key"), str(manifest.get("signing_key", {}).get("fingerprint_sha256")))
    pair(t("files"), "\n".join(f"{n}  {f['sha256']}" for n, f in manifest["files"].items()))
    heading(t("how"), 11)
    para(t("how_text"))
    para(t("proves"))

    for name, content in data.attachments.items():
        pdf.embed_file(
            bytes=content,
            basename=name,
            mime_type="application/json" if name.endswith(".json") else "application/jsonl",
            associated_file_relationship="Data" if name.endswith(".jsonl") else "Supplement",
            desc=name,
        )
    return bytes(pdf.output())
