-- Log storage (issue 5): one row per log entry, partitioned by day of the entry's own time.
--
-- Runs on PostgreSQL 14+ with or without TimescaleDB, and on PGlite. With the timescaledb
-- extension, logs is a hypertable with one-day chunks (retention by drop_chunks and a
-- retention policy); without it, it is range-partitioned by day (partitions made ahead by the
-- server's LogPartitionManager, expired ones dropped whole) with a watched DEFAULT partition.
--
-- De-duplication: an agent re-reads lines after a restart (its checkpoint advances only after
-- the server acknowledged them) and a line may reach the server twice. A line is identified by
-- (host, file_id, file_offset); a unique index on a partitioned table must include the
-- partition key, so the key is (host, time, file_id, file_offset). That is enough because the
-- agent makes a line's time deterministic: a timestamp parsed from the line, or a read time
-- recorded in its checkpoint before the line was first sent (see agent/logs/file_tail.ts).
-- The same index serves "newest lines of a host" (host, time DESC).

CREATE SEQUENCE logs_id_seq;

DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    CREATE TABLE logs (
      time timestamptz NOT NULL,
      id bigint NOT NULL DEFAULT nextval('logs_id_seq'),
      host text NOT NULL,
      source text NOT NULL,
      level smallint NOT NULL,
      file_id text NOT NULL,
      file_offset bigint NOT NULL,
      truncated boolean NOT NULL DEFAULT false,
      received_at timestamptz NOT NULL,
      message text NOT NULL
    );
    EXECUTE $sql$
      SELECT create_hypertable('logs', 'time',
        chunk_time_interval => INTERVAL '1 day', create_default_indexes => false)
    $sql$;
  ELSE
    CREATE TABLE logs (
      time timestamptz NOT NULL,
      id bigint NOT NULL DEFAULT nextval('logs_id_seq'),
      host text NOT NULL,
      source text NOT NULL,
      level smallint NOT NULL,
      file_id text NOT NULL,
      file_offset bigint NOT NULL,
      truncated boolean NOT NULL DEFAULT false,
      received_at timestamptz NOT NULL,
      message text NOT NULL
    ) PARTITION BY RANGE (time);
    -- Catches entries whose day has no partition; the server counts and logs its rows.
    CREATE TABLE logs_default PARTITION OF logs DEFAULT;
  END IF;
END
$$;

ALTER SEQUENCE logs_id_seq OWNED BY logs.id;

-- A line is stored once; also the index of "newest lines of a host".
CREATE UNIQUE INDEX logs_line_key_idx ON logs (host, time, file_id, file_offset);
-- Keyset order over every host: (time DESC, id DESC).
CREATE INDEX logs_time_id_idx ON logs (time, id);

-- Substring search: a trigram GIN index, when pg_trgm can be installed. Without it (an
-- embedded PGlite started without the extension, or no privilege to create it) searches scan
-- the partitions of the time range instead; the server logs which at start-up and makes the
-- index later once the extension is available (LogPartitionManager.ensureSearchIndex).
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pg_trgm cannot be created (insufficient privilege); log search scans';
    END;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    CREATE INDEX logs_message_trgm_idx ON logs USING gin (message gin_trgm_ops);
  END IF;
END
$$;
