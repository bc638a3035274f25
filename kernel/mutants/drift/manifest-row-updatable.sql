-- mutant: manifest-row-updatable
-- kills: DRIFT-FORWARD-ONLY
-- why: the forward-only trigger lets UPDATE through on manifest_version ("metadata fixes"): a sealed version can be edited in place
SELECT pg_temp.pgconform_patch('qt001_cp.manifest_refuse_mutation()',
    $old$BEGIN$old$,
    $new$BEGIN
    IF TG_OP = 'UPDATE' AND TG_TABLE_NAME = 'manifest_version' THEN
        RETURN NEW;
    END IF;$new$);
