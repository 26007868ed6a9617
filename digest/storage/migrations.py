"""Numbered schema migrations; `PRAGMA user_version` records the last one applied.

Never edit a migration that has shipped: add the next number.
"""

from __future__ import annotations

MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE sources (
        id INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        url TEXT NOT NULL,
        kind TEXT NOT NULL DEFAULT 'feed',
        language TEXT,
        interval_s INTEGER,
        origin TEXT NOT NULL DEFAULT 'config',   -- config | opml
        enabled INTEGER NOT NULL DEFAULT 1,
        etag TEXT,
        last_modified TEXT,
        last_fetch_at TEXT,
        last_success_at TEXT,
        last_error TEXT,
        last_error_at TEXT,
        consecutive_failures INTEGER NOT NULL DEFAULT 0,
        next_check_at TEXT,
        created_at TEXT NOT NULL
    );

    CREATE TABLE items (
        id TEXT PRIMARY KEY,
        source_id INTEGER NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
        guid TEXT,
        url TEXT,
        title TEXT NOT NULL,
        text TEXT NOT NULL,
        summary_html TEXT NOT NULL,
        lang_hint TEXT,
        published_at TEXT NOT NULL,
        fetched_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        content_hash TEXT NOT NULL
    );
    CREATE INDEX items_published ON items(published_at);
    CREATE INDEX items_source ON items(source_id);
    CREATE INDEX items_content_hash ON items(content_hash);

    CREATE TABLE assessments (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        engine TEXT NOT NULL,
        lang TEXT NOT NULL,
        risk INTEGER NOT NULL,
        severity INTEGER NOT NULL,
        categories TEXT NOT NULL,      -- JSON array
        locations TEXT NOT NULL,       -- JSON array of CONTRACTS section 2 locations
        evidence TEXT NOT NULL,        -- JSON array
        killed INTEGER NOT NULL DEFAULT 0,
        injured INTEGER NOT NULL DEFAULT 0,
        admin1_pcode TEXT,
        admin2_pcode TEXT,
        assessed_at TEXT NOT NULL
    );
    CREATE INDEX assessments_risk ON assessments(risk, severity);

    CREATE TABLE stories (
        id TEXT PRIMARY KEY,
        first_seen TEXT NOT NULL,
        last_updated TEXT NOT NULL,
        severity INTEGER NOT NULL,
        categories TEXT NOT NULL,      -- JSON array
        primary_location TEXT,         -- JSON object or NULL
        admin1_pcode TEXT,
        admin2_pcode TEXT
    );
    CREATE TABLE story_items (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE,
        story_id TEXT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
        reason TEXT NOT NULL,
        joined_at TEXT NOT NULL
    );
    CREATE INDEX story_items_story ON story_items(story_id);

    CREATE TABLE digests (
        id INTEGER PRIMARY KEY,
        profile TEXT NOT NULL,
        day TEXT NOT NULL,             -- the profile's local date
        window_start TEXT NOT NULL,
        window_end TEXT NOT NULL,
        built_at TEXT NOT NULL,
        subject TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL,
        story_count INTEGER NOT NULL,
        UNIQUE (profile, day)
    );

    CREATE TABLE deliveries (
        id INTEGER PRIMARY KEY,
        digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
        recipient TEXT NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL DEFAULT 'pending',   -- pending | sent | failed
        attempts INTEGER NOT NULL DEFAULT 0,
        last_reply TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        UNIQUE (digest_id, recipient)
    );
    """,
    2: """
    -- The URL the configuration gives, apart from the URL polled (which a permanent redirect
    -- may have changed): a new URL in the config resets the source's validators.
    ALTER TABLE sources ADD COLUMN configured_url TEXT;
    UPDATE sources SET configured_url = url;
    """,
    3: """
    -- How long the last fetch took, for the health listing.
    ALTER TABLE sources ADD COLUMN last_latency_ms INTEGER;
    """,
    4: """
    -- The outbox: when a pending delivery may be tried again (NULL: now).
    ALTER TABLE deliveries ADD COLUMN next_attempt_at TEXT;
    CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
    """,
    5: """
    -- Alerts: the severity each (rule, story) last fired at, so a story fires once per rule and
    -- again only when its severity rises; and every firing, for the channels to deliver.
    CREATE TABLE alert_state (
        rule TEXT NOT NULL,
        story_id TEXT NOT NULL,
        severity INTEGER NOT NULL,
        fired_at TEXT NOT NULL,
        PRIMARY KEY (rule, story_id)
    );
    CREATE TABLE alert_events (
        id INTEGER PRIMARY KEY,
        rule TEXT NOT NULL,
        story_id TEXT NOT NULL,
        item_id TEXT NOT NULL,
        kind TEXT NOT NULL,            -- new | rise
        severity INTEGER NOT NULL,
        reasons TEXT NOT NULL,         -- JSON array
        created_at TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending'
    );
    """,
    6: """
    -- Each firing to each webhook: pending, sent or dead (gave up), with attempts and the
    -- last answer, like the email outbox.
    CREATE TABLE alert_sends (
        id INTEGER PRIMARY KEY,
        event_id INTEGER NOT NULL REFERENCES alert_events(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',
        attempts INTEGER NOT NULL DEFAULT 0,
        last_reply TEXT,
        next_attempt_at TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (event_id, target)
    );
    """,
}

LATEST = max(MIGRATIONS)
