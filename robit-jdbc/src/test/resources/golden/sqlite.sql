-- createTable
CREATE TABLE IF NOT EXISTS robit_locks (
    name          TEXT    NOT NULL PRIMARY KEY,
    owner         TEXT,
    fencing_token INTEGER NOT NULL,
    expires_at_ms INTEGER
);

-- setup
PRAGMA journal_mode = WAL;

-- acquire
INSERT INTO robit_locks AS l (name, owner, fencing_token, expires_at_ms) VALUES (?, ?, 1, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + ?) ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, fencing_token = l.fencing_token + 1, expires_at_ms = excluded.expires_at_ms WHERE l.owner IS NULL OR l.expires_at_ms <= CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) RETURNING fencing_token, NULL AS remaining_ms;

-- acquireResult
(none);

-- refresh
UPDATE robit_locks SET expires_at_ms = CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) + ? WHERE name = ? AND owner = ? AND expires_at_ms > CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER);

-- release
UPDATE robit_locks SET owner = NULL, expires_at_ms = NULL WHERE name = ? AND owner = ?;

-- inspect
SELECT name, owner, fencing_token, expires_at_ms, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS now_ms FROM robit_locks WHERE name = ?;

-- list
SELECT name, owner, fencing_token, expires_at_ms, CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS now_ms FROM robit_locks ORDER BY name;

-- channel
(none);

