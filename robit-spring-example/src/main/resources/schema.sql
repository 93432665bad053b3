CREATE TABLE IF NOT EXISTS example_accounts (
    id            BIGINT PRIMARY KEY,
    balance       BIGINT NOT NULL,
    fencing_token BIGINT NOT NULL
);
CREATE TABLE IF NOT EXISTS example_reports (
    id            BIGSERIAL PRIMARY KEY,
    instance      VARCHAR(64) NOT NULL,
    fencing_token BIGINT      NOT NULL,
    accounts      BIGINT      NOT NULL,
    started_at    TIMESTAMPTZ NOT NULL,
    finished_at   TIMESTAMPTZ
);
