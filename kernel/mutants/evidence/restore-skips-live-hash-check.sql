-- mutant: restore-skips-live-hash-check
-- kills: EVID-FAILCLOSED
-- why: restore trusts CREATE OR REPLACE and never re-hashes the live definition: evidence of another overload "restores" the wrong object and reports success (seed 001: the final authority is the post-restore live hash)
SELECT pg_temp.pgconform_patch('qt001_cp.restore_function(regprocedure,uuid,text)',
    $old$    v_after := qt001_cp.live_definition_sha256(p_object);$old$,
    $new$    v_after := p_pinned_sha256;$new$);
