-- createTable
CREATE TABLE IF NOT EXISTS robit_locks (
    name          VARCHAR(255) NOT NULL PRIMARY KEY,
    owner         VARCHAR(255),
    fencing_token BIGINT       NOT NULL,
    expires_at_ms BIGINT
);

-- acquire
INSERT INTO robit_locks AS l (name, owner, fencing_token, expires_at_ms) VALUES (?, ?, 1, FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT + ?) ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, fencing_token = l.fencing_token + 1, expires_at_ms = EXCLUDED.expires_at_ms WHERE l.owner IS NULL OR l.expires_at_ms <= FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT RETURNING l.fencing_token;

-- acquireResult
(none);

-- refresh
UPDATE robit_locks SET expires_at_ms = FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT + ? WHERE name = ? AND owner = ? AND expires_at_ms > FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT;

-- release
WITH released AS (UPDATE robit_locks SET owner = NULL, expires_at_ms = NULL WHERE name = ? AND owner = ? RETURNING name) SELECT pg_notify('robit_locks', name) FROM released;

-- inspect
SELECT name, owner, fencing_token, expires_at_ms, FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT AS now_ms FROM robit_locks WHERE name = ?;

-- list
SELECT name, owner, fencing_token, expires_at_ms, FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT AS now_ms FROM robit_locks ORDER BY name;

-- channel
robit_locks;

