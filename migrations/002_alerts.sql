-- Alerting (rules, host health, notifications): instance states, transitions, rule
-- health, silences, the notification outbox and a small control row shared by replicas.
--
-- Runs on PostgreSQL 14+ with or without TimescaleDB, and on PGlite. Every table that
-- holds per-host rows has `host` in its primary key, so a distributed PostgreSQL can
-- distribute it by host like the metric tables.

-- Rules select series by metric name; the unique key of series leads with host.
CREATE INDEX series_name_idx ON series (name);

-- One row per alert instance: (rule, host, label set). Written by the evaluating replica
-- when an instance appears, changes state, is notified, or is not ok (value refreshed).
CREATE TABLE alert_instances (
  rule text NOT NULL,
  host text NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  fingerprint text NOT NULL,
  state text NOT NULL CHECK (state IN ('ok', 'pending', 'firing', 'nodata')),
  severity text NOT NULL,
  value double precision,
  active_since timestamptz,
  fired_at timestamptz,
  keep_firing_since timestamptz,
  notified_at timestamptz,
  last_eval timestamptz NOT NULL,
  changed_at timestamptz NOT NULL,
  summary text NOT NULL DEFAULT '',
  description text NOT NULL DEFAULT '',
  -- A label set can be larger than a B-tree index row may be (see series_identity_idx):
  -- identity uses a digest of jsonb's canonical text.
  labels_md5 text GENERATED ALWAYS AS (md5(labels::text)) STORED,
  PRIMARY KEY (host, rule, labels_md5)
);
CREATE INDEX alert_instances_active_idx ON alert_instances (state) WHERE state <> 'ok';

-- Every state change of every instance, for GET /api/v1/alerts/history.
CREATE TABLE alert_transitions (
  time timestamptz NOT NULL,
  rule text NOT NULL,
  host text NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  fingerprint text NOT NULL,
  from_state text NOT NULL,
  to_state text NOT NULL,
  value double precision,
  reason text
);
CREATE INDEX alert_transitions_time_idx ON alert_transitions (time);

-- The outcome of each rule's last evaluation.
CREATE TABLE alert_rule_status (
  rule text PRIMARY KEY,
  last_eval timestamptz NOT NULL,
  duration_ms double precision NOT NULL,
  error text,
  series integer NOT NULL
);

-- Silences: matchers on alert labels; a matching alert keeps its state but sends nothing.
CREATE TABLE alert_silences (
  id text PRIMARY KEY,
  matchers jsonb NOT NULL,
  starts_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  comment text NOT NULL,
  created_by text NOT NULL,
  created_at timestamptz NOT NULL
);
CREATE INDEX alert_silences_ends_at_idx ON alert_silences (ends_at);

-- The durable outbox: a message is written in the same transaction as the state change
-- that caused it, and delivered (with retries) by the evaluating replica.
CREATE TABLE alert_notifications (
  id text PRIMARY KEY,
  seq bigint GENERATED ALWAYS AS IDENTITY,
  receiver text NOT NULL,
  receiver_type text NOT NULL,
  status text NOT NULL CHECK (status IN ('firing', 'resolved')),
  rule text NOT NULL,
  alert_count integer NOT NULL,
  body text NOT NULL,
  created_at timestamptz NOT NULL,
  delivery text NOT NULL DEFAULT 'pending' CHECK (delivery IN ('pending', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_attempt_at timestamptz,
  last_status integer,
  last_error text,
  delivered_at timestamptz
);
CREATE INDEX alert_notifications_pending_idx ON alert_notifications (receiver, seq)
  WHERE delivery = 'pending';
CREATE INDEX alert_notifications_created_idx ON alert_notifications (created_at);

-- One row: the reload generation (a reload on any replica bumps it, the evaluating replica
-- follows) and which replica evaluated last.
CREATE TABLE alert_control (
  id integer PRIMARY KEY CHECK (id = 1),
  reload_generation bigint NOT NULL DEFAULT 0,
  evaluator text,
  evaluated_at timestamptz
);
INSERT INTO alert_control (id) VALUES (1);
