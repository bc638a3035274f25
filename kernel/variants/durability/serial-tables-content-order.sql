-- variant: serial-tables-content-order
-- choice: section 1, export_evidence_pack: rows of a type without a seq column come in any deterministic order, the kernel's choice (v2)
-- why: the reference lists bigserial tables (cpo_assumption_events, cpo_exception_events, cpo_drift_resolutions, cpo_changes) in id order; byte order of content::text is as deterministic
UPDATE cpo.artifact_table_registry
   SET row_order_column = NULL
 WHERE table_kind = 'canonical' AND seq_column IS NULL;
DO $v$
BEGIN
    IF (SELECT count(*) FROM cpo.artifact_table_registry WHERE row_order_column IS NOT NULL AND seq_column IS NULL) <> 0 THEN
        RAISE EXCEPTION 'variant did not apply';
    END IF;
END
$v$;
