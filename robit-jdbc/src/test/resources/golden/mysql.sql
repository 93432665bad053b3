-- createTable
CREATE TABLE IF NOT EXISTS robit_locks (
    name          VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_0900_bin NOT NULL PRIMARY KEY,
    owner         VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin,
    fencing_token BIGINT NOT NULL,
    expires_at_ms BIGINT
) ENGINE = InnoDB;

-- acquire
INSERT INTO robit_locks (name, owner, fencing_token, expires_at_ms) VALUES (?, ?, 1, (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000) + ?) ON DUPLICATE KEY UPDATE fencing_token = IF(owner IS NULL OR expires_at_ms <= (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000), fencing_token + 1, fencing_token), owner = IF(owner IS NULL OR expires_at_ms <= (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000), VALUES(owner), owner), expires_at_ms = IF(owner <=> VALUES(owner) OR owner IS NULL OR expires_at_ms <= (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000), VALUES(expires_at_ms), expires_at_ms);

-- acquireResult
SELECT CASE WHEN owner = ? THEN fencing_token END, CASE WHEN owner IS NOT NULL THEN expires_at_ms - (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000) END FROM robit_locks WHERE name = ?;

-- refresh
UPDATE robit_locks SET expires_at_ms = (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000) + ? WHERE name = ? AND owner = ? AND expires_at_ms > (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000);

-- release
UPDATE robit_locks SET owner = NULL, expires_at_ms = NULL WHERE name = ? AND owner = ?;

-- inspect
SELECT name, owner, fencing_token, expires_at_ms, (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000) AS now_ms FROM robit_locks WHERE name = ?;

-- list
SELECT name, owner, fencing_token, expires_at_ms, (TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', UTC_TIMESTAMP(6)) DIV 1000) AS now_ms FROM robit_locks ORDER BY name;

-- channel
(none);

