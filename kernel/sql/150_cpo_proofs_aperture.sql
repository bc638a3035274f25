-- 150_cpo_proofs_aperture.sql — write aperture coverage proofs 1–7 (seed 000,
-- "P2 v3.2 Proof Summary"). Each proof runs in its own sub-transaction: an
-- error inside a proof is that proof failing (fail closed), never a pass; a
-- proof that finds nothing to check fails.
--
--   1 commit_action resolved by exact regprocedure, no other overload, SECURITY
--     DEFINER owned by cpo_owner
--   2 INSERT targets extracted from its body (literal targets, plus the
--     registry's canonical tables when it inserts dynamically through the
--     registry) — zero targets is a hard failure
--   3 the spine cpo.cpo_action_logs is a target
--   4 every target is registered (exact regclass equality, no name matching)
--   5 canonical rows are exported with an export_order, projections are not
--     exported, and every table of the registry's schemas is registered
--   6 every column the registry declares exists on its table
--   7 dual-condition immutability guard on every canonical table, and no role
--     but the owner holds a write privilege on one
-- SQLSTATE: none raised (a failing proof is a row with passed = false).

-- The tables cpo.commit_action(text,jsonb,jsonb,uuid,uuid) can insert into:
-- (target text, oid regclass, how text); oid is NULL when a literal target does
-- not resolve. Shared by proofs 2–4.
CREATE OR REPLACE FUNCTION cpo.aperture_insert_targets()
RETURNS TABLE(target text, target_oid regclass, how text)
LANGUAGE plpgsql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_proc regprocedure := to_regprocedure('cpo.commit_action(text,jsonb,jsonb,uuid,uuid)');
    v_src  text;
    m      text[];
BEGIN
    IF v_proc IS NULL THEN
        RETURN;
    END IF;
    SELECT p.prosrc INTO v_src FROM pg_proc p WHERE p.oid = v_proc;
    FOR m IN
        SELECT regexp_matches(v_src,
            'INSERT\s+INTO\s+((?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*)(?:\s*\.\s*(?:"(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_$]*))?)',
            'gi')
    LOOP
        target := regexp_replace(m[1], '\s+', '', 'g');
        target_oid := to_regclass(target);
        how := 'literal';
        RETURN NEXT;
    END LOOP;
    IF v_src ~* 'EXECUTE\s+format\s*\(\s*''INSERT\s+INTO\s+%'
       AND v_src ~* '(get_canonical_artifact_types|artifact_table_registry)' THEN
        FOR target, target_oid IN
            SELECT g.table_regclass::text, g.table_regclass FROM cpo.get_canonical_artifact_types() g
        LOOP
            how := 'dynamic via registry';
            RETURN NEXT;
        END LOOP;
    END IF;
END
$$;

CREATE OR REPLACE FUNCTION cpo.run_write_aperture_proofs()
RETURNS TABLE(proof integer, name text, passed boolean, detail text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_proc    regprocedure;
    v_n       bigint;
    v_list    text;
    v_ok      boolean;
    v_bad     text;
BEGIN
    -- 1
    proof := 1; name := 'commit_action resolved by exact signature';
    BEGIN
        v_proc := to_regprocedure('cpo.commit_action(text,jsonb,jsonb,uuid,uuid)');
        SELECT count(*), string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text)
          INTO v_n, v_list
          FROM pg_proc p
         WHERE p.pronamespace = 'cpo'::regnamespace AND p.proname = 'commit_action';
        IF v_proc IS NULL THEN
            passed := false; detail := format('cpo.commit_action(text,jsonb,jsonb,uuid,uuid) does not exist; found: %s', coalesce(v_list, 'none'));
        ELSIF v_n <> 1 THEN
            passed := false; detail := format('%s overloads of cpo.commit_action: %s (exactly one is allowed)', v_n, v_list);
        ELSIF NOT EXISTS (SELECT 1 FROM pg_proc p WHERE p.oid = v_proc AND p.prosecdef
                             AND p.proowner = (SELECT r.oid FROM pg_roles r WHERE r.rolname = 'cpo_owner')) THEN
            passed := false; detail := 'cpo.commit_action is not SECURITY DEFINER owned by cpo_owner';
        ELSE
            passed := true; detail := v_proc::text;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 2
    proof := 2; name := 'INSERT targets extracted (zero is a failure)';
    BEGIN
        SELECT count(*), string_agg(t.target || ' (' || t.how || ')', ', ' ORDER BY t.target)
          INTO v_n, v_list FROM cpo.aperture_insert_targets() t;
        IF v_n = 0 THEN
            passed := false; detail := 'PROOF FAIL: extracted ZERO insert targets from cpo.commit_action';
        ELSE
            passed := true; detail := v_list;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 3
    proof := 3; name := 'baseline target cpo.cpo_action_logs present';
    BEGIN
        v_ok := EXISTS (SELECT 1 FROM cpo.aperture_insert_targets() t
                         WHERE t.target_oid = to_regclass('cpo.cpo_action_logs'));
        passed := coalesce(v_ok, false);
        detail := CASE WHEN passed THEN 'cpo.cpo_action_logs is an insert target'
                       ELSE 'PROOF FAIL: baseline target cpo.cpo_action_logs not found' END;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 4
    proof := 4; name := 'every insert target is registered (exact regclass)';
    BEGIN
        SELECT count(*) INTO v_n FROM cpo.aperture_insert_targets();
        SELECT string_agg(DISTINCT t.target, ', ') INTO v_bad
          FROM cpo.aperture_insert_targets() t
         WHERE t.target_oid IS NULL
            OR NOT EXISTS (SELECT 1 FROM cpo.artifact_table_registry r WHERE r.table_regclass = t.target_oid);
        IF v_n = 0 THEN
            passed := false; detail := 'no insert targets to check';
        ELSIF v_bad IS NOT NULL THEN
            passed := false; detail := 'unregistered insert targets: ' || v_bad;
        ELSE
            passed := true; detail := format('%s targets registered', v_n);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 5
    proof := 5; name := 'canonical tables exported, projections not, no orphan tables';
    BEGIN
        SELECT count(*) INTO v_n FROM cpo.artifact_table_registry r WHERE r.table_kind = 'canonical';
        SELECT string_agg(x, '; ') INTO v_bad FROM (
            SELECT format('%s is canonical but not exported with an export_order', r.artifact_type) AS x
              FROM cpo.artifact_table_registry r
             WHERE r.table_kind = 'canonical' AND NOT (r.is_canonical AND r.is_exported AND r.export_order IS NOT NULL)
            UNION ALL
            SELECT format('projection %s is exported', r.artifact_type)
              FROM cpo.artifact_table_registry r
             WHERE r.table_kind = 'projection' AND (r.is_exported OR r.is_canonical)
            UNION ALL
            SELECT format('table %s is not registered', c.oid::regclass)
              FROM pg_class c
             WHERE c.relkind IN ('r', 'p')
               AND c.relnamespace IN (SELECT c2.relnamespace FROM cpo.artifact_table_registry r
                                        JOIN pg_class c2 ON c2.oid = r.table_regclass
                                      UNION SELECT 'cpo'::regnamespace)
               AND c.oid <> 'cpo.artifact_table_registry'::regclass
               AND NOT EXISTS (SELECT 1 FROM cpo.artifact_table_registry r WHERE r.table_regclass = c.oid)
        ) f;
        IF v_n = 0 THEN
            passed := false; detail := 'the registry has no canonical rows';
        ELSIF v_bad IS NOT NULL THEN
            passed := false; detail := v_bad;
        ELSE
            passed := true; detail := format('%s canonical types exported', v_n);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 6
    proof := 6; name := 'every declared column exists';
    BEGIN
        SELECT count(*) INTO v_n FROM cpo.artifact_table_registry;
        SELECT string_agg(format('%s.%s = %s', d.artifact_type, d.field, coalesce(d.col, 'NULL')), ', ' ORDER BY d.artifact_type, d.field)
          INTO v_bad
          FROM (SELECT r.artifact_type, r.table_regclass, x.field, x.col, x.required
                  FROM cpo.artifact_table_registry r,
                       LATERAL (VALUES ('logical_id_column', r.logical_id_column, false),
                                       ('seq_column', r.seq_column, false),
                                       ('row_order_column', r.row_order_column, false),
                                       ('insert_agent_id_column', r.insert_agent_id_column, true),
                                       ('insert_content_column', r.insert_content_column, r.table_kind = 'canonical'))
                               AS x(field, col, required)) d
         WHERE (d.col IS NULL AND d.required)
            OR (d.col IS NOT NULL AND NOT EXISTS (
                    SELECT 1 FROM pg_attribute a
                     WHERE a.attrelid = d.table_regclass AND a.attname = d.col
                       AND a.attnum > 0 AND NOT a.attisdropped));
        IF v_n = 0 THEN
            passed := false; detail := 'the registry is empty';
        ELSIF v_bad IS NOT NULL THEN
            passed := false; detail := 'declared columns that do not exist: ' || v_bad;
        ELSE
            passed := true; detail := format('all declared columns of %s registry rows exist', v_n);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 7
    proof := 7; name := 'dual-condition immutability guard on every canonical table';
    BEGIN
        SELECT count(*) INTO v_n FROM cpo.artifact_table_registry r WHERE r.table_kind = 'canonical';
        SELECT string_agg(x, '; ') INTO v_bad FROM (
            SELECT format('%s: no enabled BEFORE %s guard checking both the aperture token and the owner',
                          r.table_regclass, ev.name) AS x
              FROM cpo.artifact_table_registry r
             CROSS JOIN (VALUES ('INSERT', 4), ('DELETE', 8), ('UPDATE', 16), ('TRUNCATE', 32)) AS ev(name, bit)
             WHERE r.table_kind = 'canonical'
               AND NOT EXISTS (
                   SELECT 1
                     FROM pg_trigger tg
                     JOIN pg_proc fn ON fn.oid = tg.tgfoid
                    WHERE tg.tgrelid = r.table_regclass
                      AND NOT tg.tgisinternal
                      AND tg.tgenabled <> 'D'
                      AND (tg.tgtype & 2) = 2          -- BEFORE
                      AND (tg.tgtype & ev.bit) = ev.bit
                      AND fn.prosrc ~ 'current_setting\s*\(\s*''cpo\.aperture'''
                      AND fn.prosrc ~* '\mcurrent_user\M')
            UNION ALL
            SELECT format('%s: role %s holds %s', r.table_regclass, ro.rolname, pr.p)
              FROM cpo.artifact_table_registry r
             CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) AS pr(p)
             CROSS JOIN pg_roles ro
             WHERE r.table_kind = 'canonical'
               AND ro.rolname IN ('cpo_writer', 'cpo_reader')
               AND has_table_privilege(ro.oid, r.table_regclass, pr.p)
        ) f;
        IF v_n = 0 THEN
            passed := false; detail := 'no canonical tables to guard';
        ELSIF v_bad IS NOT NULL THEN
            passed := false; detail := v_bad;
        ELSE
            passed := true; detail := format('%s canonical tables guarded', v_n);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;
END
$$;
