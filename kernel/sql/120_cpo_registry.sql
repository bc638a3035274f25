-- 120_cpo_registry.sql — the truthful artifact table registry (seed 000, v3.2)
-- and its read helper.
--
-- The registry is the single source of truth for durability: export,
-- rehydrate, verification and heads rebuild iterate it; nothing keeps a
-- hand-written list of tables. Its truthfulness (every declared column exists,
-- every aperture target and every cpo table is registered, canonical implies
-- exported) is checked by cpo.run_write_aperture_proofs(), not by constraints,
-- so a corrupted registry is reported by a named proof.
--
-- row_order_column: the column giving the deterministic per-type row order of
-- an export (seq, or the identity `id`); NULL means the table has no generated
-- order and rows are exported in byte order of content::text (COLLATE "C").

CREATE TABLE IF NOT EXISTS cpo.artifact_table_registry (
    artifact_type          text     NOT NULL PRIMARY KEY,
    table_regclass         regclass NOT NULL UNIQUE,
    table_kind             text     NOT NULL CHECK (table_kind IN ('canonical', 'projection')),
    is_canonical           boolean  NOT NULL,
    is_exported            boolean  NOT NULL,
    export_order           integer  UNIQUE,
    logical_id_column      text,
    seq_column             text,
    insert_agent_id_column text     NOT NULL,
    insert_content_column  text,
    row_order_column       text,
    CONSTRAINT artifact_table_registry_kind_matches CHECK (is_canonical = (table_kind = 'canonical'))
);

-- Seed rows: explicit column lists (v3.1 blocker A), actual column names (v3.2).
INSERT INTO cpo.artifact_table_registry
    (artifact_type, table_regclass, table_kind, is_canonical, is_exported, export_order,
     logical_id_column, seq_column, insert_agent_id_column, insert_content_column, row_order_column)
VALUES
    ('cpo_action_logs',         'cpo.cpo_action_logs',         'canonical', true, true,  1, 'action_log_id',      'seq', 'agent_id', 'content', 'seq'),
    ('cpo_charters',            'cpo.cpo_charters',            'canonical', true, true,  2, 'charter_version_id', NULL,  'agent_id', 'content', NULL),
    ('cpo_charter_activations', 'cpo.cpo_charter_activations', 'canonical', true, true,  3, 'activation_id',      'seq', 'agent_id', 'content', 'seq'),
    ('cpo_state_snapshots',     'cpo.cpo_state_snapshots',     'canonical', true, true,  4, 'state_snapshot_id',  'seq', 'agent_id', 'content', 'seq'),
    ('cpo_decisions',           'cpo.cpo_decisions',           'canonical', true, true,  5, 'decision_id',        NULL,  'agent_id', 'content', NULL),
    ('cpo_assumptions',         'cpo.cpo_assumptions',         'canonical', true, true,  6, 'assumption_id',      NULL,  'agent_id', 'content', NULL),
    ('cpo_exceptions',          'cpo.cpo_exceptions',          'canonical', true, true,  7, 'exception_id',       NULL,  'agent_id', 'content', NULL),
    ('cpo_drift_events',        'cpo.cpo_drift_events',        'canonical', true, true,  8, 'drift_event_id',     NULL,  'agent_id', 'content', NULL),
    ('cpo_assumption_events',   'cpo.cpo_assumption_events',   'canonical', true, true,  9, 'id',                 NULL,  'agent_id', 'content', 'id'),
    ('cpo_exception_events',    'cpo.cpo_exception_events',    'canonical', true, true, 10, 'id',                 NULL,  'agent_id', 'content', 'id'),
    ('cpo_drift_resolutions',   'cpo.cpo_drift_resolutions',   'canonical', true, true, 11, 'id',                 NULL,  'agent_id', 'content', 'id'),
    ('cpo_changes',             'cpo.cpo_changes',             'canonical', true, true, 12, 'id',                 NULL,  'agent_id', 'content', 'id'),
    ('cpo_agent_heads',         'cpo.cpo_agent_heads',         'projection', false, false, NULL, 'agent_id',      'latest_action_seq', 'agent_id', NULL, NULL)
ON CONFLICT (artifact_type) DO NOTHING;

-- Canonical, exported registry rows in export order. Never empty on a sound
-- kernel; callers treat an empty answer as a failure (fail closed).
-- SQLSTATE: none raised.
CREATE OR REPLACE FUNCTION cpo.get_canonical_artifact_types()
RETURNS SETOF cpo.artifact_table_registry
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT r.*
      FROM cpo.artifact_table_registry r
     WHERE r.table_kind = 'canonical'
       AND r.is_canonical
       AND r.is_exported
     ORDER BY r.export_order, r.artifact_type
$$;
