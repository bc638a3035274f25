-- variant: pack-without-digests
-- choice: section 1, export_evidence_pack: the "digests" key is optional and further keys are allowed (v2)
-- why: a pack without digests (and with a key of the kernel's own) is a valid cpo.evidence_pack/v1
DO $v$
DECLARE
    v_def text := pg_get_functiondef('cpo.export_evidence_pack(uuid)'::regprocedure);
    v_old text := $o$'digests', v_all,$o$;
BEGIN
    IF position(v_old IN v_def) = 0 THEN
        RAISE EXCEPTION 'variant anchor not found';
    END IF;
    EXECUTE replace(v_def, v_old, $n$'exporter', jsonb_build_object('kernel', 'variant pack-without-digests', 'types', jsonb_array_length(v_order)),$n$);
END
$v$;
