"""Every word the dossier's PDF report prints, in Finnish, Swedish and English, and the two
lookups the report reads them through. Nothing else in the report holds translated text."""

from __future__ import annotations

from typing import Any

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


def label(lang: str, key: str, **values: Any) -> str:
    """The report's text `key` in `lang`, with `{name}` fields filled from `values`."""
    text = LABELS[lang][key]
    return text.format(**values) if values else text


def kind_label(lang: str, kind: str) -> str:
    """A log record kind (`channel.applied`) as the report names it in `lang`; the kind
    itself where the language has no name for it."""
    return KIND_LABELS.get(lang, {}).get(kind, kind)
