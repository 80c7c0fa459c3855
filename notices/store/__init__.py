"""Where the data lives: SQLite in the data folder (the default) or a PostgreSQL server
shared by two `serve` nodes (`[store] url` / NOTICES_DATABASE_URL). See docs/store.md.

    url.py       which store a data folder uses, and its URL with the password masked
    schema.py    the numbered migrations, one statement list for both dialects
    postgres.py  the PostgreSQL connection: placeholders, keep-alives, advisory locks

`notices.db.Database` is the one door to either; the modules that read and write (the log,
incidents, plans, the staff gate) run the same SQL on both.
"""
