-- The audit trail is its own outbox: a relay publishes audit_events to Kafka in seq order and records here, per
-- topic, the highest seq the brokers acknowledged. Consumers get every event at least once and dedupe on seq.
--
-- No seq can commit behind a higher one: appends take the chain's advisory lock before the row (and its seq) is
-- inserted and hold it to commit, so "seq > published_seq ORDER BY seq" never skips an event that commits later.
-- A seq that never appears (a rolled-back append, an event quarantined before it was stored) is a permanent gap,
-- not one to wait for.
CREATE TABLE audit_stream_position (
    stream        text        PRIMARY KEY,
    published_seq bigint      NOT NULL CHECK (published_seq >= 0),
    updated_at    timestamptz NOT NULL
);
