-- 140_cpo_durability.sql — registry-driven export, rehydrate, verification,
-- heads rebuild and the round-trip drill (seed 000, "Durability Drill Wiring").
--
-- No function here names a canonical table: every table, column and order
-- comes from cpo.get_canonical_artifact_types() / cpo.artifact_table_registry,
-- and every dynamic identifier goes through %I (or a regclass's own quoting).
--
-- Row digest: lowercase hex sha256 of the UTF-8 bytes of content::text.

-- The per-type ORDER BY expression of an export (alias t): the registry's
-- row_order_column (seq or identity id), else content bytes (COLLATE "C").
-- SQLSTATE: none raised.
CREATE OR REPLACE FUNCTION cpo.pack_row_order_expr(p_row_order_column text, p_content_column text)
RETURNS text
LANGUAGE sql
IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT CASE
               WHEN p_row_order_column IS NOT NULL THEN format('t.%I', p_row_order_column)
               ELSE format('t.%I::text COLLATE "C"', p_content_column)
           END
$$;

-- {"format": "cpo.evidence_pack/v1", "agent_id", "artifacts": {type: [content]},
--  "digests": {type: [sha256 hex]}, "export_order": [type]}: every canonical
-- exported type (possibly []), rows in deterministic order, generated columns
-- excluded, no timestamps (two exports of the same rows are byte-identical).
-- SQLSTATEs: 22004 null agent; 55000 the registry lists no canonical exported
-- type; P0002 the agent has no rows (an empty pack would prove nothing).
CREATE OR REPLACE FUNCTION cpo.export_evidence_pack(p_agent_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r           record;
    v_rows      jsonb;
    v_digests   jsonb;
    v_artifacts jsonb := '{}'::jsonb;
    v_all       jsonb := '{}'::jsonb;
    v_order     jsonb := '[]'::jsonb;
    v_types     integer := 0;
    v_total     bigint := 0;
BEGIN
    IF p_agent_id IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'export_evidence_pack: p_agent_id is null';
    END IF;

    FOR r IN SELECT g.* FROM cpo.get_canonical_artifact_types() g LOOP
        v_types := v_types + 1;
        EXECUTE format(
            'SELECT coalesce(jsonb_agg(t.%1$I ORDER BY %2$s), ''[]''::jsonb), '
            '       coalesce(jsonb_agg(encode(sha256(convert_to(t.%1$I::text, ''UTF8'')), ''hex'') ORDER BY %2$s), ''[]''::jsonb) '
            '  FROM %3$s t WHERE t.%4$I = $1',
            r.insert_content_column,
            cpo.pack_row_order_expr(r.row_order_column, r.insert_content_column),
            r.table_regclass,
            r.insert_agent_id_column)
        INTO v_rows, v_digests
        USING p_agent_id;
        v_total := v_total + jsonb_array_length(v_rows);
        v_artifacts := v_artifacts || jsonb_build_object(r.artifact_type, v_rows);
        v_all := v_all || jsonb_build_object(r.artifact_type, v_digests);
        v_order := v_order || to_jsonb(r.artifact_type);
    END LOOP;

    IF v_types = 0 THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'export_evidence_pack: the registry lists no canonical exported artifact type';
    END IF;
    IF v_total = 0 THEN
        RAISE EXCEPTION USING ERRCODE = 'P0002',
            MESSAGE = format('export_evidence_pack: agent %s has no canonical rows', p_agent_id);
    END IF;

    RETURN jsonb_build_object(
        'format', 'cpo.evidence_pack/v1',
        'agent_id', p_agent_id,
        'artifacts', v_artifacts,
        'digests', v_all,
        'export_order', v_order);
END
$$;

-- Rebuild one agent from a pack into p_target_schema: creates the schema and
-- every registry table (canonical and projection) as LIKE copies (defaults,
-- identity and generated columns recompute), then inserts only the registry's
-- insert columns, per type in pack order. Atomic: any refusal changes nothing.
-- Returns {"ok": true, "agent_id", "target_schema", "counts": {type: n}}.
-- SQLSTATEs: 22004 null pack or schema; 22023 not an object, unknown format,
-- bad agent_id, artifacts not an object, unknown or missing type, a type that
-- is not an array of objects, digests that do not match the rows, an empty,
-- over-long or system target schema, the source schema as target;
-- 23505 the agent already has rows in the target; 55000 empty registry.
CREATE OR REPLACE FUNCTION cpo.rehydrate_agent(p_pack jsonb, p_target_schema text)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r          record;
    v_agent    uuid;
    v_types    text[];
    v_key      text;
    v_rows     jsonb;
    v_counts   jsonb := '{}'::jsonb;
    v_present  boolean;
BEGIN
    IF p_pack IS NULL OR p_target_schema IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'rehydrate_agent: pack and target schema are required';
    END IF;
    IF jsonb_typeof(p_pack) <> 'object' THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'rehydrate_agent: the pack is not a JSON object';
    END IF;
    IF (p_pack ->> 'format') IS DISTINCT FROM 'cpo.evidence_pack/v1' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('rehydrate_agent: unknown pack format %s', coalesce(p_pack ->> 'format', '(none)'));
    END IF;
    BEGIN
        v_agent := (p_pack ->> 'agent_id')::uuid;
    EXCEPTION WHEN invalid_text_representation THEN
        v_agent := NULL;
    END;
    IF v_agent IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'rehydrate_agent: the pack has no valid agent_id';
    END IF;
    IF jsonb_typeof(p_pack -> 'artifacts') IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = 'rehydrate_agent: pack.artifacts is not an object';
    END IF;

    -- The target: a plain, user schema that is not where the registry lives.
    IF p_target_schema = '' OR octet_length(p_target_schema) > 63 THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = 'rehydrate_agent: the target schema name must be 1 to 63 bytes';
    END IF;
    IF p_target_schema IN ('pg_catalog', 'information_schema') OR p_target_schema LIKE 'pg\_%' THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('rehydrate_agent: %I is a system schema', p_target_schema);
    END IF;
    IF EXISTS (SELECT 1
                 FROM cpo.artifact_table_registry reg
                 JOIN pg_class c ON c.oid = reg.table_regclass
                 JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = p_target_schema) THEN
        RAISE EXCEPTION USING ERRCODE = '22023',
            MESSAGE = format('rehydrate_agent: %I is the source schema of the registry; refusing to write into it', p_target_schema);
    END IF;

    -- The pack's types must be exactly the registry's canonical exported types.
    SELECT array_agg(g.artifact_type ORDER BY g.export_order) INTO v_types
      FROM cpo.get_canonical_artifact_types() g;
    IF v_types IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = 'rehydrate_agent: the registry lists no canonical exported artifact type';
    END IF;
    FOR v_key, v_rows IN SELECT e.key, e.value FROM jsonb_each(p_pack -> 'artifacts') e LOOP
        IF NOT v_key = ANY (v_types) THEN
            RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('rehydrate_agent: unknown artifact type %L in pack', v_key);
        END IF;
        IF jsonb_typeof(v_rows) <> 'array'
           OR EXISTS (SELECT 1 FROM jsonb_array_elements(v_rows) e WHERE jsonb_typeof(e) <> 'object') THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('rehydrate_agent: pack.artifacts.%s is not an array of objects', v_key);
        END IF;
        IF p_pack ? 'digests' AND (p_pack -> 'digests' -> v_key) IS DISTINCT FROM
               (SELECT coalesce(jsonb_agg(encode(sha256(convert_to(e.value::text, 'UTF8')), 'hex') ORDER BY e.ord), '[]'::jsonb)
                  FROM jsonb_array_elements(v_rows) WITH ORDINALITY AS e(value, ord)) THEN
            RAISE EXCEPTION USING ERRCODE = '22023',
                MESSAGE = format('rehydrate_agent: pack digests of %s do not match its rows', v_key);
        END IF;
    END LOOP;
    FOREACH v_key IN ARRAY v_types LOOP
        IF NOT (p_pack -> 'artifacts') ? v_key THEN
            RAISE EXCEPTION USING ERRCODE = '22023', MESSAGE = format('rehydrate_agent: pack lacks artifact type %s', v_key);
        END IF;
    END LOOP;

    -- Build the target from the registry (every kind, so heads can be rebuilt).
    IF NOT EXISTS (SELECT 1 FROM pg_namespace n WHERE n.nspname = p_target_schema) THEN
        EXECUTE format('CREATE SCHEMA %I', p_target_schema);
    END IF;
    FOR r IN
        SELECT reg.table_regclass, c.relname
          FROM cpo.artifact_table_registry reg
          JOIN pg_class c ON c.oid = reg.table_regclass
         ORDER BY reg.export_order NULLS LAST, reg.artifact_type
    LOOP
        IF to_regclass(format('%I.%I', p_target_schema, r.relname)) IS NULL THEN
            EXECUTE format('CREATE TABLE %I.%I (LIKE %s INCLUDING DEFAULTS INCLUDING IDENTITY '
                           'INCLUDING GENERATED INCLUDING CONSTRAINTS INCLUDING INDEXES)',
                           p_target_schema, r.relname, r.table_regclass);
        END IF;
    END LOOP;

    -- Never merge into an agent the target already holds.
    FOR r IN
        SELECT g.artifact_type, g.insert_agent_id_column, c.relname
          FROM cpo.get_canonical_artifact_types() g
          JOIN pg_class c ON c.oid = g.table_regclass
    LOOP
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I t WHERE t.%I = $1)',
                       p_target_schema, r.relname, r.insert_agent_id_column)
        INTO v_present USING v_agent;
        IF v_present THEN
            RAISE EXCEPTION USING ERRCODE = '23505',
                MESSAGE = format('rehydrate_agent: agent %s already has %s rows in %I', v_agent, r.artifact_type, p_target_schema);
        END IF;
    END LOOP;

    -- Insert only the registry's insert columns, preserving pack order.
    FOR r IN
        SELECT g.artifact_type, g.insert_agent_id_column, g.insert_content_column, c.relname
          FROM cpo.get_canonical_artifact_types() g
          JOIN pg_class c ON c.oid = g.table_regclass
    LOOP
        v_rows := p_pack -> 'artifacts' -> r.artifact_type;
        EXECUTE format('INSERT INTO %I.%I (%I, %I) '
                       'SELECT $1, e.value FROM jsonb_array_elements($2) WITH ORDINALITY AS e(value, ord) '
                       'ORDER BY e.ord',
                       p_target_schema, r.relname, r.insert_agent_id_column, r.insert_content_column)
        USING v_agent, v_rows;
        v_counts := v_counts || jsonb_build_object(r.artifact_type, jsonb_array_length(v_rows));
    END LOOP;

    RETURN jsonb_build_object('ok', true, 'agent_id', v_agent, 'target_schema', p_target_schema, 'counts', v_counts);
END
$$;

-- Per registry type, the sha256 multiset of the agent's content rows in the
-- source schema against the target schema, both directions, with multiplicity.
-- {"ok", "agent_id", "source_schema", "target_schema", "errors": [text],
--  "types": {type: {"source_count", "target_count", "missing", "extra"}}}
-- missing = source digests absent from the target, extra = the converse;
-- both sorted. ok is false when any type differs, a table is missing, the
-- registry lists no type, source and target are the same schema, or the source
-- holds no row of the agent (never pass vacuously).
-- SQLSTATE: 22004 null argument.
CREATE OR REPLACE FUNCTION cpo.verify_reconstruction(p_agent_id uuid, p_source_schema text, p_target_schema text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r        record;
    v_src    regclass;
    v_tgt    regclass;
    v_sc     bigint;
    v_tc     bigint;
    v_miss   jsonb;
    v_extra  jsonb;
    v_types  jsonb := '{}'::jsonb;
    v_errors jsonb := '[]'::jsonb;
    v_ok     boolean := true;
    v_n      integer := 0;
    v_total  bigint := 0;
BEGIN
    IF p_agent_id IS NULL OR p_source_schema IS NULL OR p_target_schema IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'verify_reconstruction: agent, source and target are required';
    END IF;
    IF p_source_schema = p_target_schema THEN
        v_ok := false;
        v_errors := v_errors || to_jsonb('source and target are the same schema'::text);
    END IF;

    FOR r IN
        SELECT g.artifact_type, g.insert_agent_id_column, g.insert_content_column, c.relname
          FROM cpo.get_canonical_artifact_types() g
          JOIN pg_class c ON c.oid = g.table_regclass
    LOOP
        v_n := v_n + 1;
        v_src := to_regclass(format('%I.%I', p_source_schema, r.relname));
        v_tgt := to_regclass(format('%I.%I', p_target_schema, r.relname));
        IF v_src IS NULL OR v_tgt IS NULL THEN
            v_ok := false;
            v_errors := v_errors || to_jsonb(format('%s: table missing in %s', r.artifact_type,
                                                    CASE WHEN v_src IS NULL THEN 'source' ELSE 'target' END));
            v_types := v_types || jsonb_build_object(r.artifact_type, jsonb_build_object(
                'source_count', NULL, 'target_count', NULL, 'missing', '[]'::jsonb, 'extra', '[]'::jsonb,
                'table_missing', true));
            CONTINUE;
        END IF;
        EXECUTE format(
            'WITH s AS (SELECT encode(sha256(convert_to(t.%3$I::text, ''UTF8'')), ''hex'') AS d FROM %1$s t WHERE t.%4$I = $1), '
            '     x AS (SELECT encode(sha256(convert_to(t.%3$I::text, ''UTF8'')), ''hex'') AS d FROM %2$s t WHERE t.%4$I = $1), '
            '     sn AS (SELECT s.d, row_number() OVER (PARTITION BY s.d) AS n FROM s), '
            '     xn AS (SELECT x.d, row_number() OVER (PARTITION BY x.d) AS n FROM x) '
            'SELECT (SELECT count(*) FROM s), (SELECT count(*) FROM x), '
            '       coalesce((SELECT jsonb_agg(sn.d ORDER BY sn.d) FROM sn '
            '                  WHERE NOT EXISTS (SELECT 1 FROM xn WHERE xn.d = sn.d AND xn.n = sn.n)), ''[]''::jsonb), '
            '       coalesce((SELECT jsonb_agg(xn.d ORDER BY xn.d) FROM xn '
            '                  WHERE NOT EXISTS (SELECT 1 FROM sn WHERE sn.d = xn.d AND sn.n = xn.n)), ''[]''::jsonb)',
            v_src, v_tgt, r.insert_content_column, r.insert_agent_id_column)
        INTO v_sc, v_tc, v_miss, v_extra
        USING p_agent_id;
        v_total := v_total + v_sc;
        IF jsonb_array_length(v_miss) > 0 OR jsonb_array_length(v_extra) > 0 THEN
            v_ok := false;
        END IF;
        v_types := v_types || jsonb_build_object(r.artifact_type, jsonb_build_object(
            'source_count', v_sc, 'target_count', v_tc, 'missing', v_miss, 'extra', v_extra));
    END LOOP;

    IF v_n = 0 THEN
        v_ok := false;
        v_errors := v_errors || to_jsonb('the registry lists no canonical exported artifact type'::text);
    ELSIF v_total = 0 THEN
        v_ok := false;
        v_errors := v_errors || to_jsonb('the source holds no row of the agent'::text);
    END IF;

    RETURN jsonb_build_object('ok', v_ok, 'agent_id', p_agent_id, 'source_schema', p_source_schema,
                              'target_schema', p_target_schema, 'types', v_types, 'errors', v_errors);
END
$$;

-- Recompute the projection of every agent in p_schema from its canonical
-- tables (located through the registry): latest action, latest state
-- snapshot and per-type counts. Returns the number of heads rows written.
-- SQLSTATEs: 22004 null schema; 42P01 a registry table is missing there;
-- 55000 the registry has no projection or no action-log row.
CREATE OR REPLACE FUNCTION cpo.rebuild_agent_heads(p_schema text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r         record;
    v_heads   regclass;
    v_log     regclass;
    v_state   regclass;
    v_counts  text[] := ARRAY[]::text[];
    v_types   text[] := ARRAY[]::text[];
    v_rel     regclass;
    v_n       integer;
BEGIN
    IF p_schema IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'rebuild_agent_heads: p_schema is null';
    END IF;
    FOR r IN
        SELECT reg.artifact_type, reg.table_regclass, reg.table_kind, reg.insert_agent_id_column, c.relname
          FROM cpo.artifact_table_registry reg
          JOIN pg_class c ON c.oid = reg.table_regclass
         ORDER BY reg.export_order NULLS LAST, reg.artifact_type
    LOOP
        v_rel := to_regclass(format('%I.%I', p_schema, r.relname));
        IF v_rel IS NULL THEN
            RAISE EXCEPTION USING ERRCODE = '42P01',
                MESSAGE = format('rebuild_agent_heads: %I.%I does not exist', p_schema, r.relname);
        END IF;
        IF r.table_kind = 'projection' THEN
            v_heads := v_rel;
        ELSIF r.artifact_type IN (SELECT g.artifact_type FROM cpo.get_canonical_artifact_types() g) THEN
            v_types := v_types || r.artifact_type;
            v_counts := v_counts || format('SELECT t.%I AS agent_id, %L::text AS artifact_type, count(*) AS n FROM %s t GROUP BY 1',
                                           r.insert_agent_id_column, r.artifact_type, v_rel);
            IF r.table_regclass = 'cpo.cpo_action_logs'::regclass THEN
                v_log := v_rel;
            ELSIF r.table_regclass = 'cpo.cpo_state_snapshots'::regclass THEN
                v_state := v_rel;
            END IF;
        END IF;
    END LOOP;
    IF v_heads IS NULL OR v_log IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000',
            MESSAGE = 'rebuild_agent_heads: the registry lacks the projection or the action log';
    END IF;

    EXECUTE format('DELETE FROM %s', v_heads);
    EXECUTE format(
        'WITH counts AS (%1$s) '
        'INSERT INTO %2$s (agent_id, latest_action_seq, latest_action, latest_state_snapshot, artifact_counts) '
        'SELECT a.agent_id, a.seq, a.content, %4$s, '
        '       (SELECT jsonb_object_agg(ty.artifact_type, coalesce(c.n, 0)) '
        '          FROM unnest($1::text[]) AS ty(artifact_type) '
        '          LEFT JOIN counts c ON c.agent_id = a.agent_id AND c.artifact_type = ty.artifact_type) '
        '  FROM (SELECT DISTINCT ON (l.agent_id) l.agent_id, l.seq, l.content FROM %3$s l ORDER BY l.agent_id, l.seq DESC) a',
        array_to_string(v_counts, ' UNION ALL '),
        v_heads,
        v_log,
        CASE WHEN v_state IS NULL THEN 'NULL::jsonb'
             ELSE format('(SELECT s.content FROM %s s WHERE s.agent_id = a.agent_id ORDER BY s.seq DESC LIMIT 1)', v_state)
        END)
    USING v_types;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END
$$;

-- Compare the agent's projection row in two schemas, ignoring the projection's
-- schema-local seq column (declared as its seq_column in the registry).
-- {"ok", "agent_id", "source": row, "target": row, "errors": [text]}; a
-- missing row or table, or a registry without a projection, is not ok.
-- SQLSTATE: 22004 null argument.
CREATE OR REPLACE FUNCTION cpo.verify_heads_equivalence(p_agent_id uuid, p_source_schema text, p_target_schema text)
RETURNS jsonb
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    r        record;
    v_src    regclass;
    v_tgt    regclass;
    v_s      jsonb;
    v_t      jsonb;
    v_ok     boolean := true;
    v_n      integer := 0;
    v_errors jsonb := '[]'::jsonb;
    v_out_s  jsonb := '{}'::jsonb;
    v_out_t  jsonb := '{}'::jsonb;
BEGIN
    IF p_agent_id IS NULL OR p_source_schema IS NULL OR p_target_schema IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '22004', MESSAGE = 'verify_heads_equivalence: agent, source and target are required';
    END IF;
    FOR r IN
        SELECT reg.artifact_type, reg.insert_agent_id_column, reg.seq_column, c.relname
          FROM cpo.artifact_table_registry reg
          JOIN pg_class c ON c.oid = reg.table_regclass
         WHERE reg.table_kind = 'projection'
         ORDER BY reg.artifact_type
    LOOP
        v_n := v_n + 1;
        v_src := to_regclass(format('%I.%I', p_source_schema, r.relname));
        v_tgt := to_regclass(format('%I.%I', p_target_schema, r.relname));
        IF v_src IS NULL OR v_tgt IS NULL THEN
            v_ok := false;
            v_errors := v_errors || to_jsonb(format('%s: table missing', r.artifact_type));
            CONTINUE;
        END IF;
        EXECUTE format('SELECT to_jsonb(t) - %L::text FROM %s t WHERE t.%I = $1',
                       coalesce(r.seq_column, ''), v_src, r.insert_agent_id_column)
        INTO v_s USING p_agent_id;
        EXECUTE format('SELECT to_jsonb(t) - %L::text FROM %s t WHERE t.%I = $1',
                       coalesce(r.seq_column, ''), v_tgt, r.insert_agent_id_column)
        INTO v_t USING p_agent_id;
        IF v_s IS NULL OR v_t IS NULL THEN
            v_ok := false;
            v_errors := v_errors || to_jsonb(format('%s: no row for the agent in %s', r.artifact_type,
                                                    CASE WHEN v_s IS NULL THEN 'source' ELSE 'target' END));
        ELSIF v_s IS DISTINCT FROM v_t THEN
            v_ok := false;
            v_errors := v_errors || to_jsonb(format('%s: rows differ', r.artifact_type));
        END IF;
        v_out_s := v_out_s || jsonb_build_object(r.artifact_type, v_s);
        v_out_t := v_out_t || jsonb_build_object(r.artifact_type, v_t);
    END LOOP;
    IF v_n = 0 THEN
        v_ok := false;
        v_errors := v_errors || to_jsonb('the registry lists no projection'::text);
    END IF;
    RETURN jsonb_build_object('ok', v_ok, 'agent_id', p_agent_id, 'source', v_out_s, 'target', v_out_t, 'errors', v_errors);
END
$$;

-- The drill: export -> rehydrate into a fresh scratch schema -> rebuild heads
-- -> verify rows and heads -> drop the scratch schema.
-- {"pass": bool, "verify", "heads", "rehydrate", "scratch_schema"}.
-- SQLSTATEs: those of export_evidence_pack and rehydrate_agent (the scratch
-- schema never survives an error: the statement rolls back).
CREATE OR REPLACE FUNCTION cpo.durability_round_trip_test(p_agent_id uuid)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_source    text;
    v_scratch   text := 'cpo_rt_' || replace(gen_random_uuid()::text, '-', '');
    v_pack      jsonb;
    v_rehydrate jsonb;
    v_verify    jsonb;
    v_heads     jsonb;
BEGIN
    SELECT min(n.nspname) INTO v_source
      FROM cpo.get_canonical_artifact_types() g
      JOIN pg_class c ON c.oid = g.table_regclass
      JOIN pg_namespace n ON n.oid = c.relnamespace;
    IF v_source IS NULL THEN
        RAISE EXCEPTION USING ERRCODE = '55000', MESSAGE = 'durability_round_trip_test: the registry lists no canonical type';
    END IF;

    v_pack := cpo.export_evidence_pack(p_agent_id);
    v_rehydrate := cpo.rehydrate_agent(v_pack, v_scratch);
    PERFORM cpo.rebuild_agent_heads(v_scratch);
    v_verify := cpo.verify_reconstruction(p_agent_id, v_source, v_scratch);
    v_heads := cpo.verify_heads_equivalence(p_agent_id, v_source, v_scratch);
    EXECUTE format('DROP SCHEMA %I CASCADE', v_scratch);

    RETURN jsonb_build_object(
        'pass', coalesce((v_verify ->> 'ok')::boolean, false) AND coalesce((v_heads ->> 'ok')::boolean, false),
        'verify', v_verify,
        'heads', v_heads,
        'rehydrate', v_rehydrate,
        'scratch_schema', v_scratch);
END
$$;
