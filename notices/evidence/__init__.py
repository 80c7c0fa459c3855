"""The evidence: the hash-chained log and everything that reads, anchors or exports it.

- `log`: the append-only, hash-chained log of records;
- `anchor`: the signing key and signed checkpoints of the log's head (`heads.jsonl`);
- `checkpoints`: the head file checked against the chain, which records every checkpoint;
- `personal`: callers' numbers and addresses, kept apart so they can be erased;
- `contacts`: the calls and emails providers recorded during an incident;
- `export`: the log as lines, JSON Lines or CSV;
- `dossier`, `report`: the signed dossier for an authority, with its PDF report.
"""
