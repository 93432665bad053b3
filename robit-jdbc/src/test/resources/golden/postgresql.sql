-- createTable
CREATE TABLE IF NOT EXISTS robit_locks (
    name          VARCHAR(255) NOT NULL PRIMARY KEY,
    owner         VARCHAR(255),
    fencing_token BIGINT       NOT NULL,
    expires_at_ms BIGINT
);

-- acquire
WITH attempt AS (SELECT CAST(? AS VARCHAR(255)) AS name, CAST(? AS VARCHAR(255)) AS owner, CAST(? AS BIGINT) AS ttl_ms), taken AS (INSERT INTO robit_locks AS l (name, owner, fencing_token, expires_at_ms) SELECT a.name, a.owner, 1, FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT + a.ttl_ms FROM attempt a WHERE NOT EXISTS (SELECT 1 FROM robit_locks h WHERE h.name = a.name AND h.owner IS NOT NULL AND h.expires_at_ms > FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT) ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, fencing_token = l.fencing_token + 1, expires_at_ms = EXCLUDED.expires_at_ms WHERE l.owner IS NULL OR l.expires_at_ms <= FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT RETURNING l.fencing_token) SELECT fencing_token, CAST(NULL AS BIGINT) AS remaining_ms FROM taken UNION ALL SELECT NULL, h.expires_at_ms - FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT FROM robit_locks h JOIN attempt a ON h.name = a.name WHERE h.owner IS NOT NULL AND NOT EXISTS (SELECT 1 FROM taken);

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

