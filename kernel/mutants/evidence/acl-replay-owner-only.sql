-- mutant: acl-replay-owner-only
-- kills: EVID-ACL
-- why: the owner/ACL replay restores the owner and stops: revoked grants stay revoked and later grants stay granted (seed 004: replay owner + full ACL)
SELECT pg_temp.pgconform_patch('qt001_cp.replay_owner_acl(uuid)',
    $old$        EXECUTE format('%s OWNER TO %I', v_alter, v_obj->>'owner');$old$,
    $new$        EXECUTE format('%s OWNER TO %I', v_alter, v_obj->>'owner');
        v_idents := v_idents || (v_obj->>'identity');
        CONTINUE;$new$);
