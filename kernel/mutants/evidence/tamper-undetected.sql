-- mutant: tamper-undetected
-- kills: EVID-FAILCLOSED
-- why: using evidence trusts the registry row and never recomputes the stored body's sha256: a tampered body is restored or replayed (seed 001: the artifact content is fetched and its sha256 recomputed)
SELECT pg_temp.pgconform_patch('qt001_cp.fetch_verified_body(uuid)',
    $old$    IF qt001_cp.sha256_hex(v_body) <> e.artifact_sha256 OR octet_length(v_body) <> e.artifact_size_bytes THEN$old$,
    $new$    IF false THEN$new$);
