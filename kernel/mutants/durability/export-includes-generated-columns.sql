-- mutant: export-includes-generated-columns
-- kills: DUR-GENERATED, DUR-RT
-- why: export serialises whole rows (ids, seq) instead of content, so generated values leak into the pack
SELECT pg_temp.pgconform_patch('cpo.export_evidence_pack(uuid)',
    $old$jsonb_agg(t.%1$I ORDER BY$old$,
    $new$jsonb_agg(to_jsonb(t) - ''agent_id'' ORDER BY$new$);
