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

-- queue.table
robit_locks_waiters;

-- queue.createTable
CREATE UNLOGGED TABLE IF NOT EXISTS robit_locks_waiters (
    name          VARCHAR(255) NOT NULL,
    waiter        VARCHAR(64)  NOT NULL,
    queued_at_us  BIGINT       NOT NULL,
    expires_at_ms BIGINT       NOT NULL,
    owner         VARCHAR(255),
    ttl_ms        BIGINT,
    PRIMARY KEY (name, waiter)
);

-- queue.exists
SELECT to_regclass('robit_locks') IS NOT NULL, to_regclass('robit_locks_waiters') IS NOT NULL, (SELECT count(*) = 2 FROM pg_attribute WHERE attrelid = to_regclass('robit_locks_waiters') AND attname IN ('owner', 'ttl_ms') AND NOT attisdropped);

-- queue.acquire
WITH attempt AS (SELECT CAST(? AS VARCHAR(255)) AS name, CAST(? AS VARCHAR(255)) AS owner, CAST(? AS BIGINT) AS ttl_ms, CAST(? AS VARCHAR(64)) AS waiter, CAST(? AS BIGINT) AS queue_ms), first_waiter AS (SELECT q.waiter FROM robit_locks_waiters q WHERE q.name = (SELECT name FROM attempt) AND q.expires_at_ms > FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT ORDER BY q.queued_at_us, q.waiter LIMIT 1), handed AS (SELECT h.fencing_token, h.expires_at_ms - FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT AS remaining_ms FROM robit_locks h JOIN attempt a ON h.name = a.name WHERE a.waiter IS NOT NULL AND h.owner = a.owner AND h.expires_at_ms > FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT), taken AS (INSERT INTO robit_locks AS l (name, owner, fencing_token, expires_at_ms) SELECT a.name, a.owner, 1, FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT + a.ttl_ms FROM attempt a WHERE NOT EXISTS (SELECT 1 FROM robit_locks h WHERE h.name = a.name AND h.owner IS NOT NULL AND h.expires_at_ms > FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT) AND NOT EXISTS (SELECT 1 FROM first_waiter f WHERE f.waiter IS DISTINCT FROM a.waiter) ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner, fencing_token = l.fencing_token + 1, expires_at_ms = EXCLUDED.expires_at_ms WHERE l.owner IS NULL OR l.expires_at_ms <= FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT RETURNING l.fencing_token), dequeued AS (DELETE FROM robit_locks_waiters q USING attempt a WHERE q.name = a.name AND (EXISTS (SELECT 1 FROM taken) AND (q.waiter = a.waiter OR q.expires_at_ms <= FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT) OR EXISTS (SELECT 1 FROM handed) AND q.waiter = a.waiter)), queued AS (INSERT INTO robit_locks_waiters (name, waiter, queued_at_us, expires_at_ms, owner, ttl_ms) SELECT a.name, a.waiter, FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000000)::BIGINT, FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT + a.queue_ms, a.owner, a.ttl_ms FROM attempt a WHERE a.waiter IS NOT NULL AND NOT EXISTS (SELECT 1 FROM taken) AND NOT EXISTS (SELECT 1 FROM handed) ON CONFLICT (name, waiter) DO UPDATE SET expires_at_ms = EXCLUDED.expires_at_ms, owner = EXCLUDED.owner, ttl_ms = EXCLUDED.ttl_ms) SELECT fencing_token, CAST(NULL AS BIGINT) AS remaining_ms FROM taken UNION ALL SELECT fencing_token, remaining_ms FROM handed UNION ALL SELECT NULL, COALESCE((SELECT h.expires_at_ms - FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT FROM robit_locks h WHERE h.name = a.name AND h.owner IS NOT NULL AND h.expires_at_ms > FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT), -1) FROM attempt a WHERE NOT EXISTS (SELECT 1 FROM taken) AND NOT EXISTS (SELECT 1 FROM handed);

-- queue.release
WITH req AS (SELECT CAST(? AS VARCHAR(255)) AS name, CAST(? AS VARCHAR(255)) AS owner), ours AS (SELECT l.name FROM robit_locks l WHERE l.name = (SELECT name FROM req) AND l.owner = (SELECT owner FROM req) FOR UPDATE), candidate AS (SELECT q.name, q.waiter, q.owner FROM robit_locks_waiters q JOIN ours o ON q.name = o.name WHERE q.expires_at_ms > FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT ORDER BY q.queued_at_us, q.waiter LIMIT 1), next AS (DELETE FROM robit_locks_waiters q USING candidate c WHERE q.name = c.name AND q.waiter = c.waiter AND q.owner IS NOT NULL AND q.ttl_ms IS NOT NULL AND q.expires_at_ms > FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT RETURNING q.name, q.waiter, q.owner, q.ttl_ms), handed AS (UPDATE robit_locks l SET owner = n.owner, fencing_token = l.fencing_token + 1, expires_at_ms = FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT + n.ttl_ms FROM next n, req r WHERE l.name = n.name AND l.owner = r.owner RETURNING n.waiter), freed AS (UPDATE robit_locks l SET owner = NULL, expires_at_ms = NULL FROM req r WHERE l.name = r.name AND l.owner = r.owner AND NOT EXISTS (SELECT 1 FROM next) RETURNING l.name) SELECT pg_notify('robit_locks', h.waiter) FROM handed h UNION ALL SELECT pg_notify('robit_locks', COALESCE((SELECT c.waiter FROM candidate c WHERE c.owner IS NULL), f.name)) FROM freed f;

-- queue.leave
WITH req AS (SELECT CAST(? AS VARCHAR(255)) AS name, CAST(? AS VARCHAR(64)) AS waiter, CAST(? AS VARCHAR(255)) AS owner), gone AS (DELETE FROM robit_locks_waiters q USING req r WHERE q.name = r.name AND q.waiter = r.waiter RETURNING q.name, q.waiter), told AS (SELECT pg_notify('robit_locks', COALESCE((SELECT q.waiter FROM robit_locks_waiters q WHERE q.name = g.name AND q.expires_at_ms > FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT AND q.waiter <> g.waiter ORDER BY q.queued_at_us, q.waiter LIMIT 1), g.name)) FROM gone g WHERE NOT EXISTS (SELECT 1 FROM robit_locks h WHERE h.name = g.name AND h.owner IS NOT NULL AND h.expires_at_ms > FLOOR(EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT)) SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM told), EXISTS (SELECT 1 FROM robit_locks h JOIN req r ON h.name = r.name AND h.owner = r.owner);

-- queue.leaveAll
WITH gone AS (DELETE FROM robit_locks_waiters WHERE waiter LIKE ? RETURNING name) SELECT pg_notify('robit_locks', g.name) FROM (SELECT DISTINCT name FROM gone) g;

