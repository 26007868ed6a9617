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
    7: """
    -- Alert notices: the messages a rule sends, each carrying one firing or, when the rule's
    -- throttle or quiet hours held them back, several. Email goes through the outbox
    -- (deliveries now carry a digest or a notice), webhooks through alert_sends (now per
    -- notice). Firings already sent to webhooks become notices of their own.
    CREATE TABLE alert_notices (
        id INTEGER PRIMARY KEY,
        rule TEXT NOT NULL,
        created_at TEXT NOT NULL,
        subject TEXT NOT NULL,
        html TEXT NOT NULL,
        text TEXT NOT NULL
    );
    CREATE INDEX alert_notices_rule ON alert_notices(rule, created_at);
    ALTER TABLE alert_events ADD COLUMN notice_id INTEGER REFERENCES alert_notices(id);
    INSERT INTO alert_notices (id, rule, created_at, subject, html, text)
        SELECT e.id, e.rule, e.created_at, '', '', '' FROM alert_events e
        WHERE EXISTS (SELECT 1 FROM alert_sends s WHERE s.event_id = e.id);
    UPDATE alert_events SET notice_id = id WHERE id IN (SELECT id FROM alert_notices);
    UPDATE alert_events SET status = 'notified';
    CREATE INDEX alert_events_pending ON alert_events(rule, status);

    CREATE TABLE alert_sends_new (
        id INTEGER PRIMARY KEY,
        notice_id INTEGER NOT NULL REFERENCES alert_notices(id) ON DELETE CASCADE,
        target TEXT NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending',   -- pending | sent | dead
        attempts INTEGER NOT NULL DEFAULT 0,
        last_reply TEXT,
        next_attempt_at TEXT,
        created_at TEXT NOT NULL,
        UNIQUE (notice_id, target)
    );
    INSERT INTO alert_sends_new
        SELECT id, event_id, target, status, attempts, last_reply, next_attempt_at, created_at
        FROM alert_sends;
    DROP TABLE alert_sends;
    ALTER TABLE alert_sends_new RENAME TO alert_sends;

    CREATE TABLE deliveries_new (
        id INTEGER PRIMARY KEY,
        digest_id INTEGER REFERENCES digests(id) ON DELETE CASCADE,
        notice_id INTEGER REFERENCES alert_notices(id) ON DELETE CASCADE,
        recipient TEXT NOT NULL,
        message_id TEXT NOT NULL UNIQUE,
        status TEXT NOT NULL DEFAULT 'pending',   -- pending | sent | failed
        attempts INTEGER NOT NULL DEFAULT 0,
        last_reply TEXT,
        created_at TEXT NOT NULL,
        sent_at TEXT,
        next_attempt_at TEXT,
        CHECK ((digest_id IS NULL) <> (notice_id IS NULL)),
        UNIQUE (digest_id, recipient),
        UNIQUE (notice_id, recipient)
    );
    INSERT INTO deliveries_new (id, digest_id, recipient, message_id, status, attempts,
            last_reply, created_at, sent_at, next_attempt_at)
        SELECT id, digest_id, recipient, message_id, status, attempts, last_reply, created_at,
            sent_at, next_attempt_at FROM deliveries;
    DROP TABLE deliveries;
    ALTER TABLE deliveries_new RENAME TO deliveries;
    CREATE INDEX deliveries_due ON deliveries(status, next_attempt_at);
    """,
    8: """
    -- The web archive. Its search index: one row per item, keyed by the item's publication time
    -- in microseconds (made unique), so newest-first is the index order and a date range is a key
    -- range; with the fields the filters need, filled in when the item is assessed.
    CREATE TABLE search_docs (
        key INTEGER PRIMARY KEY,
        item_id TEXT NOT NULL UNIQUE REFERENCES items(id) ON DELETE CASCADE,
        source_id INTEGER NOT NULL,
        lang TEXT,
        risk INTEGER,
        severity INTEGER,
        categories TEXT            -- ' airstrike shelling '
    );
    -- folded words; the Arabic words again without clitic prefixes (digest/storage/search.py)
    CREATE VIRTUAL TABLE search_text USING fts5(
        body, stems, tokenize = 'unicode61 remove_diacritics 2'
    );
    -- every P-code (country, governorate, district) of every place an item reports
    CREATE TABLE search_places (
        key INTEGER NOT NULL,
        code TEXT NOT NULL,
        PRIMARY KEY (key, code)
    ) WITHOUT ROWID;
    CREATE INDEX search_places_code ON search_places(code, key);
    -- which stories each digest carried, in the order it showed them
    CREATE TABLE digest_stories (
        digest_id INTEGER NOT NULL REFERENCES digests(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        story_id TEXT NOT NULL,
        PRIMARY KEY (digest_id, position)
    );
    CREATE INDEX digest_stories_story ON digest_stories(story_id);
    -- the language the digest was written in: the archive headlines its stories the same way
    ALTER TABLE digests ADD COLUMN language TEXT NOT NULL DEFAULT 'en';
    CREATE INDEX stories_first_seen ON stories(first_seen);
    """,
    9: """
    -- One-click unsubscribe (RFC 8058): who asked to receive a list no more, and the key that
    -- signs the links in the emails.
    CREATE TABLE unsubscribed (
        kind TEXT NOT NULL,            -- digest | alert
        list_name TEXT NOT NULL,       -- the profile, or the alert rule
        recipient TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (kind, list_name, recipient)
    );
    CREATE TABLE secrets (
        name TEXT PRIMARY KEY,
        value TEXT NOT NULL
    );
    INSERT INTO secrets (name, value) VALUES ('unsubscribe', lower(hex(randomblob(32))));
    """,
    10: """
    -- The reviewer's desk. A draft is a digest of a profile with `review = true`, assembled
    -- ahead of its send time: the stories as ranked, before any review (ids, JSON arrays), and
    -- when the review closed (the digest went into the outbox: no more changes).
    CREATE TABLE review_drafts (
        profile TEXT NOT NULL,
        day TEXT NOT NULL,
        due_at TEXT NOT NULL,          -- the send time
        built_at TEXT NOT NULL,
        early TEXT NOT NULL,           -- JSON array of story ids: the early warnings, ranked
        incidents TEXT NOT NULL,       -- JSON array of story ids: the incidents, as placed
        closed_at TEXT,
        PRIMARY KEY (profile, day)
    );
    -- Every reviewer's action, never updated or deleted: the audit trail; the digest as
    -- reviewed is the replay of its actions in order (digest/review.py).
    CREATE TABLE review_actions (
        id INTEGER PRIMARY KEY,
        profile TEXT NOT NULL,
        day TEXT NOT NULL,
        story_id TEXT NOT NULL,
        action TEXT NOT NULL,          -- promote | demote | suppress | restore | merge | annotate
        value TEXT,                    -- promote: one | top; merge: the story it joins
        note TEXT,                     -- annotate: the note (empty: taken back)
        actor TEXT NOT NULL,
        at TEXT NOT NULL
    );
    CREATE INDEX review_actions_digest ON review_actions(profile, day, id);
    -- the key of the desk's forms' CSRF tokens
    INSERT INTO secrets (name, value) VALUES ('review', lower(hex(randomblob(32))));
    """,
    11: """
    -- Source health: since when a source has been failing (its first failure after a success),
    -- and when it last brought a report not seen before (a source can answer and stay silent).
    -- A source the server said is gone (HTTP 410) stays off until its configured URL changes.
    ALTER TABLE sources ADD COLUMN failing_since TEXT;
    ALTER TABLE sources ADD COLUMN last_new_at TEXT;
    ALTER TABLE sources ADD COLUMN gone_at TEXT;
    UPDATE sources SET failing_since = coalesce(last_success_at, created_at)
    WHERE consecutive_failures > 0;
    UPDATE sources
    SET last_new_at = (SELECT max(fetched_at) FROM items WHERE source_id = sources.id);
    -- An evacuation order the report gives or relays, as a record (JSON: issuer, places, lines,
    -- radius, evidence); reports assessed before have none.
    ALTER TABLE assessments ADD COLUMN evacuation_order TEXT;
    CREATE INDEX assessments_orders ON assessments(item_id) WHERE evacuation_order IS NOT NULL;
    -- What the districts' trends count stories by, read from the index alone (a year of a
    -- busy archive would otherwise read every story row); it starts with first_seen, so the
    -- index on first_seen alone goes.
    CREATE INDEX stories_incidents
        ON stories(first_seen, severity, admin1_pcode, admin2_pcode, categories);
    DROP INDEX stories_first_seen;
    """,
    12: """
    -- What waits for the signal engine (items stored or changed, not assessed since) and for
    -- the clusterer (risk reports in no story), so that each poll finds it without reading
    -- every item: a year's archive of 1,000,000 items took 1.8 s a poll to find nothing.
    CREATE TABLE pending_assessment (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    INSERT INTO pending_assessment
    SELECT id FROM items i WHERE NOT EXISTS (SELECT 1 FROM assessments a WHERE a.item_id = i.id);
    CREATE TABLE pending_clustering (
        item_id TEXT PRIMARY KEY REFERENCES items(id) ON DELETE CASCADE
    ) WITHOUT ROWID;
    INSERT INTO pending_clustering
    SELECT item_id FROM assessments a WHERE a.risk = 1
      AND NOT EXISTS (SELECT 1 FROM story_items si WHERE si.item_id = a.item_id);
    -- the reviewers' "draft ready" email queued for a draft, once
    ALTER TABLE review_drafts ADD COLUMN notice_id INTEGER;
    """,
    13: """
    -- When each profile of the service's configuration arrived (at a start or a reload of
    -- `digest run`; again if it left and came back): a profile new since its send time, or
    -- renamed, starts at its next one, across restarts. Profiles with digests were there by
    -- the first of them.
    CREATE TABLE profile_arrivals (
        profile TEXT PRIMARY KEY,
        arrived_at TEXT NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO profile_arrivals SELECT profile, min(window_start) FROM digests GROUP BY profile;
    """,
}

# Migrations whose data SQL alone cannot compute: run after the numbered script, in its transaction.
REINDEX_AFTER = 8

LATEST = max(MIGRATIONS)
