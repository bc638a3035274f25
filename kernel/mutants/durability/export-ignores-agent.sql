-- mutant: export-ignores-agent
-- kills: DUR-ISOLATION, DUR-RT
-- why: the decisions query of the export lost its agent filter, so one agent's pack carries another's rows
DO $m$
DECLARE
    v_def text := pg_get_functiondef('cpo.export_evidence_pack(uuid)'::regprocedure);
    v_old text := $o$'  FROM %3$s t WHERE t.%4$I = $1',$o$;
BEGIN
    IF position(v_old IN v_def) = 0 THEN
        RAISE EXCEPTION 'mutant anchor not found';
    END IF;
    EXECUTE replace(v_def, v_old,
        $n$'  FROM %3$s t WHERE t.%4$I = $1 OR %3$L::regclass = ''cpo.cpo_decisions''::regclass',$n$);
END
$m$;
