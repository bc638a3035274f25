-- mutant: registry-valid-until-mutable
-- kills: EVID-IMMUTABLE
-- why: the registry guard also lets valid_until change, so expired evidence can be silently extended (seed 001: only last_readback_at and revoked_at may change)
SELECT pg_temp.pgconform_patch('qt001_cp.evidence_registry_guard()',
    $old$    IF (to_jsonb(NEW) - 'last_readback_at' - 'revoked_at')
       IS DISTINCT FROM (to_jsonb(OLD) - 'last_readback_at' - 'revoked_at') THEN$old$,
    $new$    IF (to_jsonb(NEW) - 'last_readback_at' - 'revoked_at' - 'valid_until')
       IS DISTINCT FROM (to_jsonb(OLD) - 'last_readback_at' - 'revoked_at' - 'valid_until') THEN$new$);
