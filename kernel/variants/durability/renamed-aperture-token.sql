-- variant: renamed-aperture-token
-- choice: section 1, DUR-IMMUTABLE: how the aperture is told apart from other writers is the kernel's choice (v2)
-- why: the guard trusts another, private setting with another value shape; no harness may rely on the reference's cpo.aperture token
DO $v$
DECLARE
    f   regprocedure;
    v_def text;
    v_new text;
BEGIN
    FOREACH f IN ARRAY ARRAY['cpo.commit_action(text,jsonb,jsonb,uuid,uuid)'::regprocedure,
                             'cpo.guard_canonical_write()'::regprocedure,
                             'cpo.run_write_aperture_proofs()'::regprocedure] LOOP
        v_def := pg_get_functiondef(f);
        v_new := replace(v_def, $o$cpo\.aperture$o$, $n$kernel_private\.write_gate$n$);
        v_new := replace(v_new, $o$'cpo.aperture'$o$, $n$'kernel_private.write_gate'$n$);
        v_new := replace(v_new, $o$set_config('kernel_private.write_gate', pg_current_xact_id()::text, true)$o$,
                                $n$set_config('kernel_private.write_gate', 'gate/' || pg_backend_pid() || '/' || pg_current_xact_id()::text, true)$n$);
        v_new := replace(v_new, $o$coalesce(current_setting('kernel_private.write_gate', true), '') = pg_current_xact_id()::text$o$,
                                $n$coalesce(current_setting('kernel_private.write_gate', true), '') = 'gate/' || pg_backend_pid() || '/' || pg_current_xact_id()::text$n$);
        IF v_new = v_def THEN
            RAISE EXCEPTION 'variant anchor not found in %', f;
        END IF;
        EXECUTE v_new;
    END LOOP;
    IF (SELECT count(*) FROM pg_proc p WHERE p.pronamespace = 'cpo'::regnamespace AND p.prosrc ~ 'cpo\\?\.aperture\M') <> 0 THEN
        RAISE EXCEPTION 'variant left the old token behind';
    END IF;
END
$v$;
