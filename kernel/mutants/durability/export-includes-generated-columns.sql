-- mutant: export-includes-generated-columns
-- kills: DUR-GENERATED, DUR-RT
-- why: export serialises whole rows (ids, seq) instead of content, so generated values leak into the pack
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.export_evidence_pack(uuid)'::regprocedure);
BEGIN
    IF position('jsonb_agg(t.%1$I ORDER BY' IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    EXECUTE replace(v_def, 'jsonb_agg(t.%1$I ORDER BY', $n$jsonb_agg(to_jsonb(t) - ''agent_id'' ORDER BY$n$);
END
$m$;
