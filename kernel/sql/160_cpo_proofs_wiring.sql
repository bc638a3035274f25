-- 160_cpo_proofs_wiring.sql — durability wiring proofs 1–6 (seed 000,
-- "Durability Wiring Proofs"): structural evidence that durability goes
-- through the registry seam. Functions are resolved by exact regprocedure;
-- a body "names a table" when it contains a registry table's relname as a
-- whole word. Each proof runs in its own sub-transaction; errors fail it.
--
--   1 export_evidence_pack iterates the registry, names no table
--   2 rehydrate_agent uses the registry and its insert columns, names no table
--   3 verify_reconstruction uses the registry and sha256 in both directions
--     (missing and extra), names no table
--   4 every durability function of the registry's schema (export, rehydrate,
--     verify, round_trip, rebuild) reaches the registry — zero found fails
--   5 get_canonical_artifact_types exists and returns exactly the registry's
--     canonical exported rows (non-empty) in export order
--   6 durability_round_trip_test wires export, rehydrate, rebuild and verify
-- SQLSTATE: none raised.

-- The body of a function given by exact signature, or NULL.
CREATE OR REPLACE FUNCTION cpo.wiring_body(p_signature text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT p.prosrc FROM pg_proc p WHERE p.oid = to_regprocedure(p_signature)
$$;

-- Registry table names a body mentions (hand-curated lists), comma-separated.
CREATE OR REPLACE FUNCTION cpo.wiring_named_tables(p_body text)
RETURNS text
LANGUAGE sql
STABLE
SET search_path = pg_catalog, pg_temp
AS $$
    SELECT string_agg(c.relname::text, ', ' ORDER BY c.relname)
      FROM cpo.artifact_table_registry r
      JOIN pg_class c ON c.oid = r.table_regclass
     WHERE p_body ~ ('\m' || c.relname || '\M')
$$;

CREATE OR REPLACE FUNCTION cpo.run_durability_wiring_proofs()
RETURNS TABLE(proof integer, name text, passed boolean, detail text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    v_body  text;
    v_named text;
    v_bad   text;
    v_n     bigint;
    v_m     bigint;
    v_reg   constant text := '(get_canonical_artifact_types|artifact_table_registry)';
BEGIN
    -- 1
    proof := 1; name := 'export_evidence_pack iterates the registry';
    BEGIN
        v_body := cpo.wiring_body('cpo.export_evidence_pack(uuid)');
        v_named := cpo.wiring_named_tables(v_body);
        IF v_body IS NULL THEN
            passed := false; detail := 'cpo.export_evidence_pack(uuid) does not exist';
        ELSIF v_body !~ v_reg THEN
            passed := false; detail := 'export does not read the registry';
        ELSIF v_named IS NOT NULL THEN
            passed := false; detail := 'export names tables directly (hand-curated list): ' || v_named;
        ELSE
            passed := true; detail := 'iterates get_canonical_artifact_types()';
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 2
    proof := 2; name := 'rehydrate_agent uses the registry insert columns';
    BEGIN
        v_body := cpo.wiring_body('cpo.rehydrate_agent(jsonb,text)');
        v_named := cpo.wiring_named_tables(v_body);
        IF v_body IS NULL THEN
            passed := false; detail := 'cpo.rehydrate_agent(jsonb,text) does not exist';
        ELSIF v_body !~ v_reg OR v_body !~ 'insert_agent_id_column' OR v_body !~ 'insert_content_column' THEN
            passed := false; detail := 'rehydrate does not insert through the registry''s insert columns';
        ELSIF v_named IS NOT NULL THEN
            passed := false; detail := 'rehydrate names tables directly: ' || v_named;
        ELSE
            passed := true; detail := 'inserts registry insert columns only';
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 3
    proof := 3; name := 'verify_reconstruction compares sha256 multisets per registry type';
    BEGIN
        v_body := cpo.wiring_body('cpo.verify_reconstruction(uuid,text,text)');
        v_named := cpo.wiring_named_tables(v_body);
        IF v_body IS NULL THEN
            passed := false; detail := 'cpo.verify_reconstruction(uuid,text,text) does not exist';
        ELSIF v_body !~ v_reg THEN
            passed := false; detail := 'verification does not read the registry';
        ELSIF v_body !~* 'sha256' THEN
            passed := false; detail := 'verification does not hash content (count-only equivalence)';
        ELSIF v_body !~ '''missing''' OR v_body !~ '''extra''' THEN
            passed := false; detail := 'verification does not report both missing and extra digests';
        ELSIF v_named IS NOT NULL THEN
            passed := false; detail := 'verification names tables directly: ' || v_named;
        ELSE
            passed := true; detail := 'sha256 multiset per registry type, both directions';
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 4
    proof := 4; name := 'no durability function bypasses the registry';
    BEGIN
        SELECT count(*),
               string_agg(p.oid::regprocedure::text, ', ' ORDER BY p.oid::regprocedure::text)
                   FILTER (WHERE p.prosrc !~ v_reg
                             AND p.prosrc !~ '\m(export_evidence_pack|rehydrate_agent|verify_reconstruction)\M')
          INTO v_n, v_bad
          FROM pg_proc p
         WHERE p.pronamespace IN (SELECT c.relnamespace FROM cpo.artifact_table_registry r
                                    JOIN pg_class c ON c.oid = r.table_regclass
                                  UNION SELECT 'cpo'::regnamespace)
           AND p.proname ~ '(export|rehydrate|verify|round_trip|rebuild)'
           AND p.proname !~ '^run_.*_proofs$';
        IF v_n = 0 THEN
            passed := false; detail := 'no durability functions found';
        ELSIF v_bad IS NOT NULL THEN
            passed := false; detail := 'durability functions that bypass the registry: ' || v_bad;
        ELSE
            passed := true; detail := format('%s durability functions reach the registry', v_n);
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 5
    proof := 5; name := 'registry helper returns the canonical exported rows';
    BEGIN
        IF to_regprocedure('cpo.get_canonical_artifact_types()') IS NULL THEN
            passed := false; detail := 'cpo.get_canonical_artifact_types() does not exist';
        ELSE
            SELECT count(*) INTO v_n FROM cpo.get_canonical_artifact_types();
            SELECT count(*) INTO v_m FROM cpo.artifact_table_registry r
             WHERE r.table_kind = 'canonical' AND r.is_canonical AND r.is_exported;
            IF v_n = 0 THEN
                passed := false; detail := 'get_canonical_artifact_types() returned no rows';
            ELSIF v_n <> v_m OR EXISTS (
                    (SELECT g.artifact_type FROM cpo.get_canonical_artifact_types() g
                     EXCEPT
                     SELECT r.artifact_type FROM cpo.artifact_table_registry r
                      WHERE r.table_kind = 'canonical' AND r.is_canonical AND r.is_exported)
                    UNION ALL
                    (SELECT r.artifact_type FROM cpo.artifact_table_registry r
                      WHERE r.table_kind = 'canonical' AND r.is_canonical AND r.is_exported
                     EXCEPT
                     SELECT g.artifact_type FROM cpo.get_canonical_artifact_types() g)) THEN
                passed := false; detail := format('helper returned %s rows; the registry has %s canonical exported rows', v_n, v_m);
            ELSE
                passed := true; detail := format('%s canonical exported types', v_n);
            END IF;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;

    -- 6
    proof := 6; name := 'round-trip test wires export, rehydrate and verify';
    BEGIN
        v_body := cpo.wiring_body('cpo.durability_round_trip_test(uuid)');
        IF v_body IS NULL THEN
            passed := false; detail := 'cpo.durability_round_trip_test(uuid) does not exist';
        ELSE
            SELECT string_agg(f, ', ') INTO v_bad
              FROM unnest(ARRAY['export_evidence_pack', 'rehydrate_agent', 'rebuild_agent_heads', 'verify_reconstruction']) f
             WHERE v_body !~ ('\m' || f || '\s*\(');
            IF v_bad IS NOT NULL THEN
                passed := false; detail := 'round-trip test does not call: ' || v_bad;
            ELSE
                passed := true; detail := 'calls export, rehydrate, rebuild and verify';
            END IF;
        END IF;
    EXCEPTION WHEN OTHERS THEN
        passed := false; detail := 'proof raised: ' || SQLERRM;
    END;
    RETURN NEXT;
END
$$;
