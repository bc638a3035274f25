-- 110_cpo_tables.sql — the twelve canonical, append-only tables and the
-- cpo_agent_heads projection (seed 000, "Column Name Corrections").
--
-- Every canonical table has agent_id uuid NOT NULL and content jsonb NOT NULL.
-- Generated columns: uuid logical ids (DEFAULT gen_random_uuid()), seq and the
-- bigserial-style `id` as identity columns (GENERATED ALWAYS, so a caller can
-- never supply them and a LIKE ... INCLUDING IDENTITY copy recomputes them from
-- its own sequence). Rehydrate inserts only (agent_id, content).

CREATE TABLE IF NOT EXISTS cpo.cpo_action_logs (
    action_log_id uuid   NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    seq           bigint NOT NULL GENERATED ALWAYS AS IDENTITY UNIQUE,
    agent_id      uuid   NOT NULL,
    content       jsonb  NOT NULL
);

CREATE TABLE IF NOT EXISTS cpo.cpo_charters (
    charter_version_id uuid  NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    agent_id           uuid  NOT NULL,
    content            jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS cpo.cpo_charter_activations (
    activation_id uuid   NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    seq           bigint NOT NULL GENERATED ALWAYS AS IDENTITY UNIQUE,
    agent_id      uuid   NOT NULL,
    content       jsonb  NOT NULL
);

CREATE TABLE IF NOT EXISTS cpo.cpo_state_snapshots (
    state_snapshot_id uuid   NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    seq               bigint NOT NULL GENERATED ALWAYS AS IDENTITY UNIQUE,
    agent_id          uuid   NOT NULL,
    content           jsonb  NOT NULL
);

CREATE TABLE IF NOT EXISTS cpo.cpo_decisions (
    decision_id uuid  NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    agent_id    uuid  NOT NULL,
    content     jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS cpo.cpo_assumptions (
    assumption_id uuid  NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    agent_id      uuid  NOT NULL,
    content       jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS cpo.cpo_exceptions (
    exception_id uuid  NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    agent_id     uuid  NOT NULL,
    content      jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS cpo.cpo_drift_events (
    drift_event_id uuid  NOT NULL DEFAULT gen_random_uuid() PRIMARY KEY,
    agent_id       uuid  NOT NULL,
    content        jsonb NOT NULL
);

CREATE TABLE IF NOT EXISTS cpo.cpo_assumption_events (
    id       bigint NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id uuid   NOT NULL,
    content  jsonb  NOT NULL
);

CREATE TABLE IF NOT EXISTS cpo.cpo_exception_events (
    id       bigint NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id uuid   NOT NULL,
    content  jsonb  NOT NULL
);

CREATE TABLE IF NOT EXISTS cpo.cpo_drift_resolutions (
    id       bigint NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id uuid   NOT NULL,
    content  jsonb  NOT NULL
);

-- change_id lives inside content; `id` is the only generated column.
CREATE TABLE IF NOT EXISTS cpo.cpo_changes (
    id       bigint NOT NULL GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    agent_id uuid   NOT NULL,
    content  jsonb  NOT NULL
);

-- Export and verification filter by agent: one index per canonical table.
CREATE INDEX IF NOT EXISTS cpo_action_logs_agent_idx          ON cpo.cpo_action_logs (agent_id, seq);
CREATE INDEX IF NOT EXISTS cpo_charters_agent_idx             ON cpo.cpo_charters (agent_id);
CREATE INDEX IF NOT EXISTS cpo_charter_activations_agent_idx  ON cpo.cpo_charter_activations (agent_id, seq);
CREATE INDEX IF NOT EXISTS cpo_state_snapshots_agent_idx      ON cpo.cpo_state_snapshots (agent_id, seq);
CREATE INDEX IF NOT EXISTS cpo_decisions_agent_idx            ON cpo.cpo_decisions (agent_id);
CREATE INDEX IF NOT EXISTS cpo_assumptions_agent_idx          ON cpo.cpo_assumptions (agent_id);
CREATE INDEX IF NOT EXISTS cpo_exceptions_agent_idx           ON cpo.cpo_exceptions (agent_id);
CREATE INDEX IF NOT EXISTS cpo_drift_events_agent_idx         ON cpo.cpo_drift_events (agent_id);
CREATE INDEX IF NOT EXISTS cpo_assumption_events_agent_idx    ON cpo.cpo_assumption_events (agent_id, id);
CREATE INDEX IF NOT EXISTS cpo_exception_events_agent_idx     ON cpo.cpo_exception_events (agent_id, id);
CREATE INDEX IF NOT EXISTS cpo_drift_resolutions_agent_idx    ON cpo.cpo_drift_resolutions (agent_id, id);
CREATE INDEX IF NOT EXISTS cpo_changes_agent_idx              ON cpo.cpo_changes (agent_id, id);

-- Projection: one row per agent, maintained by the aperture and rebuildable
-- from the canonical tables by cpo.rebuild_agent_heads(schema). Never exported.
-- latest_action_seq is local to the schema it lives in (seq recomputes on
-- rehydrate; the registry declares it as the projection's seq_column), so
-- heads equivalence compares everything but it. artifact_counts maps every
-- canonical type (the action log included) to the agent's row count.
CREATE TABLE IF NOT EXISTS cpo.cpo_agent_heads (
    agent_id              uuid   NOT NULL PRIMARY KEY,
    latest_action_seq     bigint NOT NULL,
    latest_action         jsonb  NOT NULL,
    latest_state_snapshot jsonb,
    artifact_counts       jsonb  NOT NULL
);
