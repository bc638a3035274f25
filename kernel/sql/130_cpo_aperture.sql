-- 130_cpo_aperture.sql — the immutability guard and the write aperture
-- cpo.commit_action (seed 000, "Write Aperture Coverage Theorem").
--
-- Guard (dual condition, proof 7): a canonical table accepts an INSERT only
-- when (1) the transaction carries the aperture token that commit_action sets
-- for the duration of its writes AND (2) the statement runs as the table's
-- owner, i.e. inside the SECURITY DEFINER aperture. UPDATE, DELETE and
-- TRUNCATE are refused for every role. A role without INSERT privilege is
-- refused by the privilege system first (42501); forging the token from a
-- session fails condition (2).

-- SQLSTATE: 42501 for every refused statement.
CREATE OR REPLACE FUNCTION cpo.guard_canonical_write()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
    IF TG_OP = 'INSERT'
       AND coalesce(current_setting('cpo.aperture', true), '') = pg_current_xact_id()::text
       AND current_user = (SELECT c.relowner::regrole::name FROM pg_class c WHERE c.oid = TG_RELID)
    THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        RAISE EXCEPTION USING
            ERRCODE = '42501',
            MESSAGE = format('direct INSERT into %I.%I refused: canonical rows are written only through cpo.commit_action',
                             TG_TABLE_SCHEMA, TG_TABLE_NAME);
    END IF;
    RAISE EXCEPTION USING
        ERRCODE = '42501',
        MESSAGE = format('%s on %I.%I refused: canonical tables are append-only', TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME);
END
$$;

-- One statement-level guard per canonical table, driven by the registry (a
-- statement trigger fires even when no row matches, so an UPDATE or DELETE
-- that would touch nothing is refused too).
DO $guards$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT g.table_regclass FROM cpo.get_canonical_artifact_types() g LOOP
        IF EXISTS (SELECT 1 FROM pg_trigger t
                    WHERE t.tgrelid = r.table_regclass AND t.tgname = 'cpo_guard_canonical_write') THEN
            CONTINUE;
        END IF;
        EXECUTE format('CREATE TRIGGER cpo_guard_canonical_write '
                       'BEFORE INSERT OR UPDATE OR DELETE OR TRUNCATE ON %s '
                       'FOR EACH STATEMENT EXECUTE FUNCTION cpo.guard_canonical_write()',
                       r.table_regclass);
    END LOOP;
END
$guards$;

-- The only write aperture. Writes one action-log row (content {"action_type",
-- "action", "actor_id"}) and, for each key of p_artifacts (a registered,
-- canonical, exported artifact type other than the action log) one row per
-- element of its array, in array order. Everything is validated before the
-- first write; any error leaves nothing behind. Maintains cpo_agent_heads.
-- Returns the new action_log_id.
-- SQLSTATEs: 22004 null agent, action type or action; 22023 empty action
-- type, p_artifacts not an object, unknown/unexported/action-log type, a value
-- that is not an array, an element that is not an object.
CREATE OR REPLACE FUNCTION cpo.commit_action(
    p_action_type text,
    p_action      jsonb,
    p_artifacts   jsonb,
    p_agent_id    uuid,
    p_actor_id    uuid)
RETURNS uuid
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_artifacts     jsonb := coalesce(p_artifacts, '{}'::jsonb);
    v_log_type      text;
    v_key           text;
    v_rows          jsonb;
    v_action        jsonb;
    v_action_log_id uuid;
    v_seq           bigint;
    v_added         jsonb;
    v_state         jsonb;
    r               record;
BEGIN
    IF p_agent_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'commit_action: p_agent_id is null';
    END IF;
    IF p_action_type IS NULL OR p_action IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'commit_action: p_action_type and p_action are required';
    END IF;
    IF p_action_type = '' THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'commit_action: p_action_type is empty';
    END IF;
    IF jsonb_typeof(v_artifacts) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('commit_action: p_artifacts must be an object of artifact_type -> array, got %s',
                             jsonb_typeof(v_artifacts));
    END IF;

    SELECT g.artifact_type INTO v_log_type
      FROM cpo.get_canonical_artifact_types() g
     WHERE g.table_regclass = 'cpo.cpo_action_logs'::regclass;
    IF v_log_type IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = 'commit_action: the action log is not a registered canonical type';
    END IF;

    FOR v_key, v_rows IN SELECT e.key, e.value FROM jsonb_each(v_artifacts) e LOOP
        IF v_key = v_log_type THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('commit_action: %s rows are written by the aperture itself, not through p_artifacts', v_key);
        END IF;
        IF NOT EXISTS (SELECT 1 FROM cpo.get_canonical_artifact_types() g WHERE g.artifact_type = v_key) THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('commit_action: unknown artifact type %L', v_key);
        END IF;
        IF jsonb_typeof(v_rows) <> 'array' THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('commit_action: artifacts of type %s must be an array, got %s', v_key, jsonb_typeof(v_rows));
        END IF;
        IF EXISTS (SELECT 1 FROM jsonb_array_elements(v_rows) e WHERE jsonb_typeof(e) <> 'object') THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('commit_action: every %s content must be a JSON object', v_key);
        END IF;
    END LOOP;

    v_action := jsonb_build_object('action_type', p_action_type, 'action', p_action, 'actor_id', p_actor_id);
    v_added := jsonb_build_object(v_log_type, 1);

    PERFORM set_config('cpo.aperture', pg_current_xact_id()::text, true);

    INSERT INTO cpo.cpo_action_logs (agent_id, content)
    VALUES (p_agent_id, v_action)
    RETURNING action_log_id, seq INTO v_action_log_id, v_seq;

    FOR r IN
        SELECT g.artifact_type, g.table_regclass, g.insert_agent_id_column, g.insert_content_column, a.value AS rows
          FROM cpo.get_canonical_artifact_types() g
          JOIN jsonb_each(v_artifacts) a ON a.key = g.artifact_type
         ORDER BY g.export_order
    LOOP
        EXECUTE format('INSERT INTO %s (%I, %I) '
                       'SELECT $1, e.value FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, ord) '
                       'ORDER BY e.ord',
                       r.table_regclass, r.insert_agent_id_column, r.insert_content_column)
        USING p_agent_id, r.rows;
        v_added := v_added || jsonb_build_object(r.artifact_type, jsonb_array_length(r.rows));
    END LOOP;

    PERFORM set_config('cpo.aperture', '', true);

    -- Projection maintenance: the last state snapshot of this action, if any.
    SELECT e.value INTO v_state
      FROM cpo.get_canonical_artifact_types() g
      JOIN jsonb_each(v_artifacts) a ON a.key = g.artifact_type,
           jsonb_array_elements(a.value) WITH ORDINALITY AS e(value, ord)
     WHERE g.table_regclass = 'cpo.cpo_state_snapshots'::regclass
     ORDER BY e.ord DESC
     LIMIT 1;

    INSERT INTO cpo.cpo_agent_heads AS h
        (agent_id, latest_action_seq, latest_action, latest_state_snapshot, artifact_counts)
    SELECT p_agent_id, v_seq, v_action, v_state,
           jsonb_object_agg(g.artifact_type, coalesce((v_added ->> g.artifact_type)::bigint, 0))
      FROM cpo.get_canonical_artifact_types() g
    ON CONFLICT (agent_id) DO UPDATE
       SET latest_action_seq     = EXCLUDED.latest_action_seq,
           latest_action         = EXCLUDED.latest_action,
           latest_state_snapshot = coalesce(EXCLUDED.latest_state_snapshot, h.latest_state_snapshot),
           artifact_counts       = (SELECT jsonb_object_agg(k.key,
                                               coalesce((h.artifact_counts ->> k.key)::bigint, 0)
                                             + coalesce((v_added ->> k.key)::bigint, 0))
                                      FROM (SELECT jsonb_object_keys(h.artifact_counts) AS key
                                            UNION
                                            SELECT jsonb_object_keys(v_added)) k);

    RETURN v_action_log_id;
END
$$;
