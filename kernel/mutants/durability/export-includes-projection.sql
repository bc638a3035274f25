-- mutant: export-includes-projection
-- kills: DUR-PROJECTION, DUR-RT
-- why: the projection cpo_agent_heads is registered as exported, so packs carry derived state (seed 000, v3 "projections not modeled")
UPDATE cpo.artifact_table_registry
   SET is_exported = true, export_order = 13
 WHERE artifact_type = 'cpo_agent_heads';
SELECT pg_temp.pgconform_patch('cpo.get_canonical_artifact_types()',
    $old$    SELECT r.*
      FROM cpo.artifact_table_registry r
     WHERE r.table_kind = 'canonical'
       AND r.is_canonical
       AND r.is_exported
     ORDER BY r.export_order, r.artifact_type$old$,
    $new$    SELECT r.* FROM cpo.artifact_table_registry r WHERE r.is_exported ORDER BY r.export_order, r.artifact_type$new$);
UPDATE cpo.artifact_table_registry SET insert_content_column = 'artifact_counts'
 WHERE artifact_type = 'cpo_agent_heads';
