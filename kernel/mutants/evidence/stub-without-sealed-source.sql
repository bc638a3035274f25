-- mutant: stub-without-sealed-source
-- kills: EVID-NO-SOURCE-NO-CHANGE, EVID-FAILCLOSED
-- why: the stub only checks that the pin matches the live definition; the evidence is never fetched, so a body is changed with no restorable source (seed 001: no-artifact => no body change)
SELECT pg_temp.pgconform_patch('qt001_cp.stub_fail_closed(regprocedure,text,uuid)',
    $old$
    v_body := qt001_cp.fetch_verified_body(p_evidence_id);
    SELECT * INTO e FROM qt001_cp.evidence_registry r WHERE r.evidence_id = p_evidence_id;
    IF e.artifact_sha256 <> p_pinned_sha256 OR qt001_cp.sha256_hex(v_body) <> p_pinned_sha256 THEN
        RAISE EXCEPTION 'stub_fail_closed: evidence % holds %, not the pinned %',
            p_evidence_id, e.artifact_sha256, p_pinned_sha256 USING ERRCODE = '22000';
    END IF;$old$,
    $new$$new$,
    $old$    IF qt001_cp.sha256_hex(convert_to(v_live, 'UTF8')) <> p_pinned_sha256
       OR convert_from(v_body, 'UTF8') <> v_live THEN$old$,
    $new$    IF qt001_cp.sha256_hex(convert_to(v_live, 'UTF8')) <> p_pinned_sha256 THEN$new$,
    $old$    v_stub_ev := qt001_cp.seal_artifact(
        'qt001_cp:function-stub/' || gen_random_uuid()::text,
        convert_to(v_stub_def, 'UTF8'), 'function_source', e.storage_class, e.issuer_principal_id,
        e.valid_until - public.kernel_now());$old$,
    $new$    v_stub_ev := NULL;$new$);
