-- mutant: trigger-enabled-ignored
-- kills: DRIFT-DETECT
-- why: trigger definitions omit tgenabled: ALTER TABLE ... DISABLE TRIGGER (e.g. of an immutability trigger) goes unnoticed
SELECT pg_temp.pgconform_patch('qt001_cp.realized_authority_rows(text[])',
    $old$               pg_get_triggerdef(tg.oid, false)
                 || E'\n-- enabled ' || tg.tgenabled::text$old$,
    $new$               pg_get_triggerdef(tg.oid, false)$new$);
