-- mutant: export-ignores-agent
-- kills: DUR-ISOLATION, DUR-RT
-- why: the decisions query of the export lost its agent filter, so one agent's pack carries another's rows
SELECT pg_temp.pgconform_patch('cpo.export_evidence_pack(uuid)',
    $old$'  FROM %3$s t WHERE t.%4$I = $1',$old$,
    $new$'  FROM %3$s t WHERE t.%4$I = $1 OR %3$L::regclass = ''cpo.cpo_decisions''::regclass',$new$);
